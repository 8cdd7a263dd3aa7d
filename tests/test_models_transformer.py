import pytest
import torch
from torch.nn import functional as F

from jettag.flavours import TRACK_ORIGINS
from jettag.models import build_model
from jettag.models.transformer import TransformerTagger
from tests.model_inputs import FEAT, JETF, NORM, batch

SMALL = {
    "type": "transformer",
    "embed_dim": 16,
    "init_layers": [16],
    "num_layers": 2,
    "num_heads": 2,
    "ff_dim": 16,
    "head_layers": [16],
    "aux_layers": [8],
}


def model(**kw):
    torch.manual_seed(0)
    return build_model({**SMALL, **kw}, NORM, FEAT, JETF)


def test_outputs():
    m = model()
    assert isinstance(m, TransformerTagger)
    assert m.jet_feature_names == ("log_pt", "abs_eta")
    out = m(*batch())
    assert out["logits"].shape == (6, 3)
    assert out["track_logits"].shape == (6, 7, len(TRACK_ORIGINS))
    assert "track_logits" not in model(aux_head=False)(*batch())


@pytest.mark.parametrize("kw", [{}, {"pool_heads": 2, "activation": "gelu", "norm": "layernorm"}])
def test_permutation_and_padding_invariance(kw):
    m = model(**kw).eval()
    tracks, valid, jets = batch()
    ref = m(tracks, valid, jets)
    perm = torch.tensor([4, 2, 0, 3, 1])
    t2 = tracks.clone()
    t2[4, :5] = tracks[4, perm]
    out2 = m(t2, valid, jets)
    assert torch.allclose(out2["logits"], ref["logits"], atol=1e-5)
    assert torch.allclose(out2["track_logits"][4, :5], ref["track_logits"][4, perm], atol=1e-5)
    t3 = torch.cat([tracks, torch.full((6, 5, len(FEAT)), float("nan"))], dim=1)
    t3[:, :7][~valid] = -1e5
    v3 = torch.cat([valid, torch.zeros(6, 5, dtype=torch.bool)], dim=1)
    out3 = m(t3, v3, jets)
    assert torch.allclose(out3["logits"], ref["logits"], atol=1e-5)
    assert torch.allclose(out3["track_logits"][:, :7][valid], ref["track_logits"][valid], atol=1e-5)
    assert torch.isfinite(out3["track_logits"]).all()


@pytest.mark.parametrize("train", [True, False])
def test_zero_track_jets_finite_everywhere(train):
    m = model(norm="batchnorm").train(train)
    tracks, valid, jets = batch()
    for t, v in (
        (tracks, valid),
        (torch.zeros(3, 4, len(FEAT)), torch.zeros(3, 4, dtype=torch.bool)),
    ):
        t = t.clone().requires_grad_(True)
        with torch.set_grad_enabled(True):
            out = m(t, v, jets[: len(t)])
            assert torch.isfinite(out["logits"]).all() and torch.isfinite(out["track_logits"]).all()
            (out["logits"].sum() + out["track_logits"].sum()).backward()
        assert torch.isfinite(t.grad).all()
        assert all(torch.isfinite(p.grad).all() for p in m.parameters() if p.grad is not None)
        m.zero_grad()
    with torch.no_grad():  # the eval fast path of nn.TransformerEncoderLayer too
        out = m.eval()(torch.zeros(3, 4, len(FEAT)), torch.zeros(3, 4, dtype=torch.bool), jets[:3])
        assert torch.isfinite(out["logits"]).all()


def test_gradients_reach_every_parameter_including_aux_head():
    m = model(residual=True, norm="batchnorm", dropout=0.1, attn_dropout=0.1).train()
    tracks, valid, jets = batch()
    out = m(tracks, valid, jets)
    origin = torch.randint(0, len(TRACK_ORIGINS), valid.shape).masked_fill(~valid, -1)
    loss = F.cross_entropy(out["logits"], torch.tensor([0, 1, 2, 0, 1, 2]))
    loss = loss + 0.5 * F.cross_entropy(
        out["track_logits"].flatten(0, 1), origin.flatten(), ignore_index=-1
    )
    loss.backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_export_attention_equals_module_attention():
    m = model().eval()
    tracks, valid, jets = batch()
    with torch.no_grad():
        ref = m(tracks, valid, jets)
        m.export_path = True
        alt = m(tracks, valid, jets)
    assert torch.allclose(ref["logits"], alt["logits"], atol=1e-5)
    assert torch.allclose(ref["track_logits"][valid], alt["track_logits"][valid], atol=1e-5)




