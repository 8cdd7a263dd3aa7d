rule export_ftag_sample:
    """One sample as an ATLAS flavour-tagging HDF5 file (jets, tracks; MeV) for salt/UPP/puma."""
    input:
        lambda w: sample_files(w.sample),
    output:
        PATHS.ftag_export("{sample}"),
    log:
        "logs/export_ftag/{sample}.log",
    conda:
        "../envs/jettag.yaml"
    threads: 1
    params:
        spec=lambda w: as_json({"input": config["samples"][w.sample].get("input", {})}),
        max_tracks=config["preprocess"]["max_tracks"],
    shell:
        "jettag export-ftag --spec {params.spec:q} --inputs {input:q} "
        "--max-tracks {params.max_tracks} --output {output:q} 2> {log:q}"


rule export_ftag:
    """Every sample as FTAG HDF5 (a named target, not part of `all`: snakemake export_ftag)."""
    input:
        [PATHS.ftag_export(s) for s in config["samples"]],
