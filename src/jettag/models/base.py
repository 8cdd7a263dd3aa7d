"""Common input handling of the neural taggers."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from jettag.models.blocks import InputNorm
from jettag.models.spec import ArchSpec


class NeuralTagger(nn.Module):
    """Holds the input normalisation; ``embed_inputs`` gives normalised per-track inputs
    ``(B, L, F_model [+ J_model])`` with padded slots zero, ``embed_rows`` those of chosen slots
    only. ``packed``: None for taggers without a packed forward; the others (per-track work on the
    valid tracks only) set it True and take it while it is, False gives their padded forward (the
    reference of tests and benchmarks, and the form exported to ONNX)."""

    packed: bool | None = None

    def __init__(
        self,
        arch: ArchSpec,
        track_features: Sequence[str],
        jet_features: Sequence[str],
        norm: dict | None,
        feature_names: Sequence[str],
        jet_feature_names: Sequence[str],
    ):
        super().__init__()
        self.arch = arch
        self.track_feature_names = tuple(track_features)
        self.track_norm = InputNorm(self.track_feature_names, feature_names, norm, "track")
        self.condition_on_jet = bool(arch.condition_on_jet) and len(jet_features) > 0
        if self.condition_on_jet:
            self.jet_feature_names = tuple(jet_features)
            self.jet_norm = InputNorm(self.jet_feature_names, jet_feature_names, norm, "jet")
        else:
            self.jet_feature_names = ()
            self.jet_norm = None
        self.input_dim = self.track_norm.dim + (
            self.jet_norm.dim if self.jet_norm is not None else 0
        )

    def embed_inputs(
        self, tracks: torch.Tensor, valid: torch.Tensor, jets: torch.Tensor
    ) -> torch.Tensor:
        valid = valid.bool()
        x = self.track_norm(tracks, valid)
        if self.jet_norm is not None:
            j = self.jet_norm(jets)  # (B, J)
            j = (
                j.unsqueeze(1) + x[..., :1] * 0.0
            )  # broadcast to (B, L, J); export-safe (x is finite)
            j = j.masked_fill(~valid.unsqueeze(-1), 0.0)
            x = torch.cat([x, j], dim=-1)
        return x

    def embed_rows(
        self, tracks: torch.Tensor, valid: torch.Tensor, jets: torch.Tensor, rows: torch.Tensor
    ) -> torch.Tensor:
        """``embed_inputs`` of the slots ``rows`` (flat ``B * L`` indices) only: ``(N, D)``; each
        slot is normalised as a one-track jet (the normalisation is per track)."""
        B, L = valid.shape
        return self.embed_inputs(
            tracks.reshape(B * L, 1, -1).index_select(0, rows),
            valid.reshape(B * L, 1).index_select(0, rows),
            jets.index_select(0, torch.div(rows, L, rounding_mode="floor")),
        ).squeeze(1)

    def use_packed(self, valid: torch.Tensor) -> bool:
        """Whether this forward takes the packed path: not while exporting to ONNX, and not under
        ``torch.compile`` (the packing's data-dependent shapes would recompile every batch)."""
        return (
            bool(self.packed)
            and valid.numel() > 0
            and not torch.onnx.is_in_onnx_export()
            and not torch.compiler.is_compiling()
        )
