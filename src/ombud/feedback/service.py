"""Feedback verbs: send a case's survey (once), and take the customer's answer (once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.cases.lifecycle import TERMINAL, Status
from ombud.cases.service import get_by_id
from ombud.cases.tables import Case, Message
from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import Conflict
from ombud.common.ids import token as new_token
from ombud.customers.identities import get_live
from ombud.customers.service import is_internal
from ombud.db import tx
from ombud.feedback import model, queries, texts
from ombud.feedback.model import Route
from ombud.feedback.schemas import AnswerIn, SurveyPage
from ombud.feedback.tables import Survey
from ombud.jobs import service as jobs
from ombud.security.tokens import hash_token

#: Where a private message about a case reaches its customer on a social platform:
#: (platform, address), or None. Passed in by the composition root (intake owns it).
ReplyAddress = Callable[[Session, int], tuple[str, str] | None]
#: States in which a case is surveyed.
SURVEYED = frozenset({Status.RESOLVED, Status.CLOSED})
#: A case reopened before its survey went out is checked again this often, this many times.
RECHECK_EVERY = dt.timedelta(hours=12)
MAX_RECHECKS = 60


@dataclass(frozen=True)
class SurveyConfig:
    """Where the survey page lives, how long a link stays open, who signs the invitation."""

    public_url: str
    valid_for: dt.timedelta
    sender_name: str = "Customer Complaints"


def send_survey(session: Session, cfg: SurveyConfig, reply_address: ReplyAddress,
                case_id: int, *, recheck: int = 0) -> str:
    """Send the case's survey unless it has one: ``sent``, ``exists``, ``postponed`` (the
    case was reopened; checked again later) or ``skipped`` (it will not be surveyed).

    The survey row, the message on the case, the audit event and the delivery jobs (email,
    social) are written in one transaction, so a retry after a crash sends exactly once.
    """
    with tx(session):
        case = get_by_id(session, case_id)
        # one run at a time per case: a concurrent run waits here, then sees the survey
        session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
        if session.scalars(select(Survey.id).where(Survey.case_id == case.id)).first():
            return "exists"
        now = utcnow()
        if Status(case.status) not in SURVEYED:
            return _postpone(session, case, recheck, now)
        customer = get_live(session, case.customer_id)
        if is_internal(customer.uid):
            audit.append(session, actor="system", action="survey.skipped", chain=case.reference,
                         case_id=case.id, data={"reason": "an internal case, no customer"})
            return "skipped"
        address = (reply_address(session, case.id)
                   if case.channel in model.SOCIAL_CHANNELS else None)
        routes = model.routes(case.channel, has_email=bool(customer.email),
                              has_social_address=address is not None)
        raw = new_token(32)
        language = texts.language_of(case.language)
        survey = Survey(case_id=case.id, customer_id=customer.id, token_hash=hash_token(raw),
                        language=language, channel=case.channel,
                        routes=",".join(r.value for r in routes), sent_at=now,
                        expires_at=now + cfg.valid_for, comment="")
        session.add(survey)
        subject, body = texts.invitation(language, case.reference,
                                         f"{cfg.public_url}/survey/{raw}",
                                         survey.expires_at.date())
        message = Message(case_id=case.id, direction="out", channel=case.channel,
                          author_kind="system", author_id=None, author_name=cfg.sender_name,
                          body=body, visibility="public", external_id=f"survey:{case.id}",
                          created_at=now)
        session.add(message)
        session.flush()
        audit.append(session, actor="system", action="survey.sent", chain=case.reference,
                     case_id=case.id, data={"survey_id": survey.id, "message_id": message.id,
                                            "language": language, "routes": survey.routes})
        if Route.EMAIL in routes:
            assert customer.email is not None
            jobs.enqueue(session, "notify.email", {
                "to": customer.email, "subject": subject, "body": body,
                "case_reference": case.reference,
                "message_id": f"<{case.reference}.survey@ombud.local>",
            }, f"email:survey:{case.id}")
        if address is not None and Route.SOCIAL in routes:
            jobs.enqueue(session, "social.send", {
                "platform": address[0], "mode": "private", "to": address[1], "text": body,
                "case_id": case.id, "human": False, "what": "The satisfaction survey",
            }, f"social-survey:{case.id}")
        return "sent"


def _postpone(session: Session, case: Case, recheck: int, now: dt.datetime) -> str:
    """The case is not resolved now: look again later, or give up for good."""
    if Status(case.status) in TERMINAL or recheck >= MAX_RECHECKS:
        audit.append(session, actor="system", action="survey.skipped", chain=case.reference,
                     case_id=case.id, data={"status": case.status, "rechecks": recheck})
        return "skipped"
    jobs.enqueue(session, "feedback.survey", {"case_id": case.id, "recheck": recheck + 1},
                 f"survey:{case.id}:recheck:{recheck + 1}", run_at=now + RECHECK_EVERY)
    return "postponed"


def answer(session: Session, token: str, data: AnswerIn) -> SurveyPage:
    """Record the customer's answer: once, before the link expires; audited on the case.

    The token is the customer's credential here (the page needs no sign-in). A second
    answer is refused with Conflict and the first one is kept.
    """
    with tx(session):
        survey = queries.by_token(session, token, lock=True)
        now = utcnow()
        if survey.answered_at is not None:
            raise Conflict("this survey was already answered; the first answer is kept")
        if as_utc(survey.expires_at) <= now:
            raise Conflict("this survey has closed")
        survey.csat, survey.nps, survey.comment = data.csat, data.nps, data.comment
        survey.answered_at = now
        case = get_by_id(session, survey.case_id)
        session.flush()
        audit.append(session, actor=f"customer:{survey.customer_id}", action="survey.answered",
                     chain=case.reference, case_id=case.id, data={
                         "survey_id": survey.id, "csat": data.csat, "nps": data.nps,
                         "comment": bool(data.comment)})
        return queries.page_of(session, survey, now)
