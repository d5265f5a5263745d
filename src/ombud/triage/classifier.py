"""Category and sub-category of a complaint in English or Chinese, with a calibrated
confidence (pure: scikit-learn, no database).

Character n-grams (``char_wb`` 1-4) need no Chinese word segmentation and shrug off typos;
English word 1-2-grams are added. One linear SVM picks the category, another the
``category/sub`` label (restricted to the chosen category). Scores become probabilities by
temperature scaling fitted on out-of-fold scores, the folds grouped by template family (so
calibration data is never a re-fill of a training template).

The model is trained from the labelled set in ``data/`` at first use (a few seconds)
rather than shipped as a pickle: a pickle is tied to one scikit-learn version and unsafe to
load from elsewhere, and training is deterministic. :func:`retrain` adds staff corrections.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp, softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from ombud.cases.taxonomy import SUBCATEGORIES, Category
from ombud.triage.classifier_corpus import Example, base_set
from ombud.triage.classifier_text import clip, detect_language, is_mixed, script_counts, word_count

DEFAULT_THRESHOLD = 0.6
"""Below this category confidence a case goes to the human triage queue."""
MIN_WORDS = 2
"""Fewer content units (Latin words, or CJK characters counted two to a word) is too short."""


@dataclass(frozen=True)
class Prediction:
    """What the classifier says about one text, and why a human should look (``reasons``)."""

    category: Category
    subcategory: str | None
    confidence: float
    sub_confidence: float
    needs_human: bool
    reasons: tuple[str, ...]
    language: str
    mixed_language: bool
    alternatives: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Correction:
    """A staff correction: the text and its right ``category/sub`` label."""

    text: str
    label: str


def _valid_label(label: str) -> str:
    category, _, sub = label.partition("/")
    try:
        subs = SUBCATEGORIES[Category(category)]
    except ValueError:
        raise ValueError(f"unknown category {category!r}") from None
    if sub not in subs:
        raise ValueError(f"unknown sub-category {sub!r} of {category!r}")
    return f"{category}/{sub}"


class _Calibrated:
    """A linear SVM whose decision scores are turned into probabilities by temperature
    scaling (Guo et al. 2017), the temperature fitted on out-of-fold scores."""

    def __init__(self, svm: LinearSVC, temperature: float) -> None:
        self.svm = svm
        self.temperature = temperature
        self.classes: tuple[str, ...] = tuple(str(c) for c in svm.classes_)

    def proba(self, features: Any) -> np.ndarray:
        scores = np.asarray(self.svm.decision_function(features), dtype=float)
        probs: np.ndarray = softmax(scores / self.temperature, axis=1)
        return probs


def _fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of ``truth`` (class indices)."""

    def nll(log_t: float) -> float:
        z = scores / np.exp(log_t)
        return float(np.mean(logsumexp(z, axis=1) - z[np.arange(len(truth)), truth]))

    return float(np.exp(minimize_scalar(nll, bounds=(-6.0, 3.0), method="bounded").x))


def _fit_calibrated(
    features: Any, labels: np.ndarray, weights: np.ndarray, splits: list[Any], c: float
) -> _Calibrated:
    classes = np.unique(labels)
    oof = np.zeros((len(labels), len(classes)))
    for train_i, test_i in splits:
        svm = LinearSVC(C=c).fit(features[train_i], labels[train_i], sample_weight=weights[train_i])
        cols = np.searchsorted(classes, svm.classes_)
        oof[np.ix_(test_i, cols)] = svm.decision_function(features[test_i])
        missing = np.setdiff1d(np.arange(len(classes)), cols)
        oof[np.ix_(test_i, missing)] = -10.0  # a class absent from the fold is never chosen
    temperature = _fit_temperature(oof, np.searchsorted(classes, labels))
    return _Calibrated(LinearSVC(C=c).fit(features, labels, sample_weight=weights), temperature)


class _OneText:
    """Features and scores of a single text without scikit-learn's per-call validation
    (which costs ~10 ms); the same numbers as ``union.transform`` and ``decision_function``."""

    def __init__(self, union: FeatureUnion, models: Sequence[_Calibrated]) -> None:
        self.parts = []
        offset = 0
        for _, vec in union.transformer_list:
            self.parts.append((vec.build_analyzer(), vec.vocabulary_, vec.idf_, offset))
            offset += len(vec.vocabulary_)
        self.weights = [(np.asarray(m.svm.coef_, dtype=float), m.svm.intercept_, m.temperature)
                        for m in models]

    def probabilities(self, text: str) -> list[np.ndarray]:
        """Calibrated probabilities of each model for ``text``."""
        index: list[int] = []
        value: list[float] = []
        for analyze, vocabulary, idf, offset in self.parts:
            counts = Counter(t for t in analyze(text) if t in vocabulary)
            cols = [vocabulary[t] for t in counts]
            vals = (1 + np.log(np.fromiter(counts.values(), float, len(counts)))) * idf[cols]
            norm = float(np.sqrt(vals @ vals)) or 1.0
            index += [offset + c for c in cols]
            value += list(vals / norm)
        idx, vec = np.array(index, dtype=int), np.array(value)
        return [softmax((coef[:, idx] @ vec + bias) / t) for coef, bias, t in self.weights]


