"""Read side of disputes: a case's objections and where their re-review stands."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases import service as cases
from ombud.disputes.schemas import ObjectionOut
from ombud.disputes.tables import Objection
from ombud.security.permissions import Principal
from ombud.security.roles import Permission


def objections(session: Session, principal: Principal, reference: str) -> list[ObjectionOut]:
    """The case's objections, newest first (staff who read internal material)."""
    case = cases.load(session, principal, reference, Permission.VIEW_INTERNAL)
    return [ObjectionOut.model_validate(o) for o in session.scalars(
        select(Objection).where(Objection.case_id == case.id).order_by(Objection.id.desc()))]
