"""Inputs and outputs of the regulatory clocks (pure values; see regulation.md §1 and §3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from ombud.triage.calendars import (
    HONG_KONG,
    MALTA,
    UAE,
    UK_ENGLAND_WALES,
    US_FEDERAL,
    BusinessCalendar,
)
from ombud.triage.sla import (
    Clock,
    ClockState,
    Pause,
    Period,
    Unit,
    WarningPolicy,
    evaluate,
)


class Regime(StrEnum):
    """A complaint regime a jurisdiction maps to."""

    EU = "EU"
    UK = "UK"
    US = "US"
    VARA = "VARA"
    HK = "HK"
    SG = "SG"
    CN = "CN"
    OWN = "OWN"


class ClockKind(StrEnum):
    """What passing the due time means."""

    OBLIGATION = "obligation"  # the firm must act by then; missing it is a breach
    WINDOW = "window"  # an exemption window (DISP 1.5); closing it is not a breach
    RIGHT = "right"  # a customer right opens then (OAFS, FDRC)


class Purpose(StrEnum):
    """What a clock is for; CL-7 picks the strictest clock per purpose."""

    ACKNOWLEDGEMENT = "acknowledgement"
    RESPONSE = "response"
    FINAL_RESPONSE = "final_response"
    SUMMARY_RESOLUTION = "summary_resolution"
    ESCALATION = "escalation"


class Outcome(StrEnum):
    """Where a clock stands: still open, or how it was settled."""

    PENDING = "pending"
    MET = "met"
    MISSED = "missed"
    CLOSED = "closed"  # a window ran out unused
    OPENED = "opened"  # a customer right opened


@dataclass(frozen=True)
class DelayNotice:
    """A late-decision notice (2025/294 Art. 6(3)) or a VARA status update."""

    sent_at: datetime
    reason: str
    decision_date: date | None
    language: str


@dataclass(frozen=True)
class HoldingResponse:
    """A UK holding response (DISP 1.6.2R(2)): reason, expected date, FOS referral statement."""

    sent_at: datetime
    reason: str
    expected_date: date | None
    fos_referral_stated: bool


@dataclass(frozen=True)
class CfpbImport:
    """A complaint imported from the CFPB company portal."""

    sent_to_company: date
    in_progress: bool = False
    responded_on: date | None = None
    final_response_on: date | None = None


@dataclass(frozen=True)
class CaseFacts:
    """What the regulatory clocks need to know about one case."""

    received_at: datetime
    jurisdictions: frozenset[str]
    language: str = "en"
    malta_licensed: bool = False
    acknowledged_at: datetime | None = None
    final_response_at: datetime | None = None
    delay_notice: DelayNotice | None = None
    holding_response: HoldingResponse | None = None
    summary_accepted_at: datetime | None = None
    cfpb: CfpbImport | None = None
    pauses: tuple[Pause, ...] = ()


DEFAULT_ACK_TARGETS: Mapping[Regime, Period] = {
    Regime.EU: Period(3, Unit.BUSINESS_DAYS),
    Regime.UK: Period(3, Unit.BUSINESS_DAYS),
    Regime.VARA: Period(1, Unit.CALENDAR_WEEKS),
    Regime.OWN: Period(2, Unit.BUSINESS_DAYS),
}
"""AK-3 targets: VARA 1 week is its rule; the others are [D] benchmarks (OKX EU, Binance ADGM)."""

DEFAULT_OWN_RESPONSE = Period(15, Unit.BUSINESS_DAYS)
"""[D] The exchange's own final-response target where no regime sets one."""

DEFAULT_WARNING = WarningPolicy(fraction=0.8)

_TWO_MONTHS_MIN_DAYS = 59
"""The shortest span two calendar months can have (e.g. 31 Dec -> 28 Feb)."""


