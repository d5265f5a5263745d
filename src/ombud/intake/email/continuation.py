"""Which case a mail continues: the one its thread headers or subject reference point to,
else (conservatively) the sender's one recent open email case with the same subject."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases import lifecycle
from ombud.cases import service as cases
from ombud.cases.queries import list_cases
from ombud.cases.schemas import CaseFilter
from ombud.cases.tables import Case
from ombud.cases.taxonomy import Channel
from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import NotFound
from ombud.intake.email import threading
from ombud.intake.email.parse import InboundMail
from ombud.intake.tables import MailThread
from ombud.security.permissions import SYSTEM, Principal
from ombud.security.roles import Permission

_OPEN = [s for s in lifecycle.Status if s not in lifecycle.TERMINAL | {lifecycle.Status.CLOSED}]


def threaded_case(session: Session, mail: InboundMail, customer_id: int | None) -> Case | None:
    """The case this mail answers by Message-ID or by the reference in its subject.

    With ``customer_id``, only a case of that customer that still takes messages counts
    (a stranger naming someone else's reference opens their own case instead).
    """
    ids = threading.referenced_ids(mail)
    candidates: list[Case] = []
    if ids:
        known = dict(session.execute(
            select(MailThread.message_id, MailThread.case_id)
            .where(MailThread.message_id.in_(ids))).all())
        for mid in ids:
            if mid in known:
                candidates.append(cases.get_by_id(session, known[mid]))
                break
    for ref in (threading.reference_in_ids(mail.in_reply_to + mail.references),
                threading.reference_in_subject(mail.subject)):
        if ref:
            try:
                candidates.append(cases.load(session, SYSTEM, ref, Permission.VIEW_CASE))
            except NotFound:
                continue
    for case in candidates:
        if customer_id is None:
            return case
        if case.customer_id == customer_id and case.status not in {
                s.value for s in lifecycle.TERMINAL}:
            return case
    return None


def fallback_case(session: Session, who: Principal, mail: InboundMail,
                  days: int) -> Case | None:
    """Conservative: a reply ("Re: ...") whose thread headers were lost, from the sender of
    exactly one open email case with the same subject, received in the last ``days``."""
    if not threading.is_reply(mail.subject) or not threading.normalise_subject(mail.subject):
        return None
    since = utcnow() - dt.timedelta(days=days)
    page = list_cases(session, who, CaseFilter(status=_OPEN, sort="received", limit=20))
    matches = [c for c in page.items if c.channel == Channel.EMAIL
               and as_utc(c.received_at) >= since and threading.same_subject(c.summary,
                                                                              mail.subject)]
    if len(matches) != 1:
        return None
    return cases.load(session, who, matches[0].reference, Permission.REPLY)
