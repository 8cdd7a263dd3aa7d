"""Track and jet features as data: names, groups, units and axis labels.

Preprocessing writes every feature of ``TRACK_FEATURES`` to the HDF5 files (unnormalised);
a model picks its inputs by name or by group, so ablations and feature studies need no
re-preprocessing.
"""

from __future__ import annotations

from dataclasses import dataclass

from jettag.errors import JettagError


@dataclass(frozen=True)
class Feature:
    name: str
    group: str
    unit: str
    text: str  # axis label
    description: str
    #: how the stored value changes under the symmetries of a jet (data augmentation,
    #: :mod:`jettag.training.augment`): ``"phi"`` an absolute azimuth (shifted by a rotation in
    #: phi, wrapped to [-pi, pi)), ``"eta_odd"`` odd under the reflection eta -> -eta (z -> -z;
    #: sign flip), ``"invariant"`` unchanged by both.
    symmetry: str = "invariant"


#: The values of :attr:`Feature.symmetry`.
SYMMETRIES: tuple[str, ...] = ("invariant", "phi", "eta_odd")


HIT_FIELDS: tuple[str, ...] = (
    "numberOfInnermostPixelLayerHits",
    "numberOfNextToInnermostPixelLayerHits",
    "numberOfPixelHits",
    "numberOfSCTHits",
    "numberOfPixelHoles",
    "numberOfSCTHoles",
    "numberOfPixelSharedHits",
    "numberOfSCTSharedHits",
)

_TRACK = [
    # impact parameters
    Feature("sd0", "ip", "", r"$s_{d_0}$", "lifetime-signed d0 significance d0/sigma(d0)"),
    Feature("sz0", "ip", "", r"$s_{z_0}$", "lifetime-signed z0 sin(theta) significance"),
    # kinematics relative to the jet
    Feature("log_pt_frac", "kinematics", "", r"$\log(p_T/p_T^{jet})$", "log of track pT over jet pT"),
    Feature("log_dr", "kinematics", "", r"$\log\Delta R$", "log of Delta R(track, jet)"),
    # hit content
    *(Feature(h, "hits", "", h, f"ATLAS-style hit count {h}") for h in HIT_FIELDS),
    # alternatives used by feature studies (not in any default group)
    Feature("pt_frac", "alt_linear", "", r"$p_T/p_T^{jet}$", "track pT over jet pT (no log)"),
    Feature("dr", "alt_linear", "", r"$\Delta R$", "Delta R(track, jet) (no log)"),
    Feature("deta", "alt_relative", "", r"$\Delta\eta$", "track eta minus jet eta", "eta_odd"),
    Feature("dphi", "alt_relative", "", r"$\Delta\phi$", "track phi minus jet phi, wrapped to [-pi, pi)"),
    Feature("eta", "alt_absolute", "", r"$\eta$", "track pseudorapidity (absolute)", "eta_odd"),
    Feature("phi", "alt_absolute", "", r"$\phi$", "track azimuth (absolute)", "phi"),
    Feature("log_pt", "alt_absolute", "", r"$\log p_T$ [GeV]", "log of track pT in GeV"),
    Feature("d0", "alt_ip", "mm", r"$d_0$ [mm]", "signed d0 as measured (ATLAS convention)"),
    Feature("z0SinTheta", "alt_ip", "mm", r"$z_0\sin\theta$ [mm]", "z0 sin(theta) as measured", "eta_odd"),
]
TRACK_FEATURES: dict[str, Feature] = {f.name: f for f in _TRACK}

JET_FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        Feature("pt", "jet", "GeV", r"jet $p_T$ [GeV]", "jet transverse momentum"),
        Feature("eta", "jet", "", r"jet $\eta$", "jet pseudorapidity", "eta_odd"),
        Feature("abs_eta", "jet", "", r"jet $|\eta|$", "absolute jet pseudorapidity"),
        Feature("log_pt", "jet", "", r"$\log(p_T^{jet}/\mathrm{GeV})$", "log jet pT"),
    )
}

#: The groups a model's ``track_features`` may name, besides single features.
TRACK_GROUPS: dict[str, tuple[str, ...]] = {}
for _f in _TRACK:
    TRACK_GROUPS.setdefault(_f.group, ())
    TRACK_GROUPS[_f.group] += (_f.name,)

DEFAULT_TRACK_INPUTS: tuple[str, ...] = ("ip", "kinematics", "hits")
DEFAULT_JET_INPUTS: tuple[str, ...] = ("log_pt", "abs_eta")


def resolve_track_features(names_or_groups, drop=()) -> tuple[str, ...]:
    """Expand group names to feature names, keep order, remove ``drop`` (groups or features)."""
    out: list[str] = []
    for item in names_or_groups:
        out.extend(_expand(item))
    dropped = {f for d in drop for f in _expand(d)}
    result = tuple(dict.fromkeys(f for f in out if f not in dropped))
    if not result:
        raise JettagError(
            f"no track features left from {list(names_or_groups)} after dropping {list(drop)}: "
            "keep at least one feature"
        )
    return result


def _expand(item: str) -> tuple[str, ...]:
    if item in TRACK_GROUPS:
        return TRACK_GROUPS[item]
    if item in TRACK_FEATURES:
        return (item,)
    raise JettagError(
        f"unknown track feature or group '{item}'; known groups: {sorted(TRACK_GROUPS)}, "
        f"features: {sorted(TRACK_FEATURES)}"
    )
