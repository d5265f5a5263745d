"""CL-1..CL-7, AK-3, AK-4 and the VARA/HK/own-SLA clocks, with hand-computed dates."""

from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest

from ombud.triage.calendars import UK_ENGLAND_WALES, BusinessCalendar
from ombud.triage.regulatory_clocks import (
    CaseClocks,
    case_clocks,
    regime_for,
    uk_acknowledgement_problems,
)
from ombud.triage.regulatory_model import (
    CaseFacts,
    CfpbImport,
    ClockKind,
    DelayNotice,
    HoldingResponse,
    Outcome,
    Purpose,
    Regime,
    RegulatoryClock,
    RegulatoryConfig,
    validate_published_timeframe,
)
from ombud.triage.sla import ClockState, Pause, Period, Unit


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def clocks_for(now: datetime, cfg: RegulatoryConfig | None = None, **facts: object) -> CaseClocks:
    return case_clocks(CaseFacts(**facts), cfg or RegulatoryConfig(), now)


def one(clocks: CaseClocks, rule_id: str) -> RegulatoryClock:
    (found,) = clocks.by_rule(rule_id)
    return found


EU = frozenset({"FR"})
UK = frozenset({"GB"})

# --- CL-1 ---------------------------------------------------------------------------------


def test_cl1_two_months_to_leap_day() -> None:
    # Received Fri 31 Dec 2027 (Malta); + 2 months = Tue 29 Feb 2028, end of day CET.
    c = one(clocks_for(utc(2028, 1, 5), received_at=utc(2027, 12, 31, 10), jurisdictions=EU),
            "CL-1")
    assert c.due_date == date(2028, 2, 29)
    assert c.due_at == utc(2028, 2, 29, 23)
    assert c.citation.startswith("EU 2025/294 Art. 6(2)")
    assert c.clock.period == Period(2, Unit.CALENDAR_MONTHS)


def test_cl1_month_end_on_sunday_rolls_with_safe_side_shown() -> None:
    # 31 Dec 2026 + 2 months = Sun 28 Feb 2027 -> rolled to Mon 1 Mar (1182/71 Art. 3(4)).
    c = one(clocks_for(utc(2027, 1, 5), received_at=utc(2026, 12, 31, 10), jurisdictions=EU),
            "CL-1")
    assert c.due_date == date(2027, 3, 1)
    assert c.due_at == utc(2027, 3, 1, 23)
    assert c.safe_side_due_at == utc(2027, 2, 28, 23)


def test_cl1_receipt_date_is_local() -> None:
    # 31 Jan 23:30 UTC is already 1 Feb in Malta -> due Wed 1 Apr 2026 (CEST).
    c = one(clocks_for(utc(2026, 2, 2), received_at=utc(2026, 1, 31, 23, 30), jurisdictions=EU),
            "CL-1")
    assert c.due_date == date(2026, 4, 1)
    assert c.due_at == utc(2026, 4, 1, 22)


def test_cl1_published_timeframe_wins_when_earlier() -> None:
    # Mon 16 Mar 2026 + 15 Malta business days: 19 Mar, 31 Mar, Good Friday closed -> 9 Apr;
    # DST starts 29 Mar, so end of day is 22:00 UTC.
    cfg = RegulatoryConfig(published_timeframe=Period(15, Unit.BUSINESS_DAYS))
    c = one(clocks_for(utc(2026, 3, 17), cfg, received_at=utc(2026, 3, 16, 9),
                       jurisdictions=EU), "CL-1")
    assert c.due_date == date(2026, 4, 9)
    assert c.due_at == utc(2026, 4, 9, 22)
    assert "published timeframe" in c.citation


