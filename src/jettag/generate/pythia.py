"""Pythia8 event generation: settings per process, per-shard seeds, batches as flat numpy arrays.

Events come from ``Pythia.nextBatch`` (pythia8mc >= 8.315), which fills an awkward array of whole
event records in C++; this is much faster than reading particles one attribute at a time from
Python. :func:`flatten` turns a batch into one flat particle table with event offsets so that
everything downstream is vectorised over the batch.

Z' samples: one Pythia instance per mass, run one after another; the shard's events are split
evenly over ``zprime_masses`` (the first masses get the remainder).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import awkward as ak
import numpy as np

from jettag.errors import JettagError

PROCESSES = ("ttbar", "zprime")
MAX_SEED = 900_000_000

_COMMON = (
    "Print:quiet = on",
    "Init:showChangedSettings = off",
    "Init:showChangedParticleData = off",
    "Init:showProcesses = off",
    "Next:numberCount = 0",
    "Next:numberShowInfo = 0",
    "Next:numberShowProcess = 0",
    "Next:numberShowEvent = 0",
    "Random:setSeed = on",
)


def shard_seed(seed: int, shard: int, sub: int = 0) -> int:
    """Deterministic Pythia seed in [1, 900000000] from (config seed, shard, sub-run)."""
    digest = hashlib.sha256(f"jettag:{seed}:{shard}:{sub}".encode()).digest()
    return int.from_bytes(digest[:8], "little") % MAX_SEED + 1


def process_settings(process: str, sqrt_s: float, zprime_mass: float | None = None) -> list[str]:
    """Pythia settings (besides seeding and printout) for one process."""
    out = [f"Beams:eCM = {float(sqrt_s)}"]
    if process == "ttbar":
        out += ["Top:gg2ttbar = on", "Top:qqbar2ttbar = on"]
    elif process == "zprime":
        if zprime_mass is None:
            raise JettagError("generator: process 'zprime' needs a mass (zprime_masses)")
        m = float(zprime_mass)
        out += [
            "NewGaugeBoson:ffbar2gmZZprime = on",
            "Zprime:gmZmode = 3",  # pure Z', no gamma*/Z interference
            # flavour-democratic quark couplings: equal vector/axial couplings for up and down type
            "Zprime:vd = 1.0", "Zprime:ad = 0.0", "Zprime:vu = 1.0", "Zprime:au = 0.0",
            f"32:m0 = {m}",
            "32:onMode = off",
            "32:onIfAny = 1 2 3 4 5",
            f"PhaseSpace:mHatMin = {0.5 * m}",
            f"PhaseSpace:mHatMax = {1.5 * m}",
        ]
    else:
        raise JettagError(f"generator: unknown process '{process}'; choose one of {list(PROCESSES)}")
    return out


def make_pythia(process: str, sqrt_s: float, seed: int, zprime_mass: float | None = None):
    """An initialised, silent Pythia instance."""
    import pythia8mc

    settings = process_settings(process, sqrt_s, zprime_mass)
    py = pythia8mc.Pythia("", False)
    for s in (*_COMMON, f"Random:seed = {int(seed)}", *settings):
        if not py.readString(s):
            raise JettagError(f"generator: Pythia rejected the setting '{s}'")
    if not py.init():
        raise JettagError(f"generator: Pythia failed to initialise for process '{process}' at sqrt_s={sqrt_s}")
    return py


def split_events(n_events: int, n_parts: int) -> list[int]:
    """Split ``n_events`` as evenly as possible over ``n_parts`` (first parts get the remainder)."""
    base, rest = divmod(n_events, n_parts)
    return [base + (1 if i < rest else 0) for i in range(n_parts)]


@dataclass
class Particles:
    """One batch of events as a flat particle table; ``offsets[e]:offsets[e+1]`` is event ``e``.

    Mother and daughter indices are global (into this table), -1 where Pythia has 0 (none).
    Momenta in GeV, production vertex in mm.
    """

    offsets: np.ndarray
    event: np.ndarray
    id: np.ndarray
    status: np.ndarray
    mother1: np.ndarray
    daughter1: np.ndarray
    daughter2: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    m: np.ndarray
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray

    @property
    def n_events(self) -> int:
        return len(self.offsets) - 1

    @property
    def pt(self) -> np.ndarray:
        return np.hypot(self.px, self.py)


def _flat(a) -> np.ndarray:
    return np.asarray(ak.to_numpy(ak.flatten(a, axis=1)))


def _columns(batch) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """(counts, flat numpy columns) read straight from the batch's awkward layout, or None where
    the layout is not the one ``nextBatch`` builds (:func:`flatten` then takes the generic path)."""
    from awkward.contents import IndexedOptionArray, ListOffsetArray, NumpyArray, RecordArray

    prt = ak.to_layout(batch).content("prt")
    if not isinstance(prt, ListOffsetArray) or not isinstance(prt.content, RecordArray):
        return None
    offsets = np.asarray(prt.offsets.data, dtype=np.int64)
    s0, s1 = int(offsets[0]), int(offsets[-1])
    rec = prt.content

    def leaf(node, field):
        c = node.content(field)
        return np.asarray(c.data)[s0:s1] if isinstance(c, NumpyArray) and c.data.ndim == 1 else None

    p, v = rec.content("p"), rec.content("vProd")
    if not isinstance(p, RecordArray) or not isinstance(v, IndexedOptionArray) or not isinstance(v.content, RecordArray):
        return None
    cols = {f: leaf(rec, f) for f in ("id", "status", "mother1", "daughter1", "daughter2", "m")}
    cols.update({f: leaf(p, f) for f in ("px", "py", "pz", "e")})
    vindex = np.asarray(v.index.data, dtype=np.int64)[s0:s1]
    has = vindex >= 0
    for f in ("px", "py", "pz"):
        data = leaf(v.content, f) if len(v.content) else None
        if data is None and len(v.content):
            return None
        col = np.zeros(s1 - s0, np.float64)
        if has.any():
            col[has] = np.asarray(v.content.content(f).data)[vindex[has]]
        cols["v" + f] = col
    if any(c is None for c in cols.values()):
        return None
    return np.diff(offsets), cols


def _generic_columns(batch) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    prt = batch.prt
    p = prt.p
    v = prt.vProd  # None where Pythia has no vertex (at the origin)
    cols = {f: _flat(prt[f]) for f in ("id", "status", "mother1", "daughter1", "daughter2", "m")}
    cols.update({f: _flat(p[f]) for f in ("px", "py", "pz", "e")})
    cols.update({"v" + f: _flat(ak.fill_none(v[f], 0.0, axis=-1)) for f in ("px", "py", "pz")})
    return np.asarray(ak.num(prt, axis=1)), cols


def flatten(batch) -> Particles:
    """Awkward batch from ``nextBatch`` -> :class:`Particles` (columns read from the layout's buffers)."""
    counts, cols = _columns(batch) or _generic_columns(batch)
    counts = np.asarray(counts, dtype=np.int64)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    event = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    start = offsets[:-1][event]

    def index(field):
        local = cols[field].astype(np.int64)
        return np.where(local > 0, local + start, -1)

    def f64(field):
        return np.ascontiguousarray(cols[field], dtype=np.float64)

    return Particles(
        offsets=offsets,
        event=event,
        id=cols["id"].astype(np.int32),
        status=cols["status"].astype(np.int32),
        mother1=index("mother1"),
        daughter1=index("daughter1"),
        daughter2=index("daughter2"),
        px=f64("px"), py=f64("py"), pz=f64("pz"), e=f64("e"),
        m=f64("m"),
        x=f64("vpx"), y=f64("vpy"), z=f64("vpz"),
    )


def next_batch(py, n: int) -> Particles:
    """Generate ``n`` events (failed events are retried by Pythia's 'skip' mode)."""
    return flatten(py.nextBatch(int(n)))
