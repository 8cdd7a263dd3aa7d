"""Export a trained tagger to ONNX and check parity with torch (onnxruntime).

The ONNX graph takes the full feature arrays of the HDF5 files and does everything inside
(column selection, normalisation, softmax):

    inputs   tracks (B, L, F_all) float32, valid (B, L) bool, jets (B, J_all) float32
    output   p (B, 3) float32: p_b, p_c, p_u

Batch and track axes are dynamic. Parity is checked on jets of the given split, on the same jets
with no valid track, and on jets with more track slots than the training length (tracks duplicated
and extra padding appended), to ``ATOL``.

The classic TorchScript-based exporter (``dynamo=False``) is used. The RNN's packed-sequence path
does not export; while exporting, ``RNNTagger`` uses its equivalent padded path (the RNN runs over
the padded sequence, the output at index length-1 is gathered), which tests show equals the packed
path.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from jettag.atomic import atomic_path
from jettag.errors import JettagError
from jettag.models.splitfile import open_split

ATOL = 1e-5
OPSET = 17
N_CHECK = 256


class ProbabilityModel(nn.Module):
    """``forward(tracks, valid, jets) -> softmax(logits)``, the exported graph."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(
        self, tracks: torch.Tensor, valid: torch.Tensor, jets: torch.Tensor
    ) -> torch.Tensor:
        p = torch.softmax(self.model(tracks, valid, jets)["logits"], dim=-1)
        # Keep every input in the graph (the exporter drops unused ones) without changing p:
        # a sum over zero columns is exactly 0 whatever the inputs hold.
        unused = jets[:, :0].sum(-1, keepdim=True) + tracks[:, :1, :0].sum((-1, -2)).unsqueeze(-1)
        return p + unused


def _names(ds) -> list[str]:
    return [n.decode() if isinstance(n, bytes) else str(n) for n in ds.attrs.get("features", [])]


def read_check_jets(
    data: Path, n: int = N_CHECK
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], list[str]]:
    f = open_split(data, ("tracks", "valid", "jets"), "pass a preprocessed HDF5 split for the parity check")
    with f:
        if f["tracks"].shape[0] == 0:
            raise JettagError(f"{data}: has no jets to check parity on")
        tracks = np.asarray(f["tracks"][:n], dtype=np.float32)
        valid = np.asarray(f["valid"][:n], dtype=bool)
        jets = np.asarray(f["jets"][:n], dtype=np.float32)
        return tracks, valid, jets, _names(f["tracks"]), _names(f["jets"])


def parity_inputs(tracks: np.ndarray, valid: np.ndarray, jets: np.ndarray) -> dict[str, tuple]:
    """The input sets parity is checked on."""
    sets = {"data": (tracks, valid, jets)}
    k = min(len(tracks), 16)
    sets["zero_tracks"] = (np.zeros_like(tracks[:k]), np.zeros_like(valid[:k]), jets[:k])
    # more slots than the training length: every track twice, valid first, then 3 padded slots
    t2 = np.concatenate([tracks, tracks], axis=1)
    v2 = np.concatenate([valid, valid], axis=1)
    order = np.argsort(~v2, axis=1, kind="stable")
    t2 = np.take_along_axis(t2, order[..., None], axis=1)
    v2 = np.take_along_axis(v2, order, axis=1)
    pad_t = np.zeros((len(tracks), 3, tracks.shape[2]), dtype=np.float32)
    sets["longer"] = (
        np.concatenate([t2, pad_t], axis=1),
        np.concatenate([v2, np.zeros((len(tracks), 3), dtype=bool)], axis=1),
        jets,
    )
    # mixed: half the jets emptied inside a normal batch
    vm = valid.copy()
    vm[::2] = False
    tm = np.where(vm[..., None], tracks, 0.0).astype(np.float32)
    sets["mixed_empty"] = (tm, vm, jets)
    return sets


def check_parity(
    onnx_path: Path, model: nn.Module, sets: dict[str, tuple], atol: float = ATOL
) -> float:
    """Max |p_onnx - p_torch| over all input sets; raises JettagError above ``atol``."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    wrapper = ProbabilityModel(model).eval()
    worst = 0.0
    for name, (t, v, j) in sets.items():
        with torch.no_grad():
            ref = wrapper(torch.from_numpy(t), torch.from_numpy(v), torch.from_numpy(j)).numpy()
        got = sess.run(["p"], {"tracks": t, "valid": v, "jets": j})[0]
        if got.shape != ref.shape or not np.isfinite(got).all():
            raise JettagError(
                f"ONNX export {onnx_path}: {name} jets give shape {got.shape} or non-finite outputs"
            )
        diff = float(np.max(np.abs(got - ref)))
        worst = max(worst, diff)
        if not diff <= atol:
            raise JettagError(
                f"ONNX export {onnx_path}: outputs differ from torch by {diff:.3g} (> {atol}) on {name} jets"
            )
    return worst


def export_model(model: nn.Module, path: Path, example: tuple[torch.Tensor, ...]) -> None:
    """Write ``model`` (probabilities) to ``path`` with the classic exporter."""
    wrapper = ProbabilityModel(model).eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            example,
            str(path),
            dynamo=False,
            input_names=["tracks", "valid", "jets"],
            output_names=["p"],
            dynamic_axes={
                "tracks": {0: "batch", 1: "n_tracks"},
                "valid": {0: "batch", 1: "n_tracks"},
                "jets": {0: "batch"},
                "p": {0: "batch"},
            },
            opset_version=OPSET,
        )


def export_onnx(checkpoint: Path, data: Path, output: Path) -> None:
    """Export ``checkpoint`` to ONNX at ``output`` and check parity on jets of ``data``."""
    from jettag.models.checkpoints import load_checkpoint
    from jettag.models.wrappers import unwrap

    checkpoint, data, output = Path(checkpoint), Path(data), Path(output)
    model, info = load_checkpoint(checkpoint)
    model = unwrap(model).cpu().eval()
    tracks, valid, jets, names, jet_names = read_check_jets(data)
    if names and names != list(info["feature_names"]):
        raise JettagError(
            f"{data}: track feature columns {names} differ from those the model in {checkpoint} was "
            f"trained with {info['feature_names']}: preprocess with the same settings"
        )
    if jet_names and jet_names != list(info["jet_feature_names"]):
        raise JettagError(
            f"{data}: jet feature columns {jet_names} differ from those of {checkpoint} {info['jet_feature_names']}"
        )
    # the example has some empty jets and padding so no branch is specialised away while tracing
    n = min(len(tracks), 4)
    ex_t, ex_v = tracks[:n].copy(), valid[:n].copy()
    ex_v[0] = False
    example = (torch.from_numpy(ex_t), torch.from_numpy(ex_v), torch.from_numpy(jets[:n]))
    with atomic_path(output) as tmp:
        try:
            export_model(model, tmp, example)
        except JettagError:
            raise
        except Exception as exc:
            raise JettagError(
                f"ONNX export of {checkpoint} failed: {type(exc).__name__}: {exc}"
            ) from None
        check_parity(tmp, model, parity_inputs(tracks, valid, jets))
