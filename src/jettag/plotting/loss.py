"""Training curves: train and validation loss and accuracy per epoch, best epoch marked,
with the training diagnostics written below the plot.

Inputs: ``history.csv`` files (columns ``epoch, train_loss, val_loss`` and optionally
``train_acc, val_acc, lr``; read by ``jettag.training.history.read_history``), one per trained
model; the model name is the file's parent directory name. A ``diagnostics.json`` in the inputs
belongs to the history in the same directory; otherwise the one beside each history is used when
present (missing is fine).

Diagnostics JSON (as ``jettag.training.diagnostics`` writes it): ``{"summary": {"best_epoch": N,
...}, "findings": [{"severity": ..., "message": ...}, ...]}``. Also accepted: a list of sentences,
or a dict whose ``sentences``/``messages``/``diagnostics``/``findings``/``warnings`` entry is a
sentence or a list of sentences or of dicts with ``message``/``text``/``sentence``. A
``best_epoch`` (top level or in ``summary``) that is an epoch of the history overrides the epoch
of minimal validation loss.

Spec keys: label keys (:mod:`jettag.plotting.style`) and ``plots.formats``.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from jettag.errors import JettagError
from jettag.plotting import style
from jettag.training.history import read_history

SENTENCE_KEYS = ("sentences", "messages", "diagnostics", "findings", "warnings")
WRAP = 110


def _sentences_from(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        for key in ("message", "text", "sentence"):
            if isinstance(value.get(key), str):
                severity = value.get("severity")
                prefix = f"[{severity}] " if isinstance(severity, str) and severity else ""
                return [prefix + value[key]]
        return []
    if isinstance(value, list):
        return [s for item in value for s in _sentences_from(item)]
    return []


def read_diagnostics(path: Path | None) -> tuple[list[str], int | None]:
    """``(sentences, best_epoch)`` from a diagnostics.json (``([], None)`` when absent)."""
    if path is None or not Path(path).is_file():
        return [], None
    try:
        data = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise JettagError(f"{path}: not valid JSON ({exc})") from None
    if isinstance(data, list):
        return _sentences_from(data), None
    if not isinstance(data, dict):
        return [], None
    sentences = [s for key in SENTENCE_KEYS for s in _sentences_from(data.get(key))]
    best = data.get("best_epoch")
    if best is None and isinstance(data.get("summary"), dict):
        best = data["summary"].get("best_epoch")
    return sentences, int(best) if isinstance(best, int | float) and not isinstance(best, bool) else None


def _pair_inputs(inputs: list[Path]) -> list[tuple[str, Path, Path | None]]:
    inputs = [Path(p) for p in inputs]
    histories = [p for p in inputs if p.suffix == ".csv"]
    if not histories:
        raise JettagError(f"no history .csv among the inputs {[str(p) for p in inputs]}")
    diag = {p.parent: p for p in inputs if p.suffix == ".json"}
    out = []
    for h in histories:
        d = diag.get(h.parent, h.with_name("diagnostics.json"))
        out.append((h.parent.name or h.stem, h, d if d.is_file() else None))
    return out


def plot_loss(spec: dict, inputs: list[Path], output: Path) -> None:
    style.use_style()
    models = []
    for name, hist_path, diag_path in _pair_inputs(inputs):
        history = read_history(hist_path)
        sentences, best = read_diagnostics(diag_path)
        if best is None or not (history["epoch"] == best).any():
            val = history["val_loss"]
            if np.isfinite(val).any():
                best = int(history["epoch"][int(np.nanargmin(val))])
        models.append((name, history, sentences, best))

    text_lines = []
    for name, _, sentences, best in models:
        head = f"{name}: best epoch {best}." if best is not None else f"{name}:"
        body = " ".join(s.strip() for s in sentences) if sentences else "no problems found in the loss curves."
        text_lines.extend(textwrap.wrap(f"{head} {body}", WRAP) or [head])
    text_height = 0.24 * len(text_lines) + 0.3
    has_acc = any("val_acc" in h and np.isfinite(h["val_acc"]).any() for _, h, _, _ in models)
    ncols = 2 if has_acc else 1
    fig = plt.figure(figsize=(8 * ncols, 6.5 + text_height))
    top_frac = 6.5 / (6.5 + text_height)
    grid = fig.add_gridspec(1, ncols, left=0.09 if ncols == 2 else 0.15, right=0.97,
                            top=0.97, bottom=1 - top_frac + 0.09 * top_frac, wspace=0.28)
    axes = [fig.add_subplot(grid[0, i]) for i in range(ncols)]
    panels = [("loss", "Loss")] + ([("acc", "Accuracy")] if has_acc else [])
    for ax, (key, ylabel) in zip(axes, panels, strict=True):
        for i, (name, h, _, best) in enumerate(models):
            colour = style.tagger_colour(i)
            epoch = h["epoch"]
            for split, ls in (("train", "-"), ("val", "--")):
                col = f"{split}_{key}"
                if col in h and np.isfinite(h[col]).any():
                    ax.plot(epoch, h[col], ls=ls, color=colour, lw=2, marker="o", ms=3,
                            label=f"{name} {'training' if split == 'train' else 'validation'}")
            col = f"val_{key}"
            if best is not None and col in h and (epoch == best).any():
                ax.plot([best], [h[col][epoch == best][0]], marker="*", ms=16, color=colour, ls="none",
                        markeredgecolor="white", zorder=5)
        ax.plot([], [], marker="*", ms=14, ls="none", color="grey", label="best epoch")
        ax.set_xlabel("Epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(ylabel)
        style.headroom_linear(ax, 0.4)
        ax.legend(loc="upper right", frameon=False, fontsize=12)
        style.draw_label(ax, spec)
    fig.text(0.02, (1 - top_frac) * 0.9, "\n".join(text_lines), ha="left", va="top", fontsize=12)
    style.save_figure(fig, output, style.formats(spec))
