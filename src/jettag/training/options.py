"""A spec's training options: its ``training`` keys over the schema's training defaults."""

from __future__ import annotations

from jettag.config import defaults, merge


def training_options(spec: dict) -> dict:
    """``spec["training"]`` completed with the schema's ``training`` defaults (nested keys too)."""
    return merge(defaults("training"), spec.get("training", {}))
