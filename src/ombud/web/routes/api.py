"""The REST API, ``/api/v1``: every route calls one service verb."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Header, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ombud.cases import attachments, queries
from ombud.cases import service as cases
from ombud.cases.lifecycle import Status
from ombud.cases.schemas import (
    AssignIn,
    AttachmentOut,
    CaseDetail,
    CaseFilter,
    CaseIn,
    CaseOut,
    CasePage,
    MessageIn,
    MessageOut,
    TransitionIn,
)
from ombud.cases.taxonomy import Category, Priority
from ombud.config import Settings
from ombud.security import service as security
from ombud.security.permissions import Principal
from ombud.storage.blobs import BlobStore
from ombud.web.deps import api_principal, blobs, db, require_json, settings

REF = r"^C-\d{4}-\d{6,}$"
PROBLEMS = {
    code: {"description": title, "content": {"application/problem+json": {}}}
    for code, title in [(401, "Not signed in"), (404, "Not found"), (409, "Conflict"),
                        (413, "Too large"), (415, "Unsupported media type"),
                        (422, "Invalid fields"), (503, "Database unavailable")]
}
router = APIRouter(prefix="/api/v1", tags=["api"], responses=PROBLEMS)  # type: ignore[arg-type]

DB = Annotated[Session, Depends(db)]
Who = Annotated[Principal, Depends(api_principal)]


class Credentials(BaseModel):
    """Staff sign-in for API use."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=256)
    code: str = Field(max_length=12, description="The current TOTP code")


class TokenOut(BaseModel):
    """A bearer token for ``Authorization: Bearer``."""

    token: str
    token_type: str = "bearer"


class Me(BaseModel):
    """Who the token belongs to."""

    kind: str
    id: int
    name: str
    role: str | None


@router.post("/auth/token", dependencies=[Depends(require_json)])
def issue_token(
    body: Credentials, request: Request, session: DB,
    cfg: Annotated[Settings, Depends(settings)],
) -> TokenOut:
    """Exchange staff credentials (password and TOTP code) for a bearer token."""
    ip = request.client.host if request.client else "?"
    return TokenOut(token=security.login(session, cfg, username=body.username,
                                         password=body.password, code=body.code, ip=ip))


@router.get("/me")
def me(who: Who) -> Me:
    """The principal behind the token."""
    return Me(kind=who.kind, id=who.id, name=who.name, role=who.role.value if who.role else None)


@router.post("/cases", status_code=201, dependencies=[Depends(require_json)])
def create_case(
    body: CaseIn, response: Response, session: DB, who: Who,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CaseOut:
    """File a complaint. Send an ``Idempotency-Key`` so that a retry returns the same case."""
    case, created = cases.open_case(session, who, body, idempotency_key=idempotency_key)
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/cases/{case.reference}"
    return case


@router.get("/cases")
def list_cases(
    session: DB, who: Who,
    status: Annotated[list[Status] | None, Query()] = None,
    team_id: int | None = None,
    assignee_id: int | None = None,
    category: Category | None = None,
    priority: Priority | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Annotated[str, Query(pattern="^(due|received|updated)$")] = "due",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CasePage:
    """Cases the caller may see, filtered, in keyset pages (pass ``next_cursor`` back)."""
    f = CaseFilter(status=status or [], team_id=team_id, assignee_id=assignee_id,
                   category=category, priority=priority, q=q, sort=sort,
                   limit=limit, cursor=cursor)
    return queries.list_cases(session, who, f)


@router.get("/cases/{reference}")
def get_case(reference: str, session: DB, who: Who) -> CaseDetail:
    """One case with its timeline (internal notes only for staff)."""
    return queries.case_detail(session, who, reference)


@router.post("/cases/{reference}/messages", status_code=201,
             dependencies=[Depends(require_json)])
def add_message(reference: str, body: MessageIn, session: DB, who: Who) -> MessageOut:
    """Reply to the case, or (staff) add an internal note."""
    return cases.add_message(session, who, reference, body)


@router.post("/cases/{reference}/attachments", status_code=201)
def upload_attachment(
    reference: str, file: Annotated[UploadFile, File()], session: DB, who: Who,
    store: Annotated[BlobStore, Depends(blobs)],
    cfg: Annotated[Settings, Depends(settings)],
) -> AttachmentOut:
    """Attach a file (multipart ``file``); its type is judged from its bytes."""
    data = file.file.read(cfg.max_attachment_bytes + 1)
    return attachments.add_attachment(
        session, who, reference, filename=file.filename or "file", data=data, store=store,
        max_bytes=cfg.max_attachment_bytes)


@router.get("/cases/{reference}/attachments/{attachment_id}",
            responses={200: {"content": {"application/octet-stream": {}}}})
def download_attachment(
    reference: str, attachment_id: int, session: DB, who: Who,
    store: Annotated[BlobStore, Depends(blobs)],
) -> Response:
    """The bytes of an attachment, served as a download."""
    meta, data = attachments.read_attachment(session, who, reference, attachment_id, store)
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(meta.filename)}",
        "X-Content-Type-Options": "nosniff", "X-Detected-Type": meta.media_type})


def _quote(name: str) -> str:
    return quote(name, safe="")


@router.post("/cases/{reference}/transitions", dependencies=[Depends(require_json)])
def transition(reference: str, body: TransitionIn, session: DB, who: Who) -> CaseOut:
    """Move the case by a lifecycle event; 409 when the lifecycle refuses it."""
    return cases.apply_transition(session, who, reference, body)


@router.post("/cases/{reference}/assignment", dependencies=[Depends(require_json)])
def assign(reference: str, body: AssignIn, session: DB, who: Who) -> CaseOut:
    """Give the case to a team and/or a handler."""
    return cases.assign(session, who, reference, body)
