"""``physlite`` / ``physlite_rntuple``: ATLAS DAOD_PHYSLITE (and DAOD_PHYS) event data.

One entry per event. Jets are a jet container (``AnalysisJets``); their tracks are the
``InDetTrackParticles`` the jet's ``GhostTrack`` element links point to (``m_persIndex`` into the
event's track container; links with ``m_persKey == 0`` or an index past the container's end, e.g.
to thinned tracks, are dropped). The layout derives the per-jet track variables (named
``GhostTrack.<var>`` in the mapping) from the perigee parameters:

* pT = sin(theta) / |qOverP|, eta = -ln tan(theta / 2), charge = sign(qOverP) (MeV -> GeV);
* d0; z0 sin(theta) = (z0 + vz - z_PV) sin(theta) with z_PV the ``PrimaryVertices`` vertex of
  ``vertexType == 1`` (events without one: z_PV = 0);
* sigma(d0) = sqrt(C_d0d0); sigma(z0 sin theta) = sqrt(sin^2(theta) C_z0z0 + z0^2 cos^2(theta)
  C_thetatheta) (the z0-theta correlation is not used), with C the perigee covariance from
  ``definingParametersCovMatrixDiag`` (5 values: d0, z0, phi, theta, qOverP) or, in older
  files, the packed ``definingParametersCovMatrix`` (15 values: the lower triangle of the
  symmetric 5x5 matrix, row by row, as ``Amg::compress`` writes it);
* every other ``InDetTrackParticlesAuxDyn`` variable (the hit counts) as stored.

TTree files name branches ``AnalysisJetsAuxDyn.pt`` (tree ``CollectionTree``), RNTuple files
``AnalysisJetsAuxDyn:pt`` (``EventData``). PHYSLITE thins tracks: the track lists hold only the
tracks kept in the file (docs/inputs.md).
"""

from __future__ import annotations

from collections.abc import Mapping

import awkward as ak
import numpy as np

from jettag.errors import JettagError
from jettag.features import HIT_FIELDS
from jettag.io.layouts.eventwise_nested import EventwiseNested

