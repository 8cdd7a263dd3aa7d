# Studies: see docs/studies.md. Each study is a named target (`snakemake --cores 2 ensembles`)
# whose fan-out jobs are mostly the ordinary `train` and `evaluate` rules applied to tagger
# variants (`dips--seed2`, `dips--no-hits`, ...; jettag.taggers); the rules below add the
# study-specific steps and one summary per study (table + plots in the report).
ruleorder: study_ensemble_combine > evaluate


rule study_ensemble_combine:
    """Average the members' probabilities into the scores of {model}_ensemble / _snapshot."""
    input:
        lambda w: _study_plan(study_ensembles.combine_inputs, w.sample, w.model, w.kind),
    output:
        PATHS.scores("{sample}", "{model}_{kind}"),
    log:
        "logs/studies/combine_{sample}_{model}_{kind}.log",
    wildcard_constraints:
        kind="ensemble|snapshot",
        model=r"[A-Za-z0-9_]+",
    conda:
        "../envs/jettag.yaml"
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: as_json({"tagger": f"{w.model}_{w.kind}"}),
    shell:
        "jettag study ensembles combine --spec {params.spec:q} --inputs {input:q} "
        "--output {output:q} 2> {log:q}"


rule study_saliency_compute:
    """Gradient and integrated-gradients maps of D_b for one tagger (batched)."""
    input:
        checkpoint=rules.train.output.best,
        data=train_sample_file("test"),
    output:
        PATHS.saliency_maps("{tagger}"),
    log:
        "logs/studies/saliency_{tagger}.log",
    conda:
        "../envs/jettag.yaml"
    threads: res("default", "threads")
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: study_spec("saliency"),
    shell:
        "OMP_NUM_THREADS={threads} jettag study saliency compute --spec {params.spec:q} "
        "--inputs {input.checkpoint:q} {input.data:q} --output {output:q} 2> {log:q}"


rule study_ablation_permutation:
    """Permutation importance of a trained tagger (no retraining)."""
    input:
        checkpoint=rules.train.output.best,
        data=train_sample_file("test"),
    output:
        **{ext: PATHS.permutation("{tagger}", ext) for ext in ("csv", "md", "html")},
    log:
        "logs/studies/permutation_{tagger}.log",
    conda:
        "../envs/jettag.yaml"
    threads: res("default", "threads")
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: study_spec("ablation"),
    shell:
        "OMP_NUM_THREADS={threads} jettag study ablation permutation --spec {params.spec:q} "
        "--inputs {input.checkpoint:q} {input.data:q} --output {output.csv:q} 2> {log:q}"


rule study_kfold_split:
    """Fold I of K: train+val jets split by event; val = fold I, train = the other folds."""
    input:
        train=train_sample_file("train"),
        val=train_sample_file("val"),
        norm=train_sample_file("norm"),
    output:
        **PATHS.training_files(PATHS.fold_dir("{index}", "{folds}")),
    log:
        "logs/studies/kfold_split_{index}of{folds}.log",
    wildcard_constraints:
        index=r"\d+",
        folds=r"\d+",
    conda:
        "../envs/jettag.yaml"
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: as_json(
            {
                "index": int(w.index),
                "folds": int(w.folds),
                "chunk_size": config["studies"]["kfold"]["chunk_size"],
            }
        ),
    shell:
        "jettag study kfold split --spec {params.spec:q} --inputs {input.train:q} "
        "{input.val:q} {input.norm:q} --output {output.train:q} 2> {log:q}"


rule study_subset:
    """A nested, event-wise fraction of the training jets (learning curves)."""
    input:
        train=train_sample_file("train"),
        val=train_sample_file("val"),
        norm=train_sample_file("norm"),
    output:
        **PATHS.training_files(PATHS.subset_dir("{fraction}")),
    log:
        "logs/studies/subset_frac{fraction}.log",
    wildcard_constraints:
        fraction=r"[0-9.]+",
    conda:
        "../envs/jettag.yaml"
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: as_json(
            {
                "fraction": float(w.fraction),
                "chunk_size": config["studies"]["bias_variance"]["chunk_size"],
            }
        ),
    shell:
        "jettag study bias_variance subset --spec {params.spec:q} --inputs {input.train:q} "
        "{input.val:q} {input.norm:q} --output {output.train:q} 2> {log:q}"


rule study_bias_variance_losses:
    """Train and val loss of one trained point, measured the same way (eval mode, equal jets)."""
    input:
        lambda w: _study_plan(study_bias_variance.losses_inputs, w.tagger),
    output:
        PATHS.study_file("bias_variance", "losses_{tagger}.json"),
    log:
        "logs/studies/bias_variance_losses_{tagger}.log",
    conda:
        "../envs/jettag.yaml"
    threads: res("default", "threads")
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: study_spec("bias_variance"),
    shell:
        "OMP_NUM_THREADS={threads} jettag study bias_variance losses --spec {params.spec:q} "
        "--inputs {input:q} --output {output:q} 2> {log:q}"


rule study_transfer_subset:
    """The transfer study's small sample: N jets drawn at random over whole events."""
    input:
        train=PATHS.data_files(PATHS.data_dir("{sample}"))["train"],
        val=PATHS.data_files(PATHS.data_dir("{sample}"))["val"],
        norm=PATHS.data_files(PATHS.data_dir("{sample}"))["norm"],
    output:
        **PATHS.training_files(PATHS.transfer_dir("{sample}", "{n}")),
    log:
        "logs/studies/transfer_subset_{sample}_n{n}.log",
    wildcard_constraints:
        n=r"\d+",
    conda:
        "../envs/jettag.yaml"
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: study_spec("transfer", n_small=int(w.n)),
    shell:
        "jettag study transfer subset --spec {params.spec:q} --inputs {input.train:q} "
        "{input.val:q} {input.norm:q} --output {output.train:q} 2> {log:q}"


