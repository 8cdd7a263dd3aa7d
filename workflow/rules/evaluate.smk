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


from jettag.taggers import main_seed_taggers

# The seeds of every main model (training.seeds): the model, then model--mainseed<S>.
SEED_MEMBERS = {m: main_seed_taggers(config, m) for m in MODELS}


rule metrics:
    """Working points, rejections with binomial errors and bootstrap intervals, AUC for every
    tagger; paired comparisons of every tagger (seeds included) with the reference."""
    input:
        [scores_file(t) for m in MODELS for t in SEED_MEMBERS[m]],
        lambda w: EXTRA_SCORES,
    output:
        performance=report(
            PATHS.performance(),
            category="Performance",
            caption="../report/performance.rst",
        ),
        comparisons=report(
            PATHS.comparisons(),
            category="Performance",
            caption="../report/comparisons.rst",
        ),
    log:
        "logs/metrics.log",
    conda:
        "../envs/jettag.yaml"
    resources:
        **rule_resources("metrics"),
    params:
        spec=lambda w: as_json(config["evaluation"]),
        comparison_spec=lambda w: as_json(
            {**config["evaluation"], "members": SEED_MEMBERS}
        ),
    shell:
        "jettag metrics --spec {params.spec:q} --scores {input:q} "
        "--output {output.performance:q} 2> {log:q} && "
        "jettag comparisons --spec {params.comparison_spec:q} --scores {input:q} "
        "--output {output.comparisons:q} 2>> {log:q}"
