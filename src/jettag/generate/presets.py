"""Detector presets (config ``generator.detector``: a preset name, or a mapping of keys with an
optional ``preset`` they override) and the pile-up default that goes with each.

``realistic`` (the default) takes its numbers from published ATLAS detector descriptions; every
number and its source is listed in docs/detector.md. ``ideal`` switches every effect off: no field,
no beam spot, perfect vertex, no material, full efficiency, no merging, no fakes, no pile-up, and
the jet's own charged constituents as its tracks.
"""

from __future__ import annotations

from jettag.errors import JettagError

_COMMON = {
    "d0_res_const": 0.010, "d0_res_ms": 0.075, "z0_res_const": 0.030, "z0_res_ms": 0.110,
    "tail_fraction": 0.02, "tail_scale": 4.0, "layer_inefficiency": 0.02, "shared_hit_distance": 0.1,
    "efficiency_low_pt_scale": 2.0, "merge_distance_rphi": 0.1, "merge_distance_z": 0.5, "merge_layers": 2,
    "fake_d0_sigma": 1.0, "fake_z0_sigma": 3.0,
    "material_radii": [24.0, 33.0, 50.5, 88.5, 122.5],
    "material_x_over_x0": [0.0030, 0.019, 0.027, 0.027, 0.027],
    "material_x_over_lambda": [0.0025, 0.004, 0.006, 0.006, 0.006],
}

PRESETS: dict[str, dict] = {
    "realistic": {
        **_COMMON, "field_t": 2.0, "beamspot_sigma_xy": 0.010, "beamspot_sigma_z": 42.0, "pv_z_resolution": 0.3,
        "material_scale": 1.0, "efficiency_central": 0.91, "efficiency_forward": 0.75,
        "efficiency_low_pt_loss": 0.06, "merge_loss": 0.25, "fake_fraction": 0.01, "association": "cone",
    },
    "ideal": {
        **_COMMON, "field_t": 0.0, "beamspot_sigma_xy": 0.0, "beamspot_sigma_z": 0.0, "pv_z_resolution": 0.0,
        "material_scale": 0.0, "efficiency_central": 1.0, "efficiency_forward": 1.0,
        "efficiency_low_pt_loss": 0.0, "merge_loss": 0.0, "merge_distance_rphi": 0.0, "fake_fraction": 0.0,
        "association": "constituents",
    },
}

#: Mean number of pile-up interactions per preset: Run-2 (2015-2018) luminosity-weighted <mu>.
PILEUP_MU = {"realistic": 33.7, "ideal": 0.0}


def resolve_detector(det, pileup: dict) -> tuple[dict, dict]:
    """(full detector dict with ``preset``, pile-up dict with ``mu``) from the config sections."""
    if isinstance(det, str):
        det = {"preset": det}
    det = dict(det or {})
    name = det.pop("preset", "realistic")
    if name not in PRESETS:
        raise JettagError(f"generator.detector: unknown preset '{name}'; choose one of {sorted(PRESETS)}")
    out = {**PRESETS[name], **det, "preset": name}
    for key in ("material_x_over_x0", "material_x_over_lambda"):
        if len(out[key]) != len(out["material_radii"]):
            raise JettagError(f"generator.detector.{key}: needs one value per material_radii entry "
                              f"({len(out['material_radii'])}), got {len(out[key])}")
    pu = dict(pileup or {})
    if pu.get("mu") is None:
        pu["mu"] = PILEUP_MU[name]
    return out, pu
