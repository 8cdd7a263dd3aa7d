# jettag: build, debug and study track-based jet flavour taggers.
#   snakemake --cores all                          the default study (config/config.yaml)
#   snakemake --cores 2 --configfile config/smoke.yaml
#   snakemake --report results/report.html         the HTML report
from snakemake.utils import min_version

min_version("8.20")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/generate.smk"
include: "workflow/rules/preprocess.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/plots.smk"
include: "workflow/rules/studies_common.smk"
include: "workflow/rules/studies.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/export.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
        SUMMARY,
