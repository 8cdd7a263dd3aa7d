rule evaluate:
    """Scores (p_b, p_c, p_u) of one tagger on the test split of one sample."""
    input:
        checkpoint=rules.train.output.best,
        data=rules.preprocess.output.test,
    output:
        PATHS.scores("{sample}", "{tagger}"),
    log:
        "logs/evaluate/{sample}_{tagger}.log",
    conda:
        "../envs/jettag.yaml"
    threads: res("evaluate", "threads")
    resources:
        **rule_resources("evaluate"),
    params:
        fc=lambda w: tagger_plan(w.tagger).spec["fc"],
    shell:
        "OMP_NUM_THREADS={threads} jettag evaluate --checkpoint {input.checkpoint:q} "
        "--data {input.data:q} --tagger {wildcards.tagger} --fc {params.fc} "
        "--output {output:q} 2> {log:q}"


rule metrics:
    """Working points, rejections with binomial errors and AUC for every tagger."""
    input:
        [scores_file(m) for m in MODELS],
        lambda w: EXTRA_SCORES,
    output:
        report(
            PATHS.performance(),
            category="Performance",
            caption="../report/performance.rst",
        ),
    log:
        "logs/metrics.log",
    conda:
        "../envs/jettag.yaml"
    resources:
        **rule_resources("metrics"),
    params:
        spec=lambda w: as_json(config["evaluation"]),
    shell:
        "jettag metrics --spec {params.spec:q} --scores {input:q} --output {output:q} 2> {log:q}"
