"""GN1/GN2-like tagger: track initialiser, transformer encoder over valid tracks, attention
pooling, jet classification head and an auxiliary per-track truth-origin head.

Jets with no valid track: a fully masked attention row gives NaN, so for those jets slot 0 is
unmasked as a dummy key (its input is zero); the pooling and the outputs ignore it.

Training and scoring run the *packed* forward: every per-track operation (initialiser, layer
norms, projections, feed-forward, pooling weights and sum, track head) works on the attending
tracks only, gathered into one ``(N, D)`` matrix; only the attention (through
``scaled_dot_product_attention`` with the padding mask) and the pooling softmax see padded
layouts. It computes what the padded ``nn.TransformerEncoderLayer`` forward computes
(``padded_forward``, kept for the ONNX export and tested equal to float rounding), without the
work on padded slots; attention runs per bucket of jets of similar track counts (``Packing``), so
it costs ~ the sum of squared track counts rather than the batch size times the longest jet's. Parameter names are those of
``nn.TransformerEncoderLayer``, so checkpoints of either form load into the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from jettag.flavours import CLASSES, TRACK_ORIGINS
from jettag.models.base import NeuralTagger
from jettag.models.blocks import AttentionPooling, DenseBlock, masked_softmax, sum_rows_per_jet
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
    packed = True

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
        B, L = valid.shape
        if self.export_path or not self.use_packed(valid):
            return self.padded_forward(tracks, valid, jets)
        valid = valid.bool()
        pack = Packing.of(_attending(valid))
        vrows = valid.reshape(-1).index_select(0, pack.rows)  # False only for the dummy slots
        x = self.init(self.embed_rows(tracks, valid, jets, pack.rows), vrows)
        for layer in self.layers:
            x = _packed_layer(layer, x, pack)
        x = self.final_norm(x).masked_fill(~vrows.unsqueeze(-1), 0.0)
        out = {"logits": self.head(_packed_pool(self.pool, x, valid, pack.rows))}
        if self.aux is not None:
            out["track_logits"] = _scatter(self.aux(x, vrows), pack.rows, B, L)
        return out

    def padded_forward(
        self, tracks: torch.Tensor, valid: torch.Tensor, jets: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """The forward on the padded ``(B, L, D)`` layout (ONNX export; the packed reference)."""
        valid = valid.bool()
        x = self.embed_inputs(tracks, valid, jets)
        x = self.init(x, valid)
        attend = _attending(valid)
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


def _attending(valid: torch.Tensor) -> torch.Tensor:
    """Slots that take part in attention: the valid tracks, plus slot 0 of jets without any."""
    empty = ~valid.any(dim=1, keepdim=True)
    first = torch.arange(valid.shape[1], device=valid.device).unsqueeze(0) == 0
    return valid | (empty & first)


def _packed_pool(
    pool: AttentionPooling, x: torch.Tensor, valid: torch.Tensor, rows: torch.Tensor
) -> torch.Tensor:
    """``pool(padded x, valid)`` from the packed rows ``x`` ``(N, D)``: the scores are scattered
    to the padded ``(B, L, heads)`` layout for the masked softmax, the weighted sum runs over the
    packed rows (no ``(B, L, D)`` tensor, no work on padded slots)."""
    B, L = valid.shape
    w = masked_softmax(_scatter(pool.score(x), rows, B, L), valid, dim=1)  # (B, L, H)
    w = w.reshape(B * L, -1).index_select(0, rows)  # (N, H); zero at the dummy slots
    xh = (w.unsqueeze(-1) * x.unflatten(-1, (pool.heads, -1))).flatten(1)
    return sum_rows_per_jet(xh, rows, B, L)


def _scatter(x: torch.Tensor, rows: torch.Tensor, B: int, L: int) -> torch.Tensor:
    """Packed ``(N, D)`` rows -> padded ``(B, L, D)``, zero elsewhere."""
    out = x.new_zeros(B * L, x.shape[-1])
    out.index_copy_(0, rows, x)  # in place: the out-of-place form clones the zeros first
    return out.view(B, L, -1)


_SEQUENCE = 16  # jets of up to 8 tracks attend in sequences of this many slots (see Packing)


@dataclass(frozen=True)
class Packing:
    """Where the attending slots of a padded ``(B, L)`` batch go in the packed ``(N, D)`` rows.

    Jets are grouped by their number of attending slots into buckets of lengths 1, 2, 4, 8, ...
    (each trimmed to its longest jet); the rows hold the buckets one after the other, jet by jet,
    slot by slot. ``rows[i]``: the flat ``B * L`` index of packed row ``i``. Attention runs per
    bucket on its padded layout, so short jets do not pay for the longest jet of the batch; the
    buckets' layouts lie one after the other in one ``(sum(sizes), D)`` buffer, jets ``length``
    rows apart, ``dest[i]`` being packed row ``i``'s place there. One gather into the buffer and
    one back per layer (rather than one per bucket) keep the backward pass from zero-filling a
    full-size gradient per bucket. Buckets of short jets put ``_SEQUENCE // length`` jets in one
    attention sequence with a block-diagonal mask (each track sees its own jet's tracks only):
    the same attention, in far fewer of the tiny per-(sequence, head) products that dominate its
    cost on CPU; filler jets that complete the last sequence attend to themselves only (zero
    rows, never gathered back). Per bucket: ``(sequences, slots, mask)``.
    """

    rows: torch.Tensor
    dest: torch.Tensor
    sizes: tuple[int, ...]
    buckets: tuple[tuple[int, int, torch.Tensor], ...]

    @classmethod
    def of(cls, attend: torch.Tensor) -> Packing:
        B, L = attend.shape
        device = attend.device
        n = attend.sum(1)  # >= 1 (dummy slot of empty jets)
        bucket = torch.ceil(torch.log2(n.double())).long()  # n in (2^(k-1), 2^k] -> k
        order = torch.argsort(bucket, stable=True)
        n_o, bucket_o = n[order], bucket[order]
        slot = torch.arange(L, device=device)
        rows = (order[:, None] * L + slot).reshape(-1)[attend[order].reshape(-1)]
        counts = torch.unique_consecutive(bucket_o, return_counts=True)[1].tolist()
        buckets, sizes, starts, offset = [], [], [], 0
        for count, n_b in zip(counts, n_o.split(counts), strict=True):
            length = int(n_b.max())
            per = max(1, _SEQUENCE // length)  # jets per attention sequence
            seqs = -(-count // per)
            keys = slot[:length] < n_b[:, None]  # (count, length): attending slots first
            if per == 1:
                mask = keys[:, None, None, :]
            else:
                filler = keys.new_ones(seqs * per - count, length)
                keys = torch.cat([keys, filler]).view(seqs, 1, 1, per * length)
                block = torch.arange(per * length, device=device) // length
                mask = (block[:, None] == block[None, :]) & keys  # (seqs, 1, slots, slots)
            buckets.append((seqs, per * length, mask))
            sizes.append(seqs * per * length)
            starts.append(offset + length * torch.arange(count, device=device))
            offset += sizes[-1]
        jet_start = torch.cat(starts)  # each jet's first row in the buffer
        dest = (jet_start[:, None] + slot).reshape(-1)[(slot < n_o[:, None]).reshape(-1)]
        return cls(rows, dest, tuple(sizes), tuple(buckets))


def _packed_layer(layer: nn.TransformerEncoderLayer, x: torch.Tensor, pack: Packing) -> torch.Tensor:
    """One norm-first encoder layer on the packed attending tracks ``x`` ``(N, D)``: what
    ``layer(padded, src_key_padding_mask=...)`` gives at those slots (dropouts included)."""
    attn = layer.self_attn
    heads = attn.num_heads
    qkv = F.linear(layer.norm1(x), attn.in_proj_weight, attn.in_proj_bias)
    dropout = attn.dropout if attn.training else 0.0
    padded = qkv.new_zeros(sum(pack.sizes), qkv.shape[-1])
    padded.index_copy_(0, pack.dest, qkv)  # zero at padding (masked keys stay finite)
    outs = []
    for part, (jets, length, key_mask) in zip(padded.split(pack.sizes), pack.buckets, strict=True):
        q, k, v = part.view(jets, length, 3, heads, -1).permute(2, 0, 3, 1, 4).unbind(0)
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask, dropout_p=dropout)
        outs.append(o.transpose(1, 2).reshape(jets * length, -1))
    o = (torch.cat(outs) if len(outs) > 1 else outs[0]).index_select(0, pack.dest)
    x = x + layer.dropout1(attn.out_proj(o))
    return x + layer._ff_block(layer.norm2(x))