class Classifier:
    """A trained model; :meth:`predict` never raises on any string."""

    def __init__(
        self,
        features: FeatureUnion,
        category_model: _Calibrated,
        label_model: _Calibrated,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        self.features = features
        self.category_model = category_model
        self.label_model = label_model
        self.threshold = threshold
        self.categories = category_model.classes
        self.labels = label_model.classes
        self._one = _OneText(features, (category_model, label_model))

    def category_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities over :attr:`categories`, one row per text."""
        return self.category_model.proba(self.features.transform([clip(t)[0] for t in texts]))

    def predict(self, text: str) -> Prediction:
        """Category, sub-category and confidence of ``text``; a clear default on bad input."""
        text, cut = clip(text if isinstance(text, str) else "")
        language, mixed = detect_language(text), is_mixed(text)
        reasons: list[str] = []
        if cut:
            reasons.append("text cut to its first 20,000 characters")
        if mixed:
            reasons.append("mixed Chinese and English text")
        cjk, latin = script_counts(text)
        if not text.strip():
            return _default(language, mixed, ("empty text",))
        if cjk == 0 and latin == 0:
            return _default(language, mixed, ("no words: only emoji, digits or symbols",))
        cat_probs, label_probs = self._one.probabilities(text)
        ranked = np.argsort(cat_probs)[::-1]
        alternatives = tuple((self.categories[i], round(float(cat_probs[i]), 4))
                             for i in ranked[:3])
        if word_count(text) - cjk / 2 < MIN_WORDS:
            return _default(language, mixed, (
                *reasons, "too short to classify (one word); the model's guess is only a hint",
            ), alternatives)
        category = Category(self.categories[int(ranked[0])])
        confidence = float(cat_probs[ranked[0]])
        in_cat = [i for i, lb in enumerate(self.labels) if lb.startswith(f"{category}/")]
        sub_i = max(in_cat, key=lambda i: label_probs[i])
        total = float(sum(label_probs[i] for i in in_cat))
        needs_human = confidence < self.threshold
        if needs_human:
            reasons.append(f"confidence {confidence:.2f} is below the threshold "
                           f"{self.threshold:.2f}")
        return Prediction(
            category=category,
            subcategory=self.labels[sub_i].split("/", 1)[1],
            confidence=round(confidence, 4),
            sub_confidence=round(float(label_probs[sub_i]) / total, 4) if total else 0.0,
            needs_human=needs_human,
            reasons=tuple(reasons),
            language=language,
            mixed_language=mixed,
            alternatives=alternatives,
        )


def _default(
    language: str,
    mixed: bool,
    reasons: tuple[str, ...],
    alternatives: tuple[tuple[str, float], ...] = (),
) -> Prediction:
    return Prediction(Category.OTHER, None, 0.0, 0.0, True, reasons, language, mixed,
                      alternatives)


def _featuriser() -> FeatureUnion:
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True,
                            min_df=2, dtype=np.float32)
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                            token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b", dtype=np.float32)
    return FeatureUnion([("chars", chars), ("words", words)])


def train(
    examples: Sequence[Example],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    weights: Sequence[float] | None = None,
    folds: int = 3,
    c: float = 1.0,
) -> Classifier:
    """Fit a classifier on ``examples`` (deterministic); calibration folds group by family."""
    texts = [clip(ex.text)[0] for ex in examples]
    labels = np.array([ex.label for ex in examples])
    categories = np.array([ex.category for ex in examples])
    groups = np.array([ex.family for ex in examples])
    fit_weights = np.ones(len(texts)) if weights is None else np.asarray(weights, dtype=float)
    union = _featuriser()
    features = union.fit_transform(texts).tocsr()
    splits = list(GroupKFold(n_splits=folds).split(features, labels, groups))
    return Classifier(
        union,
        _fit_calibrated(features, categories, fit_weights, splits, c),
        _fit_calibrated(features, labels, fit_weights, splits, c),
        threshold,
    )


def retrain(
    corrections: Iterable[Correction],
    base: Sequence[Example] | None = None,
    *,
    correction_weight: float = 3.0,
    threshold: float = DEFAULT_THRESHOLD,
) -> Classifier:
    """A new classifier trained on ``base`` (default: the labelled set) plus staff corrections.

    A correction replaces any base example with the same text, and counts
    ``correction_weight`` times. Raises ``ValueError`` for a label outside the taxonomy.
    """
    fixed = [Example(c.text, _valid_label(c.label), detect_language(c.text), f"fix#{i}",
                     "correction") for i, c in enumerate(corrections)]
    corrected = {ex.text for ex in fixed}
    kept = [ex for ex in (base_set() if base is None else base) if ex.text not in corrected]
    weights = [1.0] * len(kept) + [correction_weight] * len(fixed)
    return train(kept + fixed, threshold=threshold, weights=weights)


@cache
def default_classifier() -> Classifier:
    """The classifier trained on the built-in labelled set (trained once per process)."""
    return train(base_set())


def classify(text: str, classifier: Classifier | None = None) -> Prediction:
    """Classify ``text`` with ``classifier`` (default: :func:`default_classifier`)."""
    return (classifier or default_classifier()).predict(text)
