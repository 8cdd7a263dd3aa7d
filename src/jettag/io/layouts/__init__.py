"""Input layouts: one object per way of organising jets and tracks in a tree (docs/inputs.md).

``LAYOUTS`` maps each ``input.layout`` name to its :class:`~jettag.io.layouts.base.Layout`;
``register`` adds one (see "Layouts and cuts" in docs/architecture.md).
"""

from __future__ import annotations

from jettag.io.layouts.base import Layout, RawChunk
from jettag.io.layouts.delphes import Delphes
from jettag.io.layouts.eventwise_indexed import NANOAOD_MAPPING, EventwiseIndexed
from jettag.io.layouts.eventwise_nested import EventwiseNested
from jettag.io.layouts.ftag_hdf5 import FtagHdf5
from jettag.io.layouts.jetwise import GENERATOR_MAPPING, Jetwise
from jettag.io.layouts.physlite import Physlite, PhysliteRNTuple

#: ``input.layout`` name -> layout; ``jettag inspect`` breaks score ties in this order.
LAYOUTS: dict[str, Layout] = {}


def register(layout: Layout) -> Layout:
    """Add ``layout`` to :data:`LAYOUTS` under its ``name`` (replacing one of that name)."""
    if not layout.name:
        raise ValueError(f"{type(layout).__name__}: a layout needs a name")
    LAYOUTS[layout.name] = layout
    return layout


for _layout in (Jetwise(), EventwiseNested(), EventwiseIndexed()):
    register(_layout)
register(Physlite())
register(PhysliteRNTuple())
register(Delphes())
register(FtagHdf5())

__all__ = ["GENERATOR_MAPPING", "LAYOUTS", "NANOAOD_MAPPING", "Layout", "RawChunk", "register"]
