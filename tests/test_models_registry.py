from dataclasses import dataclass
from typing import ClassVar

import pytest
import torch
from torch import nn

from jettag import config
from jettag.errors import JettagError
from jettag.models.deepsets import DeepSets
from jettag.models.ip3d import IP3D
from jettag.models.registry import FAMILIES, Family, build_model, specs, template_args
from jettag.models.rnn import RNNTagger
from jettag.models.spec import SpecBase, arch_from_spec
from jettag.models.transformer import TransformerTagger
from jettag.models.wrappers import count_parameters
from tests.model_inputs import FEAT, JETF, NORM


def test_one_family_per_schema_type():
    types = config.schema()["$defs"]["model"]["properties"]["type"]["enum"]
    assert sorted(FAMILIES) == sorted(types)
    for kind, family in FAMILIES.items():
        assert family.type == kind == family.spec.TYPE
    assert specs() == {kind: f.spec for kind, f in FAMILIES.items()}


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("deepsets", DeepSets),
        ("rnn", RNNTagger),
        ("transformer", TransformerTagger),
        ("ip3d", IP3D),
    ],
)
def test_build_model_builds_the_family_class(kind, cls):
    assert FAMILIES[kind].model_class() is cls
    m = build_model({"type": kind}, NORM, FEAT, JETF)
    assert type(m) is cls and m.arch == FAMILIES[kind].spec()


def test_build_is_reproducible_under_a_seed():
    spec = {"type": "transformer", "embed_dim": 8, "num_heads": 2, "ff_dim": 8, "num_layers": 1}
    states = []
    for _ in range(2):
        torch.manual_seed(7)
        states.append(build_model(spec, NORM, FEAT, JETF).state_dict())
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


@dataclass(frozen=True)
class ToySpec(SpecBase):
    TYPE: ClassVar[str] = "toy"
    width: int = 4


class Toy(nn.Module):
    def __init__(self, arch, feature_names, jet_feature_names):
        super().__init__()
        self.arch = arch
        self.linear = nn.Linear(len(feature_names), arch.width)


def test_a_registered_family_is_built(monkeypatch):
    monkeypatch.setitem(FAMILIES, "toy", Family(ToySpec, f"{__name__}:Toy", args=template_args))
    m = build_model({"type": "toy", "width": 3}, NORM, FEAT, JETF)
    assert isinstance(m, Toy) and m.linear.out_features == 3
    assert isinstance(arch_from_spec({"type": "toy"}), ToySpec)
    with pytest.raises(JettagError, match="'width' does not apply to type 'deepsets'"):
        arch_from_spec({"type": "deepsets", "width": 3})


def test_default_models_parameter_counts():
    counts = {
        k: count_parameters(build_model({"type": k}, NORM, FEAT, JETF))
        for k in ("deepsets", "rnn", "transformer")
    }
    assert 20_000 < counts["deepsets"] < 200_000
    assert 20_000 < counts["rnn"] < 200_000
    assert 50_000 < counts["transformer"] < 500_000
    assert count_parameters(build_model({"type": "ip3d"}, NORM, FEAT, JETF)) == 0


def test_build_model_errors():
    with pytest.raises(JettagError, match="unknown type 'bdt'; choose one of"):
        build_model({"type": "bdt"}, NORM, FEAT, JETF)
    with pytest.raises(JettagError, match="must be a mapping"):
        build_model(["deepsets"], NORM, FEAT, JETF)
    with pytest.raises(JettagError, match="sd0"):
        build_model({"type": "deepsets"}, NORM, FEAT[2:], JETF)
    with pytest.raises(JettagError, match="unknown track feature"):
        build_model({"type": "deepsets", "track_features": ["ip", "nonsense"]}, NORM, FEAT, JETF)
    m = build_model(
        {"type": "deepsets", "track_features": ["ip", "hits"], "drop_features": ["sz0"]},
        NORM,
        FEAT,
        JETF,
    )
    assert m.track_feature_names[0] == "sd0" and "sz0" not in m.track_feature_names
