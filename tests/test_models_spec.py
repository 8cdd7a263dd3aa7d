import pytest

from jettag import config
from jettag.errors import JettagError
from jettag.models.spec import (
    DeepSetsSpec,
    IP3DSpec,
    RNNSpec,
    TransformerSpec,
    arch_from_spec,
    set_depth,
    set_width,
)


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


# --------------------------------------------------------------------------------------------
# capacity scan: set_width / set_depth


def _spec(kind, **keys):
    return {"type": kind, "name": "m", **keys}


def test_set_width_deepsets_keeps_layer_counts():
    spec = _spec("deepsets", phi_layers=[10, 20])
    set_width(spec, 64)
    assert spec["phi_layers"] == [64, 64]
    assert spec["f_layers"] == [64] * len(DeepSetsSpec().f_layers)  # default taken when unset
    assert isinstance(arch_from_spec(spec), DeepSetsSpec)


def test_set_width_rnn_and_transformer():
    spec = _spec("rnn", head_layers=[5])
    set_width(spec, 32)
    assert (spec["hidden"], spec["head_layers"]) == (32, [32])
    spec = _spec("transformer", num_heads=2, init_layers=[8, 8])
    set_width(spec, 48)
    assert (spec["embed_dim"], spec["ff_dim"]) == (48, 96)
    assert spec["init_layers"] == [48, 48] and spec["head_layers"] == [48, 48]
    arch = arch_from_spec(spec)
    assert (arch.embed_dim, arch.num_heads) == (48, 2)


def test_set_depth_per_type():
    spec = _spec("deepsets", phi_layers=[10, 30, 20])
    set_depth(spec, 2)
    assert spec["phi_layers"] == [30, 30]
    assert spec["f_layers"] == [max(DeepSetsSpec().f_layers)] * 2
    for kind in ("rnn", "transformer"):
        spec = _spec(kind)
        set_depth(spec, 5)
        assert spec == {**_spec(kind), "num_layers": 5}


def test_set_width_keeps_other_keys_and_key_order():
    spec = _spec("deepsets", fc=0.1, phi_layers=[1], pooling="mean")
    set_width(spec, 3)
    assert list(spec) == ["type", "name", "fc", "phi_layers", "pooling", "f_layers"]
    assert spec["pooling"] == "mean" and spec["fc"] == 0.1


@pytest.mark.parametrize(
    ("apply", "spec", "match"),
    [
        (lambda s: set_width(s, 0), _spec("deepsets"), "model 'm': width 0 must be at least 1"),
        (lambda s: set_depth(s, 0), _spec("rnn"), "model 'm': depth 0 must be at least 1"),
        (lambda s: set_width(s, 0), _spec("ip3d"), "width 0 must be at least 1"),
        (lambda s: set_width(s, 30), _spec("transformer"), "width 30 must divide by num_heads 4"),
        (lambda s: set_width(s, 6), _spec("transformer", num_heads=2, pool_heads=4), "pool_heads"),
        (lambda s: set_width(s, 8), _spec("ip3d"), "model 'm' of type 'ip3d' has no width to scan"),
        (lambda s: set_depth(s, 2), _spec("ip3d"), "model 'm' of type 'ip3d' has no depth to scan"),
        (lambda s: set_width(s, 8), _spec("nope"), "of type 'nope' has no width to scan"),
        (lambda s: set_depth(s, 2), _spec("nope"), "of type 'nope' has no depth to scan"),
    ],
)
def test_scan_errors(apply, spec, match):
    before = dict(spec)
    with pytest.raises(JettagError, match=match):
        apply(spec)
    assert spec == before  # nothing changed


def test_scan_methods_on_the_spec_classes():
    assert DeepSetsSpec(phi_layers=(4,), f_layers=(2, 3)).width_overrides(7, "m") == {
        "phi_layers": [7],
        "f_layers": [7, 7],
    }
    assert RNNSpec().depth_overrides(3, "m") == {"num_layers": 3}
    with pytest.raises(JettagError, match="has no width"):
        IP3DSpec().width_overrides(8, "m")
    # current(): the values as written, unconverted and unvalidated
    assert TransformerSpec.current({"type": "transformer", "embed_dim": 30}).embed_dim == 30
