"""Every file and directory the workflow writes under ``results_dir`` and ``resources_dir``.

The rules (``workflow/rules/*.smk``), the study planning (``jettag.studies``) and the tagger plans
(``jettag.taggers``) all take their paths from :class:`ResultPaths`, so a layout change is made
here once. Arguments are plain strings: pass a Snakemake wildcard (``"{sample}"``) to get a rule
pattern, or a value to get a concrete path::

    P = ResultPaths.of(cfg)
    P.scores("{sample}", "{tagger}")  # results/scores/{sample}/{tagger}.h5
    P.scores("ttbar", "dips")         # results/scores/ttbar/dips.h5
"""

from __future__ import annotations

from dataclasses import dataclass

#: The files of one preprocessed sample that trainings read (and their rule output names).
SPLITS = ("train", "val", "test")
#: The files a training writes into its model directory (rule output name -> file name).
MODEL_FILES = {
    "best": "best.pt",
    "last": "last.pt",
    "history": "history.csv",
    "diagnostics": "diagnostics.json",
}


@dataclass(frozen=True)
class ResultPaths:
    """Paths under ``results`` (outputs of a study) and ``resources`` (generated samples)."""

    results: str
    resources: str = "resources"

    @classmethod
    def of(cls, cfg: dict) -> ResultPaths:
        return cls(str(cfg["results_dir"]), str(cfg.get("resources_dir", "resources")))

    # ---- inputs --------------------------------------------------------------------------

    def shard(self, sample: str, shard: str | int) -> str:
        return f"{self.resources}/samples/{sample}/shard{shard}.root"

    def ftag_export(self, sample: str) -> str:
        """A sample as an ATLAS flavour-tagging HDF5 file (rule ``export_ftag``)."""
        return f"{self.results}/ftag/{sample}.h5"

    # ---- preprocessed data ---------------------------------------------------------------

    def data_dir(self, sample: str) -> str:
        return f"{self.results}/data/{sample}"

    @staticmethod
    def data_files(directory: str) -> dict[str, str]:
        """``train``/``val``/``test``/``norm`` of a data directory (a sample's, a fold's, ...)."""
        return {s: f"{directory}/{s}.h5" for s in SPLITS} | {"norm": f"{directory}/norm.json"}

    @classmethod
    def training_files(cls, directory: str) -> dict[str, str]:
        """What a training reads from a data directory: ``train``, ``val`` and ``norm``."""
        files = cls.data_files(directory)
        return {k: files[k] for k in ("train", "val", "norm")}

    def split_files(self, sample: str) -> dict[str, str]:
        return self.data_files(self.data_dir(sample))

    def preprocess_outputs(self, sample: str) -> dict[str, str]:
        return self.split_files(sample) | {"summary": f"{self.data_dir(sample)}/summary.json"}

    def preprocess_part(self, sample: str, index: str | int) -> str:
        """The per-file preprocessing output of a sample's input file number ``index``."""
        return f"{self.data_dir(sample)}/parts/file{index}.h5"

    # ---- trainings -----------------------------------------------------------------------

    def model_dir(self, tagger: str) -> str:
        return f"{self.results}/models/{tagger}"

    def model_file(self, tagger: str, name: str) -> str:
        return f"{self.model_dir(tagger)}/{name}"

    def model_outputs(self, tagger: str) -> dict[str, str]:
        return {key: self.model_file(tagger, name) for key, name in MODEL_FILES.items()}

    def checkpoint(self, tagger: str, which: str = "best") -> str:
        return self.model_file(tagger, MODEL_FILES[which])

    def history(self, tagger: str) -> str:
        return self.model_file(tagger, MODEL_FILES["history"])

    def onnx(self, tagger: str) -> str:
        return self.model_file(tagger, "model.onnx")

    def lr_find(self, tagger: str, ext: str) -> str:
        return f"{self.results}/lr_find/{tagger}.{ext}"

    # ---- evaluation ----------------------------------------------------------------------

    def scores(self, sample: str, tagger: str) -> str:
        return f"{self.results}/scores/{sample}/{tagger}.h5"

    def performance(self) -> str:
        return f"{self.results}/metrics/performance.csv"

    def comparisons(self) -> str:
        return f"{self.results}/metrics/comparisons.csv"

    def plot(self, name: str, ext: str | None = None) -> str:
        """A plot of the main results; without ``ext`` the stem (one file per format)."""
        stem = f"{self.results}/plots/{name}"
        return f"{stem}.{ext}" if ext else stem

    def resolved_config(self) -> str:
        return f"{self.results}/config.yaml"

    # ---- studies -------------------------------------------------------------------------

    def study_dir(self, study: str) -> str:
        return f"{self.results}/studies/{study}"

    def study_stem(self, study: str) -> str:
        """The summary of a study: ``{stem}.csv/.md/.html``, plots ``{stem}_{name}.{format}``."""
        return f"{self.study_dir(study)}/{study}"

    def study_file(self, study: str, name: str) -> str:
        return f"{self.study_dir(study)}/{name}"

    def fold_dir(self, index: str | int, folds: str | int) -> str:
        return f"{self.study_dir('kfold')}/data/fold{index}of{folds}"

    def subset_dir(self, fraction: str) -> str:
        """A learning-curve subset; ``fraction`` as spelled in tagger names (``0.1``)."""
        return f"{self.study_dir('bias_variance')}/data/frac{fraction}"

    def transfer_dir(self, sample: str, n_jets: str | int) -> str:
        """The transfer study's small training sample: ``n_jets`` random jets of ``sample``."""
        return f"{self.study_dir('transfer')}/data/{sample}_n{n_jets}"

    def double_descent_dir(self, n_jets: str | int, noise: str | float) -> str:
        """The double-descent study's training set: ``n_jets`` random jets, a fraction ``noise``
        of their labels flipped (``noise`` as spelled in paths: ``0.2``)."""
        noise = noise if isinstance(noise, str) else f"{float(noise):g}"
        return f"{self.study_dir('double_descent')}/data/n{n_jets}_noise{noise}"

    def saliency_maps(self, tagger: str) -> str:
        return self.study_file("saliency", f"maps_{tagger}.h5")

    def permutation(self, tagger: str, ext: str = "csv") -> str:
        return self.study_file("ablation", f"permutation_{tagger}.{ext}")

    def overfit_check(self, model: str) -> str:
        return self.study_file("search", f"overfit_{model}.json")
