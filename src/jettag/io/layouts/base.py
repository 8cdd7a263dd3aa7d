"""The interface of an input layout: how one tree entry is organised and how a chunk of entries
becomes one list of jets (docs/inputs.md, "Layouts and cuts" in docs/architecture.md).

A layout is a :class:`Layout` subclass instance registered in ``jettag.io.layouts.LAYOUTS``. It
gives data (``name``, ``depth``, ``tree``, ``defaults``, ``link``, ``jets_from_tracks``) and three
methods the reader calls for every chunk, after it has read, type-checked and length-checked the
branches (:class:`RawChunk`): ``jet_values`` (one value per jet), ``track_lists`` (values per
track, grouped per jet) and ``check`` (extra consistency checks). ``detect`` scores how well a
file's branch types fit, for ``jettag inspect``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import awkward as ak
import numpy as np


@dataclass(frozen=True)
class RawChunk:
    """What the reader hands a layout for one chunk of tree entries.

    ``raw``: branch name -> array as read (``n_entries`` long). ``refs``: context (``jets``,
    ``tracks``) -> the name in ``raw`` of a branch with that context's full nesting depth (no
    entry for a context of depth 0). ``keep``: the constituent filter's mask over the track
    reference (None: keep all). ``link``: the resolved ``input.link`` section. ``cone``: the
    ``input.cone`` section (the Delta R association of layouts that associate tracks to jets).
    """

    raw: dict
    refs: dict
    keep: object
    link: Mapping
    n_entries: int
    cone: Mapping = field(default_factory=dict)

    def ref(self, context: str):
        return self.raw[self.refs[context]]


#: Mapping entries for formats that store no hit counts or truth origins (NanoAOD, Delphes): a
#: nominal good track that passes the default track selection, origin unknown (-1).
NOMINAL_TRACK_QUALITY: dict[str, dict] = {
    "numberOfInnermostPixelLayerHits": {"constant": 1},
    "numberOfNextToInnermostPixelLayerHits": {"constant": 1},
    "numberOfPixelHits": {"constant": 4},
    "numberOfSCTHits": {"constant": 8},
    "numberOfPixelHoles": {"constant": 0},
    "numberOfSCTHoles": {"constant": 0},
    "numberOfPixelSharedHits": {"constant": 0},
    "numberOfSCTSharedHits": {"constant": 0},
    "truthOrigin": {"constant": -1},
}


def broadcast(value, ref):
    """``value`` (array or number) broadcast to the structure of ``ref``."""
    if not isinstance(value, ak.Array):
        value = ak.Array(np.asarray(value))
    return ak.broadcast_arrays(value, ref)[0]


def group_by_jet_index(chunk: RawChunk, link, n_jets: int):
    """Track lists from a per-track jet index within the event (``link``, as the track reference
    is shaped): a function turning a per-entry track value into one list per jet, in file order
    within a jet. An index outside ``[0, number of jets of the event)`` drops the track, as does
    the constituent filter."""
    ref, keep = chunk.ref("tracks"), chunk.keep
    njet = np.asarray(ak.num(chunk.ref("jets"), axis=1), dtype=np.int64)
    first = ak.Array(np.cumsum(njet) - njet)
    ok = (link >= 0) & (link < ak.Array(njet))
    keep = ok if keep is None else keep & ok
    gidx = np.asarray(ak.flatten((link + first)[keep]), dtype=np.int64)
    order = np.argsort(gidx, kind="stable")
    counts = np.bincount(gidx, minlength=n_jets)

    def lists(value):
        flat = np.asarray(ak.flatten(broadcast(value, ref)[keep]))
        return ak.unflatten(flat[order], counts)

    return lists


class Layout:
    """Base class; subclasses set the class attributes and override what differs."""

    #: ``input.layout`` value.
    name: ClassVar[str] = ""
    #: List depth inside one tree entry of each context: ``event``, ``jets``, ``tracks``.
    depth: ClassVar[Mapping[str, int]] = {"event": 0, "jets": 0, "tracks": 1}
    #: Default tree name.
    tree: ClassVar[str] = "jets"
    #: Default mapping: ``jets``, ``tracks`` (canonical name -> definition), ``link``,
    #: ``constituent_filter`` (docs/inputs.md).
    defaults: ClassVar[Mapping] = {}
    #: Keys ``input.link`` must give (each a branch name) -> the context (``jets``/``tracks``)
    #: whose list depth that branch has; empty: ``input.link`` is not used.
    link: ClassVar[Mapping[str, str]] = {}
    #: What the ``input.link`` keys mean (for the error when they are missing).
    link_help: ClassVar[str] = ""
    #: True when no jet branch is needed: the jets are then the lists of the track branches.
    jets_from_tracks: ClassVar[bool] = False

    @property
    def per_event(self) -> bool:
        """One tree entry is an event (several jets), not a jet."""
        return self.depth["jets"] > 0

    def open(self, path, tree: str):
        """(an object with ``close()``, the tree) of file ``path``; the tree has ``keys()``,
        ``num_entries`` and ``iterate(filter_name=, step_size=, library="ak", report=True)``
        like uproot's. Default: a ROOT file's TTree or RNTuple."""
        from jettag.io.files import get_tree, open_root

        rootfile = open_root(path)
        try:
            return rootfile, get_tree(rootfile, path, tree)
        except BaseException:
            rootfile.close()
            raise

    def check(self, chunk: RawChunk) -> None:
        """Extra checks (raise JettagError with a message without the file name); may add the
        ``jets`` reference to ``chunk.refs``/``chunk.raw`` when ``jets_from_tracks``."""

    def n_jets(self, chunk: RawChunk) -> int:
        if not self.per_event:
            return chunk.n_entries
        return int(ak.sum(ak.num(chunk.ref("jets"), axis=1)))

    def jet_values(self, value, chunk: RawChunk):
        """Per-entry jet ``value`` (array) -> one value per jet, in jet order."""
        if not self.per_event:
            return value
        return ak.flatten(broadcast(value, chunk.ref("jets")), axis=1)

    def track_lists(self, chunk: RawChunk) -> Callable:
        """A function: per-entry track value (array or number) -> a list of values per jet,
        with the constituent filter ``chunk.keep`` applied. Called once per chunk."""
        ref, keep = chunk.ref("tracks"), chunk.keep

        def lists(value):
            value = broadcast(value, ref)
            return value[keep] if keep is not None else value

        return lists

    def derived(self, have: set[str]) -> Mapping[str, tuple[str, ...]]:
        """Variables this layout computes from several branches of a tree whose branch names
        are ``have`` (e.g. tracks gathered through element links): name -> the branches it
        reads. Mapping definitions use these names like branch names."""
        return {}

    def derive(self, names: list[str], arrays: Mapping) -> dict:
        """The derived variables ``names`` of one chunk; ``arrays[branch]`` gives each branch
        named by :meth:`derived` as read. Raise JettagError for inconsistent inputs."""
        raise NotImplementedError(f"layout {self.name} derives no variables")

    def detect(self, types: Mapping[str, str]) -> float:
        """How well branch ``types`` (name -> ROOT type name) fit this layout; 0: not at all.
        ``jettag inspect`` proposes the layout with the highest score."""
        return 0.0
