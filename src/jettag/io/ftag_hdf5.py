"""The ATLAS flavour-tagging HDF5 layout (training-dataset-dumper, read by UPP, salt, puma and
atlas-ftag-tools), in and out.

The file holds a structured dataset ``jets`` (one row per jet) and a structured dataset ``tracks``
of shape (jets, max tracks) with a boolean field ``valid``; momenta in MeV, lengths in mm, FTAG
variable names (``d0``, ``z0SinTheta``, ``d0Uncertainty``, ``z0SinThetaUncertainty``, ``deta``,
``dphi``, ``qOverP``, hit counts, ``ftagTruthOriginLabel``).

In: :class:`FtagTree` presents such a file to the reader like a tree whose branches are
``jets.<field>`` (one number per jet) and ``tracks.<field>`` (one list per jet, the valid slots),
read in chunks with atlas-ftag-tools' ``H5Reader`` (no shuffling). A file without
``jets.eventNumber`` gets the jet's row number.

Out: :func:`export_ftag` writes any sample jettag reads in that layout (``jettag export-ftag``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import awkward as ak
import h5py
import numpy as np

from jettag.atomic import atomic_path
from jettag.errors import JettagError
from jettag.features import HIT_FIELDS

JETS, TRACKS = "jets", "tracks"

#: Exported jet fields (FTAG name, dtype).
JET_DTYPE = np.dtype([
    ("pt", "f4"), ("eta", "f4"), ("phi", "f4"), ("abs_eta", "f4"),
    ("HadronConeExclTruthLabelID", "i4"), ("eventNumber", "i8"), ("n_tracks", "i4"),
])
#: Exported track fields (FTAG name, dtype); ``valid`` marks the filled slots.
TRACK_DTYPE = np.dtype([
    ("pt", "f4"), ("eta", "f4"), ("phi", "f4"), ("deta", "f4"), ("dphi", "f4"),
    ("qOverP", "f4"), ("d0", "f4"), ("z0SinTheta", "f4"),
    ("d0Uncertainty", "f4"), ("z0SinThetaUncertainty", "f4"),
    *[(h, "u1") for h in HIT_FIELDS],
    ("ftagTruthOriginLabel", "i1"), ("valid", "?"),
])


@dataclass(frozen=True)
class _Report:
    tree_entry_start: int


class FtagTree:
    """A training-dataset-dumper file seen as a tree (``keys``, ``num_entries``, ``iterate``)."""

    def __init__(self, path: Path, jets: str = JETS, tracks: str = TRACKS):
        self.path, self.name, self.tracks = Path(path), jets, tracks
        try:
            with h5py.File(self.path, "r") as f:
                if jets not in f:
                    raise JettagError(
                        f"{path}: no dataset '{jets}' (datasets: {', '.join(f)}); set input.tree to "
                        "the jets dataset"
                    )
                self.jet_fields = list(f[jets].dtype.names or ())
                self.num_entries = len(f[jets])
                has = tracks in f and "valid" in (f[tracks].dtype.names or ())
                self.track_fields = [n for n in f[tracks].dtype.names if n != "valid"] if has else []
        except OSError as exc:
            raise JettagError(f"{path}: not a readable HDF5 file ({exc})") from None

    def keys(self) -> list[str]:
        names = [f"{JETS}.{n}" for n in self.jet_fields]
        if "eventNumber" not in self.jet_fields:
            names.append(f"{JETS}.eventNumber")
        return names + [f"{TRACKS}.{n}" for n in self.track_fields]

    def close(self) -> None:
        """Nothing stays open between chunks."""

    def iterate(self, filter_name=None, step_size: int = 50000, library: str = "ak", report=False):
        from ftag.hdf5 import H5Reader

        wanted = [k for k in self.keys() if filter_name is None or filter_name(k)]
        jet_vars = [k.split(".", 1)[1] for k in wanted if k.startswith(f"{JETS}.")]
        jet_vars = [v for v in jet_vars if v in self.jet_fields] or self.jet_fields[:1]
        trk_vars = [k.split(".", 1)[1] for k in wanted if k.startswith(f"{TRACKS}.")]
        variables = {self.name: jet_vars}
        if trk_vars:
            variables[self.tracks] = [*trk_vars, "valid"]
        reader = H5Reader(self.path, batch_size=step_size, global_objects_name=self.name, shuffle=False)
        start = 0
        for batch in reader.stream(variables):
            n = len(batch[self.name])
            fields = {f"{JETS}.{v}": np.array(batch[self.name][v]) for v in jet_vars}
            if f"{JETS}.eventNumber" in wanted and "eventNumber" not in self.jet_fields:
                fields[f"{JETS}.eventNumber"] = np.arange(start, start + n, dtype=np.int64)
            if trk_vars:
                trk = batch[self.tracks]
                valid = np.asarray(trk["valid"], dtype=bool)
                counts = valid.sum(axis=1)
                for v in trk_vars:
                    fields[f"{TRACKS}.{v}"] = ak.unflatten(np.asarray(trk[v])[valid], counts)
            chunk = ak.Array({k: fields[k] for k in fields if k in wanted})
            yield (chunk, _Report(start)) if report else chunk
            start += n


# ------------------------------------------------------------------------------------------
# out


def _padded(values, max_tracks: int, dtype) -> np.ndarray:
    return np.asarray(ak.fill_none(ak.pad_none(values[:, :max_tracks], max_tracks, clip=True), 0), dtype=dtype)


def ftag_arrays(jets: ak.Array, max_tracks: int) -> tuple[np.ndarray, np.ndarray]:
    """Canonical jets (GeV, mm) -> (jets, tracks) structured arrays of the FTAG layout (MeV)."""
    t = jets.tracks
    n = len(jets)
    out_j = np.zeros(n, dtype=JET_DTYPE)
    out_j["pt"] = np.asarray(jets.pt) * 1e3
    out_j["eta"] = np.asarray(jets.eta)
    out_j["phi"] = np.asarray(jets.phi)
    out_j["abs_eta"] = np.abs(out_j["eta"])
    out_j["HadronConeExclTruthLabelID"] = np.asarray(jets.label)
    out_j["eventNumber"] = np.asarray(jets.eventNumber)
    out_j["n_tracks"] = np.asarray(ak.num(t))
    dphi = (t.phi - jets.phi + np.pi) % (2 * np.pi) - np.pi
    qoverp = t.charge / (t.pt * 1e3 * np.cosh(t.eta))
    values = {
        "pt": t.pt * 1e3, "eta": t.eta, "phi": t.phi, "deta": t.eta - jets.eta, "dphi": dphi,
        "qOverP": qoverp, "d0": t.d0, "z0SinTheta": t.z0SinTheta,
        "d0Uncertainty": t.sigma_d0, "z0SinThetaUncertainty": t.sigma_z0SinTheta,
        **{h: t[h] for h in HIT_FIELDS}, "ftagTruthOriginLabel": t.truthOrigin,
    }
    out_t = np.zeros((n, max_tracks), dtype=TRACK_DTYPE)
    for name, v in values.items():
        out_t[name] = _padded(v, max_tracks, TRACK_DTYPE[name])
    out_t["valid"] = np.arange(max_tracks)[None, :] < np.minimum(out_j["n_tracks"], max_tracks)[:, None]
    return out_j, out_t


def export_ftag(input_spec: dict | None, inputs: list[str], output: Path, max_tracks: int = 40,
                step_size: int = 50000) -> int:
    """Write every jet of ``inputs`` (read with ``input_spec``) to ``output`` in the FTAG layout;
    tracks in file order, the first ``max_tracks`` kept. Returns the number of jets."""
    from jettag.io import read_jets
    from jettag.provenance import provenance

    if not isinstance(max_tracks, int) or max_tracks < 1:
        raise JettagError(f"export-ftag: max_tracks must be a positive integer, got {max_tracks!r}")
    n = 0
    with atomic_path(output) as tmp, h5py.File(tmp, "w") as f:
        dj = f.create_dataset(JETS, shape=(0,), maxshape=(None,), dtype=JET_DTYPE,
                              chunks=(1000,), compression="gzip")
        dt = f.create_dataset(TRACKS, shape=(0, max_tracks), maxshape=(None, max_tracks),
                              dtype=TRACK_DTYPE, chunks=(100, max_tracks), compression="gzip")
        for chunk in read_jets(inputs, input_spec, step_size):
            j, t = ftag_arrays(chunk, max_tracks)
            m = len(j)
            dj.resize(n + m, axis=0)
            dt.resize(n + m, axis=0)
            dj[n:] = j
            dt[n:] = t
            n += m
        f.attrs["units"] = "MeV, mm"
        for key, value in provenance({"input": input_spec}).items():
            f.attrs[key] = value
    return n
