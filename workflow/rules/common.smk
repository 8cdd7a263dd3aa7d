# Shared helpers: the resolved config, paths, per-rule resources and input functions.
# Every result path comes from jettag.paths.ResultPaths (PATHS below).
import glob
import json
import sys

from jettag import config as jettag_config
from jettag.errors import JettagError
from jettag.paths import ResultPaths
from jettag.taggers import plan_tagger

try:
    _resolved = jettag_config.resolve(config, "workflow config")
except JettagError as _error:
    sys.exit(f"jettag: config error: {_error}")
config.clear()
config.update(_resolved)

PATHS = ResultPaths.of(config)
TRAIN_SAMPLE = config["train_sample"]
MODELS = list(config["models"])
NEURAL_MODELS = [m for m in MODELS if config["models"][m]["type"] != "ip3d"]
PLOT_FORMATS = config["plots"]["formats"]

# Score files that studies add to the performance table (e.g. ensembles); studies.smk appends.
EXTRA_SCORES = []
# Targets that studies add to `all`; studies.smk appends.
STUDY_TARGETS = []

# Resources per rule: threads, mem_mb, runtime (minutes). Overridden by config `resources`.
DEFAULT_RESOURCES = {
    "default": {"threads": 1, "mem_mb": 2000, "runtime": 30, "disk_mb": 0},
    "generate": {"threads": 1, "mem_mb": 2000, "runtime": 120},
    "preprocess": {"threads": 1, "mem_mb": 4000, "runtime": 60, "disk_mb": 20000},
    "train": {"threads": 1, "mem_mb": 4000, "runtime": 240},
    "evaluate": {"threads": 1, "mem_mb": 3000, "runtime": 30},
}


def res(rule_name, key):
    merged = dict(DEFAULT_RESOURCES["default"])
    merged.update(DEFAULT_RESOURCES.get(rule_name, {}))
    merged.update(config["resources"].get("default", {}))
    merged.update(config["resources"].get(rule_name, {}))
    return merged[key]


def rule_resources(rule_name):
    """A rule's memory, runtime and disk, under both scheduler-neutral and HTCondor names.

    The HTCondor plugin reads only its own names (htcondor_request_mem_mb, ...), and a profile
    cannot derive one resource from another, so the rules give both from the same config value.
    """
    mem = res(rule_name, "mem_mb")
    out = {
        "mem_mb": mem,
        "runtime": res(rule_name, "runtime"),
        "htcondor_request_mem_mb": mem,
    }
    disk = res(rule_name, "disk_mb")
    if disk:
        out |= {"disk_mb": disk, "htcondor_request_disk_mb": disk}
    return out


def as_json(obj):
    return json.dumps(obj, sort_keys=True)


def shard_spec(sample):
    """A generated sample's config as one shard sees it (the shard count does not change a shard)."""
    spec = dict(config["samples"][sample]["generator"])
    spec.pop("shards")
    return spec


def sample_files(sample):
    """ROOT inputs of a sample: generated shards, or the user's files (globs expanded)."""
    spec = config["samples"][sample]
    if "generator" in spec:
        n = spec["generator"]["shards"]
        return [PATHS.shard(sample, k) for k in range(n)]
    files = []
    for pattern in spec["files"]:
        matched = (
            sorted(glob.glob(pattern))
            if any(c in pattern for c in "*?[")
            else [pattern]
        )
        if not matched:
            sys.exit(f"jettag: samples.{sample}.files: '{pattern}' matches no file")
        files.extend(matched)
    return files


def tagger_plan(tagger):
    try:
        return plan_tagger(config, tagger)
    except JettagError as error:
        sys.exit(f"jettag: {error}")


def scores_file(tagger, sample=None):
    return PATHS.scores(sample or TRAIN_SAMPLE, tagger)


def train_sample_file(name):
    """An output of the preprocess rule (by name) for the training sample."""
    return expand(getattr(rules.preprocess.output, name), sample=TRAIN_SAMPLE)[0]


def plot_spec():
    return {
        "label": config["label"],
        "label_extra": config["label_extra"],
        "evaluation": config["evaluation"],
        "plots": config["plots"],
        "sample": TRAIN_SAMPLE,
        "preprocess": config["preprocess"],
    }


def main_plots():
    names = ["roc", "discriminant", "vs_pt", "inputs"]
    out = [PATHS.plot(n, PLOT_FORMATS[0]) for n in names]
    out += [PATHS.plot(f"loss_{m}", PLOT_FORMATS[0]) for m in NEURAL_MODELS]
    return out


def all_outputs():
    return (
        [PATHS.performance(), PATHS.resolved_config()]
        + main_plots()
        + [PATHS.onnx(m) for m in MODELS]
        + (
            [PATHS.lr_find(m, "png") for m in NEURAL_MODELS]
            if config["plots"]["lr_find"]
            else []
        )
        + STUDY_TARGETS
    )


def train_inputs(w):
    return tagger_plan(w.tagger).training_inputs()


def train_spec(w):
    return as_json(tagger_plan(w.tagger).training_spec())


def train_launcher(w):
    """`torchrun` for DistributedDataParallel training (training.ddp), else nothing."""
    opts = tagger_plan(w.tagger).spec["training"]
    if not opts["ddp"]:
        return ""
    return (
        f"torchrun --standalone --nproc_per_node {opts['nproc_per_node']} --no-python"
    )


def train_gpus(w):
    return tagger_plan(w.tagger).spec["training"]["gpus"]


def plot_outputs(stem, category, caption, subcategory=None):
    """Every configured format of one plot; the PNG (else the first format) goes in the report."""
    shown = "png" if "png" in PLOT_FORMATS else PLOT_FORMATS[0]
    outputs = []
    for ext in PLOT_FORMATS:
        path = f"{stem}.{ext}"
        if ext == shown:
            kwargs = {"subcategory": subcategory} if subcategory else {}
            path = report(path, category=category, caption=caption, **kwargs)
        outputs.append(path)
    return outputs


def performance_scores(w):
    return [scores_file(m) for m in MODELS]


wildcard_constraints:
    sample=r"[A-Za-z0-9_]+",
    shard=r"\d+",
    tagger=r"[A-Za-z0-9_.\-]+",
