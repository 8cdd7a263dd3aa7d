"""The model families: one line per model ``type`` of the config.

A family pairs the architecture settings of a type (a ``jettag.models.spec`` dataclass, whose
``TYPE`` is the config's ``type``) with the model class built from them. The class is named
``"module:Class"`` and imported on first use, so reading specs needs no model code.

Adding a model: its module (a ``torch.nn.Module`` taking the spec dataclass first), its spec
dataclass in ``jettag.models.spec``, one line in ``FAMILIES`` and its keys in the schema's
``$defs/model``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jettag.errors import JettagError
from jettag.models.spec import (
    DeepSetsSpec,
    IP3DSpec,
    RNNSpec,
    SpecBase,
    TransformerSpec,
    arch_from_spec,
    jet_inputs,
    track_inputs,
)

if TYPE_CHECKING:
    from torch import nn

#: ``(spec, norm, feature_names, jet_feature_names) -> the model's arguments after the spec dataclass``
ModelArgs = Callable[..., tuple]


def neural_args(
    spec: dict, norm: dict | None, feature_names: list, jet_feature_names: list
) -> tuple:
    """A neural tagger's inputs and their normalisation (``jettag.models.base.NeuralTagger``)."""
    return (track_inputs(spec), jet_inputs(spec), norm, feature_names, jet_feature_names)


def template_args(
    spec: dict, norm: dict | None, feature_names: list, jet_feature_names: list
) -> tuple:
    """A template tagger reads fixed columns and needs no normalisation."""
    return (feature_names, jet_feature_names)


@dataclass(frozen=True)
class Family:
    spec: type[SpecBase]
    model: str  # "module:Class"
    args: ModelArgs = neural_args

    @property
    def type(self) -> str:
        return self.spec.TYPE

    def model_class(self) -> type[nn.Module]:
        module, _, name = self.model.partition(":")
        return getattr(importlib.import_module(module), name)


FAMILIES: dict[str, Family] = {
    f.type: f
    for f in (
        Family(DeepSetsSpec, "jettag.models.deepsets:DeepSets"),
        Family(RNNSpec, "jettag.models.rnn:RNNTagger"),
        Family(TransformerSpec, "jettag.models.transformer:TransformerTagger"),
        Family(IP3DSpec, "jettag.models.ip3d:IP3D", args=template_args),
    )
}


def specs() -> dict[str, type[SpecBase]]:
    """type -> spec dataclass (``jettag.models.spec`` reads it for key checks and capacity scans)."""
    return {kind: f.spec for kind, f in FAMILIES.items()}


def build_model(
    spec: dict,
    norm: dict | None,
    feature_names: Sequence[str],
    jet_feature_names: Sequence[str] = (),
) -> nn.Module:
    """Build an (untrained) model from its spec.

    ``feature_names`` / ``jet_feature_names`` are the column names of the HDF5 ``tracks`` / ``jets``
    datasets (their ``features`` attrs); ``norm`` is the content of norm.json. ``type: ip3d`` gives
    an unfitted IP3D (uniform templates); use ``jettag.models.ip3d.fit_ip3d`` to fit one.
    """
    if not isinstance(spec, dict):
        raise JettagError(f"model spec must be a mapping, got {type(spec).__name__}")
    arch = arch_from_spec(spec)  # unknown types and keys are refused here
    family = FAMILIES[arch.TYPE]
    feature_names = [str(n) for n in feature_names]
    jet_feature_names = [str(n) for n in jet_feature_names]
    args = family.args(spec, norm, feature_names, jet_feature_names)
    return family.model_class()(arch, *args)
