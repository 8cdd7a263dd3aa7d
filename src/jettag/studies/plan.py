"""The jobs and files of each study, from a resolved config (used by workflow/rules/studies.smk).

Each study has a summary step ``jettag study STUDY summary`` whose ``--output`` is
``{results}/studies/{study}/{study}.csv`` (twins ``.md``/``.html``, plots ``{study}_{name}.{fmt}``).
Its inputs are scores files (``{results}/scores/{sample}/{tagger}.h5``, made by the ordinary
``evaluate`` rule from ``train`` jobs of tagger variants), histories and study-specific files.
"""

from __future__ import annotations

from jettag.config import model_spec
from jettag.errors import JettagError
from jettag.features import DEFAULT_TRACK_INPUTS, TRACK_GROUPS, resolve_track_features
from jettag.studies import STUDIES, bias_variance, ensembles, feature_choice, kfold, search
from jettag.studies import ablation as ablation_mod
from jettag.studies import saliency as saliency_mod
from jettag.studies import transfer as transfer_mod
from jettag.studies.variants import (
    fraction_text,
    join_tagger,
    seed_tagger,
    study_dir,
    study_models,
    study_section,
)


def enabled(cfg: dict) -> list[str]:
    return [s for s in STUDIES if study_section(cfg, s).get("enabled", False)]


def _results(cfg):
    return cfg["results_dir"]


def scores(cfg: dict, tagger: str, sample: str | None = None) -> str:
    return f"{_results(cfg)}/scores/{sample or cfg['train_sample']}/{tagger}.h5"


def history(cfg: dict, tagger: str) -> str:
    return f"{_results(cfg)}/models/{tagger}/history.csv"


def stem(cfg: dict, study: str) -> str:
    return f"{study_dir(cfg, study)}/{study}"


def _base_seed(cfg, model) -> int:
    return int(model_spec(cfg, model)["training"]["seed"])


# --------------------------------------------------------------------------------------------
# per-study specs (what the summary step reads besides its inputs)


def ablation_items(cfg: dict, model: str) -> list[str]:
    section = study_section(cfg, "ablation")
    spec = model_spec(cfg, model)
    inputs = resolve_track_features(spec.get("track_features", DEFAULT_TRACK_INPUTS), spec.get("drop_features", []))
    groups = section.get("groups")
    if groups is None:
        groups = [g for g, feats in TRACK_GROUPS.items() if any(f in inputs for f in feats)]
    items = list(groups)
    if section.get("features", False):
        items += [f for f in inputs if f not in items]
    return items


def _seeds(cfg, model, n) -> list[str]:
    first = _base_seed(cfg, model)
    return [seed_tagger(cfg, model, first + k) for k in range(max(1, int(n)))]


def _ablation_spec(cfg):
    section = study_section(cfg, "ablation")
    n = int(section.get("seeds", 1))
    comps = {}
    for model in study_models(cfg, "ablation"):
        first = _base_seed(cfg, model)
        removed = {}
        for item in ablation_items(cfg, model):
            base = join_tagger(model, [f"no-{item}"])
            removed[item] = [base if k == 0 else join_tagger(base, [f"seed{first + k}"]) for k in range(max(1, n))]
        comps[model] = {"full": _seeds(cfg, model, n), "removed": removed}
    return {"components": comps}


def _search_trials(cfg, model) -> list[str]:
    return [search.trial_name(model, i) for i in range(int(study_section(cfg, "search").get("trials", 4)))]


def _bias_variance_spec(cfg):
    section = study_section(cfg, "bias_variance")
    points = {}
    for model in study_models(cfg, "bias_variance"):
        base = seed_tagger(cfg, model, _base_seed(cfg, model))
        p = {}
        fr = section.get("fractions", [0.1, 0.3, 1.0])
        if fr:
            p["fraction"] = {fraction_text(f): (base if float(f) == 1.0 else join_tagger(model, [f"frac{fraction_text(f)}"]))
                             for f in fr}
        for scan in ("width", "depth"):
            vals = section.get(f"{scan}s") or []
            if vals:
                p[scan] = {str(v): join_tagger(model, [f"{scan}{int(v)}"]) for v in vals}
        points[model] = p
    return {"points": points}


def _features_spec(cfg):
    section = study_section(cfg, "features")
    out = {}
    for model in study_models(cfg, "features"):
        variants = {"baseline": seed_tagger(cfg, model, _base_seed(cfg, model))}
        for v in section.get("variants", ["nolog", "relative", "absolute"]):
            variants[v] = join_tagger(model, [v])
        out[model] = variants
    return {"variants": out}


def _transfer_target(cfg) -> tuple[str, str]:
    section = study_section(cfg, "transfer")
    source = section.get("source") or cfg["train_sample"]
    target = section.get("target", "zprime")
    for name, s in (("source", source), ("target", target)):
        if s not in cfg["samples"]:
            raise JettagError(
                f"studies.transfer.{name}: sample '{s}' is not defined under 'samples' ({sorted(cfg['samples'])}); "
                "add it (e.g. samples.zprime: {generator: {process: zprime}}) or disable the transfer study"
            )
    if source != cfg["train_sample"]:
        raise JettagError("studies.transfer.source must be the train_sample (the main models are trained on it)")
    if source == target:
        raise JettagError("studies.transfer: source and target samples must differ")
    return source, target


def _transfer_spec(cfg):
    source, target = _transfer_target(cfg)
    runs = {}
    for model in study_models(cfg, "transfer"):
        base = seed_tagger(cfg, model, _base_seed(cfg, model))
        runs[model] = {"source": base, "target": join_tagger(model, [target]),
                       "finetune": join_tagger(base, [f"finetune-{target}"]),
                       "scratch": join_tagger(model, [f"scratch-{target}"])}
    return {"runs": runs, "source": source, "target": target}


