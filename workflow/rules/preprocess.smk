rule preprocess_file:
    """Pass 1 of one input file: selection, derived features, sorting, padding, split."""
    input:
        lambda w: sample_files(w.sample)[int(w.index)],
    output:
        temp(PATHS.preprocess_part("{sample}", "{index}")),
    log:
        "logs/preprocess/{sample}.file{index}.log",
    wildcard_constraints:
        index=r"\d+",
    conda:
        "../envs/jettag.yaml"
    threads: 1
    resources:
        **rule_resources("preprocess"),
    params:
        spec=lambda w: as_json(config["preprocess"]),
        input_spec=lambda w: as_json(config["samples"][w.sample].get("input", {})),
    shell:
        "jettag preprocess-file --spec {params.spec:q} --input-spec {params.input_spec:q} "
        "--input {input:q} --output {output:q} 2> {log:q}"


rule preprocess:
    """Merge of the per-file parts: split files, reweighting, normalisation, summary."""
    input:
        lambda w: [
            PATHS.preprocess_part(w.sample, k)
            for k in range(len(sample_files(w.sample)))
        ],
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
        outdir=lambda w, output: os.path.dirname(output.train),
    shell:
        "jettag preprocess-merge --spec {params.spec:q} --sample {wildcards.sample} "
        "--parts {input:q} --output-dir {params.outdir:q} 2> {log:q}"


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