@pytest.mark.parametrize(
    ("period", "ok"),
    [
        (Period(2, Unit.CALENDAR_MONTHS), True),
        (Period(3, Unit.CALENDAR_MONTHS), False),
        (Period(59, Unit.CALENDAR_DAYS), True),
        (Period(60, Unit.CALENDAR_DAYS), False),
        (Period(8, Unit.CALENDAR_WEEKS), True),
        (Period(9, Unit.CALENDAR_WEEKS), False),
        (Period(41, Unit.BUSINESS_DAYS), True),
        (Period(42, Unit.BUSINESS_DAYS), False),
        (Period(10, Unit.BUSINESS_HOURS), False),
    ],
)
def test_cl1_published_timeframe_over_two_months_is_invalid(period: Period, ok: bool) -> None:
    if ok:
        validate_published_timeframe(period)
        RegulatoryConfig(published_timeframe=period)
    else:
        with pytest.raises(ValueError):
            RegulatoryConfig(published_timeframe=period)


# --- CL-2 ---------------------------------------------------------------------------------

RECEIVED = utc(2026, 3, 2, 10)  # Mon 2 Mar 2026
NOTICE = DelayNotice(utc(2026, 4, 20, 9), "awaiting chain analysis", date(2026, 5, 20), "fr")


def test_cl2_valid_delay_notice_moves_due_date() -> None:
    c = one(clocks_for(utc(2026, 5, 10), received_at=RECEIVED, jurisdictions=EU, language="fr",
                       delay_notice=NOTICE), "CL-2")
    assert c.due_date == date(2026, 5, 20)
    assert c.due_at == utc(2026, 5, 20, 22)
    assert c.outcome is Outcome.PENDING
    assert c.citation.startswith("EU 2025/294 Art. 6(3)")
    assert any("moved from 2026-05-04" in n for n in c.notes)


@pytest.mark.parametrize(
    ("notice", "problem"),
    [
        (replace(NOTICE, language="en"), "complaint language"),
        (replace(NOTICE, reason=" "), "no reason"),
        (replace(NOTICE, decision_date=None), "no decision date"),
        (replace(NOTICE, sent_at=utc(2026, 5, 6)), "after the decision was due"),
    ],
)
def test_cl2_without_valid_notice_case_goes_overdue(notice: DelayNotice, problem: str) -> None:
    # 2 Mar + 2 months = Sat 2 May -> Mon 4 May 2026 (Malta calendar); now 10 May.
    c = one(clocks_for(utc(2026, 5, 10), received_at=RECEIVED, jurisdictions=EU, language="fr",
                       delay_notice=notice), "CL-1")
    assert c.due_date == date(2026, 5, 4)
    assert c.outcome is Outcome.MISSED
    assert c.state is ClockState.BREACHED
    assert any(problem in n for n in c.notes)


def test_cl1_decision_sent_in_time_is_met() -> None:
    c = one(clocks_for(utc(2026, 5, 10), received_at=RECEIVED, jurisdictions=EU,
                       final_response_at=utc(2026, 4, 30)), "CL-1")
    assert c.outcome is Outcome.MET
    assert c.timely is True
    assert c.state is None


# --- CL-3 ---------------------------------------------------------------------------------


def test_cl3_eight_weeks_across_dst() -> None:
    # Mon 2 Mar 2026 + 56 days = Mon 27 Apr; BST, so the day ends 23:00 UTC.
    c = one(clocks_for(utc(2026, 3, 3), received_at=RECEIVED, jurisdictions=UK), "CL-3")
    assert c.due_date == date(2026, 4, 27)
    assert c.due_at == utc(2026, 4, 27, 23)
    assert c.clock.period == Period(8, Unit.CALENDAR_WEEKS)
    assert c.citation.startswith("FCA DISP 1.6.2R")


def test_cl3_holding_response_satisfies_and_incomplete_one_is_breach() -> None:
    good = HoldingResponse(utc(2026, 4, 20), "third-party data outstanding", date(2026, 5, 15),
                           fos_referral_stated=True)
    met = one(clocks_for(utc(2026, 5, 1), received_at=RECEIVED, jurisdictions=UK,
                         holding_response=good), "CL-3")
    assert met.outcome is Outcome.MET
    bad = replace(good, fos_referral_stated=False)
    missed = one(clocks_for(utc(2026, 5, 1), received_at=RECEIVED, jurisdictions=UK,
                            holding_response=bad), "CL-3")
    assert missed.outcome is Outcome.MISSED
    assert missed.state is ClockState.BREACHED
    assert any("FOS" in n for n in missed.notes)


