"""Learning-rate range test (``jettag lr-find``): loss vs learning rate, increased exponentially.

The model trains for ``steps`` batches with the learning rate growing geometrically from
``min_lr`` to ``max_lr``; the loss is smoothed (bias-corrected exponential moving average) and the
suggested learning rate is where the smoothed loss falls fastest against log(lr). The test stops
early when the smoothed loss exceeds ``4 x`` its minimum. Options come from
``spec["training"]["lr_range"]`` (``min_lr``, ``max_lr``, ``steps``, ``beta``) or the arguments.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from jettag.atomic import atomic_path, write_text_atomic
from jettag.training.data import H5Batches, check_inputs, feature_names, read_norm
from jettag.training.options import training_options
from jettag.training.resume import seed_everything
from jettag.training.step import (
    apply_gradients,
    build_optimizer,
    forward_loss,
    resolve_device,
)


def smoothed(losses, beta: float = 0.9) -> np.ndarray:
    """Bias-corrected exponential moving average."""
    out, avg = [], 0.0
    for i, x in enumerate(np.asarray(losses, dtype=float)):
        avg = beta * avg + (1 - beta) * x
        out.append(avg / (1 - beta ** (i + 1)))
    return np.array(out)


def suggest_lr(lrs, smooth_losses, skip_start: int = 5, skip_end: int = 3) -> float:
    """The learning rate of steepest descent of the smoothed loss against log(lr), searched below
    the learning rate of the loss minimum."""
    lrs, s = np.asarray(lrs, float), np.asarray(smooth_losses, float)
    if len(s) > skip_start + skip_end + 3:  # the ends are dominated by the EMA start-up and blow-up
        lrs, s = lrs[skip_start:len(s) - skip_end], s[skip_start:len(s) - skip_end]
    if len(s) < 3:
        return float(lrs[np.argmin(s)]) if len(s) else float("nan")
    # only the part before the loss minimum: later descents are recoveries from blow-ups
    end = int(np.argmin(s)) + 1
    if end < 3:
        return float(lrs[end - 1])
    grad = np.gradient(s[:end], np.log(lrs[:end]))
    return float(lrs[int(np.argmin(grad))])


def run_lr_range_test(spec: dict, data_dir: Path, output: Path, *, min_lr: float | None = None,
                      max_lr: float | None = None, steps: int | None = None, model_factory=None) -> dict:
    """Write ``output`` (CSV: step, lr, loss, smoothed_loss) and ``.png``/``.pdf`` plots beside it.

    Returns ``{"suggested_lr", "lr", "loss", "smoothed"}``.
    """
    data_dir, output = Path(data_dir), Path(output)
    check_inputs(data_dir)
    opts = training_options(spec)
    cfg = opts["lr_range"]
    min_lr = float(min_lr if min_lr is not None else cfg["min_lr"])
    max_lr = float(max_lr if max_lr is not None else cfg["max_lr"])
    steps = int(steps if steps is not None else cfg["steps"])
    device = resolve_device(opts["device"])
    seed_everything(int(opts["seed"]))
    norm = read_norm(data_dir)
    names, jet_names = feature_names(data_dir / "train.h5")
    if model_factory is None:
        from jettag.models import build_model as model_factory
    model = model_factory(spec, norm, names, jet_names).to(device)
    loader = H5Batches(data_dir / "train.h5", int(opts["batch_size"]), shuffle=bool(opts["shuffle"]),
                       seed=int(opts["seed"]), block_size=int(opts["block_size"]),
                       max_jets=opts["max_train_jets"], prefetch=int(opts["prefetch"]))
    optimizer = build_optimizer(model, opts, min_lr)
    gamma = (max_lr / min_lr) ** (1.0 / max(steps - 1, 1))
    aux, l1 = float(opts["aux_origin_weight"]), float(opts["l1"])
    lrs, losses = [], []
    best = math.inf
    epoch = 0
    model.train()
    while len(losses) < steps:
        loader.set_epoch(epoch)
        for batch in loader:
            lr = min_lr * gamma ** len(losses)
            for g in optimizer.param_groups:
                g["lr"] = lr
            batch = batch.to(device)
            _, loss, total = forward_loss(model, batch, device, aux, l1)
            value = float(loss.detach())
            if not math.isfinite(value):
                break
            apply_gradients(optimizer, total)
            lrs.append(lr)
            losses.append(value)
            s = smoothed(losses, cfg["beta"])[-1]
            best = min(best, s)
            if len(losses) >= steps or (len(losses) > 10 and s > 4 * best):
                break
        else:
            epoch += 1
            continue
        break
    smooth = smoothed(losses, cfg["beta"])
    suggestion = suggest_lr(lrs, smooth)
    rows = "\n".join(f"{i},{lr:.6g},{loss:.6g},{s:.6g}" for i, (lr, loss, s) in enumerate(zip(lrs, losses, smooth, strict=True)))
    write_text_atomic(output, "step,lr,loss,smoothed_loss\n" + rows + "\n")
    write_text_atomic(output.with_suffix(".json"),
                      f'{{"suggested_lr": {suggestion:.6g}, "min_lr": {min_lr:g}, "max_lr": {max_lr:g}, "steps": {len(lrs)}}}\n')
    _plot(lrs, losses, smooth, suggestion, output, spec.get("name", ""))
    return {"suggested_lr": suggestion, "lr": np.array(lrs), "loss": np.array(losses), "smoothed": smooth}


def _plot(lrs, losses, smooth, suggestion, output: Path, name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(lrs, losses, color="0.75", lw=0.8, label="loss per batch")
    ax.plot(lrs, smooth, color="C0", lw=1.6, label="smoothed loss")
    if math.isfinite(suggestion):
        ax.axvline(suggestion, color="C3", ls="--", label=f"steepest descent: lr = {suggestion:.2g}")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    finite = np.asarray(smooth)[np.isfinite(smooth)]
    if len(finite):
        ax.set_ylim(finite.min() - 0.05 * abs(finite.min()), min(np.max(finite), 2.5 * finite[0]) * 1.05)
    ax.set_title(f"learning-rate range test {name}".strip())
    ax.legend(frameon=False)
    fig.tight_layout()
    for suffix in (".png", ".pdf"):
        with atomic_path(output.with_suffix(suffix)) as tmp:
            fig.savefig(tmp, format=suffix[1:])
    plt.close(fig)


__all__ = ["run_lr_range_test", "suggest_lr", "smoothed"]
