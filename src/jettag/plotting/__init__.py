"""jettag.plotting: one function per plot kind, dispatched by :func:`make_plot`.

``jettag plot KIND --spec JSON --inputs ... --output OUT`` calls ``make_plot(kind, spec, inputs,
output)``. Every plot is written in each of ``plots.formats`` (``OUT`` plus siblings with the
other suffixes).

Kinds and their inputs (see each module for the spec keys it reads):

==============  =========================================  ==============================
kind            inputs                                     module
==============  =========================================  ==============================
roc             scores files                               :mod:`jettag.plotting.roc`
discriminant    scores files                               :mod:`jettag.plotting.discriminant`
vs_pt           scores files                               :mod:`jettag.plotting.vs_pt`
loss            history.csv (+ diagnostics.json) files     :mod:`jettag.plotting.loss`
inputs          one HDF5 split (+ optional norm.json)      :mod:`jettag.plotting.inputs`
==============  =========================================  ==============================

Spec keys shared by every kind (:mod:`jettag.plotting.style`): ``label`` (default
"Simulation"), ``label_extra``, ``sample``, ``selection`` or ``jets``, ``plots.formats``;
scores plots also read the ``evaluation`` section (``reference``, ``working_points``,
``pt_wp``, ``pt_bins``).

More kinds: ``register_plot("my_kind", func)`` with ``func(spec, inputs, output)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from jettag.errors import JettagError

PlotFunction = Callable[[dict, list[Path], Path], None]

#: kind -> function, or "module:function" imported on first use (keeps startup light).
PLOTS: dict[str, PlotFunction | str] = {
    "roc": "jettag.plotting.roc:plot_roc",
    "discriminant": "jettag.plotting.discriminant:plot_discriminant",
    "vs_pt": "jettag.plotting.vs_pt:plot_vs_pt",
    "loss": "jettag.plotting.loss:plot_loss",
    "inputs": "jettag.plotting.inputs:plot_inputs",
}


def register_plot(kind: str, func: PlotFunction | str, *, replace: bool = False) -> None:
    """Add a plot kind: ``func(spec, inputs, output)`` or ``"module:function"``."""
    if kind in PLOTS and not replace:
        raise JettagError(f"plot kind '{kind}' is already registered; pass replace=True to override it")
    PLOTS[kind] = func


def plot_function(kind: str) -> PlotFunction:
    if kind not in PLOTS:
        raise JettagError(f"unknown plot kind '{kind}'; known kinds: {', '.join(sorted(PLOTS))}")
    func = PLOTS[kind]
    if isinstance(func, str):
        module, _, name = func.partition(":")
        func = getattr(importlib.import_module(module), name)
        PLOTS[kind] = func
    return func


def make_plot(kind: str, spec: dict | None, inputs: list[Path], output: Path) -> None:
    """Draw the plot ``kind`` from ``inputs`` into ``output`` (and siblings in other formats)."""
    func = plot_function(kind)
    if not inputs:
        raise JettagError(f"plot '{kind}': no input files given")
    func(spec or {}, [Path(p) for p in inputs], Path(output))


__all__ = ["PLOTS", "make_plot", "plot_function", "register_plot"]
