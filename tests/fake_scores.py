"""Scores files of a made-up tagger whose separation of b, c and light jets is set by hand."""

import numpy as np

from jettag.evaluation.scores import write_scores


def fake_scores(path, tagger, separation, seed, n=600):
    rng = np.random.default_rng(seed)
    flavour = rng.choice([5, 4, 0], size=n)
    cls = np.select([flavour == 5, flavour == 4], [0, 1], 2)
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), cls] += separation
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    write_scores(path, tagger, 0.05, p[:, 0], p[:, 1], p[:, 2], rng.uniform(20, 400, n),
                 rng.uniform(-2.5, 2.5, n), flavour, np.arange(n))
    return path
