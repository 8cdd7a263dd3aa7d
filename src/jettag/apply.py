"""``jettag apply``: run a trained tagger on any mapped ROOT file and write a scores file.

``apply_tagger(model, spec, inputs, output)``: ``model`` is a checkpoint (``.pt``, rebuilt with
``jettag.models.load_checkpoint``) or an ONNX export (``.onnx``: inputs ``tracks (B, L, F_all)``,
``valid (B, L)``, ``jets (B, J_all)``, output ``p (B, 3)``). ``spec``::

    {"input": <a sample's input mapping, docs/inputs.md>,      # optional: generator's jet-wise files
     "preprocess": <the preprocess section used in training>,  # optional: defaults
     "tagger": name, "fc": c-fraction}                         # optional

Jets are read with ``jettag.io.read_jets`` and go through the preprocessing of training
(``jettag.preprocess.chunk.pad_chunk``: finite checks, jet and track selection, derived features,
sd0 sort, padding to ``max_tracks``), but every selected jet is kept (no split by eventNumber).
The scores file has the standard layout (``jettag.evaluation.scores``) and is written atomically.
A short summary is printed: jets scored and, where b- and light-jets are present, the AUC of
b vs light and the median ``D_b`` per flavour.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from jettag.atomic import atomic_path
from jettag.errors import JettagError
from jettag.features import JET_FEATURES, TRACK_FEATURES

BATCH_SIZE = 2048
SCORES = (("p_b", "f4"), ("p_c", "f4"), ("p_u", "f4"), ("pt", "f4"), ("eta", "f4"),
          ("flavour", "i4"), ("eventNumber", "i8"))


class _Torch:
    def __init__(self, path: Path):
        import torch

        from jettag.evaluation.scores import default_fc
        from jettag.models import load_checkpoint

        self.torch = torch
        self.model, info = load_checkpoint(path)
        for what, got, want in (("track", info["feature_names"], TRACK_FEATURES),
                                ("jet", info["jet_feature_names"], JET_FEATURES)):
            if list(got) != list(want):
                raise JettagError(
                    f"{path}: the model was trained on {what} feature columns {list(got)}, this jettag "
                    f"builds {list(want)}: retrain the model with this version"
                )
        self.fc = default_fc(info["spec"])
        self.provenance = info.get("provenance", {})

    def __call__(self, tracks, valid, jets) -> np.ndarray:
        torch = self.torch
        with torch.no_grad():
            out = self.model(torch.from_numpy(tracks), torch.from_numpy(valid), torch.from_numpy(jets))
            return torch.softmax(out["logits"].float(), dim=-1).numpy()


class _Onnx:
    def __init__(self, path: Path):
        from jettag.evaluation.scores import DEFAULT_FC_NEURAL

        try:
            import onnxruntime as ort

            self.sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        except ImportError:
            raise JettagError("applying an ONNX model needs onnxruntime (pip install onnxruntime)") from None
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise JettagError(
                f"{path}: not a readable ONNX model ({type(exc).__name__}: {str(exc).strip()[:200]})"
            ) from None
        inputs = {i.name: i.shape for i in self.sess.get_inputs()}
        if set(inputs) != {"tracks", "valid", "jets"}:
            raise JettagError(f"{path}: ONNX inputs {sorted(inputs)} are not tracks, valid, jets (jettag export)")
        for name, n in (("tracks", len(TRACK_FEATURES)), ("jets", len(JET_FEATURES))):
            width = inputs[name][-1]
            if isinstance(width, int) and width != n:
                raise JettagError(f"{path}: ONNX input '{name}' has {width} features, jettag builds {n}")
        self.fc = DEFAULT_FC_NEURAL
        self.provenance = {}

    def __call__(self, tracks, valid, jets) -> np.ndarray:
        return self.sess.run(["p"], {"tracks": tracks, "valid": valid, "jets": jets})[0]


def load_tagger(path: Path):
    """A callable ``(tracks, valid, jets) -> p (B, 3)`` with attributes ``fc`` and ``provenance``."""
    path = Path(path)
    if not path.is_file():
        raise JettagError(f"model {path} does not exist: give a checkpoint (.pt) or an ONNX file (.onnx)")
    if path.suffix == ".onnx":
        return _Onnx(path)
    return _Torch(path)


def _tagger_name(model: Path) -> str:
    return model.parent.name if model.stem in ("best", "last", "model") and model.parent.name else model.stem


def spec_from_config(config: Path, sample: str) -> tuple[dict, list[str]]:
    """(apply spec, the sample's files) for ``sample`` of the config file ``config``."""
    from jettag.config import load

    cfg = load(config)
    samples = cfg.get("samples") or {}
    if sample not in samples:
        raise JettagError(f"{config}: no sample '{sample}' under samples (known: {', '.join(samples)})")
    s = samples[sample]
    spec = {"input": s.get("input"), "preprocess": cfg.get("preprocess") or {}}
    return spec, list(s.get("files") or [])


def apply_tagger(model: Path, spec: dict | None, inputs: list[str] | None, output: Path, *,
                 config: Path | None = None, sample: str | None = None,
                 progress: bool | None = None) -> dict:
    """Score every selected jet of ``inputs`` with ``model``; write ``output``; return the summary.

    ``config`` and ``sample`` (instead of ``spec``): the sample's ``input`` mapping and the
    config's ``preprocess`` section; ``inputs`` then defaults to the sample's ``files``."""
    if (config is None) != (sample is None):
        raise JettagError("apply: give --config FILE together with --sample NAME")
    if config is not None:
        if spec:
            raise JettagError("apply: give either --spec or --config/--sample, not both")
        spec, files = spec_from_config(Path(config), sample)
        inputs = inputs or files
        if not inputs:
            raise JettagError(f"{config}: sample '{sample}' has no files: pass --inputs")
    elif spec is None:
        raise JettagError("apply: give --spec, or --config FILE --sample NAME")
    if not inputs:
        raise JettagError("apply: no input files: pass --inputs")
    from tqdm import tqdm

    from jettag.config import resolve
    from jettag.io import expand_files, read_jets
    from jettag.preprocess.chunk import pad_chunk
    from jettag.preprocess.selection import JET_CUTS, CutFlow
    from jettag.provenance import provenance

    model, output = Path(model), Path(output)
    spec = dict(spec or {})
    unknown = set(spec) - {"input", "preprocess", "tagger", "fc"}
    if unknown:
        raise JettagError(f"apply spec: unknown key(s) {sorted(unknown)}; use input, preprocess, tagger, fc")
    pp = resolve({"preprocess": spec.get("preprocess") or {}}, "apply spec")["preprocess"]
    tagger = load_tagger(model)
    fc = float(spec["fc"]) if spec.get("fc") is not None else tagger.fc
    if not 0.0 <= fc <= 1.0:
        raise JettagError(f"apply spec: fc = {fc} is outside [0, 1]")
    name = str(spec.get("tagger") or _tagger_name(model))
    paths = expand_files(inputs)
    i_pt, i_eta = list(JET_FEATURES).index("pt"), list(JET_FEATURES).index("eta")

    jet_flow = CutFlow(("all", *JET_CUTS))
    n_unknown = 0
    collected: dict[str, list[np.ndarray]] = {k: [] for k, _ in SCORES}
    with atomic_path(output) as tmp, h5py.File(tmp, "w") as f:
        ds = {k: f.create_dataset(k, shape=(0,), maxshape=(None,), dtype=t, chunks=(BATCH_SIZE,))
              for k, t in SCORES}
        n = 0
        for path in paths:
            chunks = read_jets([str(path)], spec.get("input"), pp["chunk_size"])
            for chunk in tqdm(chunks, desc=f"apply {path.name}", unit="chunk",
                              disable=None if progress is None else not progress):
                res = pad_chunk(chunk, pp, str(path))
                jet_flow.update(res.jet_flow)
                n_unknown += res.n_unknown
                a = res.arrays
                for start in range(0, len(a["label"]), BATCH_SIZE):
                    sl = slice(start, start + BATCH_SIZE)
                    p = np.asarray(tagger(a["tracks"][sl], a["valid"][sl], a["jets"][sl]), dtype=np.float32)
                    if p.shape != (len(a["label"][sl]), 3) or not np.isfinite(p).all():
                        raise JettagError(
                            f"{model}: gave outputs of shape {p.shape} or non-finite values on jets of {path}"
                        )
                    jets = a["jets"][sl]
                    block = {"p_b": p[:, 0], "p_c": p[:, 1], "p_u": p[:, 2],
                             "pt": jets[:, i_pt], "eta": jets[:, i_eta],
                             "flavour": a["flavour"][sl], "eventNumber": a["eventNumber"][sl]}
                    m = len(p)
                    for k, d in ds.items():
                        d.resize(n + m, axis=0)
                        d[n:] = block[k]
                        collected[k].append(block[k] if k in ("p_b", "p_c", "p_u", "flavour") else np.empty(0))
                    n += m
        if n == 0:
            raise JettagError(
                f"apply: no jets passed the selection in {', '.join(map(str, paths[:3]))}; jet cut flow "
                f"{jet_flow.to_dict()}: loosen preprocess.jets or check the input mapping"
            )
        f.attrs["tagger"] = name
        f.attrs["fc"] = fc
        f.attrs["model"] = str(model)
        f.attrs["inputs"] = [str(p) for p in paths]
        for key, value in provenance({"input": spec.get("input"), "preprocess": pp}).items():
            f.attrs[key] = value

    summary = _summary(name, fc, {k: np.concatenate(v) for k, v in collected.items() if v}, jet_flow, n_unknown)
    print(format_summary(summary, output))
    return summary


def _summary(name: str, fc: float, s: dict, jet_flow, n_unknown: int) -> dict:
    from jettag.evaluation.discriminant import discriminant_b
    from jettag.evaluation.working_points import auc
    from jettag.flavours import flavour_by_label

    disc = discriminant_b(s["p_b"], s["p_c"], s["p_u"], fc)
    flav = s["flavour"]
    out = {"tagger": name, "fc": fc, "n_jets": int(len(disc)), "cutflow": jet_flow.to_dict(),
           "n_unknown_label": n_unknown, "n_per_flavour": {}, "median_db": {}, "auc_b_vs_light": None}
    for lab in np.unique(flav):
        fname = flavour_by_label(int(lab)).name
        out["n_per_flavour"][fname] = int((flav == lab).sum())
        out["median_db"][fname] = float(np.median(disc[flav == lab]))
    b, light = disc[flav == 5], disc[flav == 0]
    if len(b) and len(light):
        out["auc_b_vs_light"] = auc(b, light)
    return out


def format_summary(summary: dict, output: Path) -> str:
    lines = [f"jettag apply: {summary['n_jets']} jets scored with '{summary['tagger']}' -> {output}"
             f" (jets in: {summary['cutflow'].get('all', 0)}, unknown labels dropped: {summary['n_unknown_label']})"]
    if summary["auc_b_vs_light"] is not None:
        lines.append(f"  AUC b vs light: {summary['auc_b_vs_light']:.4f}")
    for fname, med in summary["median_db"].items():
        lines.append(f"  median D_b ({fname}, {summary['n_per_flavour'][fname]} jets): {med:.3f}")
    return "\n".join(lines)
