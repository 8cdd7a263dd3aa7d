rule generate:
    """One shard of a generated sample: Pythia8 events, FastJet jets, emulated tracks."""
    output:
        PATHS.shard("{sample}", "{shard}"),
    log:
        "logs/generate/{sample}_shard{shard}.log",
    conda:
        "../envs/jettag.yaml"
    threads: res("generate", "threads")
    resources:
        **rule_resources("generate"),
    params:
        spec=lambda w: as_json(shard_spec(w.sample)),
    shell:
        "jettag generate --spec {params.spec:q} --shard {wildcards.shard} "
        "--output {output:q} 2> {log:q}"