def test_cl3_ignores_waiting_on_customer() -> None:
    pause = Pause(utc(2026, 3, 10), utc(2026, 3, 30), "waiting for documents")
    c = one(clocks_for(utc(2026, 3, 20), received_at=RECEIVED, jurisdictions=UK,
                       pauses=(pause,)), "CL-3")
    assert c.due_at == utc(2026, 4, 27, 23)
    assert c.state is not ClockState.PAUSED
    assert any("does not stop" in n for n in c.notes)


# --- CL-4 ---------------------------------------------------------------------------------


def test_cl4_good_friday_and_easter_monday() -> None:
    # Thu 2 Apr 2026: Good Friday, weekend, Easter Monday -> Tue 7, Wed 8, Thu 9 Apr.
    c = one(clocks_for(utc(2026, 4, 2, 12), received_at=utc(2026, 4, 2, 11), jurisdictions=UK),
            "CL-4")
    assert c.kind is ClockKind.WINDOW
    assert c.due_date == date(2026, 4, 9)
    assert c.due_at == utc(2026, 4, 9, 23)
    assert any("close of business" in n for n in c.notes)


def test_cl4_bank_holiday_with_configured_close_of_business() -> None:
    # Fri 22 May 2026; Mon 25 May is the Spring Bank Holiday -> Tue 26, Wed 27, Thu 28 at 17:30.
    uk = BusinessCalendar("UK office", "Europe/London", "GB", "ENG", hours=(time(9), time(17, 30)))
    cfg = RegulatoryConfig(uk_calendar=uk)
    received = utc(2026, 5, 22, 16)
    open_ = one(clocks_for(utc(2026, 5, 23), cfg, received_at=received, jurisdictions=UK), "CL-4")
    assert open_.due_at == utc(2026, 5, 28, 16, 30)
    assert open_.outcome is Outcome.PENDING
    used = one(clocks_for(utc(2026, 5, 29), cfg, received_at=received, jurisdictions=UK,
                          summary_accepted_at=utc(2026, 5, 28, 16)), "CL-4")
    assert used.outcome is Outcome.MET
    closed = one(clocks_for(utc(2026, 5, 29), cfg, received_at=received, jurisdictions=UK),
                 "CL-4")
    assert closed.outcome is Outcome.CLOSED
    assert closed.state is None  # a closed window is not a breach


def test_cl4_receipt_on_weekend_counts_that_day() -> None:
    # Sat 4 Apr 2026 (Easter weekend) -> Tue 7, Wed 8, Thu 9.
    c = one(clocks_for(utc(2026, 4, 4), received_at=utc(2026, 4, 4, 10), jurisdictions=UK),
            "CL-4")
    assert c.due_date == date(2026, 4, 9)


def test_cl4_christmas() -> None:
    # Wed 23 Dec 2026: 24 (1); 25, 26, 27, 28 (Boxing Day observed) closed; 29 (2); 30 (3).
    c = one(clocks_for(utc(2026, 12, 23), received_at=utc(2026, 12, 23, 9), jurisdictions=UK),
            "CL-4")
    assert c.due_date == date(2026, 12, 30)
    assert c.due_at == utc(2026, 12, 31)


# --- CL-5 ---------------------------------------------------------------------------------


def cfpb_clocks(now: datetime, imported: CfpbImport) -> tuple[RegulatoryClock, ...]:
    return clocks_for(now, received_at=utc(2026, 2, 19, 15), jurisdictions=frozenset({"US"}),
                      cfpb=imported).by_rule("CL-5")


