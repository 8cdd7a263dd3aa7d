"""IP3D-like likelihood baseline (no training by gradient descent).

Per flavour (b, c, light) a 2D histogram template of (sd0, sz0) over valid tracks of the training
split. Values outside the bin edges fall into the first/last bin. Template probabilities are
``(w_bin + pseudocount * W / n_bins) / (W * (1 + pseudocount))`` (``W`` = total for the flavour),
floored at ``floor``, so no bin gives -inf. The jet log-likelihood per flavour is the sum over its
valid tracks of the log template probability; ``logits`` are these log-likelihoods, so a softmax
gives p_b, p_c, p_u for equal priors and D_b is the usual log-likelihood ratio. (Probabilities per
bin rather than densities: the bin area is the same for every flavour and cancels in every ratio.)

Weighting: by default the templates are unweighted (``weighted: false``): the per-jet ``weight``
reshapes each flavour's (pT, |eta|) spectrum to the b-jet one, which with large weights on sparse
regions inflates statistical noise in sparse template bins; ``weighted: true`` uses it instead.
Jets without tracks get all-zero logits (p = 1/3 each).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from jettag.errors import JettagError
from jettag.flavours import CLASSES
from jettag.models.blocks import column_indices
from jettag.models.spec import IP3DSpec
from jettag.models.splitfile import open_split

INPUTS = ("sd0", "sz0")


class IP3D(nn.Module):
    def __init__(
        self, arch: IP3DSpec, feature_names: Sequence[str], jet_feature_names: Sequence[str] = ()
    ):
        super().__init__()
        self.arch = arch
        self.track_feature_names = INPUTS
        self.jet_feature_names = ()
        idx = column_indices(INPUTS, feature_names, "track features")
        self.register_buffer("idx", torch.tensor(idx, dtype=torch.long))
        self.register_buffer("sd0_edges", torch.tensor(arch.sd0_edges, dtype=torch.float32))
        self.register_buffer("sz0_edges", torch.tensor(arch.sz0_edges, dtype=torch.float32))
        nx, ny = len(arch.sd0_edges) - 1, len(arch.sz0_edges) - 1
        # (n_classes, nx, ny) log-probabilities; uniform until fitted
        self.register_buffer(
            "log_templates", torch.full((len(CLASSES), nx, ny), -float(np.log(nx * ny)))
        )
        self.register_buffer("counts", torch.zeros(len(CLASSES), nx, ny, dtype=torch.float64))

    def bin_index(self, sd0: torch.Tensor, sz0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        nx, ny = self.sd0_edges.numel() - 1, self.sz0_edges.numel() - 1
        # number of inner edges <= value (== bucketize(right=True)); out-of-range values land in the
        # first/last bin; written with comparisons so it exports to ONNX
        ix = (sd0.unsqueeze(-1) >= self.sd0_edges[1:-1]).sum(-1).clamp(0, nx - 1)
        iy = (sz0.unsqueeze(-1) >= self.sz0_edges[1:-1]).sum(-1).clamp(0, ny - 1)
        return ix, iy

    def track_log_prob(self, tracks: torch.Tensor) -> torch.Tensor:
        """(B, L, n_classes) log template probability of every track slot."""
        x = torch.index_select(tracks, -1, self.idx)
        ix, iy = self.bin_index(x[..., 0], x[..., 1])
        ny = self.sz0_edges.numel() - 1
        flat = self.log_templates.flatten(1)  # (C, nx*ny)
        return nn.functional.embedding(ix * ny + iy, flat.t())  # (B, L, C)

    def forward(
        self, tracks: torch.Tensor, valid: torch.Tensor, jets: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        lp = self.track_log_prob(tracks)
        lp = lp.masked_fill(~(valid.bool().unsqueeze(-1)), 0.0)
        return {"logits": lp.sum(dim=1).to(tracks.dtype)}

    @torch.no_grad()
    def fill(
        self,
        tracks: torch.Tensor,
        valid: torch.Tensor,
        label: torch.Tensor,
        weight: torch.Tensor | None = None,
    ):
        """Add a chunk of jets to the histogram counts."""
        x = torch.index_select(tracks, -1, self.idx)
        ix, iy = self.bin_index(x[..., 0], x[..., 1])
        ny = self.sz0_edges.numel() - 1
        nbins = self.counts[0].numel()
        valid = valid.bool()
        lab = label.long().unsqueeze(1).expand_as(ix)
        ok = valid & (lab >= 0) & (lab < len(CLASSES))
        w = (
            torch.ones_like(ix, dtype=torch.float64)
            if weight is None
            else weight.double().unsqueeze(1).expand_as(ix)
        )
        flat_idx = (lab * nbins + ix * ny + iy)[ok]
        self.counts.view(-1).index_add_(0, flat_idx, w[ok])

    @torch.no_grad()
    def finalize(self) -> None:
        a = self.arch
        nbins = self.counts[0].numel()
        total = self.counts.flatten(1).sum(dim=1)  # (C,)
        missing = [CLASSES[i].name for i in range(len(CLASSES)) if total[i] <= 0]
        if missing:
            raise JettagError(
                f"IP3D templates: no tracks of {missing} jets in the training data; "
                "every flavour needs tracks to build its template"
            )
        t = total.view(-1, 1, 1)
        p = (self.counts + a.pseudocount * t / nbins) / (t * (1.0 + a.pseudocount))
        p = p.clamp(min=a.floor)
        self.log_templates.copy_(p.log().float())


def fit_ip3d(spec: dict, h5_path_train: str | Path) -> IP3D:
    """Build the (sd0, sz0) templates from an HDF5 train split, reading ``chunk_size`` jets at a time."""
    arch = IP3DSpec.from_spec(spec)
    path = Path(h5_path_train)
    f = open_split(path, ("tracks", "valid", "label"), "the IP3D templates need a train split; run preprocessing first")
    with f:
        names = [
            n.decode() if isinstance(n, bytes) else str(n)
            for n in f["tracks"].attrs.get("features", [])
        ]
        jet_names = (
            [
                n.decode() if isinstance(n, bytes) else str(n)
                for n in f["jets"].attrs.get("features", [])
            ]
            if "jets" in f
            else []
        )
        model = IP3D(arch, names, jet_names)
        if arch.weighted and "weight" not in f:
            raise JettagError(f"{path}: IP3D with weighted: true needs the 'weight' dataset")
        n = f["tracks"].shape[0]
        for start in range(0, n, arch.chunk_size):
            stop = min(n, start + arch.chunk_size)
            tracks = torch.from_numpy(np.asarray(f["tracks"][start:stop], dtype=np.float32))
            valid = torch.from_numpy(np.asarray(f["valid"][start:stop], dtype=bool))
            label = torch.from_numpy(np.asarray(f["label"][start:stop], dtype=np.int64))
            weight = (
                torch.from_numpy(np.asarray(f["weight"][start:stop], dtype=np.float64))
                if arch.weighted
                else None
            )
            model.fill(tracks, valid, label, weight)
    model.finalize()
    model.eval()
    return model
