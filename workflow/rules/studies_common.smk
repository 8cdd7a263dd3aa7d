# Helpers of the study rules (studies.smk): plans, specs and summary outputs.
from jettag.studies import bias_variance as study_bias_variance
from jettag.studies import ensembles as study_ensembles
from jettag.studies import plan as study_plan
from jettag.studies import registry as study_registry

STUDIES = study_registry.names()


def _study_plan(func, *args):
    try:
        return func(config, *args)
    except JettagError as error:
        sys.exit(f"jettag: {error}")


ENABLED_STUDIES = _study_plan(study_plan.enabled)
EXTRA_SCORES.extend(_study_plan(study_plan.extra_scores))
for _s in ENABLED_STUDIES:
    STUDY_TARGETS.extend(_study_plan(study_plan.targets, _s))


def study_spec(study, **extra):
    return as_json(_study_plan(study_plan.step_spec, study) | extra)


def _study_summary_outputs(study):
    stem = study_plan.stem(config, study)
    out = {"csv": f"{stem}.csv", "md": f"{stem}.md"}
    out["html"] = report(
        f"{stem}.html",
        category="Studies",
        subcategory=study,
        caption=f"../report/study_{study}.rst",
    )
    for i, plot in enumerate(_study_plan(study_plan.plot_stems, study)):
        for j, path in enumerate(
            plot_outputs(plot, "Studies", f"../report/study_{study}.rst", study)
        ):
            out[f"plot{i}_{j}"] = path
    return out
