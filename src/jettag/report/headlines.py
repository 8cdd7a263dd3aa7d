"""One sentence per study, read from the study's summary table (``results/studies/<s>/<s>.csv``).

``HEADLINES`` maps a study name to a function of the table's rows (dicts of strings) returning the
sentence; a study without an entry gets a generic sentence naming its table.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

Rows = list[dict[str, str]]


def num(text: str | None) -> float:
    try:
        return float(text) if text not in (None, "") else math.nan
    except ValueError:
        return math.nan


def fmt(value: float, err: float | None = None) -> str:
    """Three significant digits (inf and nan spelled out), with its error when given."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "∞"
    if err is None or math.isnan(err) or math.isinf(err) or err <= 0:
        return f"{value:.3g}"
    digits = max(0, 1 - math.floor(math.log10(err)))  # two significant digits of the error
    return f"{value:.{digits}f} ± {err:.{digits}f}"


def _rej(row: dict[str, str], key: str = "light_rej") -> str:
    return fmt(num(row.get(key)), num(row.get(f"{key}_err")))


def _by_model(rows: Rows, key: str = "model") -> dict[str, Rows]:
    out: dict[str, Rows] = {}
    for row in rows:
        out.setdefault(row.get(key, ""), []).append(row)
    return out


def _join(parts: list[str]) -> str:
    return "; ".join(p for p in parts if p) + "." if parts else "no rows."


def ablation(rows: Rows) -> str:
    parts = []
    for model, mrows in _by_model([r for r in rows if r["rank"] != "0"]).items():
        top = min(mrows, key=lambda r: num(r["delta_light_rej"]))
        significant = sum(r["flag"] == "significant" for r in mrows)
        parts.append(f"{model} ({top['method']}): '{top['component']}' costs most, light rejection "
                     f"{fmt(num(top['delta_light_rej']), num(top['delta_light_rej_err']))}; "
                     f"{significant} of {len(mrows)} components significant")
    return _join(parts)


def bias_variance(rows: Rows) -> str:
    parts = []
    for model, mrows in _by_model(rows).items():
        regimes = Counter(r["regime"] for r in mrows)
        best = min(mrows, key=lambda r: num(r["val_loss"]))
        parts.append(f"{model}: " + ", ".join(f"{n} {k}" for k, n in sorted(regimes.items()))
                     + f" of {len(mrows)} scan points; lowest validation loss {fmt(num(best['val_loss']))}"
                     f" at {best['scan']} = {best['value']}")
    return _join(parts)


def ensembles(rows: Rows) -> str:
    parts = []
    for row in rows:
        if row["kind"] in ("deep ensemble", "snapshot ensemble"):
            gain = num(row["gain_vs_mean_member"])
            parts.append(f"{row['model']} {row['kind']}: light rejection {_rej(row)}, "
                         f"{gain * 100:+.1f} % vs the mean member" if not math.isnan(gain)
                         else f"{row['model']} {row['kind']}: light rejection {_rej(row)}")
    return _join(parts)


def features(rows: Rows) -> str:
    parts = [f"{r['model']} with {r['inputs']}: light rejection {_rej(r)}, change vs baseline "
             f"{fmt(num(r['delta_light_rej']), num(r['delta_light_rej_err']))}, "
             f"{r['epochs_to_target']} epochs to target"
             for r in rows if r["variant"] != "baseline"]
    return _join(parts)


def kfold(rows: Rows) -> str:
    light = [r for r in rows if r["metric"] == "light_rej"]
    wp = {r["wp"] for r in light}
    chosen = "77" if "77" in wp else (sorted(wp)[0] if wp else "")
    parts = [f"{r['model']} light rejection at {chosen} %: {fmt(num(r['mean']), num(r['std']))} "
             f"over folds (relative spread {num(r['rel_std']) * 100:.0f} %)"
             for r in light if r["wp"] == chosen]
    return _join(parts)


def saliency(rows: Rows) -> str:
    parts = []
    for tagger, trows in _by_model(rows, "tagger").items():
        firsts = Counter(r["feature"] for r in trows if r["rank"] == "1")
        if firsts:
            feature, n = firsts.most_common(1)[0]
            parts.append(f"{tagger}: '{feature}' carries the largest attribution in {n} of "
                         f"{sum(firsts.values())} method/jet-class groups")
    return _join(parts)


def search(rows: Rows) -> str:
    parts = []
    for model, mrows in _by_model([r for r in rows if r["rank"] == "1"]).items():
        best = mrows[0]
        n = sum(1 for r in rows if r.get("model") == model and r["rank"].isdigit())
        parts.append(f"best of {n} {model} trials: {best['tagger']} (learning rate "
                     f"{fmt(num(best['learning_rate']))}, width {best['width']}, depth "
                     f"{best['depth']}), light rejection {_rej(best)}")
    return _join(parts)


def transfer(rows: Rows) -> str:
    parts = [f"{r['model']} {r['trained_on']} on {r['evaluated_on']}: light rejection {_rej(r)}"
             for r in rows if r["selection"] == "all"]
    return _join(parts)


HEADLINES: dict[str, Callable[[Rows], str]] = {
    "ablation": ablation,
    "bias_variance": bias_variance,
    "ensembles": ensembles,
    "features": features,
    "kfold": kfold,
    "saliency": saliency,
    "search": search,
    "transfer": transfer,
}


def headline(study: str, rows: Rows, table: str) -> str:
    func = HEADLINES.get(study)
    if func is None:
        return f"{len(rows)} rows in {table}."
    try:
        return func(rows)
    except (KeyError, ValueError, IndexError) as exc:
        return f"{len(rows)} rows in {table} (no headline: column {exc} missing)."