def step_spec(cfg: dict, study: str) -> dict:
    """The ``--spec`` of a study's steps: its config section, plot settings and the job lists."""
    section = dict(study_section(cfg, study))
    spec = {
        **section,
        "label": cfg["label"], "label_extra": cfg["label_extra"], "plots": cfg["plots"],
        "sample": cfg["train_sample"], "working_points": cfg["evaluation"]["working_points"],
    }
    if study == "ensembles":
        models = study_models(cfg, study)
        spec["members"] = {m: ensembles.members(cfg, m) for m in models}
        spec["snapshots"] = {m: ensembles.snapshots(cfg, m) for m in models}
    elif study == "saliency":
        spec["taggers"] = study_models(cfg, study)
    elif study == "ablation":
        spec.update(_ablation_spec(cfg))
    elif study == "kfold":
        k = int(section.get("folds", 5))
        spec["folds"] = {m: kfold.fold_taggers(m, k) for m in study_models(cfg, study)}
    elif study == "search":
        spec["trials_of"] = {m: _search_trials(cfg, m) for m in study_models(cfg, study)}
    elif study == "bias_variance":
        spec.update(_bias_variance_spec(cfg))
    elif study == "features":
        spec.update(_features_spec(cfg))
    elif study == "transfer":
        spec.update(_transfer_spec(cfg))
    else:
        raise JettagError(f"unknown study '{study}'; studies: {list(STUDIES)}")
    return spec


# --------------------------------------------------------------------------------------------
# summary inputs and outputs


def summary_inputs(cfg: dict, study: str) -> list[str]:
    spec = step_spec(cfg, study)
    if study == "ensembles":
        out = []
        for m, members in spec["members"].items():
            snaps = spec["snapshots"][m]
            out += [scores(cfg, t) for t in members] + [scores(cfg, ensembles.ensemble_name(m))]
            out += [history(cfg, t) for t in members]
            if snaps:
                out += [scores(cfg, t) for t in snaps] + [scores(cfg, ensembles.ensemble_name(m, "snapshot"))]
                out += [history(cfg, t) for t in snaps]
        return out
    if study == "saliency":
        return [f"{study_dir(cfg, 'saliency')}/maps_{t}.h5" for t in spec["taggers"]]
    if study == "ablation":
        out = []
        for comp in spec["components"].values():
            out += [scores(cfg, t) for t in comp["full"]]
            out += [scores(cfg, t) for ts in comp["removed"].values() for t in ts]
            if (spec.get("permutation") or {}).get("enabled", True):
                out.append(f"{study_dir(cfg, 'ablation')}/permutation_{comp['full'][0]}.csv")
        return out
    if study == "kfold":
        return [scores(cfg, t) for ts in spec["folds"].values() for t in ts]
    if study == "search":
        out = []
        for m, trials in spec["trials_of"].items():
            out += [scores(cfg, t) for t in trials] + [history(cfg, t) for t in trials]
            if (spec.get("overfit") or {}).get("enabled", True):
                out.append(overfit_file(cfg, m))
        return out
    if study == "bias_variance":
        taggers = [t for p in spec["points"].values() for mapping in p.values() for t in mapping.values()]
        taggers = list(dict.fromkeys(taggers))
        return [scores(cfg, t) for t in taggers] + [history(cfg, t) for t in taggers]
    if study == "features":
        taggers = [t for v in spec["variants"].values() for t in v.values()]
        return [scores(cfg, t) for t in taggers] + [history(cfg, t) for t in taggers]
    if study == "transfer":
        out = []
        for runs in spec["runs"].values():
            for role in ("source", "target"):
                out += [scores(cfg, runs[role], spec["source"]), scores(cfg, runs[role], spec["target"])]
            out += [scores(cfg, runs["finetune"], spec["target"]), scores(cfg, runs["scratch"], spec["target"])]
        return out
    raise JettagError(f"unknown study '{study}'")


PLOT_NAMES = {
    "ensembles": ensembles.plot_names,
    "saliency": saliency_mod.plot_names,
    "ablation": ablation_mod.plot_names,
    "kfold": kfold.plot_names,
    "search": search.plot_names,
    "bias_variance": bias_variance.plot_names,
    "features": feature_choice.plot_names,
    "transfer": transfer_mod.plot_names,
}


def plot_stems(cfg: dict, study: str) -> list[str]:
    """Plot paths without the format suffix (one per plot)."""
    spec = step_spec(cfg, study)
    return [f"{stem(cfg, study)}_{n}" for n in PLOT_NAMES[study](spec)]


def overfit_file(cfg: dict, model: str) -> str:
    return f"{study_dir(cfg, 'search')}/overfit_{model}.json"


def extra_scores(cfg: dict) -> list[str]:
    """Scores files the studies add to performance.csv (the ensembles' taggers)."""
    if "ensembles" not in enabled(cfg):
        return []
    out = []
    for m in study_models(cfg, "ensembles"):
        out.append(scores(cfg, ensembles.ensemble_name(m)))
        if ensembles.snapshots(cfg, m):
            out.append(scores(cfg, ensembles.ensemble_name(m, "snapshot")))
    return out


def combine_inputs(cfg: dict, sample: str, model: str, kind: str) -> list[str]:
    if kind == "ensemble":
        taggers = ensembles.members(cfg, model)
    elif kind == "snapshot":
        taggers = ensembles.snapshots(cfg, model)
    else:
        raise JettagError(f"unknown ensemble kind '{kind}'")
    return [scores(cfg, t, sample) for t in taggers]


def targets(cfg: dict, study: str) -> list[str]:
    return [f"{stem(cfg, study)}.csv"]
