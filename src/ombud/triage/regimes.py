"""One builder per complaint regime: the CL rules of regulation.md §3 as clocks (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

from ombud.triage.calendars import BusinessCalendar, local_date, local_instant
from ombud.triage.regulatory_model import (
    CaseFacts,
    ClockKind,
    DelayNotice,
    Outcome,
    Purpose,
    Regime,
    RegulatoryClock,
    RegulatoryConfig,
    settle,
)
from ombud.triage.sla import Clock, Period, PeriodEnd, Unit, due_at, due_date

_ACK_CITATIONS: dict[Regime, str] = {
    Regime.EU: "EU 2025/294 Art. 4(1): acknowledge without undue delay (AK-3 target {p})",
    Regime.UK: "FCA DISP 1.6.1R: prompt written acknowledgement (AK-3 target {p})",
    Regime.VARA: "VARA Complaints Handling Rulebook: acknowledgement within {p}",
    Regime.OWN: "ISO 10002 'immediately': the exchange's acknowledgement target {p} (AK-3)",
}


def _ack_calendar(regime: Regime, cfg: RegulatoryConfig) -> BusinessCalendar:
    match regime:
        case Regime.EU:
            return cfg.eu_calendar
        case Regime.UK:
            return cfg.uk_calendar
        case Regime.VARA:
            return cfg.uae_calendar
        case _:
            return cfg.own_calendar


def acknowledgement(
    regime: Regime, facts: CaseFacts, cfg: RegulatoryConfig, now: datetime
) -> RegulatoryClock:
    """AK-3: the acknowledgement-due clock for ``regime`` (EU, UK, VARA or OWN)."""
    period = cfg.ack_target(regime)
    clock = Clock(
        "AK-3", _ACK_CITATIONS[regime].format(p=period), facts.received_at, period,
        _ack_calendar(regime, cfg),
        pauses=facts.pauses,
    )
    return settle(clock, ClockKind.OBLIGATION, Purpose.ACKNOWLEDGEMENT, facts.acknowledged_at,
                  now, cfg.warning)


def _delay_notice_problems(
    notice: DelayNotice, facts: CaseFacts, calendar: BusinessCalendar, due: datetime
) -> list[str]:
    problems = []
    if not notice.reason.strip():
        problems.append("delay notice gives no reason")
    if notice.decision_date is None:
        problems.append("delay notice gives no decision date")
    elif notice.decision_date < local_date(calendar, facts.received_at):
        problems.append("delay notice decision date is before receipt")
    if notice.language.casefold() != facts.language.casefold():
        problems.append(
            f"delay notice is in {notice.language!r}, not the complaint language "
            f"{facts.language!r}"
        )
    if notice.sent_at >= due:
        problems.append("delay notice was sent after the decision was due")
    return problems


def eu_decision(facts: CaseFacts, cfg: RegulatoryConfig, now: datetime) -> RegulatoryClock:
    """CL-1 decision due (earlier of published timeframe and 2 months) and CL-2 delay notice.

    The 2-month end rolls past weekends and holidays of the CASP's Member State (Reg. 1182/71
    Art. 3(4)); the unrolled date is the safe-side target.
    """
    cal = cfg.eu_calendar
    candidates = [
        Clock("CL-1", "EU 2025/294 Art. 6(2): decision at most 2 months from receipt "
              "(end rolled per Reg. 1182/71 Art. 3(4))",
              facts.received_at, Period(2, Unit.CALENDAR_MONTHS), cal,
              pauses=facts.pauses, roll_forward=True),
    ]
    if cfg.published_timeframe is not None:
        candidates.append(
            Clock("CL-1", f"EU 2025/294 Art. 6(2), Art. 1(2)(e): decision within the published "
                  f"timeframe of {cfg.published_timeframe}",
                  facts.received_at, cfg.published_timeframe, cal, pauses=facts.pauses)
        )
    chosen = min(candidates, key=due_at)
    safe_side = min(due_at(replace(c, roll_forward=False)) for c in candidates)
    extra: list[str] = []
    notice = facts.delay_notice
    if notice is not None:
        problems = _delay_notice_problems(notice, facts, cal, due_at(chosen))
        if problems:
            extra += [f"delay notice not accepted (CL-2): {p}" for p in problems]
        else:
            assert notice.decision_date is not None  # checked by _delay_notice_problems
            days = (notice.decision_date - local_date(cal, facts.received_at)).days
            extra.append(f"CL-2: due date moved from {due_date(chosen)} by the "
                         f"delay notice of {local_date(cal, notice.sent_at)}")
            chosen = Clock(
                "CL-2", f"EU 2025/294 Art. 6(3): decision date {notice.decision_date} given in "
                f"the delay notice ({notice.reason})",
                facts.received_at, Period(days, Unit.CALENDAR_DAYS), cal, pauses=facts.pauses,
            )
            safe_side = due_at(chosen)
    return settle(chosen, ClockKind.OBLIGATION, Purpose.RESPONSE, facts.final_response_at, now,
                  cfg.warning, safe_side_due_at=safe_side, extra_notes=tuple(extra))


def uk_response(facts: CaseFacts, cfg: RegulatoryConfig, now: datetime) -> RegulatoryClock:
    """CL-3: final or holding response within 8 calendar weeks (56 days, no roll-over)."""
    clock = Clock("CL-3", "FCA DISP 1.6.2R: final or holding response within 8 weeks of receipt",
                  facts.received_at, Period(8, Unit.CALENDAR_WEEKS), cfg.uk_calendar,
                  pauses=facts.pauses)
    answered = [t for t in [facts.final_response_at] if t is not None]
    extra: list[str] = []
    holding = facts.holding_response
    if holding is not None:
        missing = [
            name for name, ok in (
                ("a reason", bool(holding.reason.strip())),
                ("an expected date", holding.expected_date is not None),
                ("the 'you may refer to the FOS now' statement", holding.fos_referral_stated),
            ) if not ok
        ]
        if missing:
            extra.append("holding response does not count (DISP 1.6.2R(2)): lacks "
                         + ", ".join(missing))
        else:
            answered.append(holding.sent_at)
    return settle(clock, ClockKind.OBLIGATION, Purpose.RESPONSE, min(answered, default=None), now,
                  cfg.warning, extra_notes=tuple(extra))


def uk_summary_window(facts: CaseFacts, cfg: RegulatoryConfig, now: datetime) -> RegulatoryClock:
    """CL-4: resolved by close of business on the 3rd business day after receipt."""
    cal = cfg.uk_calendar
    clock = Clock("CL-4", "FCA DISP 1.5: resolved by close of business on the 3rd business day "
                  "after receipt; Summary Resolution Communication",
                  facts.received_at, Period(3, Unit.BUSINESS_DAYS), cal,
                  pauses=facts.pauses, period_end=PeriodEnd.CLOSE_OF_BUSINESS)
    extra = () if cal.hours else ("DISP 1.5 does not define 'close of business'; "
                                  "the end of the due date is used",)
    return settle(clock, ClockKind.WINDOW, Purpose.SUMMARY_RESOLUTION, facts.summary_accepted_at,
                  now, cfg.warning, extra_notes=extra)


def cfpb(facts: CaseFacts, cfg: RegulatoryConfig, now: datetime) -> list[RegulatoryClock]:
    """CL-5: 15 calendar days from "date sent to company"; 60 days final if "In progress"."""
    imported = facts.cfpb
    if imported is None:
        return []
    cal = cfg.us_calendar
    start = local_instant(cal, imported.sent_to_company, time(0))

    def on(day: date | None) -> datetime | None:
        return None if day is None else local_instant(cal, day, time(0))

    clocks = [settle(
        Clock("CL-5", "CFPB Company Portal Manual §8.1: response within 15 calendar days of "
              "the date sent to company", start, Period(15, Unit.CALENDAR_DAYS), cal,
              pauses=facts.pauses),
        ClockKind.OBLIGATION, Purpose.RESPONSE, on(imported.responded_on), now, cfg.warning)]
    if imported.in_progress:
        clocks.append(settle(
            Clock("CL-5", "CFPB Company Portal Manual §8.1: final response within 60 calendar "
                  "days when marked 'In progress'", start, Period(60, Unit.CALENDAR_DAYS), cal,
                  pauses=facts.pauses),
            ClockKind.OBLIGATION, Purpose.FINAL_RESPONSE, on(imported.final_response_on), now,
            cfg.warning))
    return clocks


def oafs_right(facts: CaseFacts, cfg: RegulatoryConfig, now: datetime) -> RegulatoryClock:
    """CL-6: after 15 Malta working days without a final response, the OAFS route opens."""
    clock = Clock("CL-6", "OAFS Step 1/2 (financialarbiter.org.mt): the customer may go to the "
                  "Arbiter after 15 working days without a final reply",
                  facts.received_at, Period(15, Unit.WORKING_DAYS), cfg.malta_calendar,
                  pauses=facts.pauses)
    result = settle(clock, ClockKind.RIGHT, Purpose.ESCALATION, facts.final_response_at, now,
                    cfg.warning)
    if result.outcome is Outcome.OPENED:
        note = "right to go to the OAFS opened: tell the customer"
        return replace(result, notes=(*result.notes, note))
    return result


def vara_response(facts: CaseFacts, cfg: RegulatoryConfig, now: datetime) -> RegulatoryClock:
    """VARA: final response in 4 weeks; 8 weeks at most after a status update with a reason."""
    cal = cfg.uae_calendar
    four = Clock("VARA-4W", "VARA Complaints Handling Rulebook: final response within 4 weeks",
                 facts.received_at, Period(4, Unit.CALENDAR_WEEKS), cal, pauses=facts.pauses)
    notice = facts.delay_notice
    extra: tuple[str, ...] = ()
    if notice is not None and notice.reason.strip() and notice.sent_at < due_at(four):
        clock = Clock("VARA-8W", "VARA Complaints Handling Rulebook: extraordinary "
                      "circumstances, status update with reason by 4 weeks, resolution within "
                      "8 weeks at most", facts.received_at, Period(8, Unit.CALENDAR_WEEKS), cal,
                      pauses=facts.pauses)
    else:
        clock = four
        if notice is not None:
            extra = ("status update does not extend to 8 weeks: no reason, or sent after 4 weeks",)
    return settle(clock, ClockKind.OBLIGATION, Purpose.RESPONSE, facts.final_response_at, now,
                  cfg.warning, extra_notes=extra)


def hk_fdrc_right(facts: CaseFacts, cfg: RegulatoryConfig, now: datetime) -> RegulatoryClock:
    """HK: the FDRC route opens after 60 days with no final written reply."""
    clock = Clock("HK-FDRC", "FDRC Terms of Reference (older text): claim possible after 60 days "
                  "without a final written reply", facts.received_at,
                  Period(60, Unit.CALENDAR_DAYS), cfg.hk_calendar, pauses=facts.pauses)
    return settle(clock, ClockKind.RIGHT, Purpose.ESCALATION, facts.final_response_at, now,
                  cfg.warning)


def own_response(
    facts: CaseFacts, cfg: RegulatoryConfig, now: datetime, reasons: tuple[str, ...]
) -> RegulatoryClock:
    """The exchange's own final-response SLA, used where no regime sets a deadline (pausable)."""
    clock = Clock("OWN-SLA", f"Exchange's own complaint SLA: final response within "
                  f"{cfg.own_response}", facts.received_at, cfg.own_response, cfg.own_calendar,
                  pausable=True, pauses=facts.pauses)
    return settle(clock, ClockKind.OBLIGATION, Purpose.RESPONSE, facts.final_response_at, now,
                  cfg.warning, extra_notes=reasons)
