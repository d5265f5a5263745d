"""The satisfaction summary for analytics: surveys sent in a period and their answers,
overall and by category, as exact decimals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from ombud.cases.taxonomy import Category
from ombud.common.clock import utcnow
from ombud.common.errors import Invalid
from ombud.config import Settings
from ombud.feedback import queries, service
from ombud.feedback.schemas import AnswerIn, SurveyFigures
from ombud.feedback.tables import Survey
from ombud.security.permissions import SYSTEM

from .conftest import open_case, resolve, run_jobs, survey_message, token_of

#: (category, answer or None): fees 3 sent / 2 answered, KYC 2 sent / 2 answered.
SURVEYED = [
    (Category.FEES, (5, 10)), (Category.FEES, (2, 6)), (Category.FEES, None),
    (Category.KYC, (4, 8)), (Category.KYC, (1, 0)),
]


def _figures(sent: int, answered: int, rate: str | None, mean: str | None, pct: str | None,
             nps: str | None) -> SurveyFigures:
    def d(v: str | None) -> Decimal | None:
        return None if v is None else Decimal(v)
    return SurveyFigures(sent=sent, answered=answered, response_rate=d(rate),
                         mean_csat=d(mean), csat_percent=d(pct), nps=d(nps))


def test_summary_figures_overall_and_by_category(session: Session, settings: Settings) -> None:
    ids = []
    for n, (category, answer) in enumerate([*SURVEYED, (Category.FEES, (5, 10))]):
        case = open_case(session, SYSTEM, category=category, summary=f"Complaint number {n}")
        resolve(session, SYSTEM, case.id)
        ids.append((case.id, answer))
    run_jobs(session, settings)
    for case_id, answer in ids:
        if answer is not None:
            service.answer(session, token_of(survey_message(session, case_id).body),
                           AnswerIn(csat=answer[0], nps=answer[1]))
    now = utcnow()
    # the last one was sent long ago: outside the period
    session.execute(update(Survey).where(Survey.case_id == ids[-1][0])
                    .values(sent_at=now - dt.timedelta(days=40)))
    session.commit()
    got = queries.summary(session, now - dt.timedelta(days=1), now + dt.timedelta(days=1))
    assert got.overall == _figures(5, 4, "80.00", "3.00", "50.00", "-25.00")
    assert got.by_category == {
        "fees": _figures(3, 2, "66.67", "3.50", "50.00", "0.00"),
        "kyc": _figures(2, 2, "100.00", "2.50", "50.00", "-50.00"),
    }
    assert isinstance(got.overall.mean_csat, Decimal)
    earlier = queries.summary(session, now - dt.timedelta(days=60), now - dt.timedelta(days=1))
    assert earlier.overall == _figures(1, 1, "100.00", "5.00", "100.00", "100.00")
    assert list(earlier.by_category) == ["fees"]


def test_an_empty_period_has_no_rates(session: Session) -> None:
    now = utcnow()
    got = queries.summary(session, now - dt.timedelta(days=1), now)
    assert got.overall == _figures(0, 0, None, None, None, None) and got.by_category == {}


def test_a_period_must_end_after_it_starts(session: Session) -> None:
    now = utcnow()
    with pytest.raises(Invalid):
        queries.summary(session, now, now)
