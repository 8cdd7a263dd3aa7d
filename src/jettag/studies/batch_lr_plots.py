"""Plots of the batch-size x learning-rate study: loss curves and heat maps, one per scaling mode.

* ``curves_{model}_{mode}``: validation loss vs epoch of every cell (colour: batch size, line
  style: learning rate);
* ``loss_{model}_{mode}``: heat map of the best validation loss (batch size x learning rate), the
  random search's pick framed;
* ``rej_{model}_{mode}``: heat map of the light rejection at the study's working point.
"""

from __future__ import annotations

import math

import numpy as np

from jettag.studies import common
from jettag.tagger_names import lr_text

_STYLES = ("-", "--", ":", "-.")
_MODE_KEY = {"as given": "given", "scaled": "scaled"}


def _title(spec: dict, model: str, mode: str) -> str:
    how = ("learning rate as given" if mode == "as given"
           else f"{spec.get('scaling', 'linear')} scaling from batch {spec.get('reference_batch_size', 512)}")
    return f"{model}: {how}"


def plot(spec: dict, rows: list[dict], runs: dict, output, wp: float) -> None:
    for model in dict.fromkeys(r["model"] for r in rows):
        for mode in _MODE_KEY:
            cells = [r for r in rows if r["model"] == model and r["mode"] == mode]
            if not cells:
                continue
            _curves(spec, model, mode, cells, runs, output)
            _heat(spec, model, mode, cells, "best_val_loss", "best validation loss", "viridis_r", output,
                  f"loss_{model}_{_MODE_KEY[mode]}")
            _heat(spec, model, mode, cells, "light_rej", f"light-flavour rejection ({wp:g} % WP)", "viridis",
                  output, f"rej_{model}_{_MODE_KEY[mode]}")


def _curves(spec, model, mode, cells, runs, output):
    from jettag.plotting.style import headroom_linear, tagger_colour

    sizes = sorted({r["batch_size"] for r in cells})
    rates = sorted({r["learning_rate"] for r in cells})
    fig, ax = common.new_figure()
    for r in cells:
        h = runs[r["tagger"]]
        ax.plot(h.epoch, h.val_loss, _STYLES[rates.index(r["learning_rate"]) % len(_STYLES)], marker="o", ms=3,
                color=tagger_colour(sizes.index(r["batch_size"])),
                label=f"batch {r['batch_size']}, lr {lr_text(r['effective_lr'])}")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss")
    headroom_linear(ax, 0.5)
    ax.legend(loc="upper right", fontsize=9, ncol=2)
    common.finish(fig, ax, spec, output, f"curves_{model}_{_MODE_KEY[mode]}", [_title(spec, model, mode)])


def _heat(spec, model, mode, cells, key, label, cmap, output, name):
    sizes = sorted({r["batch_size"] for r in cells})
    rates = sorted({r["learning_rate"] for r in cells})
    grid = np.full((len(sizes), len(rates)), np.nan)
    for r in cells:
        value = float(r[key])
        grid[sizes.index(r["batch_size"]), rates.index(r["learning_rate"])] = value if math.isfinite(value) else np.nan
    fig, ax = common.new_figure((7.5, 6.0))
    finite = grid[np.isfinite(grid)]
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap,
                   vmin=float(finite.min()) if finite.size else None, vmax=float(finite.max()) if finite.size else None)
    ax.set_xticks(range(len(rates)))
    ax.set_xticklabels([lr_text(x) for x in rates])
    ax.set_yticks(range(len(sizes)))
    ax.set_yticklabels([str(b) for b in sizes])
    ax.set_xlabel("base learning rate" if mode == "scaled" else "learning rate")
    ax.set_ylabel("batch size")
    ax.minorticks_off()
    mid = float(np.nanmean(grid)) if finite.size else 0.0
    for r in cells:
        i, j = sizes.index(r["batch_size"]), rates.index(r["learning_rate"])
        text = common.fmt(grid[i, j]) + (f"\nlr {lr_text(r['effective_lr'])}" if mode == "scaled" else "")
        dark = (grid[i, j] > mid) == (cmap == "viridis_r")
        ax.text(j, i, text, ha="center", va="center", fontsize=10, color="w" if dark else "k")
        if r.get("picked"):
            ax.add_patch(_frame(j, i))
    fig.colorbar(im, ax=ax, label=label)
    ax.set_title(f"{spec.get('label', '')}  {_title(spec, model, mode)}", fontsize=11)
    common.finish(fig, None, spec, output, name)


def _frame(x, y):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.48, y - 0.48), 0.96, 0.96, fill=False, edgecolor="red", linewidth=2.5)
