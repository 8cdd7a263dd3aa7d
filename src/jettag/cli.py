"""The ``jettag`` command: one verb per workflow step. Thin: parsing here, logic in the package.

Every verb that needs configuration takes ``--spec``: a JSON object, or ``@FILE`` naming a JSON or
YAML file, holding the relevant section of a resolved config (the Snakemake rules pass exactly the
section they depend on, so a config change reruns only what it affects).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from jettag.errors import JettagError


def parse_spec(text: str | None) -> dict:
    if text is None:
        return {}
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.is_file():
            raise JettagError(f"spec file {path} does not exist")
        import yaml

        return yaml.safe_load(path.read_text()) or {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JettagError(f"--spec is not valid JSON ({exc}); pass a JSON object or @file.yaml") from None
    if not isinstance(value, dict):
        raise JettagError("--spec must be a JSON object")
    return value


# verb -> (module, function, help, [(flags, kwargs), ...]); the function receives the parsed
# arguments as keyword arguments (``spec`` already decoded).
VERBS: dict[str, tuple[str, str, str, list]] = {
    "generate": (
        "jettag.generate", "generate_shard",
        "Generate one shard of a sample (Pythia8 + FastJet + detector emulation) as ROOT.",
        [
            (["--spec"], {"required": True, "help": "the sample's `generator` config section"}),
            (["--shard"], {"type": int, "default": 0}),
            (["--output"], {"required": True, "type": Path}),
            (["--no-progress"], {"action": "store_true", "dest": "no_progress"}),
        ],
    ),
    "preprocess": (
        "jettag.preprocess", "run_preprocessing",
        "Select, derive, sort, pad, split, reweight and normalise jets into HDF5.",
        [
            (["--spec"], {"required": True, "help": "the `preprocess` config section"}),
            (["--input-spec"], {"dest": "input_spec", "default": None, "help": "the sample's `input` section"}),
            (["--inputs"], {"nargs": "+", "required": True, "help": "ROOT files"}),
            (["--output-dir"], {"dest": "output_dir", "required": True, "type": Path}),
            (["--sample"], {"default": "sample"}),
        ],
    ),
    "preprocess-file": (
        "jettag.preprocess.parts", "preprocess_file",
        "Preprocess one input file into a part file (the per-file step of `preprocess`).",
        [
            (["--spec"], {"required": True, "help": "the `preprocess` config section"}),
            (["--input-spec"], {"dest": "input_spec", "default": None, "help": "the sample's `input` section"}),
            (["--input"], {"required": True, "help": "one ROOT file"}),
            (["--output"], {"required": True, "type": Path, "help": "the part file (HDF5)"}),
        ],
    ),
    "preprocess-merge": (
        "jettag.preprocess.parts", "merge_parts",
        "Merge part files into the split files, reweighting and normalisation of `preprocess`.",
        [
            (["--spec"], {"required": True, "help": "the `preprocess` config section"}),
            (["--parts"], {"nargs": "+", "required": True, "help": "part files, in input order"}),
            (["--output-dir"], {"dest": "output_dir", "required": True, "type": Path}),
            (["--sample"], {"default": "sample"}),
        ],
    ),
    "train": (
        "jettag.training", "train_model",
        "Train one tagger (or build IP3D-like templates) and write checkpoints and loss history.",
        [
            (["--spec"], {"required": True, "help": "the model spec (model + merged training)"}),
            (["--data-dir"], {"dest": "data_dir", "required": True, "type": Path}),
            (["--output-dir"], {"dest": "output_dir", "required": True, "type": Path}),
        ],
    ),
    "export": (
        "jettag.models.export", "export_onnx",
        "Export a trained tagger to ONNX (normalisation inside) and check parity with torch.",
        [
            (["--checkpoint"], {"required": True, "type": Path}),
            (["--data"], {"required": True, "type": Path, "help": "an HDF5 split for the parity check"}),
            (["--output"], {"required": True, "type": Path}),
        ],
    ),
    "evaluate": (
        "jettag.evaluation.scores", "evaluate_checkpoint",
        "Score a split with a trained tagger; write p_b, p_c, p_u per jet.",
        [
            (["--checkpoint"], {"required": True, "type": Path}),
            (["--data"], {"required": True, "type": Path}),
            (["--output"], {"required": True, "type": Path}),
            (["--tagger"], {"required": True}),
            (["--fc"], {"type": float, "default": None}),
        ],
    ),
    "metrics": (
        "jettag.evaluation.performance", "write_performance_table",
        "Working points, rejections with errors and AUC for every tagger -> performance.csv.",
        [
            (["--spec"], {"required": True, "help": "the `evaluation` config section"}),
            (["--scores"], {"nargs": "+", "required": True, "type": Path}),
            (["--output"], {"required": True, "type": Path}),
        ],
    ),
    "comparisons": (
        "jettag.evaluation.comparisons", "write_comparisons",
        "Paired bootstrap comparison of every tagger with the reference -> comparisons.csv.",
        [
            (["--spec"], {"required": True, "help": "the `evaluation` config section (+ `members`: seeds)"}),
            (["--scores"], {"nargs": "+", "required": True, "type": Path}),
            (["--output"], {"required": True, "type": Path}),
        ],
    ),
    "summary": (
        "jettag.report", "write_summary",
        "The report's summary page: performance table, ROC figure, one headline per study.",
        [
            (["--spec"], {"default": None, "help": "facts shown in the summary (e.g. config_hash)"}),
            (["--performance"], {"required": True, "type": Path, "help": "performance.csv"}),
            (["--roc"], {"required": True, "type": Path, "help": "the ROC figure (PNG)"}),
            (["--studies"], {"nargs": "*", "default": [], "type": Path, "help": "study tables (CSV)"}),
            (["--output"], {"required": True, "type": Path}),
        ],
    ),
    "plot": (
        "jettag.plotting", "make_plot",
        "Draw one kind of plot (roc, discriminant, pt, loss, inputs, ...).",
        [
            (["kind"], {}),
            (["--spec"], {"default": None, "help": "plot options: label, evaluation settings"}),
            (["--inputs"], {"nargs": "+", "required": True, "type": Path}),
            (["--output"], {"required": True, "type": Path, "help": "first output; siblings in other formats"}),
        ],
    ),
    "config": (
        "jettag.config", "write_resolved",
        "Validate a config, fill in every default and write it as YAML.",
        [
            (["--spec"], {"required": True, "help": "a config (JSON or @file.yaml)"}),
            (["--output"], {"required": True, "type": Path}),
        ],
    ),
    "inspect": (
        "jettag.io.inspect", "inspect_file",
        "List trees and branches of a ROOT file and propose an input mapping.",
        [
            (["file"], {"type": Path}),
            (["--branches"], {"action": "store_true", "help": "also list every branch and its type"}),
        ],
    ),
    "apply": (
        "jettag.apply", "apply_tagger",
        "Run a trained tagger (checkpoint or ONNX) on mapped ROOT files and write scores.",
        [
            (["--model"], {"required": True, "type": Path}),
            (["--spec"], {"default": None, "help": "preprocess section plus `input` mapping"}),
            (["--config"], {"default": None, "type": Path, "help": "a config file (instead of --spec)"}),
            (["--sample"], {"default": None, "help": "with --config: the sample whose input and files to use"}),
            (["--inputs"], {"nargs": "+", "default": None, "help": "files (default: the sample's files)"}),
            (["--output"], {"required": True, "type": Path}),
        ],
    ),
    "export-ftag": (
        "jettag.export", "export_sample",
        "Write a sample as an ATLAS flavour-tagging HDF5 file (jets, tracks; MeV) for salt/UPP/puma.",
        [
            (["--spec"], {"default": None, "help": "`input` mapping (JSON or @file); default generator files"}),
            (["--config"], {"default": None, "type": Path, "help": "a config file (instead of --spec)"}),
            (["--sample"], {"default": None, "help": "with --config: the sample to export"}),
            (["--inputs"], {"nargs": "+", "default": None, "help": "files (default: the sample's files)"}),
            (["--max-tracks"], {"dest": "max_tracks", "type": int, "default": 40}),
            (["--output"], {"required": True, "type": Path}),
        ],
    ),
    "lr-find": (
        "jettag.training.lr_range", "run_lr_range_test",
        "Learning-rate range test: loss vs learning rate in log space.",
        [
            (["--spec"], {"required": True}),
            (["--data-dir"], {"dest": "data_dir", "required": True, "type": Path}),
            (["--output"], {"required": True, "type": Path, "help": "CSV; a plot is written beside it"}),
        ],
    ),
    "study": (
        "jettag.studies.cli", "run_study_step",
        "One step of a study (fan-out job or aggregation); see docs/studies.md.",
        [
            (["study"], {}),
            (["step"], {}),
            (["--spec"], {"default": None}),
            (["--inputs"], {"nargs": "*", "default": [], "type": Path}),
            (["--output"], {"required": True, "type": Path}),
            (["--data-dir"], {"dest": "data_dir", "default": None, "type": Path}),
        ],
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jettag", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="verb", required=True)
    for verb, (_, _, help_text, arguments) in VERBS.items():
        p = sub.add_parser(verb, help=help_text, description=help_text)
        for flags, kwargs in arguments:
            p.add_argument(*flags, **kwargs)
    return parser


def _version() -> str:
    from jettag import __version__

    return f"jettag {__version__}"


def main(argv: list[str] | None = None) -> int:
    args = vars(build_parser().parse_args(argv))
    verb = args.pop("verb")
    module_name, func_name, _, _ = VERBS[verb]
    try:
        for key in ("spec", "input_spec"):
            if key in args:
                args[key] = parse_spec(args[key])
        func = getattr(importlib.import_module(module_name), func_name)
        func(**args)
    except JettagError as exc:
        print(f"jettag {verb}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"jettag {verb}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
