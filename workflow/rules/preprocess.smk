rule preprocess:
    """Selection, derived features, sorting, padding, splits, reweighting, normalisation."""
    input:
        lambda w: sample_files(w.sample),
    output:
        **PATHS.preprocess_outputs("{sample}"),
    log:
        "logs/preprocess/{sample}.log",
    conda:
        "../envs/jettag.yaml"
    threads: res("preprocess", "threads")
    resources:
        **rule_resources("preprocess"),
    params:
        spec=lambda w: as_json(config["preprocess"]),
        input_spec=lambda w: as_json(config["samples"][w.sample].get("input", {})),
        outdir=lambda w, output: os.path.dirname(output.train),
    shell:
        "jettag preprocess --spec {params.spec:q} --input-spec {params.input_spec:q} "
        "--sample {wildcards.sample} --inputs {input:q} --output-dir {params.outdir:q} 2> {log:q}"


rule resolved_config:
    """The config this study ran with, every default filled in (shown in the report)."""
    output:
        report(
            PATHS.resolved_config(),
            category="Configuration",
            caption="../report/config.rst",
        ),
    log:
        "logs/resolved_config.log",
    conda:
        "../envs/jettag.yaml"
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: as_json(config),
    shell:
        "jettag config --spec {params.spec:q} --output {output:q} 2> {log:q}"
