import pytest
import torch
from torch.nn import functional as F

from jettag.models import build_model
from jettag.models.deepsets import DeepSets
from tests.model_inputs import FEAT, JETF, NORM, batch

SMALL = {"type": "deepsets", "phi_layers": [16, 16], "f_layers": [16, 8]}


def model(**kw):
    torch.manual_seed(0)
    return build_model({**SMALL, **kw}, NORM, FEAT, JETF)


def test_build_and_shapes():
    m = model()
    assert isinstance(m, DeepSets)
    assert m.track_feature_names[:2] == ("sd0", "sz0")
    out = m(*batch())
    assert set(out) == {"logits"} and out["logits"].shape == (6, 3)


@pytest.mark.parametrize(
    "kw", [{}, {"norm": "batchnorm"}, {"pooling": "mean", "condition_on_jet": True}]
)
def test_permutation_and_padding_invariance(kw):
    m = model(**kw)
    m.train()
    m(*batch())  # update batch-norm running stats once
    m.eval()
    tracks, valid, jets = batch()
    ref = m(tracks, valid, jets)["logits"]
    perm = torch.tensor([4, 2, 0, 3, 1])  # jet 4 has 5 valid tracks
    t2 = tracks.clone()
    t2[4, :5] = tracks[4, perm]
    assert torch.allclose(m(t2, valid, jets)["logits"], ref, atol=1e-5)
    # more padded slots with garbage, and garbage in existing padded slots
    extra = 3
    t3 = torch.cat([tracks, torch.full((6, extra, len(FEAT)), 1e4)], dim=1)
    t3[:, :7][~valid] = float("nan")
    v3 = torch.cat([valid, torch.zeros(6, extra, dtype=torch.bool)], dim=1)
    assert torch.allclose(m(t3, v3, jets)["logits"], ref, atol=1e-5)


def test_padding_invariance_in_training_with_batchnorm():
    m = model(norm="batchnorm", dropout=0.0).train()
    tracks, valid, jets = batch()
    torch.manual_seed(3)
    ref = m(tracks, valid, jets)["logits"]
    t3 = torch.cat([tracks, 7 * torch.ones(6, 4, len(FEAT))], dim=1)
    v3 = torch.cat([valid, torch.zeros(6, 4, dtype=torch.bool)], dim=1)
    assert torch.allclose(m(t3, v3, jets)["logits"], ref, atol=1e-5)


@pytest.mark.parametrize(
    "kw", [{}, {"norm": "batchnorm", "residual": True, "condition_on_jet": True}]
)
def test_gradients_reach_every_parameter_and_zero_track_jets_finite(kw):
    m = model(**kw).train()
    tracks, valid, jets = batch()
    tracks.requires_grad_(True)
    out = m(tracks, valid, jets)["logits"]
    assert torch.isfinite(out).all()
    loss = F.cross_entropy(out, torch.tensor([0, 1, 2, 0, 1, 2]))
    loss.backward()
    assert torch.isfinite(tracks.grad).all()
    for name, p in m.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name
    # all jets empty
    m.zero_grad()
    out = m(torch.zeros(3, 4, len(FEAT)), torch.zeros(3, 4, dtype=torch.bool), jets[:3])["logits"]
    out.sum().backward()
    assert torch.isfinite(out).all()
    assert all(torch.isfinite(p.grad).all() for p in m.parameters() if p.grad is not None)


@pytest.mark.parametrize(
    "kw",
    [{}, {"norm": "batchnorm", "residual": True}, {"pooling": "mean", "condition_on_jet": True},
     {"norm": "layernorm", "activation": "gelu"}],
)
def test_packed_forward_equals_padded_forward(kw):
    """phi on the valid tracks only, summed per jet, computes what the padded forward computes:
    outputs and gradients (inputs included), same weights; scattered valid slots, empty jets."""
    m = model(**kw).train()
    twin = model(**kw).train()
    twin.load_state_dict(m.state_dict())
    twin.packed = False
    g = torch.Generator().manual_seed(5)
    n = torch.arange(32) % 13  # 0..12 tracks
    valid = (torch.arange(12)[None] < n[:, None])[:, torch.randperm(12, generator=g)]
    tracks = torch.randn(32, 12, len(FEAT), generator=g) * valid[..., None]
    jets = torch.randn(32, len(JETF), generator=g)
    label = torch.randint(0, 3, (32,), generator=g)
    outs, grads = [], []
    for net in (m, twin):
        x = tracks.clone().requires_grad_(True)
        out = net(x, valid, jets)["logits"]
        F.cross_entropy(out, label).backward()
        outs.append(out)
        grads.append({"inputs": x.grad, **{k: p.grad for k, p in net.named_parameters()}})
    assert torch.allclose(outs[0], outs[1], atol=1e-5)
    for name, grad in grads[0].items():
        assert torch.allclose(grad, grads[1][name], atol=1e-5, rtol=1e-4), name
    assert grads[0]["inputs"][~valid].abs().max() == 0  # padded slots do not take part
