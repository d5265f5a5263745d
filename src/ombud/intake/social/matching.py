"""Same matter or not: which open case a follow-up joins, and which cases look like
duplicates of one another (pure: data in, data out)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal

REFERENCE = re.compile(r"\bC-\d{4}-\d{6}\b")
_LATIN = re.compile(r"[a-z0-9]{3,}")
_CJK = re.compile(r"[\u3400-\u9fff]")
_STOP = frozenset({
    "the", "and", "for", "you", "your", "our", "with", "this", "that", "have", "has", "was",
    "were", "not", "but", "are", "from", "they", "them", "what", "when", "will", "can", "just",
    "any", "about", "been", "into", "there",
})
#: Texts this short ("any news?") carry no matter of their own: they follow up the open case.
SHORT_WORDS = 8
#: Token overlap above which two texts are about the same thing.
SIMILAR = 0.2
#: Suggestions below this score are not shown.
SUGGEST = 0.35


@dataclass(frozen=True)
class CaseFacts:
    """What matching needs to know of a case."""

    reference: str
    customer_id: int
    text: str  # summary and description
    asset: str | None = None
    amount: Decimal | None = None
    open: bool = True


@dataclass(frozen=True)
class Suggestion:
    """A case that is probably the same matter, with the reasons."""

    reference: str
    score: float
    reasons: tuple[str, ...] = field(default=())


def references_in(text: str) -> list[str]:
    """The case references named in ``text``, in order, without repeats."""
    return list(dict.fromkeys(REFERENCE.findall(text)))


def tokens(text: str) -> frozenset[str]:
    """Content words (Latin, three letters or more) and Chinese character pairs."""
    low = text.lower()
    words = {w for w in _LATIN.findall(low) if w not in _STOP}
    han = _CJK.findall(text)
    return frozenset(words | {a + b for a, b in itertools.pairwise(han)})


def similarity(a: str, b: str) -> float:
    """Overlap of the content of two texts: 0 (nothing shared) to 1 (the same words)."""
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / min(len(ta), len(tb)) * (len(ta & tb) / len(ta | tb)) ** 0.5


def follow_up_of(text: str, open_cases: list[CaseFacts]) -> str | None:
    """The open case of this customer that ``text`` continues, or None for a new matter.

    A named reference of one of them decides. Otherwise, with one open case, a short
    message or one about the same thing continues it; with several, only a clearly best
    match does.
    """
    named = [r for r in references_in(text) if any(c.reference == r for c in open_cases)]
    if named:
        return named[0]
    if not open_cases:
        return None
    if len(tokens(text)) <= SHORT_WORDS and len(open_cases) == 1:
        return open_cases[0].reference
    scored = sorted(((similarity(text, c.text), c.reference) for c in open_cases), reverse=True)
    best, ref = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    return ref if best >= SIMILAR and best >= runner_up * 1.5 else None


def suggest(case: CaseFacts, others: list[CaseFacts], named_customers: frozenset[int] = frozenset()
            ) -> list[Suggestion]:
    """Cases among ``others`` that are likely the same matter as ``case``, best first.

    ``named_customers`` are customers whose UID or email ``case``'s text names (a claim, not
    a proof: it is only a reason to look).
    """
    named_refs = set(references_in(case.text))
    found: list[Suggestion] = []
    for other in others:
        if other.reference == case.reference:
            continue
        reasons: list[str] = []
        score = 0.0
        if other.reference in named_refs or case.reference in references_in(other.text):
            score += 0.6
            reasons.append("one names the other's reference")
        if other.customer_id == case.customer_id:
            score += 0.25
            reasons.append("same customer")
        elif other.customer_id in named_customers:
            score += 0.3
            reasons.append("the text names this customer's UID or email")
        if case.asset and case.amount is not None and (other.asset, other.amount) == (
                case.asset, case.amount):
            score += 0.25
            reasons.append(f"same amount: {case.amount} {case.asset}")
        sim = similarity(case.text, other.text)
        if sim >= SIMILAR:
            score += min(sim, 1.0) * 0.5
            reasons.append(f"similar text ({sim:.2f})")
        if score >= SUGGEST and other.open:
            found.append(Suggestion(other.reference, round(score, 2), tuple(reasons)))
    return sorted(found, key=lambda s: (-s.score, s.reference))