#: Index of the diagonal element (i, i) in the packed lower triangle (row by row) of a 5x5
#: symmetric matrix: i (i + 1) / 2 + i.
PACKED_DIAGONAL = tuple(i * (i + 1) // 2 + i for i in range(5))
#: Perigee parameter order of the covariance.
PERIGEE = ("d0", "z0", "phi", "theta", "qOverP")
#: Track variables computed by the layout (the rest are gathered as stored).
COMPUTED = ("pt", "eta", "charge", "z0SinTheta", "sigma_d0", "sigma_z0SinTheta")
LINK = "GhostTrack"


def unpack_covariance(packed: np.ndarray) -> np.ndarray:
    """(N, 15) packed lower triangles -> (N, 5, 5) symmetric matrices."""
    packed = np.asarray(packed)
    rows, cols = np.tril_indices(5)  # row-major order of the lower triangle
    out = np.zeros((len(packed), 5, 5), dtype=packed.dtype)
    out[:, rows, cols] = packed
    out[:, cols, rows] = packed
    return out


def physlite_mapping(sep: str, event_info: str) -> dict:
    jets = f"AnalysisJetsAuxDyn{sep}"
    tracks = {v: f"{LINK}.{v}" for v in ("pt", "eta", "phi", "charge", "d0", "z0SinTheta")}
    tracks |= {"sigma_d0": f"{LINK}.sigma_d0", "sigma_z0SinTheta": f"{LINK}.sigma_z0SinTheta"}
    tracks |= {h: f"{LINK}.{h}" for h in HIT_FIELDS}
    tracks["truthOrigin"] = {"constant": -1}
    return {
        "jets": {
            "pt": {"branch": f"{jets}pt", "unit": "MeV"},
            "eta": f"{jets}eta",
            "phi": f"{jets}phi",
            "label": f"{jets}HadronConeExclTruthLabelID",
            "eventNumber": event_info,
        },
        "tracks": tracks,
        "link": {},
        "constituent_filter": {},
    }


class Physlite(EventwiseNested):
    name = "physlite"
    tree = "CollectionTree"
    jets_from_tracks = False
    #: separator between container and variable in branch names
    sep = "."
    jet_container = "AnalysisJets"
    track_container = "InDetTrackParticles"
    vertex_container = "PrimaryVertices"
    event_number = "EventInfoAux./EventInfoAux.eventNumber"
    defaults = physlite_mapping(".", "EventInfoAux./EventInfoAux.eventNumber")
    inspect_notes = (
        "ATLAS PHYSLITE: jets AnalysisJets, tracks InDetTrackParticles through the GhostTrack "
        "links, perigee parameters converted by the layout (GhostTrack.* are derived variables)",
        "PHYSLITE thins tracks: each jet's track list holds only the tracks kept in the file, "
        "so track-based taggers see incomplete jets",
    )

    def aux(self, container: str, var: str) -> str:
        return f"{container}AuxDyn{self.sep}{var}"

    def _cov_source(self, have: set[str]) -> str:
        diag = self.aux(self.track_container, "definingParametersCovMatrixDiag")
        return diag if diag in have else self.aux(self.track_container, "definingParametersCovMatrix")

    def derived(self, have: set[str]) -> Mapping[str, tuple[str, ...]]:
        t = lambda v: self.aux(self.track_container, v)  # noqa: E731
        link = (self.aux(self.jet_container, LINK), t("theta"))  # theta: the track count
        pv = (self.aux(self.vertex_container, "z"), self.aux(self.vertex_container, "vertexType"))
        out = {
            f"{LINK}.pt": (*link, t("qOverP")),
            f"{LINK}.eta": link,
            f"{LINK}.phi": (*link, t("phi")),
            f"{LINK}.charge": (*link, t("qOverP")),
            f"{LINK}.d0": (*link, t("d0")),
            f"{LINK}.z0SinTheta": (*link, t("z0"), t("vz"), *pv),
            f"{LINK}.sigma_d0": (*link, self._cov_source(have)),
            f"{LINK}.sigma_z0SinTheta": (*link, t("z0"), t("vz"), *pv, self._cov_source(have)),
        }
        prefix = self.aux(self.track_container, "")
        for name in have:
            var = name.rsplit("/", 1)[-1]
            if var.startswith(prefix) and f"{LINK}.{var[len(prefix):]}" not in out:
                out[f"{LINK}.{var[len(prefix):]}"] = (*link, var)
        return out

    # -- per chunk ------------------------------------------------------------------------

    def derive(self, names: list[str], arrays) -> dict:
        t = lambda v: self.aux(self.track_container, v)  # noqa: E731
        theta_ev = arrays[t("theta")]
        n_trk = np.asarray(ak.num(theta_ev, axis=1), dtype=np.int64)
        gather = self._gather(arrays[self.aux(self.jet_container, LINK)], n_trk)
        flat = lambda v: np.asarray(ak.flatten(arrays[t(v)]), dtype=np.float64)  # noqa: E731
        cache: dict = {}

        def track_value(var):  # one value per track of the event's container (flat)
            if var in cache:
                return cache[var]
            theta = flat("theta")
            if var == "pt":
                v = np.sin(theta) / np.abs(flat("qOverP")) * 1e-3
            elif var == "eta":
                v = -np.log(np.tan(theta / 2.0))
            elif var == "charge":
                v = np.sign(flat("qOverP"))
            elif var in ("z0SinTheta", "sigma_z0SinTheta", "sigma_d0"):
                v = self._ip(var, arrays, theta, n_trk)
            else:
                v = np.asarray(ak.flatten(arrays[t(var)]))
            cache[var] = v
            return v

        return {n: gather(track_value(n[len(LINK) + 1:])) for n in names}

    def _gather(self, links, n_trk: np.ndarray):
        """A function: flat per-track values of the event containers -> (event, jet, track)."""
        key = links["m_persKey"]
        index = links["m_persIndex"]
        keys = np.unique(np.asarray(ak.flatten(key, axis=None)))
        if len(keys[keys != 0]) > 1:
            raise JettagError(
                f"{self.aux(self.jet_container, LINK)}: links point to {len(keys[keys != 0])} "
                "different containers (m_persKey); expected one track container"
            )
        n_links_jet = ak.num(index, axis=2)
        n_jets_evt = np.asarray(ak.num(index, axis=1), dtype=np.int64)
        ev = np.repeat(np.arange(len(n_trk)), np.asarray(ak.sum(n_links_jet, axis=1)))
        idx = np.asarray(ak.flatten(index, axis=None), dtype=np.int64)
        k = np.asarray(ak.flatten(key, axis=None))
        valid = (k != 0) & (idx >= 0) & (idx < n_trk[ev])
        first = np.cumsum(n_trk) - n_trk
        gidx = (idx + first[ev])[valid]
        per_jet = np.asarray(
            ak.sum(ak.unflatten(valid.astype(np.int64), np.asarray(ak.flatten(n_links_jet))), axis=1)
        )

        def gather(values: np.ndarray):
            jets = ak.unflatten(np.asarray(values)[gidx], per_jet)
            return ak.unflatten(jets, n_jets_evt)

        return gather

    def _ip(self, var: str, arrays, theta: np.ndarray, n_trk: np.ndarray) -> np.ndarray:
        t = lambda v: self.aux(self.track_container, v)  # noqa: E731
        flat = lambda v: np.asarray(ak.flatten(arrays[t(v)]), dtype=np.float64)  # noqa: E731
        if var == "sigma_d0":
            return np.sqrt(self._cov_diag(arrays)[:, 0])
        pv_z = self._pv_z(arrays)
        z0 = flat("z0") + flat("vz") - np.repeat(pv_z, n_trk)
        if var == "z0SinTheta":
            return z0 * np.sin(theta)
        c = self._cov_diag(arrays)
        return np.sqrt(np.sin(theta) ** 2 * c[:, 1] + (z0 * np.cos(theta)) ** 2 * c[:, 3])

    def _pv_z(self, arrays) -> np.ndarray:
        z = arrays[self.aux(self.vertex_container, "z")]
        vtype = arrays[self.aux(self.vertex_container, "vertexType")]
        primary = ak.firsts(z[vtype == 1])
        return np.asarray(ak.fill_none(primary, 0.0), dtype=np.float64)

    def _cov_diag(self, arrays) -> np.ndarray:
        """(tracks, 5) perigee variances d0, z0, phi, theta, qOverP."""
        diag = self.aux(self.track_container, "definingParametersCovMatrixDiag")
        if diag in arrays:
            cov, width, pick = arrays[diag], 5, list(range(5))
        else:
            packed = self.aux(self.track_container, "definingParametersCovMatrix")
            cov, width, pick = arrays[packed], 15, list(PACKED_DIAGONAL)
        flat = ak.flatten(cov, axis=1)
        n = np.asarray(ak.num(flat, axis=1))
        if len(n) and not np.all(n == width):
            raise JettagError(
                f"track covariance: {sorted(set(n.tolist()))} values per track, expected {width}"
            )
        values = np.asarray(ak.flatten(flat), dtype=np.float64).reshape(-1, width)
        return values[:, pick]

    def detect(self, types) -> float:
        return 6.0 if self.aux(self.jet_container, LINK) in types else 0.0


class PhysliteRNTuple(Physlite):
    name = "physlite_rntuple"
    tree = "EventData"
    sep = ":"
    event_number = "EventInfoAuxDyn:eventNumber"
    defaults = physlite_mapping(":", "EventInfoAuxDyn:eventNumber")
