rule plot_performance:
    """ROC curves with ratio panels, D_b distributions, efficiency and rejection vs pT."""
    input:
        performance_scores,
    output:
        plot_outputs(
            PATHS.plot("{kind}"), "Performance", "../report/performance_plots.rst"
        ),
    log:
        "logs/plots/{kind}.log",
    wildcard_constraints:
        kind="roc|discriminant|vs_pt",
    conda:
        "../envs/jettag.yaml"
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: as_json(plot_spec()),
        first=lambda w, output: output[0],
    shell:
        "jettag plot {wildcards.kind} --spec {params.spec:q} --inputs {input:q} "
        "--output {params.first:q} 2> {log:q}"


rule plot_loss:
    """Train and validation loss per epoch, with the loss-curve diagnostics."""
    input:
        history=rules.train.output.history,
        diagnostics=rules.train.output.diagnostics,
    output:
        plot_outputs(
            PATHS.plot("loss_{tagger}"),
            "Training",
            "../report/loss.rst",
            "Loss curves",
        ),
    log:
        "logs/plots/loss_{tagger}.log",
    conda:
        "../envs/jettag.yaml"
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: as_json(plot_spec() | {"tagger": w.tagger}),
        first=lambda w, output: output[0],
    shell:
        "jettag plot loss --spec {params.spec:q} --inputs {input.history:q} "
        "{input.diagnostics:q} --output {params.first:q} 2> {log:q}"


rule plot_inputs:
    """Input feature distributions per flavour after preprocessing (train split)."""
    input:
        train_sample_file("train"),
    output:
        plot_outputs(PATHS.plot("inputs"), "Inputs", "../report/inputs.rst"),
    log:
        "logs/plots/inputs.log",
    conda:
        "../envs/jettag.yaml"
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: as_json(plot_spec()),
        first=lambda w, output: output[0],
    shell:
        "jettag plot inputs --spec {params.spec:q} --inputs {input:q} "
        "--output {params.first:q} 2> {log:q}"
