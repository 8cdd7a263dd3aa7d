import pytest

from jettag import config
from jettag.errors import JettagError
from jettag.models.spec import DeepSetsSpec, IP3DSpec, RNNSpec, TransformerSpec, arch_from_spec


def test_defaults_and_from_config():
    assert DeepSetsSpec().phi_layers == (100, 100, 128)
    assert DeepSetsSpec().f_layers == (100, 100, 100, 30)
    assert RNNSpec().hidden == 100 and RNNSpec().cell == "lstm"
    t = TransformerSpec()
    assert (t.embed_dim, t.num_layers, t.num_heads, t.condition_on_jet) == (64, 3, 4, True)
    cfg = config.resolve(
        {
            "models": {
                "ip3d": {"type": "ip3d"},
                "gn": {"type": "transformer", "embed_dim": 32, "num_heads": 2, "fc": 0.2},
            }
        }
    )
    spec = config.model_spec(cfg, "gn")
    arch = arch_from_spec(spec)
    assert isinstance(arch, TransformerSpec) and arch.embed_dim == 32 and arch.num_heads == 2
    assert isinstance(arch_from_spec({"type": "ip3d", "sd0_edges": [0, 1, 2]}), IP3DSpec)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"type": "deepsets", "hiden": 3}, "unknown key 'hiden'"),
        ({"type": "deepsets", "cell": "gru"}, "'cell' does not apply to type 'deepsets'"),
        ({"type": "ip3d", "dropout": 0.1}, "'dropout' does not apply"),
        ({"type": "rnn", "hidden": "big"}, "hidden"),
        ({"type": "rnn", "hidden": 1.5}, "hidden"),
        ({"type": "rnn", "cell": "lstmm"}, "cell"),
        ({"type": "transformer", "embed_dim": 30, "num_heads": 4}, "divide"),
        ({"type": "deepsets", "dropout": 1.5}, "dropout"),
        ({"type": "deepsets", "phi_layers": [0]}, "positive"),
        ({"type": "nope"}, "unknown type"),
    ],
)
def test_bad_specs_name_the_key(spec, match):
    with pytest.raises(JettagError, match=match):
        arch_from_spec({**spec, "name": "m"})


def test_schema_documents_every_architecture_key():
    from dataclasses import fields

    props = config.schema()["$defs"]["model"]["properties"]
    for cls in (DeepSetsSpec, RNNSpec, TransformerSpec, IP3DSpec):
        for f in fields(cls):
            assert f.name in props and props[f.name].get("description"), f.name
    with pytest.raises(JettagError, match="hidden"):
        config.resolve({"models": {"ip3d": {"type": "ip3d"}, "r": {"type": "rnn", "hidden": 0}}})
