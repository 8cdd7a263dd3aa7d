"""Building blocks shared by every tagger: input normalisation, dense networks, masked pooling.

Conventions: ``valid`` is a bool tensor ``(B, L)``; padded slots never change any output
(they are zeroed on input, excluded from batch-norm statistics and from every pooling).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from jettag.errors import JettagError

ACTIVATIONS = {"relu": nn.ReLU, "silu": nn.SiLU, "gelu": nn.GELU}
NORMS = ("none", "batchnorm", "layernorm")


def make_activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise JettagError(f"unknown activation '{name}'; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


# --------------------------------------------------------------------------------------------
# input normalisation


def _norm_stats(
    norm: dict | None, section: str, names: Sequence[str]
) -> tuple[list[float], list[float]]:
    table = (norm or {}).get(section, {})
    means, stds = [], []
    for name in names:
        if name not in table:
            raise JettagError(
                f"norm.json has no '{section}' entry for feature '{name}' (has {sorted(table)}): "
                "rerun preprocessing so the normalisation covers every feature the model reads"
            )
        m, s = float(table[name]["mean"]), float(table[name]["std"])
        means.append(m)
        stds.append(s if s > 1e-12 else 1.0)
    return means, stds


def column_indices(wanted: Sequence[str], available: Sequence[str], what: str) -> list[int]:
    missing = [n for n in wanted if n not in available]
    if missing:
        raise JettagError(
            f"{what} {missing} requested by the model are not in the data (data has {list(available)})"
        )
    return [list(available).index(n) for n in wanted]


class InputNorm(nn.Module):
    """Select columns ``idx`` of the full feature array, normalise them, zero padded slots.

    ``idx``, ``mean`` and ``std`` are registered buffers, so the normalisation travels with the
    checkpoint (and into ONNX).
    """

    def __init__(
        self, names: Sequence[str], available: Sequence[str], norm: dict | None, section: str
    ):
        super().__init__()
        self.names = tuple(names)
        idx = column_indices(self.names, available, f"{section} features")
        means, stds = _norm_stats(norm, section, self.names)
        self.register_buffer("idx", torch.tensor(idx, dtype=torch.long))
        self.register_buffer("mean", torch.tensor(means, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(stds, dtype=torch.float32))

    @property
    def dim(self) -> int:
        return len(self.names)

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        x = torch.index_select(x, -1, self.idx)
        x = (x - self.mean) / self.std
        if valid is not None:
            x = x.masked_fill(~valid.unsqueeze(-1), 0.0)
        return x


# --------------------------------------------------------------------------------------------
# dense block


class MaskedBatchNorm(nn.BatchNorm1d):
    """BatchNorm over the last axis; with ``(B, L, D)`` input only valid slots enter the statistics."""

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:  # type: ignore[override]
        shape = x.shape
        flat = x.reshape(-1, shape[-1])
        if not self.training:
            return super().forward(flat).reshape(shape)
        if mask is None:
            rows = flat
        else:
            sel = mask.reshape(-1)
            rows = flat[sel]
        if rows.shape[0] < 2:
            # too few entries for batch statistics: use the running statistics
            out = F.batch_norm(
                flat,
                self.running_mean,
                self.running_var,
                self.weight,
                self.bias,
                False,
                0.0,
                self.eps,
            )
            return out.reshape(shape)
        normed = super().forward(rows)
        if mask is None:
            return normed.reshape(shape)
        out = torch.zeros(flat.shape[0], shape[-1], dtype=normed.dtype, device=normed.device)
        out = out.index_put((sel.nonzero(as_tuple=True)[0],), normed)
        return out.reshape(shape)


class DenseBlock(nn.Module):
    """A configurable MLP: ``in_dim -> widths[0] -> ... -> widths[-1]``.

    Each hidden layer is Linear -> norm -> activation -> dropout. The last layer gets the same
    unless ``final_activation=False`` (a logits head: plain Linear). ``residual=True`` adds a skip
    connection around every layer whose input and output widths agree.
    Works on ``(..., D)``; pass ``mask`` with ``(B, L, D)`` input so batch norm only sees valid
    tracks and padded outputs are zero.
    """

    def __init__(
        self,
        in_dim: int,
        widths: Sequence[int],
        activation: str = "relu",
        dropout: float = 0.0,
        norm: str = "none",
        residual: bool = False,
        final_activation: bool = True,
    ):
        super().__init__()
        if not widths:
            raise JettagError("a dense block needs at least one layer width")
        if norm not in NORMS:
            raise JettagError(f"unknown norm '{norm}'; choose one of {list(NORMS)}")
        make_activation(activation)  # validate
        self.in_dim = int(in_dim)
        self.out_dim = int(widths[-1])
        self.linears = nn.ModuleList()
        self.norms = nn.ModuleList()
        self.acts = nn.ModuleList()
        self.drops = nn.ModuleList()
        self.skip: list[bool] = []
        dims = [self.in_dim, *[int(w) for w in widths]]
        n = len(widths)
        for i in range(n):
            last_plain = i == n - 1 and not final_activation
            self.linears.append(nn.Linear(dims[i], dims[i + 1]))
            if last_plain or norm == "none":
                self.norms.append(nn.Identity())
            elif norm == "batchnorm":
                self.norms.append(MaskedBatchNorm(dims[i + 1]))
            else:
                self.norms.append(nn.LayerNorm(dims[i + 1]))
            self.acts.append(nn.Identity() if last_plain else make_activation(activation))
            self.drops.append(
                nn.Dropout(dropout) if (dropout > 0 and not last_plain) else nn.Identity()
            )
            self.skip.append(bool(residual) and dims[i] == dims[i + 1] and not last_plain)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        for lin, nrm, act, drop, skip in zip(
            self.linears, self.norms, self.acts, self.drops, self.skip, strict=True
        ):
            h = lin(x)
            h = nrm(h, mask) if isinstance(nrm, MaskedBatchNorm) else nrm(h)
            h = drop(act(h))
            x = x + h if skip else h
        if mask is not None:
            x = x.masked_fill(~mask.unsqueeze(-1), 0.0)
        return x


# --------------------------------------------------------------------------------------------
# masked pooling


def masked_sum(x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Sum of ``x (B, L, D)`` over valid slots -> ``(B, D)`` (zero for empty jets)."""
    return x.masked_fill(~valid.unsqueeze(-1), 0.0).sum(dim=1)


