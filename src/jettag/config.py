"""Load, validate and complete a jettag configuration.

The schema (``jettag/schema/config.schema.yaml``, also reachable as
``workflow/schemas/config.schema.yaml``) holds every default. Validation errors name the key
path and the file, e.g. ``config/config.yaml: training.learning_rate: -1 is less than 0``.
Config is data: nothing in it is ever evaluated as code.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from jettag.errors import JettagError

SCHEMA_NAME = "config.schema.yaml"


@functools.cache
def _schema() -> dict:
    return yaml.safe_load(resources.files("jettag.schema").joinpath(SCHEMA_NAME).read_text())


def schema() -> dict:
    """The config schema (a fresh copy each call; the file is parsed once)."""
    return copy.deepcopy(_schema())


def _with_defaults(cls):
    validate_properties = cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, sch):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, sch)

    return jsonschema.validators.extend(cls, {"properties": set_defaults})


_Validator = _with_defaults(jsonschema.Draft202012Validator)


def _path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "(top level)"


def resolve(config: dict[str, Any], source: str = "config") -> dict[str, Any]:
    """Return a validated copy of ``config`` with every default filled in."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise JettagError(f"{source}: the configuration must be a mapping of keys, got {type(config).__name__}")
    cfg = copy.deepcopy(config)
    validator = _Validator(_schema())
    errors = sorted(validator.iter_errors(cfg), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        hint = e.schema.get("errorMessage") if isinstance(e.schema, dict) else None
        raise JettagError(f"{source}: {_path(e)}: {e.message}{f' ({hint})' if hint else ''}{more}")
    _check_cross_references(cfg, source)
    return cfg


def load(path: str | Path, overrides: dict | None = None) -> dict[str, Any]:
    """Read a YAML config file, apply ``overrides`` (nested dict) and resolve it."""
    path = Path(path)
    if not path.is_file():
        raise JettagError(f"config file {path} does not exist: pass an existing YAML file")
    try:
        cfg = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise JettagError(f"{path}: not valid YAML: {exc}") from None
    if overrides:
        cfg = merge(cfg, overrides)
    return resolve(cfg, str(path))


@functools.cache
def _defaults() -> dict:
    filled: dict[str, Any] = {}
    _Validator(_schema()).validate(filled)  # an empty config is valid: this fills in every default
    return filled


def defaults(section: str) -> dict[str, Any]:
    """The schema's defaults of one top-level ``section`` (e.g. ``training``), nested keys included."""
    return copy.deepcopy(_defaults()[section])


def merge(base: dict, update: dict) -> dict:
    """Recursive dict merge; ``update`` wins. Neither input is modified."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def model_spec(cfg: dict, name: str) -> dict:
    """A model's full spec: its own keys plus ``training`` defaults merged under its ``training``."""
    if name not in cfg["models"]:
        raise JettagError(f"model '{name}' is not defined under 'models' in the config; defined: {sorted(cfg['models'])}")
    spec = copy.deepcopy(cfg["models"][name])
    spec["name"] = name
    spec["training"] = merge(cfg["training"], spec.get("training", {}))
    return spec


def config_hash(obj: Any) -> str:
    """A short stable hash of any JSON-serialisable object (recorded with every output)."""
    text = json.dumps(obj, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_cross_references(cfg: dict, source: str) -> None:
    if cfg["train_sample"] not in cfg["samples"]:
        raise JettagError(
            f"{source}: train_sample: '{cfg['train_sample']}' is not a key of 'samples' "
            f"({sorted(cfg['samples'])})"
        )
    ref = cfg["evaluation"]["reference"]
    if ref not in cfg["models"]:
        raise JettagError(f"{source}: evaluation.reference: '{ref}' is not a key of 'models'")
    for other in cfg["evaluation"].get("compare_to", []):
        if other not in cfg["models"]:
            raise JettagError(f"{source}: evaluation.compare_to: '{other}' is not a key of 'models'")
    for name, sample in cfg["samples"].items():
        if ("generator" in sample) == ("files" in sample):
            raise JettagError(
                f"{source}: samples.{name}: give exactly one of 'generator' (make the sample) "
                "or 'files' (read your own ROOT files)"
            )


def write_resolved(spec: dict, output: Path) -> None:
    """Validate ``spec``, fill in defaults and write it as YAML (atomically)."""
    from jettag.atomic import write_text_atomic

    resolved = resolve(spec, "config")
    resolved["config_hash"] = config_hash(resolved)
    write_text_atomic(output, yaml.safe_dump(resolved, sort_keys=False))
