"""GN1/GN2-like tagger: track initialiser, transformer encoder over valid tracks, attention
pooling, jet classification head and an auxiliary per-track truth-origin head.

Jets with no valid track: a fully masked attention row gives NaN, so for those jets slot 0 is
unmasked as a dummy key (its input is zero); the pooling and the outputs ignore it.
"""

from __future__ import annotations

import torch
from torch import nn

from jettag.flavours import CLASSES, TRACK_ORIGINS
from jettag.models.base import NeuralTagger
from jettag.models.blocks import AttentionPooling, DenseBlock
from jettag.models.spec import TransformerSpec


def encoder_layer_export(
    layer: nn.TransformerEncoderLayer, x: torch.Tensor, pad_mask: torch.Tensor
) -> torch.Tensor:
    """Eval-mode forward of a norm-first ``nn.TransformerEncoderLayer``, written with plain ops.

    The classic ONNX exporter bakes the track-axis length of ``nn.MultiheadAttention`` into the
    graph; this equivalent form keeps it dynamic. Used only while exporting (tested equal).
    """
    attn = layer.self_attn
    h = layer.norm1(x)
    q, k, v = nn.functional.linear(h, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
    q, k, v = (
        t.unflatten(-1, (attn.num_heads, -1)).transpose(1, 2) for t in (q, k, v)
    )  # (B, H, L, dh)
    scores = torch.matmul(q, k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    masked = pad_mask.unsqueeze(1).unsqueeze(1)  # (B, 1, 1, L)
    scores = scores.masked_fill(masked, torch.finfo(scores.dtype).min)
    o = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).flatten(2)
    x = x + attn.out_proj(o)
    return x + layer._ff_block(layer.norm2(x))


class TransformerTagger(NeuralTagger):
    def __init__(self, arch: TransformerSpec, *args, **kwargs):
        super().__init__(arch, *args, **kwargs)
        common = arch.dense
        self.init = DenseBlock(self.input_dim, [*arch.init_layers, arch.embed_dim], **common)
        act = (
            "gelu"
            if arch.activation == "gelu"
            else ("relu" if arch.activation == "relu" else nn.functional.silu)
        )
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                arch.embed_dim,
                arch.num_heads,
                dim_feedforward=arch.ff_dim,
                dropout=arch.attn_dropout,
                activation=act,
                batch_first=True,
                norm_first=True,
            )
            for _ in range(arch.num_layers)
        )
        self.final_norm = nn.LayerNorm(arch.embed_dim)
        self.pool = AttentionPooling(arch.embed_dim, arch.pool_heads)
        self.head = DenseBlock(
            arch.embed_dim, [*arch.head_layers, len(CLASSES)], final_activation=False, **common
        )
        self.aux = (
            DenseBlock(
                arch.embed_dim,
                [*arch.aux_layers, len(TRACK_ORIGINS)],
                final_activation=False,
                **common,
            )
            if arch.aux_head
            else None
        )
        self.export_path = False  # force the ONNX-friendly attention (tests)

    def forward(
        self, tracks: torch.Tensor, valid: torch.Tensor, jets: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        valid = valid.bool()
        x = self.embed_inputs(tracks, valid, jets)
        x = self.init(x, valid)
        # attention mask: True = ignore. Empty jets keep slot 0 as a dummy key (never NaN).
        empty = ~valid.any(dim=1, keepdim=True)
        first = torch.arange(valid.shape[1], device=valid.device).unsqueeze(0) == 0
        attend = valid | (empty & first)
        pad_mask = ~attend
        exporting = torch.onnx.is_in_onnx_export() or self.export_path
        for layer in self.layers:
            if exporting:
                x = encoder_layer_export(layer, x, pad_mask)
            else:
                x = layer(x, src_key_padding_mask=pad_mask)
            x = x.masked_fill(~attend.unsqueeze(-1), 0.0)
        x = self.final_norm(x)
        x = x.masked_fill(~valid.unsqueeze(-1), 0.0)
        out = {"logits": self.head(self.pool(x, valid))}
        if self.aux is not None:
            out["track_logits"] = self.aux(x, valid)
        return out
