"""b-jet efficiency and light-jet mistag rate vs jet pT on Z' at the fixed cut of a tt̄ working point.

    python benchmarks/zprime_efficiency.py [--results results] [--taggers ip3d dips gn2] [--wp 77]
                                           [--bins 20 250 500 1000 3000]

For each tagger the cut is the one at which ``wp`` % of the tt̄ b-jets pass
(``<results>/scores/ttbar/<tagger>.h5``, as in performance.csv); it is applied unchanged to the Z'
test jets. The Z' scores are ``<results>/scores/zprime/<tagger>.h5`` when that file exists, else the
tagger's ``best.pt`` is evaluated on ``<results>/data/zprime/test.h5`` into a temporary file
(``ip3d`` included: its templates are a checkpoint too). Prints one Markdown table: efficiency ±
binomial error per pT bin, with the number of jets.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from jettag.evaluation.scores import Scores, evaluate_checkpoint, read_scores
from jettag.evaluation.working_points import efficiency, wp_cuts


def zprime_scores(results: Path, tagger: str, scratch: Path) -> Scores:
    path = results / "scores" / "zprime" / f"{tagger}.h5"
    if not path.is_file():
        path = scratch / f"{tagger}.h5"
        evaluate_checkpoint(results / "models" / tagger / "best.pt", results / "data" / "zprime" / "test.h5",
                            path, tagger)
    return read_scores(path)


def efficiencies(reference: Scores, target: Scores, wp: float, bins, flavour: int) -> list[tuple[float, float, int]]:
    """(efficiency, binomial error, jets) of ``flavour`` jets of ``target`` per pT bin at the cut
    where ``wp`` % of ``reference``'s b-jets pass."""
    cut = wp_cuts(reference.discriminant()[reference.flavour == 5], [wp])
    disc = target.discriminant(reference.fc)
    out = []
    for lo, hi in zip(bins[:-1], bins[1:], strict=True):
        sel = (target.flavour == flavour) & (target.pt >= lo) & (target.pt < hi)
        if not sel.any():
            out.append((float("nan"), float("nan"), 0))
            continue
        eff, err = efficiency(disc[sel], cut)
        out.append((float(eff[0]), float(err[0]), int(sel.sum())))
    return out


def table(results: Path, taggers: list[str], wp: float, bins: list[float]) -> str:
    head = " | ".join(f"{lo:g}–{hi:g} GeV" for lo, hi in zip(bins[:-1], bins[1:], strict=True))
    lines = [f"| tagger | flavour | {head} |", "|---|---|" + "---|" * (len(bins) - 1)]
    with tempfile.TemporaryDirectory() as scratch:
        for tagger in taggers:
            reference = read_scores(results / "scores" / "ttbar" / f"{tagger}.h5")
            target = zprime_scores(results, tagger, Path(scratch))
            for name, flavour in (("b", 5), ("light", 0)):
                cells = [f"{e:.3f} ± {s:.3f} ({n})" if n else "–"
                         for e, s, n in efficiencies(reference, target, wp, bins, flavour)]
                lines.append(f"| {tagger} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--taggers", nargs="+", default=["ip3d", "dips", "gn2"])
    parser.add_argument("--wp", type=float, default=77.0)
    parser.add_argument("--bins", type=float, nargs="+", default=[20, 250, 500, 1000, 3000])
    args = parser.parse_args(argv)
    print(f"Efficiency at the tt̄ {args.wp:g} % cut on Z' test jets (jets per bin in brackets):\n")
    print(table(args.results, args.taggers, args.wp, args.bins))


if __name__ == "__main__":
    main()