def masked_mean(x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Mean over valid slots -> ``(B, D)`` (zero for empty jets)."""
    n = valid.sum(dim=1, keepdim=True).clamp(min=1).to(x.dtype)
    return masked_sum(x, valid) / n


def sum_rows_per_jet(x: torch.Tensor, rows: torch.Tensor, n_jets: int, slots: int) -> torch.Tensor:
    """Sum of packed rows ``x`` ``(N, ...)`` per jet -> ``(n_jets, ...)`` (zero for a jet without
    rows); ``rows`` are the rows' flat ``n_jets * slots`` indices in the padded layout."""
    jet = torch.div(rows, slots, rounding_mode="floor")
    return x.new_zeros(n_jets, *x.shape[1:]).index_add(0, jet, x)


def mean_rows_per_jet(x: torch.Tensor, rows: torch.Tensor, n_jets: int, slots: int) -> torch.Tensor:
    """Mean of packed rows ``x`` ``(N, ...)`` per jet (zero for a jet without rows)."""
    n = sum_rows_per_jet(torch.ones_like(rows, dtype=x.dtype), rows, n_jets, slots).clamp(min=1)
    return sum_rows_per_jet(x, rows, n_jets, slots) / n.view(-1, *([1] * (x.dim() - 1)))


def masked_softmax(scores: torch.Tensor, valid: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """Softmax over valid slots; rows without valid slots get all-zero weights (never NaN)."""
    if scores.dim() > valid.dim():
        valid = valid.unsqueeze(-1)
    w = torch.softmax(scores.masked_fill(~valid, torch.finfo(scores.dtype).min), dim=dim)
    return w.masked_fill(~valid, 0.0)


class AttentionPooling(nn.Module):
    """GN2-style global attention pooling: ``heads`` learned scores per track, each head pools its
    own slice of the track vector (``dim`` must divide by ``heads``)."""

    def __init__(self, dim: int, heads: int = 1):
        super().__init__()
        if dim % heads:
            raise JettagError(f"attention pooling: dim {dim} is not divisible by heads {heads}")
        self.heads = heads
        self.score = nn.Linear(dim, heads)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        w = masked_softmax(self.score(x), valid, dim=1)  # (B, L, H)
        xh = x.unflatten(-1, (self.heads, -1))  # (B, L, H, D/H)
        return (w.unsqueeze(-1) * xh).sum(dim=1).flatten(1)
