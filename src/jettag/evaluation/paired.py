"""Score files on shared test jets, bootstrapped together.

Every tagger whose scores file holds the same test jets (same ``eventNumber`` and ``flavour``
arrays, in the same order) is evaluated with the same bootstrap weights, so that comparisons
between them are paired (:mod:`jettag.evaluation.statistics`). Files on other jets (another
sample, another subset) form their own group.

* :func:`bootstrap_of`: the :class:`~jettag.evaluation.statistics.Bootstrap` of the
  ``evaluation.bootstrap`` config section.
* :func:`load_groups`: read score files -> :class:`SharedJets` groups.
* :func:`group_replicas`: the bootstrap replicas of every tagger of a group.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from jettag.errors import JettagError
from jettag.evaluation.scores import Scores, read_scores
from jettag.evaluation.statistics import Bootstrap, Replicas, replicas


def bootstrap_of(spec: dict | None) -> Bootstrap:
    """``evaluation.bootstrap`` (``replicas``, ``seed``) as a :class:`Bootstrap`."""
    section = (spec or {}).get("bootstrap") or {}
    default = Bootstrap()
    return Bootstrap(
        replicas=int(section.get("replicas", default.replicas)),
        seed=int(section.get("seed", default.seed)),
    )


@dataclass(frozen=True)
class SharedJets:
    """Taggers scored on the same jets: ``discs`` (tagger -> D_b per jet) and their ``scores``."""

    flavour: np.ndarray
    event_number: np.ndarray
    discs: dict[str, np.ndarray] = field(default_factory=dict)
    scores: dict[str, Scores] = field(default_factory=dict)

    def same_jets(self, s: Scores) -> bool:
        return np.array_equal(self.flavour, s.flavour) and np.array_equal(self.event_number, s.eventNumber)


def group_scores(loaded: Iterable[Scores]) -> list[SharedJets]:
    """Group scores by their jets (order of first appearance); JettagError on a repeated tagger."""
    groups: list[SharedJets] = []
    seen: dict[str, Path | None] = {}
    for s in loaded:
        if s.tagger in seen:
            raise JettagError(f"tagger '{s.tagger}' appears twice: {seen[s.tagger]} and {s.path}")
        seen[s.tagger] = s.path
        group = next((g for g in groups if g.same_jets(s)), None)
        if group is None:
            group = SharedJets(flavour=np.asarray(s.flavour), event_number=np.asarray(s.eventNumber))
            groups.append(group)
        group.discs[s.tagger] = np.asarray(s.discriminant(), dtype=np.float64)
        group.scores[s.tagger] = s
    return groups


def load_groups(paths: Iterable[str | Path]) -> list[SharedJets]:
    """Read score files and group them by their test jets."""
    paths = list(paths)
    if not paths:
        raise JettagError("no scores files given: pass at least one scores file")
    return group_scores(read_scores(p) for p in paths)


def group_replicas(group: SharedJets, wps, boot: Bootstrap) -> dict[str, Replicas]:
    """Bootstrap replicas of every tagger of ``group`` with one shared set of weights."""
    return replicas(group.discs, group.flavour, wps, boot)
