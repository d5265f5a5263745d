"""Policy versions: the one in effect for a complaint, and new versions by compliance."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import Forbidden, Invalid
from ombud.db import insert_ignore, tx
from ombud.resolution import policy as rules
from ombud.resolution.default_policy import DEFAULT_POLICY
from ombud.resolution.schemas import PolicyIn, PolicyOut
from ombud.resolution.tables import PolicyVersion
from ombud.security.permissions import Principal
from ombud.security.roles import Role

#: The first version applies to every complaint received before any later one took effect.
DEFAULT_EFFECTIVE_FROM = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
#: Who may write policy.
EDITORS = frozenset({Role.COMPLIANCE, Role.ADMIN})


def _ensure_default(session: Session) -> None:
    if session.scalar(select(func.count()).select_from(PolicyVersion)):
        return
    # concurrent first proposals may race here: the version number is unique, one row wins
    insert_ignore(session, PolicyVersion.__table__, {
        "version": 1, "effective_from": DEFAULT_EFFECTIVE_FROM,
        "document": rules.dump(rules.parse(DEFAULT_POLICY)), "note": "Ombud's default policy",
        "created_by": "system", "created_at": utcnow()})


def in_effect(session: Session, received_at: dt.datetime) -> tuple[int, rules.Policy]:
    """The version number and policy in effect when a complaint was received."""
    with tx(session):
        _ensure_default(session)
        row = session.scalars(
            select(PolicyVersion).where(PolicyVersion.effective_from <= as_utc(received_at))
            .order_by(PolicyVersion.effective_from.desc(), PolicyVersion.version.desc())
            .limit(1)).first()
        if row is None:  # received before the first version: the first one applies
            row = session.scalars(select(PolicyVersion).order_by(PolicyVersion.version)
                                  .limit(1)).one()
        return row.version, rules.parse(row.document)


def version(session: Session, number: int) -> rules.Policy:
    """Policy version ``number``."""
    row = session.scalars(select(PolicyVersion).where(PolicyVersion.version == number)).one()
    return rules.parse(row.document)


def create_version(session: Session, principal: Principal, data: PolicyIn) -> PolicyOut:
    """A new policy version (compliance and admin); earlier versions stay as they were."""
    if principal.role not in EDITORS:
        raise Forbidden("only compliance may change the remedy policy")
    parsed = rules.parse(data.document)  # Invalid names what is wrong
    with tx(session):
        _ensure_default(session)
        if as_utc(data.effective_from) < utcnow() - dt.timedelta(minutes=5):
            raise Invalid("a new policy version cannot take effect in the past",
                          pointer="effective_from")
        number = int(session.scalar(select(func.max(PolicyVersion.version))) or 0) + 1
        row = PolicyVersion(version=number, effective_from=as_utc(data.effective_from),
                            document=rules.dump(parsed), note=data.note,
                            created_by=principal.actor, created_at=utcnow())
        session.add(row)
        session.flush()
        audit.append(session, actor=principal.actor, action="policy.version_created",
                     chain="policy", data={"version": number, "note": data.note,
                                           "effective_from": row.effective_from.isoformat()})
        return PolicyOut.model_validate(row)


def list_versions(session: Session) -> list[PolicyOut]:
    """Every policy version, newest first."""
    with tx(session):
        _ensure_default(session)
        return [PolicyOut.model_validate(r) for r in session.scalars(
            select(PolicyVersion).order_by(PolicyVersion.version.desc()))]
