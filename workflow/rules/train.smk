# The extra seeds of a main model (training.seeds, <model>--mainseed<N>) are main trainings.
ruleorder: train > train_variant


rule train:
    """Train one tagger (IP3D-like: fill templates); resumes from last.pt after a kill."""
    input:
        unpack(train_inputs),
    output:
        **PATHS.model_outputs("{tagger}"),
    log:
        "logs/train/{tagger}.log",
    wildcard_constraints:
        tagger=r"[A-Za-z0-9_.]+(--mainseed\d+)?",
    priority: 10
    conda:
        "../envs/jettag.yaml"
    threads: res("train", "threads")
    resources:
        **rule_resources("train"),
        gpu=train_gpus,
        request_gpus=train_gpus,
    params:
        spec=train_spec,
        launcher=train_launcher,
        data_dir=lambda w, input: os.path.dirname(input.train),
        outdir=lambda w, output: os.path.dirname(output.best),
    shell:
        "OMP_NUM_THREADS={threads} {params.launcher} jettag train --spec {params.spec:q} "
        "--data-dir {params.data_dir:q} --output-dir {params.outdir:q} 2> {log:q}"


use rule train as train_variant with:
    wildcard_constraints:
        tagger=r"[A-Za-z0-9_.]+--[A-Za-z0-9_.\-]+",
    priority: 0


rule export_onnx:
    """ONNX export with the normalisation inside; parity with torch checked on the test split."""
    input:
        checkpoint=rules.train.output.best,
        data=lambda w: PATHS.data_files(tagger_plan(w.tagger).data_dir)["test"],
    output:
        PATHS.onnx("{tagger}"),
    log:
        "logs/export/{tagger}.log",
    conda:
        "../envs/jettag.yaml"
    threads: 1
    resources:
        **rule_resources("default"),
    shell:
        "OMP_NUM_THREADS={threads} jettag export --checkpoint {input.checkpoint:q} "
        "--data {input.data:q} --output {output:q} 2> {log:q}"


rule lr_range_test:
    """Learning-rate range test: loss against learning rate in log space (target lr_find)."""
    input:
        unpack(train_inputs),
    output:
        csv=PATHS.lr_find("{tagger}", "csv"),
        plot=report(
            PATHS.lr_find("{tagger}", "png"),
            category="Training",
            subcategory="Learning-rate range tests",
            caption="../report/lr_find.rst",
        ),
    log:
        "logs/lr_find/{tagger}.log",
    conda:
        "../envs/jettag.yaml"
    threads: res("train", "threads")
    resources:
        **rule_resources("train"),
    params:
        spec=train_spec,
        data_dir=lambda w, input: os.path.dirname(input.train),
    shell:
        "OMP_NUM_THREADS={threads} jettag lr-find --spec {params.spec:q} "
        "--data-dir {params.data_dir:q} --output {output.csv:q} 2> {log:q}"


rule lr_find:
    """Learning-rate range tests of every neural model."""
    input:
        expand(rules.lr_range_test.output.csv, tagger=NEURAL_MODELS),
