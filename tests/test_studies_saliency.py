"""Saliency and permutation importance on constructed models where one input matters."""

import numpy as np
import pytest
import torch
from torch import nn

from jettag.models.blocks import InputNorm
from jettag.studies import ablation, saliency

FEATURES = ["sd0", "sz0", "log_dr"]  # file columns
NORM = {"track": {"sd0": {"mean": 1.0, "std": 2.0}, "sz0": {"mean": 0.0, "std": 1.0},
                  "log_dr": {"mean": -2.0, "std": 0.5}}}


class OneInput(nn.Module):
    """The b logit is 3 x (normalised sz0 of the first track); c and light logits are 0."""

    def __init__(self):
        super().__init__()
        self.track_feature_names = ("sd0", "sz0")
        self.track_norm = InputNorm(self.track_feature_names, FEATURES, NORM, "track")

    def forward(self, tracks, valid, jets):
        z = self.track_norm(tracks, valid)
        b = 3.0 * z[:, 0, 1]
        return {"logits": torch.stack([b, torch.zeros_like(b), torch.zeros_like(b)], dim=1)}


def data(n=400, length=5, seed=0):
    rng = np.random.default_rng(seed)
    tracks = rng.normal(size=(n, length, len(FEATURES))).astype(np.float32)
    valid = np.ones((n, length), dtype=bool)
    valid[n // 2 :, 3:] = False
    tracks[~valid] = 0
    flavour = rng.choice([5, 4, 0], size=n).astype(np.int32)
    tracks[:, 0, 1] += 1.5 * (flavour == 5)
    return tracks, valid, np.zeros((n, 2), np.float32), flavour


def test_gradient_and_ig_put_all_weight_on_the_input_that_matters():
    model = OneInput().eval()
    tracks, valid, jets, flavour = data()
    res = saliency.compute(model, tracks, valid, jets, flavour, 0.05,
                           {"n_tracks": 3, "max_jets": 50, "ig_steps": 16, "batch_size": 32})
    for method in saliency.METHODS:
        mean, mean_abs, n = res[method]["b_pass"]
        assert n > 0 and mean_abs.shape == (3, 2)
        assert mean_abs[0, 1] > 0
        others = mean_abs.copy()
        others[0, 1] = 0
        assert others.max() <= 1e-6 * mean_abs[0, 1]
        assert saliency.feature_ranking(mean_abs, ["sd0", "sz0"])[0] == ("sz0", pytest.approx(1.0))
    # the plain gradient is in normalised units: dD/dz = 3 x dD/dlogit_b > 0
    assert res["gradient"]["b_pass"][0][0, 1] > 0
    g = res["gradient"]["light_fail"][1].sum(0)
    ig = res["integrated_gradients"]["light_fail"][1].sum(0)
    assert np.argsort(g).tolist() == np.argsort(ig).tolist()


def test_integrated_gradients_complete_the_difference():
    model = OneInput().eval()
    tracks, valid, jets, _ = data(20)
    attr = saliency.integrated_gradients_map(model, tracks, valid, jets, 0.05, steps=64, batch_size=8)
    base = tracks.copy()
    base[..., :2][valid] = [1.0, 0.0]  # training means of the model's inputs
    with torch.no_grad():
        def d(t):
            return saliency.discriminant_torch(model(torch.from_numpy(t), torch.from_numpy(valid),
                                                     torch.from_numpy(jets))["logits"], 0.05).numpy()
        np.testing.assert_allclose(attr.sum(axis=(1, 2)), d(tracks) - d(base), atol=2e-2)


def test_permutation_importance_ranks_the_label_feature_first():
    model = OneInput().eval()
    tracks, valid, jets, flavour = data(1500)
    rows = ablation.permutation_importance(ablation.torch_predictor(model), tracks, valid, jets, flavour, 0.05,
                                           {"sd0": 0, "sz0": 1, "log_dr": 2}, repeats=2)
    assert rows[0]["component"].startswith("full model")
    assert rows[1]["component"] == "shuffled sz0" and rows[1]["flag"] == "significant"
    assert rows[1]["delta_light_rej"] < 0 and rows[1]["delta_light_rej_err"] > 0
    assert all(r["delta_auc"] == pytest.approx(0.0) for r in rows[2:])
