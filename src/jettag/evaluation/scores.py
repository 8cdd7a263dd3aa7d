"""Score an HDF5 split with a trained tagger, and read score files back.

Scores file (``results/scores/{sample}/{tagger}.h5``, see docs/architecture.md): datasets
``p_b, p_c, p_u, pt, eta`` (float32), ``flavour`` (int32), ``eventNumber`` (int64); attrs
``tagger`` and ``fc``.

``fc`` (the c-fraction of ``D_b``) is, in order of precedence: the ``fc`` argument, the ``fc`` key
of the model spec stored in the checkpoint, else :data:`DEFAULT_FC` by model ``type``
(``ip3d``: 0.07; neural taggers ``deepsets``/``rnn``/``transformer``: 0.05; any other: 0.05).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from jettag.atomic import atomic_path
from jettag.errors import JettagError

#: Default c-fraction of D_b by model type (used when neither the CLI nor the spec gives fc).
DEFAULT_FC: dict[str, float] = {"ip3d": 0.07, "deepsets": 0.05, "rnn": 0.05, "transformer": 0.05}
DEFAULT_FC_NEURAL = 0.05
#: Jets per forward pass: bounds memory (tracks of 2048 jets x 40 x 22 float32 is ~7 MB).
DEFAULT_BATCH_SIZE = 2048

SCORE_DATASETS = ("p_b", "p_c", "p_u", "pt", "eta", "flavour", "eventNumber")


@dataclass
class Scores:
    """The content of one scores file."""

    tagger: str
    fc: float
    p_b: np.ndarray
    p_c: np.ndarray
    p_u: np.ndarray
    pt: np.ndarray
    eta: np.ndarray
    flavour: np.ndarray
    eventNumber: np.ndarray  # noqa: N815  (the dataset name)
    path: Path | None = None

    def __len__(self) -> int:
        return int(self.p_b.shape[0])

    def discriminant(self, fc: float | None = None) -> np.ndarray:
        from jettag.evaluation.discriminant import discriminant_b

        return discriminant_b(self.p_b, self.p_c, self.p_u, self.fc if fc is None else fc)


def read_scores(path: str | Path) -> Scores:
    """Read and check a scores file; JettagError on a missing file, missing data or NaN scores."""
    path = Path(path)
    if not path.is_file():
        raise JettagError(f"scores file {path} does not exist: run `jettag evaluate` for this tagger first")
    try:
        with h5py.File(path, "r") as f:
            missing = [name for name in SCORE_DATASETS if name not in f]
            if missing:
                raise JettagError(
                    f"{path}: not a jettag scores file, datasets {missing} are missing "
                    "(re-run `jettag evaluate`)"
                )
            data = {name: f[name][...] for name in SCORE_DATASETS}
            tagger = f.attrs.get("tagger", path.stem)
            fc = f.attrs.get("fc", None)
    except OSError as exc:
        raise JettagError(f"{path}: cannot be read as HDF5 ({exc})") from None
    if isinstance(tagger, bytes):
        tagger = tagger.decode()
    if fc is None:
        raise JettagError(f"{path}: attribute 'fc' is missing (re-run `jettag evaluate`)")
    for name in ("p_b", "p_c", "p_u"):
        if np.isnan(data[name]).any():
            n_bad = int(np.isnan(data[name]).sum())
            raise JettagError(
                f"{path}: {n_bad} NaN values in {name}: the tagger '{tagger}' produced invalid "
                "scores (check the training diagnostics)"
            )
    return Scores(tagger=str(tagger), fc=float(fc), path=path, **data)


def default_fc(spec: dict | None) -> float:
    """``spec['fc']`` if present, else the default for ``spec['type']`` (see module docstring)."""
    spec = spec or {}
    if spec.get("fc") is not None:
        return float(spec["fc"])
    return DEFAULT_FC.get(str(spec.get("type", "")), DEFAULT_FC_NEURAL)


def _spec_of(info) -> dict:
    if info is None:
        return {}
    spec = info.get("spec") if isinstance(info, dict) else getattr(info, "spec", None)
    if spec is None and isinstance(info, dict) and "spec_json" in info:
        spec = info["spec_json"]
    if isinstance(spec, str):
        spec = json.loads(spec)
    return dict(spec or {})


def _device(device: str):
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def evaluate_checkpoint(
    checkpoint: Path,
    data: Path,
    output: Path,
    tagger: str,
    fc: float | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: str = "auto",
) -> None:
    """Run the tagger of ``checkpoint`` over the HDF5 split ``data`` and write a scores file.

    Jets are read and scored ``batch_size`` at a time under ``torch.no_grad`` on ``device``
    (``auto``: CUDA when available). The file is written atomically to ``output``.
    """
    import torch

    from jettag import models

    checkpoint, data, output = Path(checkpoint), Path(data), Path(output)
    if not checkpoint.is_file():
        raise JettagError(f"checkpoint {checkpoint} does not exist: train the tagger '{tagger}' first")
    if not data.is_file():
        raise JettagError(f"data file {data} does not exist: run `jettag preprocess` first")
    if batch_size < 1:
        raise JettagError(f"batch_size must be at least 1, got {batch_size}")

    model, info = models.load_checkpoint(checkpoint)
    spec = _spec_of(info)
    fc_value = float(fc) if fc is not None else default_fc(spec)
    if not 0.0 <= fc_value <= 1.0:
        raise JettagError(f"fc = {fc_value} is outside [0, 1]")
    dev = _device(device)
    model = model.to(dev)
    model.eval()

    try:
        src = h5py.File(data, "r")
    except OSError as exc:
        raise JettagError(f"{data}: cannot be read as HDF5 ({exc})") from None
    with src, atomic_path(output) as tmp, h5py.File(tmp, "w") as dst:
        for name in ("tracks", "valid", "jets", "flavour", "eventNumber"):
            if name not in src:
                raise JettagError(f"{data}: dataset '{name}' is missing; re-run `jettag preprocess`")
        jet_names = [n.decode() if isinstance(n, bytes) else str(n) for n in src["jets"].attrs.get("features", [])]
        for name in ("pt", "eta"):
            if name not in jet_names:
                raise JettagError(f"{data}: jets attr 'features' {jet_names} lacks '{name}'")
        i_pt, i_eta = jet_names.index("pt"), jet_names.index("eta")
        n = src["tracks"].shape[0]
        chunk = (max(1, min(batch_size, n)),) if n else None
        out = {
            name: dst.create_dataset(name, shape=(n,), dtype=dtype, chunks=chunk)
            for name, dtype in (
                ("p_b", "f4"), ("p_c", "f4"), ("p_u", "f4"), ("pt", "f4"), ("eta", "f4"),
                ("flavour", "i4"), ("eventNumber", "i8"),
            )
        }
        with torch.no_grad():
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                tracks = torch.from_numpy(np.asarray(src["tracks"][start:stop], dtype=np.float32)).to(dev)
                valid = torch.from_numpy(np.asarray(src["valid"][start:stop], dtype=bool)).to(dev)
                jets_np = np.asarray(src["jets"][start:stop], dtype=np.float32)
                jets = torch.from_numpy(jets_np).to(dev)
                result = model(tracks, valid, jets)
                logits = result["logits"] if isinstance(result, dict) else result
                probs = torch.softmax(logits.float(), dim=-1).cpu().numpy()
                if probs.shape != (stop - start, 3):
                    raise JettagError(
                        f"tagger '{tagger}' returned logits of shape {tuple(logits.shape)}, "
                        f"expected ({stop - start}, 3)"
                    )
                if not np.isfinite(probs).all():
                    raise JettagError(
                        f"tagger '{tagger}' ({checkpoint}) produced non-finite outputs for jets "
                        f"{start}-{stop} of {data}: check the training diagnostics"
                    )
                out["p_b"][start:stop] = probs[:, 0]
                out["p_c"][start:stop] = probs[:, 1]
                out["p_u"][start:stop] = probs[:, 2]
                out["pt"][start:stop] = jets_np[:, i_pt]
                out["eta"][start:stop] = jets_np[:, i_eta]
                out["flavour"][start:stop] = src["flavour"][start:stop]
                out["eventNumber"][start:stop] = src["eventNumber"][start:stop]
        dst.attrs["tagger"] = tagger
        dst.attrs["fc"] = fc_value
        dst.attrs["checkpoint"] = str(checkpoint)
        dst.attrs["data"] = str(data)
        if "sample" in src.attrs:
            dst.attrs["sample"] = src.attrs["sample"]
        from jettag.provenance import provenance

        for key, value in provenance(spec).items():  # versions and the model spec's config_hash
            dst.attrs[key] = value


def read_scores_list(paths, reference: str | None = None) -> list[Scores]:
    """Read several scores files; the ``reference`` tagger (if present) comes first.

    JettagError when two files hold the same tagger name.
    """
    loaded = [read_scores(p) for p in paths]
    if not loaded:
        raise JettagError("no scores files given: pass at least one scores file")
    names: dict[str, Path | None] = {}
    for s in loaded:
        if s.tagger in names:
            raise JettagError(f"tagger '{s.tagger}' appears twice: {names[s.tagger]} and {s.path}")
        names[s.tagger] = s.path
    return sorted(loaded, key=lambda s: s.tagger != reference)


def write_scores(path: str | Path, tagger: str, fc: float, p_b, p_c, p_u, pt, eta, flavour, eventNumber,  # noqa: N803
                 **attrs) -> None:
    """Write a scores file atomically (e.g. for taggers built by studies, such as ensembles)."""
    arrays = {
        "p_b": np.asarray(p_b, dtype=np.float32), "p_c": np.asarray(p_c, dtype=np.float32),
        "p_u": np.asarray(p_u, dtype=np.float32), "pt": np.asarray(pt, dtype=np.float32),
        "eta": np.asarray(eta, dtype=np.float32), "flavour": np.asarray(flavour, dtype=np.int32),
        "eventNumber": np.asarray(eventNumber, dtype=np.int64),
    }
    sizes = {name: a.shape for name, a in arrays.items()}
    if len(set(sizes.values())) != 1 or len(next(iter(sizes.values()))) != 1:
        raise JettagError(f"scores of tagger '{tagger}': arrays must be 1-D of equal length, got {sizes}")
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        for name, a in arrays.items():
            f.create_dataset(name, data=a)
        f.attrs["tagger"] = tagger
        f.attrs["fc"] = float(fc)
        from jettag.provenance import provenance

        for key, value in {**provenance(), **attrs}.items():
            f.attrs[key] = value
