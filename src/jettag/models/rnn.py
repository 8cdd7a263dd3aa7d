"""RNNIP-like tagger: an LSTM or GRU over the tracks in their stored (sd0-descending) order.

Training/eval path: ``pack_padded_sequence`` so padding never reaches the recurrence.
ONNX path (``padded_path=True``, or automatically while exporting): the RNN runs over the padded
sequence and the output at index ``length - 1`` is gathered; for a unidirectional RNN with the
valid tracks at the front this is identical to the packed path (tested).

Valid tracks are moved to the front (keeping their order) first, so both paths are correct even
if the mask has holes. Jets without tracks get a zero hidden state.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from jettag.flavours import CLASSES
from jettag.models.base import NeuralTagger
from jettag.models.blocks import DenseBlock
from jettag.models.spec import RNNSpec


def compact_valid_first(x: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Reorder slots so valid ones come first in their original order (ONNX-exportable)."""
    length = valid.shape[1]
    pos = torch.arange(length, device=valid.device, dtype=torch.float32).unsqueeze(0)
    key = pos + (~valid).to(torch.float32) * float(2**20)
    order = torch.argsort(key, dim=1)  # unique keys: stable by construction
    x = torch.gather(x, 1, order.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
    valid = torch.gather(valid, 1, order)
    return x, valid


class RNNTagger(NeuralTagger):
    def __init__(self, arch: RNNSpec, *args, **kwargs):
        super().__init__(arch, *args, **kwargs)
        cls = nn.LSTM if arch.cell == "lstm" else nn.GRU
        self.rnn = cls(
            self.input_dim,
            arch.hidden,
            num_layers=arch.num_layers,
            batch_first=True,
            dropout=arch.dropout if arch.num_layers > 1 else 0.0,
        )
        common = arch.dense
        self.head = DenseBlock(
            arch.hidden, [*arch.head_layers, len(CLASSES)], final_activation=False, **common
        )
        self.padded_path = False

    def _last_hidden_packed(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(
            x, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False
        )
        _, h = self.rnn(packed)
        if isinstance(h, tuple):  # LSTM: (h_n, c_n)
            h = h[0]
        return h[-1]  # last layer, (B, H), in the original batch order

    def _last_hidden_padded(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)  # (B, L, H)
        idx = (lengths.clamp(min=1) - 1).view(-1, 1, 1).expand(-1, 1, out.shape[-1])
        return torch.gather(out, 1, idx).squeeze(1)

    def forward(
        self, tracks: torch.Tensor, valid: torch.Tensor, jets: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        valid = valid.bool()
        x = self.embed_inputs(tracks, valid, jets)
        x, valid = compact_valid_first(x, valid)
        lengths = valid.sum(dim=1)
        if self.padded_path or torch.onnx.is_in_onnx_export():
            h = self._last_hidden_padded(x, lengths)
        else:
            h = self._last_hidden_packed(x, lengths)
        h = h.masked_fill(~((lengths > 0).unsqueeze(-1)), 0.0)
        return {"logits": self.head(h)}
