"""Loss-curve diagnostics: pure functions on loss histories -> findings with a suggested fix.

Every check takes plain arrays (per-epoch losses, per-batch losses of each epoch), so it can be
tested on fabricated histories. Epochs in messages are 1-based, batches 0-based within an epoch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from jettag.atomic import write_text_atomic


@dataclass
class Finding:
    kind: str  # nonfinite, divergence, overfitting, not_falling, periodic, small_validation
    severity: str  # error, warning
    message: str  # one plain sentence (or two) with the suggested fix
    epoch: int | None = None
    batch: int | None = None
    value: float | None = None  # the statistic behind the finding


def _arr(x) -> np.ndarray:
    return np.asarray(x if x is not None else [], dtype=float)


def find_nonfinite(train_loss, val_loss=None, batch_losses: Sequence = (),
                   stop: dict | None = None) -> Finding | None:
    """NaN or inf anywhere in the losses; ``stop`` = {"epoch", "batch"} where training stopped."""
    where = None
    if stop:
        where = (int(stop["epoch"]), int(stop["batch"]))
    else:
        for e, losses in enumerate(batch_losses):
            bad = np.flatnonzero(~np.isfinite(_arr(losses)))
            if bad.size:
                where = (e + 1, int(bad[0]))
                break
        if where is None:
            for series in (_arr(train_loss), _arr(val_loss)):
                bad = np.flatnonzero(~np.isfinite(series))
                if bad.size:
                    where = (int(bad[0]) + 1, -1)
                    break
    if where is None:
        return None
    epoch, batch = where
    at = f"epoch {epoch}, batch {batch}" if batch >= 0 else f"epoch {epoch} (epoch average)"
    last_good = epoch - 1
    kept = (f"best.pt and last.pt are from epoch {last_good}, the last good one" if last_good >= 1
            else "no epoch finished, so there is no usable checkpoint")
    return Finding(
        "nonfinite", "error",
        f"The loss became NaN or inf at {at}; training stopped and {kept}. Fix: lower "
        "training.learning_rate (try the value from `jettag lr-find`), check the inputs for NaN/inf "
        "and zero widths in norm.json, and avoid bf16 overflow in custom layers.",
        epoch=epoch, batch=batch,
    )


def smooth(x, window: int) -> np.ndarray:
    """Running median (robust to single noisy batches)."""
    x = _arr(x)
    window = max(1, min(int(window), len(x)))
    if window == 1 or len(x) == 0:
        return x
    pad = window // 2
    xp = np.pad(x, (pad, window - 1 - pad), mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(xp, window), axis=1)


def find_divergence(train_loss, batch_losses: Sequence = (), factor: float = 3.0) -> Finding | None:
    """The (smoothed) training loss grows by ``factor`` above its minimum."""
    per_batch = [_arr(b) for b in batch_losses]
    flat = np.concatenate(per_batch) if per_batch else np.array([])
    flat = flat[np.isfinite(flat)]
    epoch_of = np.concatenate([np.full(len(b), e + 1) for e, b in enumerate(per_batch)]) if per_batch else None
    if len(flat) >= 10:
        # smooth over an epoch, so structure within epochs (unshuffled data) is not growth
        window = len(per_batch[0]) if len(per_batch) >= 2 else len(flat) // 10
        s = smooth(flat, max(5, window))
        imin = int(np.argmin(s))
        tail = s[-max(1, len(s) // 10):]
        if s[imin] > 0 and np.min(tail) > factor * s[imin]:
            ibad = imin + int(np.argmax(s[imin:] > factor * s[imin]))
            finite_epochs = epoch_of[np.isfinite(np.concatenate(per_batch))]
            epoch = int(finite_epochs[ibad])
            return Finding(
                "divergence", "error",
                f"The training loss diverges: it grows from {s[imin]:.4g} to above {factor:g}x that "
                f"({np.max(s[imin:]):.4g}) in epoch {epoch}. Fix: lower training.learning_rate "
                "(or use a warm-up schedule such as onecycle), check lr_scaling for large batches.",
                epoch=epoch, value=float(np.max(s[imin:]) / s[imin]),
            )
        return None
    t = _arr(train_loss)
    t = t[np.isfinite(t)]
    if len(t) >= 2:
        imin = int(np.argmin(t))
        if t[imin] > 0 and np.max(t[imin:]) > factor * t[imin]:
            epoch = imin + 1 + int(np.argmax(t[imin:] > factor * t[imin]))
            return Finding(
                "divergence", "error",
                f"The training loss diverges: it grows from {t[imin]:.4g} to {np.max(t[imin:]):.4g} "
                f"by epoch {epoch}. Fix: lower training.learning_rate or use a warm-up schedule.",
                epoch=epoch, value=float(np.max(t[imin:]) / t[imin]),
            )
    return None


def find_overfitting(train_loss, val_loss, val_loss_err=None, min_epochs_rising: int = 2) -> Finding | None:
    """Validation loss rising (significantly) after its minimum while training loss keeps falling."""
    t, v = _arr(train_loss), _arr(val_loss)
    n = min(len(t), len(v))
    if n < 3 or not (np.all(np.isfinite(t[:n])) and np.all(np.isfinite(v[:n]))):
        return None
    t, v = t[:n], v[:n]
    imin = int(np.argmin(v))
    after = n - 1 - imin
    if after < min_epochs_rising:
        return None
    err = _arr(val_loss_err)
    sigma = float(np.median(err)) if len(err) and np.all(np.isfinite(err)) else 0.0
    rise = v[-1] - v[imin]
    # the same jets at every epoch: differences fluctuate much less than sigma; still ask for some
    threshold = max(0.5 * sigma, 1e-3 * abs(v[imin]))
    falling = t[-1] < t[imin]
    rising_steps = np.mean(np.diff(v[imin:]) > 0)
    if rise > threshold and falling and rising_steps >= 0.5:
        start = imin + 2  # first epoch (1-based) after the minimum
        return Finding(
            "overfitting", "warning",
            f"Overfitting from epoch {start}: the validation loss rises from its minimum "
            f"{v[imin]:.4g} at epoch {imin + 1} to {v[-1]:.4g} while the training loss keeps "
            f"falling ({t[imin]:.4g} -> {t[-1]:.4g}). best.pt is from epoch {imin + 1}. Fix: keep "
            "early stopping on, add regularisation (weight_decay, l1, dropout), use more training jets "
            "or a smaller model.",
            epoch=start, value=float(rise),
        )
    return None


def find_not_falling(train_loss, batch_losses: Sequence = (), min_relative_drop: float = 0.01) -> Finding | None:
    """The training loss does not fall by at least ``min_relative_drop`` over the training."""
    per_batch = [_arr(b) for b in batch_losses if len(b)]
    t = _arr(train_loss)
    drops = []
    if per_batch:
        flat = np.concatenate(per_batch)
        flat = flat[np.isfinite(flat)]
        if len(flat) >= 10:
            k = max(1, len(flat) // 10)
            first, last = flat[:k].mean(), flat[-k:].mean()
            drops.append((first - last) / abs(first) if first else 0.0)
    if len(t) >= 2 and np.all(np.isfinite(t)):
        drops.append((t[0] - t.min()) / abs(t[0]) if t[0] else 0.0)
    if not drops:
        return None
    drop = max(drops)
    if drop < min_relative_drop:
        return Finding(
            "not_falling", "warning",
            f"The training loss is not falling (relative drop {drop:.2%} over the training, below "
            f"{min_relative_drop:.0%}). Fix: the learning rate is too low (check training.learning_rate, "
            "lr_scaling and the schedule; try `jettag lr-find`) or the gradients are not applied "
            "(frozen parameters, optimizer not stepping).",
            value=float(drop),
        )
    return None


def periodicity(batch_losses: Sequence) -> tuple[float, float, int | None]:
    """(r, threshold, period in batches) of structure in per-batch losses that repeats every epoch.

    Each epoch's per-batch losses are detrended (linear fit); ``r`` is the mean correlation of
    consecutive epochs' residuals at the same batch index (about 0 for shuffled data, where the
    batches of two epochs are unrelated). The first epoch is skipped when there are three or more
    (it holds most of the learning). ``threshold`` is the value above which ``r`` is significant.
    """
    rows = [_arr(b) for b in batch_losses]
    rows = [r for r in rows if len(r) and np.all(np.isfinite(r))]
    if len(rows) >= 3:
        rows = rows[1:]
    if len(rows) < 2:
        return 0.0, 1.0, None
    m = min(len(r) for r in rows)
    if m < 8:
        return 0.0, 1.0, None
    x = np.array([r[:m] for r in rows])
    idx = np.arange(m)
    for i in range(len(x)):
        x[i] -= np.polyval(np.polyfit(idx, x[i], 1), idx)
    corr = [np.corrcoef(x[i], x[i + 1])[0, 1] for i in range(len(x) - 1)
            if x[i].std() > 0 and x[i + 1].std() > 0]
    if not corr:
        return 0.0, 1.0, None
    r = float(np.mean(corr))
    threshold = max(0.3, 3.5 / np.sqrt(m * len(corr)))  # ~3.5 sigma for unrelated epochs
    spectrum = np.abs(np.fft.rfft(x.mean(axis=0)))[1:]
    period = int(round(m / (1 + int(np.argmax(spectrum))))) if len(spectrum) else None
    return r, float(threshold), period


def find_periodic(batch_losses: Sequence) -> Finding | None:
    r, threshold, period = periodicity(batch_losses)
    if r > threshold:
        return Finding(
            "periodic", "warning",
            f"The per-batch loss repeats the same pattern in every epoch (correlation {r:.2f} between "
            f"epochs at the same batch index, against ~0 for shuffled data; dominant period about "
            f"{period} batches): the training data is not shuffled (e.g. stored sorted by flavour or "
            "pT). Fix: set training.shuffle: true, a smaller training.block_size, or shuffle in "
            "preprocessing.",
            value=r,
        )
    return None


def find_small_validation(val_loss, val_loss_err, n_val: int | None = None) -> Finding | None:
    """The validation loss cannot resolve what training achieved: its statistical error is larger
    than half of the improvement from the first to the best epoch.

    (Late epochs that differ by less than the error are normal and not flagged: the validation
    jets are the same in every epoch, so their comparison is paired and much more precise than
    the error of each value.)
    """
    v, err = _arr(val_loss), _arr(val_loss_err)
    if len(v) < 3 or len(err) == 0 or not (np.all(np.isfinite(v)) and np.all(np.isfinite(err))):
        return None
    sigma = float(np.median(err))
    gain = float(v[0] - np.min(v))
    if sigma > 0.5 * gain:
        need = f" (about {int(n_val * (2 * sigma / max(gain, 1e-12)) ** 2):,} jets instead of {n_val:,})" if n_val else ""
        return Finding(
            "small_validation", "warning",
            f"The validation set is too small for a significant comparison of epochs: the statistical "
            f"error of the validation loss ({sigma:.3g}) is larger than half its whole improvement "
            f"during training ({gain:.3g}), so the best epoch and early stopping follow noise. Fix: "
            f"enlarge the validation split (preprocess.splits.val){need} or set "
            f"early_stopping.min_delta to about {2 * sigma:.2g}.",
            value=sigma / max(gain, 1e-12),
        )
    return None


def diagnose(history: dict, batch_losses: Sequence = (), stop: dict | None = None,
             n_val: int | None = None) -> list[Finding]:
    """Every finding for a training history (dict of per-epoch arrays, as in history.csv)."""
    train, val = history.get("train_loss", []), history.get("val_loss", [])
    err = history.get("val_loss_err", [])
    checks = [
        find_nonfinite(train, val, batch_losses, stop),
        find_divergence(train, batch_losses),
        find_overfitting(train, val, err),
        find_not_falling(train, batch_losses),
        find_periodic(batch_losses),
        find_small_validation(val, err, n_val),
    ]
    return [c for c in checks if c is not None]


def write_diagnostics(findings: list[Finding], output_dir: Path, summary: dict | None = None) -> None:
    """``diagnostics.json`` (findings + summary) and ``diagnostics.txt`` (one finding per line)."""
    output_dir = Path(output_dir)
    payload = {"summary": summary or {}, "findings": [asdict(f) for f in findings]}
    write_text_atomic(output_dir / "diagnostics.json", json.dumps(payload, indent=2, default=float) + "\n")
    if findings:
        text = "\n".join(f"[{f.severity}] {f.kind}: {f.message}" for f in findings)
    else:
        text = "No problems found in the loss curves."
    write_text_atomic(output_dir / "diagnostics.txt", text + "\n")
