import pytest
import torch
from torch.nn import functional as F

from jettag.models import build_model
from jettag.models.rnn import RNNTagger, compact_valid_first
from tests.model_inputs import FEAT, JETF, NORM, batch


def model(**kw):
    torch.manual_seed(0)
    return build_model({"type": "rnn", "hidden": 8, "head_layers": [8], **kw}, NORM, FEAT, JETF)


def test_compact_valid_first_keeps_order():
    x = torch.arange(5.0).view(1, 5, 1)
    valid = torch.tensor([[False, True, False, True, True]])
    y, v = compact_valid_first(x, valid)
    assert y.flatten().tolist()[:3] == [1.0, 3.0, 4.0]
    assert v.tolist() == [[True, True, True, False, False]]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_padded_path_equals_packed_path(cell):
    m = model(cell=cell, num_layers=2).eval()
    assert isinstance(m, RNNTagger)
    tracks, valid, jets = batch()
    packed = m(tracks, valid, jets)["logits"]
    m.padded_path = True
    padded = m(tracks, valid, jets)["logits"]
    assert torch.allclose(packed, padded, atol=1e-6)


def test_order_matters_but_padding_and_holes_do_not():
    m = model().eval()
    tracks, valid, jets = batch()
    ref = m(tracks, valid, jets)["logits"]
    # the RNN reads the stored order: reversing valid tracks changes the output
    t2 = tracks.clone()
    t2[2] = tracks[2].flip(0)
    assert not torch.allclose(m(t2, valid, jets)["logits"][2], ref[2], atol=1e-4)
    # extra padded slots with garbage change nothing
    t3 = torch.cat([tracks, torch.full((6, 4, len(FEAT)), float("nan"))], dim=1)
    t3[:, :7][~valid] = 1e5
    v3 = torch.cat([valid, torch.zeros(6, 4, dtype=torch.bool)], dim=1)
    assert torch.allclose(m(t3, v3, jets)["logits"], ref, atol=1e-5)
    # a padded slot in the middle (a hole) is skipped, same as compacted
    t4 = torch.cat([tracks[:, :1], torch.full((6, 1, len(FEAT)), 3.0), tracks[:, 1:]], dim=1)
    v4 = torch.cat([valid[:, :1], torch.zeros(6, 1, dtype=torch.bool), valid[:, 1:]], dim=1)
    assert torch.allclose(m(t4, v4, jets)["logits"], ref, atol=1e-5)
    m.padded_path = True
    assert torch.allclose(m(t4, v4, jets)["logits"], ref, atol=1e-5)


@pytest.mark.parametrize("kw", [{}, {"cell": "gru", "norm": "batchnorm", "condition_on_jet": True}])
def test_gradients_reach_every_parameter_and_empty_jets_finite(kw):
    m = model(**kw).train()
    tracks, valid, jets = batch()
    out = m(tracks, valid, jets)["logits"]
    assert torch.isfinite(out).all()
    F.cross_entropy(out, torch.tensor([0, 1, 2, 0, 1, 2])).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name
    m.zero_grad()
    empty = m(torch.zeros(2, 5, len(FEAT)), torch.zeros(2, 5, dtype=torch.bool), jets[:2])["logits"]
    assert torch.isfinite(empty).all()
    empty.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in m.parameters() if p.grad is not None)
    m.eval()
    assert torch.isfinite(
        m(torch.zeros(2, 5, len(FEAT)), torch.zeros(2, 5, dtype=torch.bool), jets[:2])["logits"]
    ).all()
