"""One plot style for jettag: mplhep's ATLAS style, the experiment label, and saving.

Label keys read from a plot spec (all optional):

``label``        first line, default ``"Simulation"`` (no collaboration is claimed). A first word
                 ATLAS/CMS/LHCb/ALICE is drawn bold, the rest italic, e.g. "ATLAS Simulation
                 Internal".
``label_extra``  second line, default ``"$\\sqrt{s}$ = 13 TeV"``.
``sample``       sample name; known names get physics text (ttbar -> "$t\\bar{t}$").
``selection``    free text for the jet selection, e.g. "$p_T$ > 20 GeV, $|\\eta|$ < 2.5"; or, if
                 absent, built from ``jets`` or ``preprocess.jets`` = ``{pt_min, pt_max,
                 abs_eta_max}`` when given.
``plots.formats`` list of output formats, default ``["pdf", "png"]``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib.pyplot as plt

from jettag.atomic import atomic_path
from jettag.errors import JettagError

DEFAULT_LABEL = "Simulation"
DEFAULT_LABEL_EXTRA = r"$\sqrt{s}$ = 13 TeV"
DEFAULT_FORMATS: tuple[str, ...] = ("pdf", "png")
SUPPORTED_FORMATS: tuple[str, ...] = ("pdf", "png", "svg")
EXPERIMENTS = ("ATLAS", "CMS", "LHCb", "ALICE")
SAMPLE_TEXT = {
    "ttbar": r"$t\bar{t}$",
    "zprime": r"$Z'$",
    "zprime_ext": r"$Z'$",
}
#: One colour per tagger, in order of appearance (colour-blind friendly).
TAGGER_COLOURS = ("#000000", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")

_STYLE_SET = False


def use_style() -> None:
    """Switch matplotlib to mplhep's ATLAS style (once per process)."""
    global _STYLE_SET
    if not _STYLE_SET:
        import logging

        import mplhep

        mplhep.style.use("ATLAS")
        plt.rcParams["figure.max_open_warning"] = 0
        # the ATLAS style asks for TeX Gyre Heros; fall back quietly where it is not installed
        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
        logging.getLogger("matplotlib.mathtext").setLevel(logging.ERROR)
        _STYLE_SET = True


def tagger_colour(i: int) -> str:
    return TAGGER_COLOURS[i % len(TAGGER_COLOURS)]


def selection_text(spec: dict) -> str | None:
    if spec.get("selection"):
        return str(spec["selection"])
    jets = spec.get("jets") or (spec.get("preprocess") or {}).get("jets")
    if not isinstance(jets, dict):
        return None
    parts = []
    pt_min, pt_max = jets.get("pt_min"), jets.get("pt_max")
    if pt_min is not None and pt_max is not None and float(pt_max) < 1e5:
        parts.append(rf"{pt_min:g} < $p_T$ < {pt_max:g} GeV")
    elif pt_min is not None:
        parts.append(rf"$p_T$ > {pt_min:g} GeV")
    if jets.get("abs_eta_max") is not None:
        parts.append(rf"$|\eta|$ < {jets['abs_eta_max']:g}")
    return ", ".join(parts) or None


def label_lines(spec: dict, extra: Iterable[str] = ()) -> list[str]:
    """The lines under the experiment label: label_extra, sample and selection, then ``extra``."""
    lines = []
    label_extra = spec.get("label_extra", DEFAULT_LABEL_EXTRA)
    sample = spec.get("sample")
    sample_text = SAMPLE_TEXT.get(sample, sample) if sample else None
    first = ", ".join(t for t in (label_extra, sample_text) if t)
    if first:
        lines.append(first)
    sel = selection_text(spec)
    if sel:
        lines.append(sel)
    lines.extend(e for e in extra if e)
    return lines


def split_label(label: str) -> tuple[str, str]:
    """``"ATLAS Simulation Internal"`` -> ``("ATLAS", "Simulation Internal")``; else ``("", label)``."""
    words = label.split(maxsplit=1)
    if words and words[0] in EXPERIMENTS:
        return words[0], words[1] if len(words) > 1 else ""
    return "", label


def draw_label(ax, spec: dict, extra: Sequence[str] = (), fontsize: float | None = None) -> None:
    """Draw the experiment label (ATLAS style: top left inside the axes) on ``ax``."""
    import mplhep

    exp, text = split_label(str(spec.get("label", DEFAULT_LABEL)))
    lines = label_lines(spec, extra)
    mplhep.label.exp_text(
        exp=exp,
        text=text,
        lumi=lines[0] if lines else None,
        supp="\n".join(lines[1:]) if len(lines) > 1 else None,
        loc=4,
        ax=ax,
        fontsize=fontsize,
    )


def formats(spec: dict) -> list[str]:
    fmts = list((spec.get("plots") or {}).get("formats") or DEFAULT_FORMATS)
    bad = [f for f in fmts if f not in SUPPORTED_FORMATS]
    if bad:
        raise JettagError(f"plots.formats: {bad} not supported; use some of {list(SUPPORTED_FORMATS)}")
    return fmts


def output_paths(output: Path, fmts: Sequence[str]) -> list[Path]:
    """``output`` itself, then its siblings with the other formats' suffixes."""
    output = Path(output)
    suffix = output.suffix.lstrip(".").lower()
    paths = [output] if suffix else []
    stem = output if not suffix else output.with_suffix("")
    for fmt in fmts:
        if fmt != suffix:
            paths.append(stem.with_name(f"{stem.name}.{fmt}"))
    return paths


def save_figure(fig, output: Path, formats: Sequence[str] = DEFAULT_FORMATS) -> list[Path]:
    """Write ``fig`` to ``output`` and to siblings in the other ``formats``, each atomically.

    ``output``'s suffix names its format (normally the first of ``formats``). The figure is
    closed afterwards. Returns the written paths.
    """
    written = []
    try:
        for path in output_paths(output, formats):
            fmt = path.suffix.lstrip(".").lower()
            if fmt not in SUPPORTED_FORMATS:
                raise JettagError(f"{path}: unsupported plot format '{fmt}'; use one of {list(SUPPORTED_FORMATS)}")
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt, dpi=150 if fmt == "png" else None, bbox_inches="tight")
            written.append(path)
    finally:
        with contextlib.suppress(Exception):
            plt.close(fig)
    return written


def headroom_log(ax, fraction: float = 0.35) -> None:
    """Raise the upper y limit of a log axis so the label fits above the curves."""
    import math

    lo, hi = ax.get_ylim()
    if lo > 0 and hi > lo:
        span = math.log10(hi) - math.log10(lo)
        ax.set_ylim(lo, 10 ** (math.log10(hi) + span * fraction / (1 - fraction)))


def headroom_linear(ax, fraction: float = 0.35) -> None:
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + (hi - lo) * fraction / (1 - fraction))
