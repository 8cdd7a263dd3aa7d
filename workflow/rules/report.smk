# The report's landing page: results/summary.html, generated from the run's outputs by
# `jettag summary` and embedded at the top of the report by workflow/report/workflow.rst.
SUMMARY = f"{config['results_dir']}/summary.html"


rule summary:
    """Performance table, ROC figure and one headline per enabled study, as one HTML page."""
    input:
        performance=f"{config['results_dir']}/metrics/performance.csv",
        roc=f"{config['results_dir']}/plots/roc.{'png' if 'png' in PLOT_FORMATS else PLOT_FORMATS[0]}",
        studies=[f"{study_plan.stem(config, s)}.csv" for s in ENABLED_STUDIES],
    output:
        report(SUMMARY, category="1. Summary", caption="../report/summary.rst"),
    log:
        "logs/summary.log",
    conda:
        "../envs/jettag.yaml"
    resources:
        **rule_resources("default"),
    params:
        spec=lambda w: as_json(
            {"sample": TRAIN_SAMPLE, "wp": config["evaluation"]["pt_wp"]}
        ),
    shell:
        "jettag summary --spec {params.spec:q} --performance {input.performance:q} "
        "--roc {input.roc:q} --studies {input.studies:q} --output {output:q} 2> {log:q}"
