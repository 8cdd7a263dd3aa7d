"""Saliency maps: which input of which track moves the b-tagging discriminant.

For the jets of a category (flavour x passing/failing the working point) with exactly
``n_tracks`` tracks, the gradient of ``D_b`` w.r.t. every model input of every track is averaged
over jets -> a heatmap features x track position (tracks in sd0 order, as stored).

* ``gradient``: dD_b/dz with z the *normalised* input (the model's feature space): the gradient
  w.r.t. the raw column times the column's standard deviation (``InputNorm``).
* ``integrated_gradients`` (captum): attributions along the straight path from the baseline
  "every track at the mean of the training tracks" (z = 0) to the jet; they sum to
  D_b(jet) - D_b(baseline) and do not depend on the input scaling.

Maps are signed means over jets (and means of absolute values for importance rankings).
Steps: ``compute`` (one tagger: checkpoint + test split -> HDF5 of maps) and ``summary``.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np

from jettag.atomic import atomic_path
from jettag.errors import JettagError
from jettag.studies import base, common
from jettag.studies import headline as hl
from jettag.studies.registry import Study, register

METHODS = ("gradient", "integrated_gradients")
FLAVOURS = ("b", "c", "light")
LABELS = {"b": 5, "c": 4, "light": 0}


def categories() -> list[str]:
    return [f"{f}_{s}" for f in FLAVOURS for s in ("fail", "pass")]


def discriminant_torch(logits, fc: float):
    import torch

    p = torch.softmax(logits.double(), dim=-1)
    return torch.log((p[:, 0] + 1e-10) / (fc * p[:, 1] + (1 - fc) * p[:, 2] + 1e-10))


def _model_columns(model) -> tuple[list[int], np.ndarray]:
    norm = getattr(model, "track_norm", None)
    if norm is None:
        raise JettagError("saliency needs a neural tagger with an input normalisation (track_norm)")
    return norm.idx.tolist(), norm.std.detach().cpu().numpy().astype(np.float64)


def _forward_db(model, fc: float) -> Callable:
    def f(tracks, valid, jets):
        r = model(tracks, valid, jets)
        return discriminant_torch(r["logits"] if isinstance(r, dict) else r, fc)

    return f


def gradient_map(model, tracks, valid, jets, fc: float, batch_size: int = 256) -> np.ndarray:
    """dD_b/dz per jet, track and model input (normalised space): ``(N, L, F_model)``."""
    import torch

    cols, std = _model_columns(model)
    f = _forward_db(model, fc)
    out = []
    for s in range(0, len(tracks), batch_size):
        t = torch.tensor(tracks[s : s + batch_size], dtype=torch.float32, requires_grad=True)
        v = torch.as_tensor(valid[s : s + batch_size])
        j = torch.as_tensor(jets[s : s + batch_size], dtype=torch.float32)
        (grad,) = torch.autograd.grad(f(t, v, j).sum(), t)
        out.append(grad[..., cols].double().numpy() * std)
    return np.concatenate(out) if out else np.zeros((0, tracks.shape[1], len(cols)))


def integrated_gradients_map(model, tracks, valid, jets, fc: float, steps: int = 32,
                             batch_size: int = 256) -> np.ndarray:
    """Integrated-gradients attributions ``(N, L, F_model)`` from the z = 0 baseline (captum)."""
    import torch
    from captum.attr import IntegratedGradients

    cols, _ = _model_columns(model)
    mean = model.track_norm.mean.detach().cpu().numpy()
    ig = IntegratedGradients(_forward_db(model, fc))
    out = []
    for s in range(0, len(tracks), batch_size):
        t_np = np.asarray(tracks[s : s + batch_size], dtype=np.float32)
        v_np = np.asarray(valid[s : s + batch_size], dtype=bool)
        base = t_np.copy()
        sub = base[..., cols]
        sub[v_np] = mean
        base[..., cols] = sub
        t = torch.from_numpy(t_np)
        attr = ig.attribute(
            t, baselines=torch.from_numpy(base),
            additional_forward_args=(torch.from_numpy(v_np), torch.from_numpy(np.asarray(jets[s : s + batch_size],
                                                                                         dtype=np.float32))),
            n_steps=int(steps), internal_batch_size=int(batch_size),
        )
        out.append(attr[..., cols].double().detach().numpy())
    return np.concatenate(out) if out else np.zeros((0, tracks.shape[1], len(cols)))


def select_jets(disc: np.ndarray, flavour: np.ndarray, n_valid: np.ndarray, wp: float, n_tracks: int,
                max_jets: int) -> dict[str, np.ndarray]:
    """Indices per category: jets with exactly ``n_tracks`` tracks, by flavour and WP decision."""
    from jettag.evaluation.working_points import wp_cuts

    is_b = flavour == LABELS["b"]
    if not is_b.any():
        raise JettagError("saliency: the test split holds no b-jets")
    cut = float(wp_cuts(disc[is_b], [wp])[0])
    out = {}
    for fl in FLAVOURS:
        for state in ("fail", "pass"):
            passed = disc > cut if state == "pass" else disc <= cut
            idx = np.nonzero((flavour == LABELS[fl]) & passed & (n_valid == n_tracks))[0]
            out[f"{fl}_{state}"] = idx[:max_jets]
    return out


def compute(model, tracks, valid, jets, flavour, fc: float, spec: dict) -> dict:
    """Maps per method and category: ``{method: {category: (mean, mean_abs, n)}}``."""
    import torch

    n_tracks = int(spec.get("n_tracks", 8))
    if tracks.shape[1] < n_tracks:
        raise JettagError(f"saliency: n_tracks {n_tracks} exceeds the stored tracks per jet ({tracks.shape[1]})")
    bs = int(spec.get("batch_size", 256))
    with torch.no_grad():
        disc = np.concatenate([
            discriminant_torch(_logits(model, tracks[s : s + 4096], valid[s : s + 4096], jets[s : s + 4096]), fc).numpy()
            for s in range(0, len(tracks), 4096)
        ])
    sel = select_jets(disc, flavour, valid.sum(axis=1), float(spec.get("wp", common.DEFAULT_WP)), n_tracks,
                      int(spec.get("max_jets", 2000)))
    methods = spec.get("methods") or list(METHODS)
    result: dict = {}
    for method in methods:
        if method not in METHODS:
            raise JettagError(f"studies.saliency.methods: unknown method '{method}' (known {METHODS})")
        result[method] = {}
        for cat, idx in sel.items():
            t, v, j = tracks[idx], valid[idx], jets[idx]
            if len(idx) == 0:
                m = np.zeros((n_tracks, len(_model_columns(model)[0])))
                result[method][cat] = (m, m, 0)
                continue
            if method == "gradient":
                a = gradient_map(model, t, v, j, fc, bs)
            else:
                a = integrated_gradients_map(model, t, v, j, fc, int(spec.get("ig_steps", 32)), bs)
            a = a[:, :n_tracks, :]
            result[method][cat] = (a.mean(axis=0), np.abs(a).mean(axis=0), len(idx))
    return result


def _logits(model, t, v, j):
    import torch

    r = model(torch.as_tensor(t, dtype=torch.float32), torch.as_tensor(v), torch.as_tensor(j, dtype=torch.float32))
    return r["logits"] if isinstance(r, dict) else r


def step_compute(spec: dict, inputs, output: Path, data_dir=None) -> None:
    from jettag import models
    from jettag.evaluation.scores import _spec_of, default_fc
    from jettag.studies.ablation import load_test

    ckpt = [Path(p) for p in inputs if Path(p).suffix == ".pt"]
    data = [Path(p) for p in inputs if Path(p).suffix == ".h5"]
    if len(ckpt) != 1 or len(data) != 1:
        raise JettagError("saliency compute: pass one checkpoint (.pt) and one test split (.h5)")
    model, info = models.load_checkpoint(ckpt[0])
    model.eval()
    tracks, valid, jets, flavour, _ = load_test(data[0], spec.get("max_scan_jets", 200000))
    fc = default_fc(_spec_of(info))
    result = compute(model, tracks, valid, jets, flavour, fc, spec)
    with atomic_path(output) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["tagger"] = ckpt[0].parent.name
        f.attrs["features"] = list(model.track_feature_names)
        f.attrs["fc"] = fc
        f.attrs["wp"] = float(spec.get("wp", common.DEFAULT_WP))
        f.attrs["n_tracks"] = int(spec.get("n_tracks", 8))
        for method, cats in result.items():
            for cat, (mean, mean_abs, n) in cats.items():
                d = f.create_dataset(f"{method}/{cat}/mean", data=mean)
                f.create_dataset(f"{method}/{cat}/mean_abs", data=mean_abs)
                d.attrs["n_jets"] = n
                f[f"{method}/{cat}"].attrs["n_jets"] = n


def read_maps(path: Path) -> dict:
    with h5py.File(path, "r") as f:
        out = {"tagger": str(f.attrs["tagger"]), "features": [str(x) for x in f.attrs["features"]],
               "wp": float(f.attrs["wp"]), "n_tracks": int(f.attrs["n_tracks"]), "maps": {}}
        for method in f:
            for cat in f[method]:
                g = f[method][cat]
                out["maps"][(method, cat)] = (g["mean"][...], g["mean_abs"][...], int(g.attrs["n_jets"]))
    return out


def feature_ranking(mean_abs: np.ndarray, features: list[str]) -> list[tuple[str, float]]:
    """Features by summed |attribution| over track positions, largest first, as shares of the total."""
    totals = mean_abs.sum(axis=0)
    share = totals / totals.sum() if totals.sum() > 0 else totals
    order = np.argsort(-share, kind="stable")
    return [(features[i], float(share[i])) for i in order]


COLUMNS = ("tagger", "method", "category", "n_jets", "rank", "feature", "share", "leading_track_share")


def plot_names(spec: dict) -> list[str]:
    return [f"{m}_{t}" for t in spec["taggers"] for m in (spec.get("methods") or METHODS)] + \
        [f"b_fail_{t}" for t in spec["taggers"]]


def step_summary(spec: dict, inputs, output: Path, data_dir=None) -> None:
    maps = [read_maps(Path(p)) for p in inputs if Path(p).suffix == ".h5"]
    if not maps:
        raise JettagError("saliency summary: no saliency files given")
    rows = []
    top = int(spec.get("table_top", 5))
    for m in maps:
        for (method, cat), (_, mean_abs, n) in m["maps"].items():
            if n == 0:
                continue
            lead = mean_abs.sum(axis=1)
            lead_share = float(lead[0] / lead.sum()) if lead.sum() > 0 else float("nan")
            for rank, (feat, share) in enumerate(feature_ranking(mean_abs, m["features"])[:top], 1):
                rows.append({"tagger": m["tagger"], "method": method, "category": cat, "n_jets": n, "rank": rank,
                             "feature": feat, "share": share, "leading_track_share": lead_share})
        _plot(spec, m, output)
    display = [
        ("tagger", "tagger"), ("method", "method"), ("jets", "category"), ("N", "n_jets"), ("rank", "rank"),
        ("feature", "feature"), ("share of |attribution|", lambda r: f"{100 * r['share']:.1f} %"),
        ("share on track 1", lambda r: f"{100 * r['leading_track_share']:.1f} %"),
    ]
    wp = maps[0]["wp"]
    notes = [
        f"Jets with exactly {maps[0]['n_tracks']} tracks; pass/fail at the {wp:g} % working point of D_b.",
        "gradient: dD_b/d(normalised input), averaged over jets; integrated_gradients: captum, "
        "baseline = every track at the training mean.",
        "share: the feature's summed mean |attribution| over track positions, relative to all features.",
    ]
    common.write_table(output, rows, COLUMNS, display, "Saliency: input attributions", notes)


def _heat(ax, mean, features, title, fig):
    vmax = float(np.abs(mean).max()) or 1.0
    im = ax.imshow(mean.T, aspect="auto", cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    ax.set_yticks(range(len(features)))
    ax.set_yticklabels([_short(f) for f in features], fontsize=8)
    ax.set_xticks(range(mean.shape[0]))
    ax.set_xticklabels([str(i + 1) for i in range(mean.shape[0])], fontsize=8)
    ax.set_xlabel("track (sd0 order)", fontsize=10)
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)


def _short(name: str) -> str:
    from jettag.features import TRACK_FEATURES

    f = TRACK_FEATURES.get(name)
    if f is None or f.group == "hits":
        return name.replace("numberOf", "n").replace("PixelLayer", "Pix").replace("Hits", "")
    return f.text


def _plot(spec, m, output):
    import matplotlib.pyplot as plt

    from jettag.plotting.style import formats, save_figure

    common.new_figure()
    plt.close("all")
    fmts = formats(spec)
    tagger, feats, wp = m["tagger"], m["features"], m["wp"]
    methods = [x for x in METHODS if any(k[0] == x for k in m["maps"])]
    # headline: b-jets failing the WP, both methods side by side
    fig, axes = plt.subplots(1, len(methods), figsize=(6.5 * len(methods), 7), squeeze=False)
    for ax, method in zip(axes[0], methods, strict=True):
        mean, _, n = m["maps"][(method, "b_fail")]
        _heat(ax, mean, feats, f"{method.replace('_', ' ')}: $b$-jets failing {wp:g} % ({n})", fig)
    fig.suptitle(f"{spec.get('label', 'Simulation')}: {tagger}", fontsize=12)
    fig.tight_layout()
    save_figure(fig, common.plot_path(output, f"b_fail_{tagger}", fmts[0]), fmts)
    # every category per method
    for method in methods:
        fig, axes = plt.subplots(2, 3, figsize=(16, 10), squeeze=False)
        for col, fl in enumerate(FLAVOURS):
            for row, state in enumerate(("pass", "fail")):
                mean, _, n = m["maps"][(method, f"{fl}_{state}")]
                _heat(axes[row][col], mean, feats, f"{fl}-jets {state}ing {wp:g} % ({n} jets)", fig)
        fig.suptitle(f"{spec.get('label', 'Simulation')}: {tagger}, {method.replace('_', ' ')} of $D_b$",
                     fontsize=13)
        fig.tight_layout()
        save_figure(fig, common.plot_path(output, f"{method}_{tagger}", fmts[0]), fmts)


# --------------------------------------------------------------------------------------------
# planning


def plan_spec(cfg: dict) -> dict:
    return {"taggers": base.study_models(cfg, "saliency")}


def summary_inputs(cfg: dict, spec: dict) -> list[str]:
    return [base.paths(cfg).saliency_maps(t) for t in spec["taggers"]]


def headline(rows: list[dict[str, str]]) -> str:
    parts = []
    for tagger, trows in hl.by_key(rows, "tagger").items():
        firsts = collections.Counter(r["feature"] for r in trows if r["rank"] == "1")
        if firsts:
            feature, n = firsts.most_common(1)[0]
            parts.append(f"{tagger}: '{feature}' carries the largest attribution in {n} of "
                         f"{sum(firsts.values())} method/jet-class groups")
    return hl.sentence(parts)


register(Study(
    name="saliency", order=20, steps={"compute": step_compute, "summary": step_summary},
    spec=plan_spec, summary_inputs=summary_inputs, plot_names=plot_names,
    headline=headline,
))
