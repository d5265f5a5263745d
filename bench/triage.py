"""Triage benchmark: classifier figures on the held-out split, and the time to triage a case.

Run: ``.venv/bin/python bench/triage.py`` (about a minute). Records in bench/RESULTS.md:
category and sub-category macro-F1, per-category precision/recall/F1, the calibration error,
the reliability plot bench/triage_calibration.png, and the mean time of one triage
(classification + completeness + priority + regulatory clocks of a UK/EU case) over 10,000
cases.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

sys.path.insert(0, str(Path(__file__).parent))
from _results import record
from ombud.triage.classifier import Classifier, default_classifier, train
from ombud.triage.classifier_corpus import base_set, split_by_family
from ombud.triage.classifier_eval import Report, evaluate
from ombud.triage.completeness import Holdings, check
from ombud.triage.priority import PriorityInput, assess
from ombud.triage.regulatory_clocks import case_clocks
from ombud.triage.regulatory_model import CaseFacts, RegulatoryConfig

NAME = "triage"
PLOT = Path(__file__).with_name("triage_calibration.png")


def plot(report: Report, path: Path) -> None:
    """Reliability diagram of the category confidence."""
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    xs = [b.mean_confidence for b in report.reliability]
    ys = [b.accuracy for b in report.reliability]
    ax.plot(xs, ys, "o-", label=f"held-out (ECE {report.ece:.3f})")
    for b in report.reliability:
        ax.annotate(str(b.count), (b.mean_confidence, b.accuracy), textcoords="offset points",
                    xytext=(4, -10), fontsize=7)
    ax.set(xlabel="confidence (category)", ylabel="accuracy", xlim=(0, 1), ylim=(0, 1.02),
           title="Classifier reliability, held-out families")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def figures() -> None:
    """Train on the training families, score on the held-out families, record."""
    train_set, test_set = split_by_family(base_set())
    started = time.perf_counter()
    model = train(train_set)
    seconds = time.perf_counter() - started
    report = evaluate(model, test_set)
    hand = evaluate(model, [ex for ex in test_set if ex.source == "handwritten"])
    plot(report, PLOT)
    design = (f"{len(train_set)} train / {len(test_set)} held-out: whole template families and "
              f"~30% of hand-written texts held out; trained in {seconds:.1f} s")
    record(NAME, "classifier category macro-F1 (held-out)", f"{report.category.macro_f1:.3f}",
           ">= 0.90", report.category.macro_f1 >= 0.90, design)
    record(NAME, "classifier sub-category macro-F1 (held-out)",
           f"{report.subcategory.macro_f1:.3f}", "-", True, "27 sub-categories")
    record(NAME, "classifier category macro-F1 (hand-written held-out only)",
           f"{hand.category.macro_f1:.3f}", "-", True, f"{hand.size} texts")
    for label, s in report.category.per_class.items():
        record(NAME, f"classifier {label} P/R/F1", f"{s.precision:.3f}/{s.recall:.3f}/"
               f"{s.f1:.3f}", "-", True, f"support {s.support}")
    record(NAME, "classifier expected calibration error", f"{report.ece:.3f}", "< 0.08",
           report.ece < 0.08, f"reliability plot: bench/{PLOT.name}")


def triage_one(model: Classifier, text: str, now: datetime, jurisdictions: frozenset[str],
               cfg: RegulatoryConfig) -> None:
    """One case through classification, completeness, priority and clocks."""
    prediction = model.predict(text)
    check(text, prediction.category, Holdings(orders=True, transfers=True),
          language=prediction.language, subcategory=prediction.subcategory)
    assess(PriorityInput(prediction.category, text, Decimal("1250.00"), repeat_contacts=1))
    case_clocks(CaseFacts(received_at=now - timedelta(days=3), jurisdictions=jurisdictions),
                cfg, now)


def speed(cases: int = 10_000) -> None:
    """Mean time of one triage over ``cases`` texts of the labelled set."""
    model = default_classifier()
    texts = [ex.text for ex in base_set()]
    cfg = RegulatoryConfig()
    now = datetime(2026, 11, 25, 10, tzinfo=UTC)
    places = (frozenset({"GB"}), frozenset({"FR"}), frozenset({"GB", "DE"}))
    for text in texts[:200]:  # warm caches
        triage_one(model, text, now, places[0], cfg)
    started = time.perf_counter()
    for i in range(cases):
        triage_one(model, texts[i % len(texts)], now, places[i % 3], cfg)
    mean_ms = (time.perf_counter() - started) / cases * 1000
    record(NAME, "triage of one case (classify + completeness + priority + UK/EU clocks)",
           f"{mean_ms:.2f} ms", "< 5 ms", mean_ms < 5,
           f"mean over {cases:,} cases; texts from the labelled set, EN/zh-Hans/zh-Hant")


if __name__ == "__main__":
    figures()
    speed()
