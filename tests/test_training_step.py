import pytest
import torch

from jettag.errors import JettagError
from jettag.features import JET_FEATURES, TRACK_FEATURES
from jettag.training.data import Batch
from jettag.training.step import (
    apply_gradients,
    autocast,
    build_optimizer,
    evaluate,
    forward_loss,
    l1_penalty,
    per_jet_loss,
    resolve_device,
    track_origin_loss,
)
from jettag.training.toydata import TinyTagger


def test_aux_loss_and_empty_jets():
    norm = {"track": {k: {"mean": 0.0, "std": 1.0} for k in TRACK_FEATURES},
            "jet": {k: {"mean": 0.0, "std": 1.0} for k in JET_FEATURES}}
    m = TinyTagger(norm, TRACK_FEATURES, JET_FEATURES, hidden=4, aux=True)
    valid = torch.tensor([[True, False], [False, False]])
    b = Batch(torch.randn(2, 2, len(TRACK_FEATURES)), valid, torch.randn(2, len(JET_FEATURES)),
              torch.tensor([0, 2]), torch.tensor([1.0, 2.0]), torch.tensor([[1, -1], [-1, -1]]))
    out = m(b.tracks, b.valid, b.jets)
    with_aux, without = per_jet_loss(out, b, 0.5), per_jet_loss(out, b, 0.0)
    assert torch.isfinite(with_aux).all()
    assert with_aux[0] > without[0] and with_aux[1] == without[1]
    assert l1_penalty(m) > 0


def test_track_origin_loss_is_the_mean_over_valid_tracks_of_known_origin():
    torch.manual_seed(3)
    B, L, C = 6, 5, 8
    logits = torch.randn(B, L, C)
    valid = torch.rand(B, L) > 0.3
    valid[0] = False  # a jet without tracks: 0
    origin = torch.randint(-1, C, (B, L))
    b = Batch(torch.zeros(B, L, 1), valid, torch.zeros(B, 1), torch.zeros(B, dtype=torch.long),
              torch.ones(B), origin)
    expected = []
    for j in range(B):
        terms = [-torch.log_softmax(logits[j, t], 0)[origin[j, t]] for t in range(L)
                 if valid[j, t] and origin[j, t] >= 0]
        expected.append(torch.stack(terms).mean() if terms else torch.tensor(0.0))
    got = track_origin_loss(logits, b)
    assert got[0] == 0.0
    assert torch.allclose(got, torch.stack(expected), atol=1e-6)


def test_optimizer_decays_weight_matrices_only():
    m = torch.nn.Linear(3, 2)
    opt = build_optimizer(m, {"optimizer": "adamw", "weight_decay": 0.1}, 1e-3)
    assert isinstance(opt, torch.optim.AdamW) and opt.defaults["fused"]  # one kernel per step
    assert [g["weight_decay"] for g in opt.param_groups] == [0.1, 0.0]
    assert opt.param_groups[0]["params"][0] is m.weight and opt.param_groups[1]["params"][0] is m.bias
    sgd = build_optimizer(m, {"optimizer": "sgd", "weight_decay": 0.0}, 1e-2)
    assert isinstance(sgd, torch.optim.SGD) and sgd.param_groups[0]["nesterov"]
    with pytest.raises(JettagError, match="training.optimizer"):
        build_optimizer(m, {"optimizer": "adam", "weight_decay": 0.0}, 1e-3)


def test_device_and_evaluate_on_cpu():
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        assert resolve_device("auto").type == "cpu"
        with pytest.raises(JettagError, match="training.device"):
            resolve_device("cuda")
    with autocast(torch.device("cpu")):
        pass
    norm = {"track": {k: {"mean": 0.0, "std": 1.0} for k in TRACK_FEATURES},
            "jet": {k: {"mean": 0.0, "std": 1.0} for k in JET_FEATURES}}
    m = TinyTagger(norm, TRACK_FEATURES, JET_FEATURES, hidden=4)
    valid = torch.ones(4, 2, dtype=torch.bool)
    b = Batch(torch.randn(4, 2, len(TRACK_FEATURES)), valid, torch.randn(4, len(JET_FEATURES)),
              torch.tensor([0, 1, 2, 0]), torch.ones(4), torch.zeros(4, 2, dtype=torch.int64))
    res = evaluate(m, [b, b], torch.device("cpu"), 0.0)
    assert res["n"] == 8
    expected = per_jet_loss(m(b.tracks, b.valid, b.jets), b, 0.0).double().mean().item()
    assert res["loss"] == pytest.approx(expected)


def test_forward_loss_adds_the_l1_penalty_and_apply_gradients_steps_once():
    norm = {"track": {k: {"mean": 0.0, "std": 1.0} for k in TRACK_FEATURES},
            "jet": {k: {"mean": 0.0, "std": 1.0} for k in JET_FEATURES}}
    torch.manual_seed(3)
    m = TinyTagger(norm, TRACK_FEATURES, JET_FEATURES, hidden=4)
    b = Batch(torch.randn(3, 2, len(TRACK_FEATURES)), torch.ones(3, 2, dtype=torch.bool),
              torch.randn(3, len(JET_FEATURES)), torch.tensor([0, 1, 2]), torch.ones(3),
              torch.full((3, 2), -1))
    out, data_loss, loss = forward_loss(m, b, torch.device("cpu"), 0.0, l1=0.01)
    assert torch.equal(data_loss, per_jet_loss(out, b, 0.0).mean())
    assert loss.item() == pytest.approx(data_loss.item() + 0.01 * l1_penalty(m).item(), rel=1e-6)
    before = [p.detach().clone() for p in m.parameters()]
    opt = torch.optim.SGD(m.parameters(), lr=0.5)
    apply_gradients(opt, loss)
    # plain SGD: every parameter moved by exactly -lr * its gradient
    for p, p0 in zip(m.parameters(), before, strict=True):
        torch.testing.assert_close(p.detach(), p0 - 0.5 * p.grad)
