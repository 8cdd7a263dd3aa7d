"""DIPS-like Deep Sets tagger: phi per track, masked sum pooling, F, 3-class logits.

Training and scoring run phi on the valid tracks only (gathered into one ``(N, D)`` matrix) and
sum them per jet; ``packed = False`` (and the ONNX export) gives the padded forward, which
computes the same to float rounding (tested)."""

from __future__ import annotations

import torch

from jettag.flavours import CLASSES
from jettag.models.base import NeuralTagger
from jettag.models.blocks import (
    DenseBlock,
    masked_mean,
    masked_sum,
    mean_rows_per_jet,
    sum_rows_per_jet,
)
from jettag.models.spec import DeepSetsSpec

# pooling: (padded form, packed form)
POOLINGS = {"sum": (masked_sum, sum_rows_per_jet), "mean": (masked_mean, mean_rows_per_jet)}


class DeepSets(NeuralTagger):
    packed = True

    def __init__(self, arch: DeepSetsSpec, *args, **kwargs):
        super().__init__(arch, *args, **kwargs)
        common = arch.dense
        self.phi = DenseBlock(self.input_dim, arch.phi_layers, **common)
        self.F = DenseBlock(
            self.phi.out_dim, [*arch.f_layers, len(CLASSES)], final_activation=False, **common
        )
        self.pool, self.pool_rows = POOLINGS[arch.pooling]

    def forward(
        self, tracks: torch.Tensor, valid: torch.Tensor, jets: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        valid = valid.bool()
        if not self.use_packed(valid):
            h = self.phi(self.embed_inputs(tracks, valid, jets), valid)
            return {"logits": self.F(self.pool(h, valid))}
        # packed: phi on the valid tracks only, pooled per jet (padded slots cost nothing)
        rows = valid.reshape(-1).nonzero().squeeze(1)
        h = self.phi(self.embed_rows(tracks, valid, jets, rows))
        return {"logits": self.F(self.pool_rows(h, rows, *valid.shape))}
