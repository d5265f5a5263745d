"""Figures of a classifier on a labelled set: per-class precision, recall and F1, macro-F1,
and reliability bins for the calibration plot (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

from ombud.triage.classifier import Classifier
from ombud.triage.classifier_corpus import Example


@dataclass(frozen=True)
class ClassScore:
    """Precision, recall, F1 and support of one class."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Scores:
    """Per-class scores, macro-F1 and accuracy at one level (category or sub-category)."""

    per_class: dict[str, ClassScore]
    macro_f1: float
    accuracy: float


@dataclass(frozen=True)
class Bin:
    """One reliability bin: mean confidence against accuracy."""

    low: float
    high: float
    count: int
    mean_confidence: float
    accuracy: float


@dataclass(frozen=True)
class Report:
    """What :func:`evaluate` measures."""

    category: Scores
    subcategory: Scores
    reliability: tuple[Bin, ...]
    ece: float  # expected calibration error over the bins
    size: int


def _scores(truth: Sequence[str], predicted: Sequence[str]) -> Scores:
    labels = sorted(set(truth))
    p, r, f, s = precision_recall_fscore_support(truth, predicted, labels=labels,
                                                 zero_division=0)
    per = {lb: ClassScore(float(p[i]), float(r[i]), float(f[i]), int(s[i]))
           for i, lb in enumerate(labels)}
    accuracy = float(np.mean([t == q for t, q in zip(truth, predicted, strict=True)]))
    return Scores(per, float(np.mean(f)), accuracy)


def evaluate(model: Classifier, examples: Sequence[Example], bins: int = 10) -> Report:
    """Score ``model`` on ``examples`` through :meth:`Classifier.predict`."""
    preds = [model.predict(ex.text) for ex in examples]
    cats = [str(p.category) for p in preds]
    labels = [f"{p.category}/{p.subcategory}" for p in preds]
    conf = np.array([p.confidence for p in preds])
    hit = np.array([c == ex.category for c, ex in zip(cats, examples, strict=True)])
    edges = np.linspace(0.0, 1.0, bins + 1)
    reliability = []
    ece = 0.0
    for i in range(bins):
        inside = (conf >= edges[i]) & ((conf < edges[i + 1]) | (i == bins - 1))
        if inside.any():
            mean_conf, acc = float(conf[inside].mean()), float(hit[inside].mean())
            reliability.append(Bin(float(edges[i]), float(edges[i + 1]), int(inside.sum()),
                                   mean_conf, acc))
            ece += inside.sum() / len(examples) * abs(mean_conf - acc)
    return Report(
        category=_scores([ex.category for ex in examples], cats),
        subcategory=_scores([ex.label for ex in examples], labels),
        reliability=tuple(reliability),
        ece=float(ece),
        size=len(examples),
    )
