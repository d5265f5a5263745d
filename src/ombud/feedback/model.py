"""Survey rules and figures (pure): the answer scales, where an invitation goes, and the
satisfaction figures computed exactly from counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass
from decimal import Decimal
from enum import StrEnum

CSAT_MIN, CSAT_MAX = 1, 5
NPS_MIN, NPS_MAX = 0, 10
COMMENT_MAX = 2000
#: A CSAT answer at or above this counts as satisfied (the "CSAT %").
SATISFIED_FROM = 4
#: NPS answers at or above this are promoters, at or below ``DETRACTOR_UPTO`` detractors.
PROMOTER_FROM, DETRACTOR_UPTO = 9, 6
SOCIAL_CHANNELS = frozenset({"telegram", "messenger", "x"})


class Route(StrEnum):
    """A way the invitation reaches the customer."""

    PORTAL = "portal"  # a message on the case, seen in the portal
    EMAIL = "email"
    SOCIAL = "social"  # a private message on the platform they wrote from


def routes(channel: str, *, has_email: bool, has_social_address: bool) -> tuple[Route, ...]:
    """Where the invitation goes: always on the case; then on a social case the platform
    (email when the platform address is unknown), on any other case email when known."""
    if channel in SOCIAL_CHANNELS and has_social_address:
        return (Route.PORTAL, Route.SOCIAL)
    return (Route.PORTAL, Route.EMAIL) if has_email else (Route.PORTAL,)


@dataclass(frozen=True)
class Tally:
    """Counts over a set of surveys."""

    sent: int = 0
    answered: int = 0
    csat_total: int = 0
    satisfied: int = 0
    promoters: int = 0
    detractors: int = 0


def total(tallies: Iterable[Tally]) -> Tally:
    """The sum of several tallies."""
    sums = [0] * 6
    for t in tallies:
        sums = [a + b for a, b in zip(sums, astuple(t), strict=True)]
    return Tally(*sums)


@dataclass(frozen=True)
class Figures:
    """Satisfaction figures; a rate is None when there is nothing to divide by."""

    sent: int
    answered: int
    response_rate: Decimal | None  # answered / sent, percent
    mean_csat: Decimal | None  # 1..5
    csat_percent: Decimal | None  # answers of 4 or 5, percent
    nps: Decimal | None  # promoters minus detractors, percent of answers (-100..100)


def ratio(numerator: int, denominator: int, places: int = 2) -> Decimal | None:
    """``numerator / denominator`` rounded half away from zero to ``places`` decimals,
    in integer arithmetic (exact: no binary floating point, no intermediate rounding)."""
    if denominator <= 0:
        return None
    scaled = abs(numerator) * 10**places
    quotient, remainder = divmod(scaled, denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    sign = -1 if numerator < 0 else 1
    return Decimal(sign * quotient).scaleb(-places)


def figures(t: Tally) -> Figures:
    """The figures of a tally."""
    return Figures(
        sent=t.sent, answered=t.answered,
        response_rate=ratio(100 * t.answered, t.sent),
        mean_csat=ratio(t.csat_total, t.answered),
        csat_percent=ratio(100 * t.satisfied, t.answered),
        nps=ratio(100 * (t.promoters - t.detractors), t.answered),
    )