rule study_search_overfit:
    """Fast-prototyping check: did {model}--overfit reach a training loss near zero?"""
    input:
        PATHS.history("{model}--overfit"),
    output:
        PATHS.overfit_check("{model}"),
    log:
        "logs/studies/overfit_{model}.log",
    wildcard_constraints:
        model=r"[A-Za-z0-9_]+",
    conda:
        "../envs/jettag.yaml"
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: study_spec("search"),
    shell:
        "jettag study search overfit --spec {params.spec:q} --inputs {input:q} "
        "--output {output:q} 2> {log:q}"


for _study in STUDIES:
    try:
        _outputs = _study_summary_outputs(_study)
    except (JettagError, KeyError, SystemExit):
        # not plannable with this config (e.g. transfer without its target sample): only an
        # enabled study is an error (raised above); a disabled one simply has no rules
        continue

    rule:
        name:
            f"study_{_study}_summary"
        input:
            lambda w, s=_study: _study_plan(study_plan.summary_inputs, s),
        output:
            **_outputs,
        log:
            f"logs/studies/{_study}.log",
        conda:
            "../envs/jettag.yaml"
        threads: res("default", "threads")
        resources:
            **rule_resources("default"),
        params:
            spec=lambda w, s=_study: study_spec(s),
            study=_study,
        shell:
            "OMP_NUM_THREADS={threads} jettag study {params.study} summary "
            "--spec {params.spec:q} --inputs {input:q} --output {output.csv:q} 2> {log:q}"

    rule:
        name:
            _study
        input:
            _outputs["csv"],


rule studies:
    """Every enabled study (config `studies.<name>.enabled`)."""
    input:
        [t for s in ENABLED_STUDIES for t in study_plan.targets(config, s)],


# ---- augmentation: the invariance a trained tagger learned --------------------------------------


rule study_augmentation_invariance:
    """Mean |Delta D_b| of test jets rotated in phi / reflected in eta (cut from validation)."""
    input:
        checkpoint=rules.train.output.best,
        test=train_sample_file("test"),
        val=train_sample_file("val"),
    output:
        PATHS.study_file("augmentation", "invariance_{tagger}.json"),
    log:
        "logs/studies/augmentation_invariance_{tagger}.log",
    conda:
        "../envs/jettag.yaml"
    threads: res("default", "threads")
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: study_spec("augmentation"),
    shell:
        "OMP_NUM_THREADS={threads} jettag study augmentation invariance --spec {params.spec:q} "
        "--inputs {input.checkpoint:q} {input.test:q} {input.val:q} --output {output:q} 2> {log:q}"


# ---- batch_lr: batch size x learning rate (jettag.studies.batch_lr) -------------------------
from jettag.studies import batch_lr as study_batch_lr


rule study_batch_lr_sharpness:
    """Rise of the validation loss of one grid cell under relative Gaussian weight noise."""
    input:
        lambda w: _study_plan(study_batch_lr.sharpness_inputs, w.tagger),
    output:
        PATHS.study_file("batch_lr", "sharpness_{tagger}.json"),
    log:
        "logs/studies/batch_lr_sharpness_{tagger}.log",
    conda:
        "../envs/jettag.yaml"
    threads: res("default", "threads")
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: study_spec("batch_lr"),
    shell:
        "OMP_NUM_THREADS={threads} jettag study batch_lr sharpness --spec {params.spec:q} "
        "--inputs {input:q} --output {output:q} 2> {log:q}"


# ---- double_descent: capacity scan to interpolation on noisy jets (jettag.studies.double_descent)
from jettag.studies import double_descent as study_double_descent


rule study_double_descent_subset:
    """N random training jets, a fraction of their labels flipped; a reduced validation split."""
    input:
        train=train_sample_file("train"),
        val=train_sample_file("val"),
        norm=train_sample_file("norm"),
    output:
        **PATHS.training_files(PATHS.double_descent_dir("{n}", "{noise}")),
    log:
        "logs/studies/double_descent_subset_n{n}_noise{noise}.log",
    wildcard_constraints:
        n=r"\d+",
        noise=r"[0-9.]+",
    conda:
        "../envs/jettag.yaml"
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: study_spec(
            "double_descent", train_jets=int(w.n), label_noise=float(w.noise)
        ),
    shell:
        "jettag study double_descent subset --spec {params.spec:q} --inputs {input.train:q} "
        "{input.val:q} {input.norm:q} --output {output.train:q} 2> {log:q}"


rule study_double_descent_losses:
    """Parameters, train (noisy) and val loss/error and test scores of one width's last checkpoint."""
    input:
        lambda w: _study_plan(study_double_descent.losses_inputs, w.tagger),
    output:
        losses=PATHS.study_file("double_descent", "losses_{tagger}.json"),
        scores=PATHS.study_file("double_descent", "scores/{tagger}.h5"),
    log:
        "logs/studies/double_descent_losses_{tagger}.log",
    conda:
        "../envs/jettag.yaml"
    threads: res("default", "threads")
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: study_spec("double_descent"),
    shell:
        "OMP_NUM_THREADS={threads} jettag study double_descent losses --spec {params.spec:q} "
        "--inputs {input:q} --output {output.losses:q} 2> {log:q}"
