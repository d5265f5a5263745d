"""How alike two complaints are, and whether a remedy fits what similar cases got (pure).

Facts weigh most (sub-category, whose fault, size of the loss), then the words of the
complaint. The remedy of a case is compared as its ratio to the measured loss, so a 50 USD
and a 5,000 USD slippage complaint with the same fault can be held to the same standard.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

_WORD = re.compile(r"[a-z0-9]{3,}|[\u4e00-\u9fff]")
WEIGHTS = {"subcategory": 0.25, "fault": 0.30, "jurisdiction": 0.05, "asset": 0.05,
           "loss": 0.20, "text": 0.15}


@dataclass(frozen=True)
class Facts:
    """What makes two complaints alike."""

    category: str
    subcategory: str
    fault: str
    jurisdiction: str
    asset: str | None
    loss_usd: Decimal
    text: str


@dataclass(frozen=True)
class Decided:
    """A decided case: its facts and what it got."""

    reference: str
    facts: Facts
    remedy_usd: Decimal
    remedy_kinds: tuple[str, ...]
    outcome: str


@dataclass(frozen=True)
class Neighbour:
    """A decided case and how similar it is (0 to 1)."""

    case: Decided
    similarity: float


def loss_band(loss_usd: Decimal) -> int:
    """The order of magnitude of a loss (0 for under 1 USD), for finding candidates fast."""
    return 0 if loss_usd < 1 else int(math.log10(loss_usd)) + 1


def words(text: str) -> frozenset[str]:
    """The words (and Chinese characters) of ``text``, lower-cased."""
    return frozenset(_WORD.findall(text.lower()))


def similarity(a: Facts, b: Facts) -> float:
    """0 (nothing alike, or another category) to 1 (same facts, same words)."""
    if a.category != b.category:
        return 0.0
    score = WEIGHTS["subcategory"] * (a.subcategory == b.subcategory)
    score += WEIGHTS["fault"] * (a.fault == b.fault)
    score += WEIGHTS["jurisdiction"] * (a.jurisdiction == b.jurisdiction)
    score += WEIGHTS["asset"] * (a.asset == b.asset)
    big, small = max(a.loss_usd, b.loss_usd), min(a.loss_usd, b.loss_usd)
    score += WEIGHTS["loss"] * (1.0 if big == 0 else float((small + 1) / (big + 1)))
    wa, wb = words(a.text), words(b.text)
    if wa and wb:
        score += WEIGHTS["text"] * len(wa & wb) / len(wa | wb)
    return round(score, 4)


def nearest(target: Facts, candidates: Iterable[Decided], k: int = 5,
            threshold: float = 0.5) -> list[Neighbour]:
    """The ``k`` most similar decided cases at or above ``threshold``, most similar first."""
    scored = [Neighbour(c, similarity(target, c.facts)) for c in candidates]
    scored = [n for n in scored if n.similarity >= threshold]
    scored.sort(key=lambda n: (-n.similarity, n.case.reference))
    return scored[:k]


def ratio(remedy_usd: Decimal, loss_usd: Decimal) -> Decimal:
    """Remedy as a share of the loss (0 when nothing was lost), to 4 places."""
    if loss_usd <= 0:
        return Decimal(0)
    return (remedy_usd / loss_usd).quantize(Decimal("0.0001"))


def ratio_range(neighbours: Sequence[Neighbour]) -> tuple[Decimal, Decimal] | None:
    """Lowest and highest remedy/loss ratio among ``neighbours`` (None when there are none)."""
    ratios = [ratio(n.case.remedy_usd, n.case.facts.loss_usd) for n in neighbours]
    return (min(ratios), max(ratios)) if ratios else None


def outside(proposed: Decimal, span: tuple[Decimal, Decimal] | None,
            tolerance: Decimal) -> str | None:
    """Why a proposed remedy/loss ratio is outside the precedents' range (DC-2), or None."""
    if span is None:
        return None
    low, high = span
    if low - tolerance <= proposed <= high + tolerance:
        return None
    return (f"the remedy is {proposed:.2%} of the loss; similar decided cases got "
            f"{low:.2%} to {high:.2%}")


def spread(groups: Iterable[Sequence[Decimal]]) -> Decimal | None:
    """The fairness figure: the mean, over groups of similar facts with two or more decided
    cases, of the standard deviation of their remedy/loss ratios (0 = perfectly consistent)."""
    deviations = [statistics.pstdev([float(r) for r in g]) for g in groups if len(g) >= 2]
    if not deviations:
        return None
    return Decimal(str(statistics.fmean(deviations))).quantize(Decimal("0.0001"))
