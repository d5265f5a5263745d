"""The REST API of decisions, ``/api/v1``: the policy's suggestion, proposals and their
approval, the customer's answer, objections and their re-review, remedies, policy versions.
Every route calls one service verb."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ombud.cases.schemas import Id, Text
from ombud.config import Settings
from ombud.disputes import service as disputes
from ombud.disputes.schemas import ObjectionOut
from ombud.resolution import outcomes, policies
from ombud.resolution import queries as resolution_queries
from ombud.resolution import service as resolution
from ombud.resolution.schemas import (
    CancelIn,
    DecisionIn,
    ObjectionIn,
    PolicyIn,
    PolicyOut,
    ProposalIn,
    ProposalOut,
    RemedyOut,
    SuggestionOut,
)
from ombud.security.permissions import Principal, require
from ombud.security.roles import Permission
from ombud.web.deps import api_principal, app_settings, db, require_json
from ombud.web.routes.api import REF, WRITE, problems

router = APIRouter(prefix="/api/v1", tags=["decisions"], responses=problems(401, 422, 503))

DB = Annotated[Session, Depends(db)]
Who = Annotated[Principal, Depends(api_principal)]
Cfg = Annotated[Settings, Depends(app_settings)]
Ref = Annotated[str, Path(pattern=REF, max_length=20, description="e.g. C-2026-000123")]
JSON = [Depends(require_json)]
ACT = (403, 404, 409)  # a write without a body: not allowed, not visible, wrong state
BODY = (*WRITE, 404)


class ReopenIn(BaseModel):
    """Why the case should be looked at again."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=3, max_length=2_000)


def _cfg(cfg: Settings) -> resolution.Config:
    return resolution.Config.from_settings(cfg)


@router.get("/cases/{reference}/suggestion", responses=problems(403, 404))
def suggestion(reference: Ref, session: DB, who: Who) -> SuggestionOut:
    """What the policy in effect proposes for the case's findings, each remedy with its
    clause, and the nearest decided cases with their remedy/loss ratios (staff)."""
    return resolution.suggest(session, who, reference)


@router.get("/cases/{reference}/proposals", responses=problems(404))
def list_proposals(reference: Ref, session: DB, who: Who) -> list[ProposalOut]:
    """The case's decisions, newest first; a customer sees only issued ones, without the
    internal fields (approvals, precedents, justification)."""
    return resolution_queries.decisions(session, who, reference)


@router.post("/cases/{reference}/proposals", status_code=201, dependencies=JSON,
             responses=problems(*BODY))
def draft(reference: Ref, body: ProposalIn, session: DB, who: Who) -> ProposalOut:
    """Save a decision as a draft (a new revision); 422 names the remedy or field the policy
    refuses, or asks for a justification when the remedy is outside the precedents."""
    return resolution.draft(session, who, reference, body)


@router.post("/cases/{reference}/proposals/submit", responses=problems(*ACT, 422))
def submit(reference: Ref, session: DB, who: Who, cfg: Cfg) -> ProposalOut:
    """Send the draft to an approver when it needs one, else issue the letter."""
    return resolution.submit(session, who, reference, _cfg(cfg))


@router.post("/cases/{reference}/proposals/approve", dependencies=JSON,
             responses=problems(*BODY))
def approve(reference: Ref, body: DecisionIn, session: DB, who: Who,
            cfg: Cfg) -> ProposalOut:
    """Approve someone else's proposal (403 for the proposer, or above the approver's
    limit); the letter is issued."""
    return resolution.approve(session, who, reference, body, _cfg(cfg))


@router.post("/cases/{reference}/proposals/refuse", dependencies=JSON,
             responses=problems(*BODY))
def refuse(reference: Ref, body: DecisionIn, session: DB, who: Who) -> ProposalOut:
    """Send the proposal back to its proposer; the note (required) says why."""
    return resolution.refuse(session, who, reference, body)


@router.post("/cases/{reference}/proposals/accept", responses=problems(*ACT))
def accept(reference: Ref, session: DB, who: Who) -> ProposalOut:
    """The customer accepts the issued decision; accepting again answers the same and
    changes nothing (no remedy is carried out twice)."""
    return outcomes.accept(session, who, reference)


@router.post("/cases/{reference}/objections", status_code=201, dependencies=JSON,
             responses=problems(*BODY))
def object_to(reference: Ref, body: ObjectionIn, session: DB, who: Who) -> ObjectionOut:
    """Object to the issued decision before its deadline (409 after it); a second objection
    answers with the first. Attach new evidence with the attachments route."""
    return disputes.object_to(session, who, reference, body)


@router.post("/cases/{reference}/objections/review", responses=problems(*ACT))
def start_re_review(reference: Ref, session: DB, who: Who) -> ObjectionOut:
    """Take the objection for re-review; 409 for the proposer of the decision."""
    return disputes.start_re_review(session, who, reference)


@router.post("/cases/{reference}/objections/confirm", dependencies=JSON,
             responses=problems(*BODY))
def confirm(reference: Ref, body: DecisionIn, session: DB, who: Who,
            cfg: Cfg) -> ProposalOut:
    """The reviewer confirms the decision; it is issued again as a new revision."""
    return disputes.confirm(session, who, reference, body, _cfg(cfg))


@router.post("/cases/{reference}/objections/change", dependencies=JSON,
             responses=problems(*BODY))
def change(reference: Ref, body: ProposalIn, session: DB, who: Who,
           cfg: Cfg) -> ProposalOut:
    """The reviewer changes the decision; the new revision is checked like any draft."""
    return disputes.change(session, who, reference, body, _cfg(cfg))


@router.post("/cases/{reference}/remedies/{remedy_id}/cancel", dependencies=JSON,
             responses=problems(*BODY))
def cancel_remedy(reference: Ref, remedy_id: Annotated[Id, Path()], body: CancelIn,
                  session: DB, who: Who) -> RemedyOut:
    """Cancel an accepted remedy not yet carried out, with a reason."""
    return outcomes.cancel_remedy(session, who, reference, remedy_id,
                                  body)


@router.post("/cases/{reference}/reopen", status_code=204, dependencies=JSON,
             responses=problems(*BODY))
def reopen(reference: Ref, body: ReopenIn, session: DB, who: Who, cfg: Cfg) -> None:
    """Reopen a resolved or closed case within the reopening window."""
    outcomes.reopen(session, who, reference, body.reason, _cfg(cfg))


@router.post("/cases/{reference}/close", status_code=204, responses=problems(*ACT))
def close(reference: Ref, session: DB, who: Who) -> None:
    """Close a resolved case; 409 while an accepted remedy is neither executed nor
    cancelled."""
    outcomes.close(session, who, reference)


@router.get("/policy/versions", responses=problems(403))
def list_policy_versions(session: DB, who: Who) -> list[PolicyOut]:
    """Every version of the remedy policy, newest first (staff)."""
    require(who, Permission.VIEW_INTERNAL)
    return policies.list_versions(session)


@router.post("/policy/versions", status_code=201, dependencies=JSON,
             responses=problems(*WRITE))
def create_policy_version(body: PolicyIn, session: DB, who: Who) -> PolicyOut:
    """A new policy version (compliance); it applies to complaints received from its
    ``effective_from``, which may not be in the past."""
    return policies.create_version(session, who, body)
