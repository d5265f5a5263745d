"""Read side of feedback: the survey page of a token, a case's survey for staff, and the
satisfaction summary for analytics."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.cases.service import get_by_id, load
from ombud.cases.tables import Case
from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import Invalid, NotFound
from ombud.feedback import model
from ombud.feedback.schemas import SurveyFigures, SurveyOut, SurveyPage, SurveySummary
from ombud.feedback.tables import Survey
from ombud.security.permissions import Principal
from ombud.security.roles import Permission
from ombud.security.tokens import hash_token

_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,128}")


def by_token(session: Session, token: str, *, lock: bool = False) -> Survey:
    """The survey a link's token opens; NotFound for anything else (no hint which part)."""
    if not _TOKEN.fullmatch(token):
        raise NotFound("this survey link is not valid")
    q = select(Survey).where(Survey.token_hash == hash_token(token))
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    survey = session.scalars(q).first()
    if survey is None:
        raise NotFound("this survey link is not valid")
    return survey


def page_of(session: Session, survey: Survey, now: dt.datetime) -> SurveyPage:
    """What the survey page shows at ``now``."""
    state = ("answered" if survey.answered_at is not None
             else "expired" if as_utc(survey.expires_at) <= now else "open")
    return SurveyPage(state=state, reference=get_by_id(session, survey.case_id).reference,
                      language=survey.language, expires_at=survey.expires_at,
                      csat=survey.csat, nps=survey.nps, comment=survey.comment)


def survey_page(session: Session, token: str) -> SurveyPage:
    """The survey page of a link (NotFound for an unknown or forged token)."""
    return page_of(session, by_token(session, token), utcnow())


def case_survey(session: Session, principal: Principal, reference: str) -> SurveyOut | None:
    """The survey of a case the principal may see, if one was sent."""
    case = load(session, principal, reference, Permission.VIEW_CASE)
    survey = session.scalars(select(Survey).where(Survey.case_id == case.id)).first()
    return None if survey is None else SurveyOut.model_validate(survey)


def _figures(t: model.Tally) -> SurveyFigures:
    return SurveyFigures.model_validate(model.figures(t))


def summary(session: Session, since: dt.datetime, until: dt.datetime) -> SurveySummary:
    """Surveys sent in ``[since, until)`` and their answers (whenever given): sent,
    answered, response rate, mean CSAT, CSAT % (4-5), NPS; overall and by category."""
    if as_utc(until) <= as_utc(since):
        raise Invalid("the period must end after it starts", pointer="until")
    answered = Survey.answered_at.is_not(None)
    rows = session.execute(
        select(Case.category, func.count(Survey.id), func.count(Survey.answered_at),
               func.sum(when((answered, Survey.csat), else_=0)),
               func.sum(when((answered & (Survey.csat >= model.SATISFIED_FROM), 1), else_=0)),
               func.sum(when((answered & (Survey.nps >= model.PROMOTER_FROM), 1), else_=0)),
               func.sum(when((answered & (Survey.nps <= model.DETRACTOR_UPTO), 1), else_=0)))
        .join(Case, Case.id == Survey.case_id)
        .where(Survey.sent_at >= since, Survey.sent_at < until)
        .group_by(Case.category).order_by(Case.category)).all()
    tallies = {category: model.Tally(*(int(v or 0) for v in counts))
               for category, *counts in rows}
    return SurveySummary(since=since, until=until, overall=_figures(model.total(tallies.values())),
                         by_category={c: _figures(t) for c, t in tallies.items()})
