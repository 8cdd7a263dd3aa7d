"""Planning helpers shared by the study modules: config sections, models, tagger names, paths."""

from __future__ import annotations

from jettag.config import model_spec
from jettag.errors import JettagError
from jettag.paths import ResultPaths
from jettag.tagger_names import seed_tagger, study_section

__all__ = ["base_seed", "history", "paths", "scores", "section", "seeds", "study_models"]

section = study_section


def paths(cfg: dict) -> ResultPaths:
    return ResultPaths.of(cfg)


def scores(cfg: dict, tagger: str, sample: str | None = None) -> str:
    """The scores file of ``tagger`` on ``sample`` (default: the training sample)."""
    return paths(cfg).scores(sample or cfg["train_sample"], tagger)


def history(cfg: dict, tagger: str) -> str:
    return paths(cfg).history(tagger)


def base_seed(cfg: dict, model: str) -> int:
    return int(model_spec(cfg, model)["training"]["seed"])


def seeds(cfg: dict, model: str, n: int) -> list[str]:
    """``n`` (at least one) trainings of ``model`` with consecutive seeds from its own."""
    first = base_seed(cfg, model)
    return [seed_tagger(cfg, model, first + k) for k in range(max(1, int(n)))]


def study_models(cfg: dict, study: str) -> list[str]:
    """The models a study runs on: ``studies.<study>.models``, else every neural model."""
    names = section(cfg, study).get("models")
    if names is None:
        return [m for m, s in cfg["models"].items() if s["type"] != "ip3d"]
    for name in names:
        if name not in cfg["models"]:
            raise JettagError(
                f"studies.{study}.models: '{name}' is not a model of the config ({sorted(cfg['models'])})"
            )
        if cfg["models"][name]["type"] == "ip3d":
            raise JettagError(
                f"studies.{study}.models: '{name}' is IP3D-like (templates, no training loop); "
                "studies need neural models"
            )
    return list(names)
