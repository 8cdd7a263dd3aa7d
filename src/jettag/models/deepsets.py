"""DIPS-like Deep Sets tagger: phi per track, masked sum pooling, F, 3-class logits."""

from __future__ import annotations

import torch

from jettag.flavours import CLASSES
from jettag.models.base import NeuralTagger
from jettag.models.blocks import DenseBlock, masked_mean, masked_sum
from jettag.models.spec import DeepSetsSpec


class DeepSets(NeuralTagger):
    def __init__(self, arch: DeepSetsSpec, *args, **kwargs):
        super().__init__(arch, *args, **kwargs)
        common = arch.dense
        self.phi = DenseBlock(self.input_dim, arch.phi_layers, **common)
        self.F = DenseBlock(
            self.phi.out_dim, [*arch.f_layers, len(CLASSES)], final_activation=False, **common
        )
        self.pool = masked_sum if arch.pooling == "sum" else masked_mean

    def forward(
        self, tracks: torch.Tensor, valid: torch.Tensor, jets: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        valid = valid.bool()
        x = self.embed_inputs(tracks, valid, jets)
        h = self.phi(x, valid)
        return {"logits": self.F(self.pool(h, valid))}