def _max_span_days(period: Period) -> int:
    n = period.amount
    match period.unit:
        case Unit.CALENDAR_DAYS:
            return n
        case Unit.CALENDAR_WEEKS:
            return 7 * n
        case Unit.BUSINESS_DAYS | Unit.WORKING_DAYS:  # worst case Mon-Fri, starting on a Friday
            return 0 if n == 0 else ((n - 1) // 5) * 7 + 3 + (n - 1) % 5
        case _:
            raise ValueError(f"state a published timeframe in days, weeks or months, not {period}")


def validate_published_timeframe(period: Period) -> None:
    """Raise ``ValueError`` if a published EU timeframe could exceed 2 months (CL-1).

    Business days are checked on a Mon-Fri week without holidays; where holidays stretch
    one past 2 months, CL-1 still takes the 2-month date because it is earlier.
    """
    if period.unit is Unit.CALENDAR_MONTHS:
        too_long = period.amount > 2
    else:
        too_long = _max_span_days(period) > _TWO_MONTHS_MIN_DAYS
    if too_long:
        raise ValueError(
            f"published timeframe {period} can exceed the 2-month cap of EU 2025/294 Art. 6(2)"
        )


@dataclass(frozen=True)
class RegulatoryConfig:
    """Per-exchange settings for the regulatory clocks."""

    published_timeframe: Period | None = None
    eu_calendar: BusinessCalendar = MALTA
    uk_calendar: BusinessCalendar = UK_ENGLAND_WALES
    malta_calendar: BusinessCalendar = MALTA
    us_calendar: BusinessCalendar = US_FEDERAL
    uae_calendar: BusinessCalendar = UAE
    hk_calendar: BusinessCalendar = HONG_KONG
    own_calendar: BusinessCalendar = MALTA
    own_response: Period = DEFAULT_OWN_RESPONSE
    acknowledgement_targets: Mapping[Regime, Period] = field(
        default_factory=lambda: dict(DEFAULT_ACK_TARGETS)
    )
    warning: WarningPolicy = DEFAULT_WARNING

    def __post_init__(self) -> None:
        if self.published_timeframe is not None:
            validate_published_timeframe(self.published_timeframe)

    def ack_target(self, regime: Regime) -> Period:
        """The AK-3 acknowledgement target for ``regime`` (falls back to the OWN target)."""
        targets = self.acknowledgement_targets
        return targets.get(regime) or targets.get(Regime.OWN) or DEFAULT_ACK_TARGETS[Regime.OWN]


@dataclass(frozen=True)
class RegulatoryClock:
    """A clock evaluated for a case: due time, live state, outcome and notes."""

    clock: Clock
    kind: ClockKind
    purpose: Purpose
    due_at: datetime
    due_date: date | None
    safe_side_due_at: datetime | None
    state: ClockState | None
    outcome: Outcome
    notes: tuple[str, ...]

    @property
    def rule_id(self) -> str:
        """The rule id, e.g. ``CL-3``."""
        return self.clock.rule_id

    @property
    def citation(self) -> str:
        """The cited source text."""
        return self.clock.citation

    @property
    def timely(self) -> bool | None:
        """Met in time (True), missed (False), or not settled yet (None)."""
        if self.outcome is Outcome.MET:
            return True
        if self.outcome is Outcome.MISSED:
            return False
        return None


_EXPIRED = {ClockKind.OBLIGATION: Outcome.MISSED, ClockKind.WINDOW: Outcome.CLOSED,
            ClockKind.RIGHT: Outcome.OPENED}


def settle(
    clock: Clock,
    kind: ClockKind,
    purpose: Purpose,
    satisfied_at: datetime | None,
    now: datetime,
    policy: WarningPolicy,
    *,
    safe_side_due_at: datetime | None = None,
    extra_notes: tuple[str, ...] = (),
) -> RegulatoryClock:
    """Evaluate ``clock`` at ``now`` given when (if ever) it was satisfied.

    Satisfying an obligation or window before due is MET; for a right, a final response
    before due means the right did not open by time (MET). ``state`` is ``None`` once settled,
    except for a missed obligation, which stays BREACHED.
    """
    status = evaluate(clock, now, policy)
    live: ClockState | None = None
    if satisfied_at is not None and satisfied_at <= now:
        outcome = Outcome.MET if satisfied_at < status.due_at else _EXPIRED[kind]
    elif now >= status.due_at:
        outcome = _EXPIRED[kind]
        live = ClockState.BREACHED if kind is ClockKind.OBLIGATION else None
    else:
        outcome, live = Outcome.PENDING, status.state
    return RegulatoryClock(
        clock=clock,
        kind=kind,
        purpose=purpose,
        due_at=status.due_at,
        due_date=status.due_date,
        safe_side_due_at=safe_side_due_at if safe_side_due_at != status.due_at else None,
        state=live,
        outcome=outcome,
        notes=status.notes + extra_notes,
    )