def test_cl5_fifteen_calendar_days_and_timely_flag() -> None:
    # Sent Fri 20 Feb 2026 -> due 7 Mar 2026; end of day EST = 05:00 UTC on 8 Mar.
    (c,) = cfpb_clocks(utc(2026, 3, 1), CfpbImport(date(2026, 2, 20)))
    assert c.due_date == date(2026, 3, 7)
    assert c.due_at == utc(2026, 3, 8, 5)
    assert c.timely is None
    (on_time,) = cfpb_clocks(utc(2026, 3, 9), CfpbImport(date(2026, 2, 20),
                                                         responded_on=date(2026, 3, 7)))
    assert on_time.timely is True
    (late,) = cfpb_clocks(utc(2026, 3, 9), CfpbImport(date(2026, 2, 20),
                                                      responded_on=date(2026, 3, 8)))
    assert late.timely is False


def test_cl5_in_progress_adds_sixty_day_final() -> None:
    # 20 Feb 2026 + 60 days = 21 Apr 2026 (EDT after 8 Mar -> 04:00 UTC).
    response, final = cfpb_clocks(
        utc(2026, 3, 9), CfpbImport(date(2026, 2, 20), in_progress=True,
                                    responded_on=date(2026, 3, 2)))
    assert final.purpose is Purpose.FINAL_RESPONSE
    assert final.due_date == date(2026, 4, 21)
    assert final.due_at == utc(2026, 4, 22, 4)
    assert final.citation.startswith("CFPB Company Portal Manual §8.1")
    assert response.timely is True


# --- CL-6 ---------------------------------------------------------------------------------


def test_cl6_oafs_right_opens_after_fifteen_malta_working_days() -> None:
    facts = dict(received_at=utc(2026, 3, 16, 9), jurisdictions=EU, malta_licensed=True)
    pending = one(clocks_for(utc(2026, 4, 8), **facts), "CL-6")
    assert pending.due_date == date(2026, 4, 9)  # 19 Mar, 31 Mar, Good Friday are closed
    assert pending.outcome is Outcome.PENDING
    opened = one(clocks_for(utc(2026, 4, 10, 12), **facts), "CL-6")
    assert opened.outcome is Outcome.OPENED
    assert any("OAFS opened" in n for n in opened.notes)
    answered = one(clocks_for(utc(2026, 4, 10, 12), final_response_at=utc(2026, 4, 8), **facts),
                   "CL-6")
    assert answered.outcome is Outcome.MET


def test_cl6_only_for_malta_licensed() -> None:
    assert not clocks_for(utc(2026, 4, 8), received_at=RECEIVED, jurisdictions=EU).by_rule("CL-6")


# --- CL-7 ---------------------------------------------------------------------------------


def test_cl7_strictest_clock_wins_each_keeps_its_unit() -> None:
    both = frozenset({"DE", "GB"})
    cc = clocks_for(utc(2026, 3, 3), received_at=RECEIVED, jurisdictions=both)
    strictest = cc.strictest(Purpose.RESPONSE)
    assert strictest is not None and strictest.rule_id == "CL-3"  # 27 Apr < 4 May
    assert one(cc, "CL-1").clock.period.unit is Unit.CALENDAR_MONTHS
    assert strictest.clock.period.unit is Unit.CALENDAR_WEEKS
    cfg = RegulatoryConfig(published_timeframe=Period(15, Unit.BUSINESS_DAYS))
    cc = clocks_for(utc(2026, 3, 3), cfg, received_at=RECEIVED, jurisdictions=both)
    strictest = cc.strictest(Purpose.RESPONSE)
    assert strictest is not None and strictest.rule_id == "CL-1"
    assert strictest.due_date == date(2026, 3, 24)  # 15 Malta business days, 19 Mar closed
    assert strictest.clock.period.unit is Unit.BUSINESS_DAYS
    ack = cc.strictest(Purpose.ACKNOWLEDGEMENT)
    assert ack is not None and ack.due_date == date(2026, 3, 5)