@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("kw", [{}, {"norm": "batchnorm", "pool_heads": 2}, {"activation": "gelu", "norm": "layernorm"}])
def test_packed_forward_equals_padded_forward(train, kw):
    """The packed forward (work on attending tracks only, fused attention) computes what the
    padded nn.TransformerEncoderLayer forward computes: outputs and gradients, same weights."""
    m = model(**kw).train(train)
    twin = model(**kw)
    twin.load_state_dict(m.state_dict())
    twin.packed = False
    twin.train(train)
    tracks, valid, jets = batch(length=9)
    origin = torch.randint(0, len(TRACK_ORIGINS), valid.shape).masked_fill(~valid, -1)
    grads = []
    outs = []
    for net in (m, twin):
        out = net(tracks, valid, jets)
        loss = F.cross_entropy(out["logits"], torch.tensor([0, 1, 2, 0, 1, 2])) + F.cross_entropy(
            out["track_logits"].flatten(0, 1), origin.flatten(), ignore_index=-1)
        loss.backward()
        outs.append(out)
        grads.append({n: p.grad.clone() for n, p in net.named_parameters()})
    a, b = outs
    assert torch.allclose(a["logits"], b["logits"], atol=1e-5)
    assert torch.allclose(a["track_logits"], b["track_logits"], atol=1e-5)  # padding zero in both
    assert a["track_logits"][~valid].abs().max() == 0
    for name, g in grads[0].items():
        assert torch.allclose(g, grads[1][name], atol=1e-5, rtol=1e-4), name


@pytest.mark.parametrize("kw", [{}, {"norm": "batchnorm", "pool_heads": 2}])
def test_packed_forward_equals_padded_forward_on_many_track_counts(kw):
    """Every bucket of the packed attention (short jets several to a block-diagonal sequence,
    incomplete last sequences, long jets one per sequence) and scattered valid slots: outputs and
    gradients equal those of the padded forward."""
    m = model(**kw).train()
    twin = model(**kw)
    twin.load_state_dict(m.state_dict())
    twin.packed = False
    twin.train()
    g = torch.Generator().manual_seed(3)
    n = torch.arange(64) % 41  # 0..40 tracks, empty jets included
    valid = (torch.arange(40)[None] < n[:, None])[:, torch.randperm(40, generator=g)]
    tracks = torch.randn(64, 40, len(FEAT), generator=g) * valid[..., None]
    jets = torch.randn(64, len(JETF), generator=g)
    label = torch.randint(0, 3, (64,), generator=g)
    origin = torch.randint(0, len(TRACK_ORIGINS), valid.shape, generator=g).masked_fill(~valid, -1)
    outs, grads = [], []
    for net in (m, twin):
        out = net(tracks, valid, jets)
        loss = F.cross_entropy(out["logits"], label) + F.cross_entropy(
            out["track_logits"].flatten(0, 1), origin.flatten(), ignore_index=-1)
        loss.backward()
        outs.append(out)
        grads.append({k: p.grad for k, p in net.named_parameters()})
    for key in ("logits", "track_logits"):
        assert torch.allclose(outs[0][key], outs[1][key], atol=1e-5), key
    for name, grad in grads[0].items():
        assert torch.allclose(grad, grads[1][name], atol=1e-5, rtol=1e-4), name


def test_parameter_names_and_shapes_unchanged():
    """Checkpoints of earlier versions (nn.TransformerEncoderLayer parameters) still load."""
    m = model()
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert shapes["layers.0.self_attn.in_proj_weight"] == (48, 16)
    assert shapes["layers.1.self_attn.out_proj.weight"] == (16, 16)
    assert shapes["layers.0.linear1.weight"] == (16, 16) and "layers.1.norm2.bias" in shapes
    assert sum(k.startswith("layers.") for k in shapes) == 2 * 12