def test_unknown_jurisdiction_falls_back_to_own_sla_with_reason() -> None:
    cc = clocks_for(utc(2026, 3, 3), received_at=RECEIVED, jurisdictions=frozenset({"ZZ"}))
    own = one(cc, "OWN-SLA")
    assert own.clock.pausable
    assert own.due_date == date(2026, 3, 24)  # 15 Malta business days; 19 Mar closed
    assert any("'ZZ'" in n for n in cc.notes)
    assert any("'ZZ'" in n for n in own.notes)
    assert regime_for("zz") is None and regime_for(" fr ") is Regime.EU


def test_regime_without_numbers_uses_own_sla_and_hk_fdrc_right() -> None:
    cc = clocks_for(utc(2026, 3, 3), received_at=RECEIVED, jurisdictions=frozenset({"HK"}))
    assert one(cc, "OWN-SLA").outcome is Outcome.PENDING
    fdrc = one(cc, "HK-FDRC")
    assert fdrc.kind is ClockKind.RIGHT and fdrc.due_date == date(2026, 5, 1)  # + 60 days
    assert any(n.startswith("HK:") for n in cc.notes)


# --- VARA ---------------------------------------------------------------------------------


def test_vara_one_four_and_eight_weeks_in_dubai_time() -> None:
    # 10 Jan 2026 21:00 UTC is Sun 11 Jan in Dubai (UTC+4).
    received = utc(2026, 1, 10, 21)
    uae = frozenset({"AE"})
    cc = clocks_for(utc(2026, 1, 12), received_at=received, jurisdictions=uae)
    ack = cc.strictest(Purpose.ACKNOWLEDGEMENT)
    assert ack is not None and ack.due_date == date(2026, 1, 18)
    four = one(cc, "VARA-4W")
    assert four.due_date == date(2026, 2, 8) and four.due_at == utc(2026, 2, 8, 20)
    update = DelayNotice(utc(2026, 2, 1), "exchange-wide incident", None, "en")
    eight = one(clocks_for(utc(2026, 2, 2), received_at=received, jurisdictions=uae,
                           delay_notice=update), "VARA-8W")
    assert eight.due_date == date(2026, 3, 8)


# --- AK-3 / AK-4 --------------------------------------------------------------------------


def test_ak3_acknowledgement_clock_configurable_per_jurisdiction() -> None:
    # Fri 13 Mar 2026 (Malta): 3 business days -> Wed 18 Mar; configured 1 -> Mon 16 Mar.
    received = utc(2026, 3, 13, 10)
    (default,) = clocks_for(utc(2026, 3, 13, 11), received_at=received,
                            jurisdictions=EU).by_rule("AK-3")
    assert default.due_date == date(2026, 3, 18)
    assert "Art. 4(1)" in default.citation
    cfg = RegulatoryConfig(acknowledgement_targets={Regime.EU: Period(1, Unit.BUSINESS_DAYS)})
    (tight,) = clocks_for(utc(2026, 3, 13, 11), cfg, received_at=received,
                          jurisdictions=EU).by_rule("AK-3")
    assert tight.due_date == date(2026, 3, 16)
    (met,) = clocks_for(utc(2026, 3, 20), received_at=received, jurisdictions=EU,
                        acknowledged_at=utc(2026, 3, 13, 10, 5)).by_rule("AK-3")
    assert met.outcome is Outcome.MET


def test_ak4_uk_acknowledgement_states_response_date_and_procedure() -> None:
    cc = clocks_for(utc(2026, 3, 3), received_at=RECEIVED, jurisdictions=UK)
    assert uk_acknowledgement_problems(cc, date(2026, 4, 27), True) == ()
    problems = uk_acknowledgement_problems(cc, date(2026, 4, 28), False)
    assert len(problems) == 2 and "2026-04-27" in problems[0]
    assert "2026-04-27" in uk_acknowledgement_problems(cc, None, True)[0]
    eu_only = clocks_for(utc(2026, 3, 3), received_at=RECEIVED, jurisdictions=EU)
    assert uk_acknowledgement_problems(eu_only, None, False) == ()


def test_uk_calendar_is_england_and_wales_by_default() -> None:
    assert RegulatoryConfig().uk_calendar is UK_ENGLAND_WALES
