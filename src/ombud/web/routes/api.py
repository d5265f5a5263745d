"""The REST API, ``/api/v1``: every route calls one service verb."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Header, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ombud.cases import attachments, filing, queries
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
    Id,
    MessageIn,
    MessageOut,
    Text,
    TransitionIn,
)
from ombud.cases.taxonomy import Category, Priority
from ombud.config import Settings
from ombud.evidence import findings as evidence_findings
from ombud.evidence import queries as evidence_queries
from ombud.evidence import service as evidence
from ombud.evidence.schemas import EvidenceOut, FindingIn, FindingOut, QueuedOut
from ombud.intake import replies
from ombud.security import service as security
from ombud.security.permissions import Principal
from ombud.storage.blobs import BlobStore
from ombud.web.deps import (
    api_principal,
    app_settings,
    blobs,
    db,
    require_json,
    require_multipart,
)
from ombud.web.problems import DB_RETRY_AFTER, PROBLEM

REF = r"^C-\d{4}-\d{6,}$"
_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem", "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "description": "one entry per field at fault", "items": {
            "type": "object", "required": ["pointer", "detail"], "properties": {
                "pointer": {"type": "string", "description": "JSON pointer, e.g. #/summary"},
                "detail": {"type": "string"}}}},
    },
}
_TITLES = {
    400: "The body could not be parsed", 401: "Not signed in, or the token is not valid",
    403: "Signed in but not allowed (or a cookie write without X-CSRF-Token)",
    404: "Not found, or not visible to the caller", 409: "Conflicts with the case's state",
    413: "Body or file too large", 415: "Unsupported media type",
    422: "Invalid fields (see errors[].pointer)", 429: "Too many attempts; see Retry-After",
    503: "Database unavailable; nothing was saved, retry after Retry-After seconds",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problem+json answers with status ``codes``."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        out[code] = {"description": _TITLES[code],
                     "content": {PROBLEM: {"schema": _PROBLEM_SCHEMA}}}
        if code in (429, 503):
            out[code]["headers"] = {"Retry-After": {
                "description": f"seconds to wait (e.g. {DB_RETRY_AFTER})",
                "schema": {"type": "integer"}}}
    return out


WRITE = (400, 403, 409, 413, 415)  # what a body-carrying write can add to the common ones
router = APIRouter(prefix="/api/v1", tags=["api"], responses=problems(401, 422, 503))

DB = Annotated[Session, Depends(db)]
Who = Annotated[Principal, Depends(api_principal)]
Ref = Annotated[str, Path(pattern=REF, max_length=20, description="e.g. C-2026-000123")]
IdempotencyKey = Annotated[Text | None, Header(
    alias="Idempotency-Key", max_length=200,
    description="Any unique string: a retry with the same key and body returns the same "
                "case (200); the same key with a different body is refused (422).")]


class Credentials(BaseModel):
    """Staff sign-in for API use."""

    username: Text = Field(max_length=64)
    password: Text = Field(max_length=256)
    code: Text = Field(max_length=12, description="The current TOTP code")


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


@router.post("/auth/token", dependencies=[Depends(require_json)],
             responses=problems(400, 413, 415, 429))
def issue_token(
    body: Credentials, request: Request, session: DB,
    cfg: Annotated[Settings, Depends(app_settings)],
) -> TokenOut:
    """Exchange staff credentials (password and TOTP code) for a bearer token."""
    ip = request.client.host if request.client else "?"
    return TokenOut(token=security.login(session, cfg, username=body.username,
                                         password=body.password, code=body.code, ip=ip))


@router.get("/me")
def me(who: Who) -> Me:
    """The principal behind the token."""
    return Me(kind=who.kind, id=who.id, name=who.name, role=who.role.value if who.role else None)


@router.post("/cases", status_code=201, dependencies=[Depends(require_json)], responses={
    **problems(*WRITE),
    200: {"model": CaseOut, "description": "A retry with the same Idempotency-Key"},
    201: {"description": "Filed", "headers": {"Location": {
        "description": "The case's URL", "schema": {"type": "string"}}}},
})
async def create_case(
    body: CaseIn, request: Request, response: Response, who: Who,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    """File a complaint. Send an ``Idempotency-Key`` so that a retry returns the same case."""
    case, created = await filing.file_case(
        request.app.state.engine, who, body, idempotency_key=idempotency_key)
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/cases/{case.reference}"
    return case


@router.get("/cases")
def list_cases(
    session: DB, who: Who,
    status: Annotated[list[Status] | None, Query()] = None,
    team_id: Annotated[Id | None, Query()] = None,
    assignee_id: Annotated[Id | None, Query()] = None,
    category: Category | None = None,
    priority: Priority | None = None,
    q: Annotated[Text | None, Query(
        max_length=200, description="A case reference, or words of the summary")] = None,
    sort: Annotated[str, Query(pattern="^(due|received|updated)$")] = "due",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CasePage:
    """Cases the caller may see, filtered, in keyset pages (pass ``next_cursor`` back)."""
    f = CaseFilter(status=status or [], team_id=team_id, assignee_id=assignee_id,
                   category=category, priority=priority, q=q, sort=sort,
                   limit=limit, cursor=cursor)
    return queries.list_cases(session, who, f)


@router.get("/cases/{reference}", responses=problems(404))
def get_case(reference: Ref, session: DB, who: Who) -> CaseDetail:
    """One case with its timeline (internal notes only for staff)."""
    return queries.case_detail(session, who, reference)


@router.post("/cases/{reference}/messages", status_code=201,
             dependencies=[Depends(require_json)], responses=problems(*WRITE, 404))
def add_message(reference: Ref, body: MessageIn, session: DB, who: Who) -> MessageOut:
    """Reply to the case (a staff reply also goes out on the customer's channel), or
    (staff) add an internal note."""
    return replies.reply(session, who, reference, body)


@router.post("/cases/{reference}/attachments", status_code=201,
             dependencies=[Depends(require_multipart)], responses=problems(*WRITE, 404))
def upload_attachment(
    reference: Ref, file: Annotated[UploadFile, File()], session: DB, who: Who,
    store: Annotated[BlobStore, Depends(blobs)],
    cfg: Annotated[Settings, Depends(app_settings)],
) -> AttachmentOut:
    """Attach a file (multipart ``file``); its type is judged from its bytes."""
    data = file.file.read(cfg.max_attachment_bytes + 1)
    return attachments.add_attachment(
        session, who, reference, filename=file.filename or "file", data=data, store=store,
        max_bytes=cfg.max_attachment_bytes)


@router.get("/cases/{reference}/attachments/{attachment_id}", response_class=Response,
            responses={**problems(404), 200: {"description": "The file, as a download",
                                              "content": {"application/octet-stream": {
                                                  "schema": {"type": "string",
                                                             "format": "binary"}}}}})
def download_attachment(
    reference: Ref, attachment_id: Annotated[Id, Path()], session: DB, who: Who,
    store: Annotated[BlobStore, Depends(blobs)],
) -> Response:
    """The bytes of an attachment, served as a download."""
    meta, data = attachments.read_attachment(session, who, reference, attachment_id, store)
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(meta.filename)}",
        "X-Content-Type-Options": "nosniff", "X-Detected-Type": meta.media_type})


def _quote(name: str) -> str:
    return quote(name, safe="")


@router.post("/cases/{reference}/transitions", dependencies=[Depends(require_json)],
             responses=problems(*WRITE, 404))
def transition(reference: Ref, body: TransitionIn, session: DB, who: Who) -> CaseOut:
    """Move the case by a lifecycle event; 409 when the lifecycle refuses it."""
    return cases.apply_transition(session, who, reference, body)


@router.post("/cases/{reference}/assignment", dependencies=[Depends(require_json)],
             responses=problems(*WRITE, 404))
def assign(reference: Ref, body: AssignIn, session: DB, who: Who) -> CaseOut:
    """Give the case to a team and/or a handler."""
    return cases.assign(session, who, reference, body)


@router.get("/cases/{reference}/evidence", responses=problems(403, 404))
def list_evidence(reference: Ref, session: DB, who: Who) -> list[EvidenceOut]:
    """The case's frozen evidence, oldest first (staff only)."""
    return evidence_queries.evidence_page(session, who, reference).evidence


@router.post("/cases/{reference}/evidence", status_code=202, responses=problems(403, 404))
def pull_evidence(reference: Ref, session: DB, who: Who) -> QueuedOut:
    """Queue a fresh pull of the case's evidence from the exchange."""
    return evidence.request_capture(session, who, reference)


@router.get("/cases/{reference}/findings", responses=problems(403, 404))
def list_findings(reference: Ref, session: DB, who: Who) -> list[FindingOut]:
    """The case's findings with the evidence each cites (staff only)."""
    return evidence_queries.evidence_page(session, who, reference).findings


@router.post("/cases/{reference}/findings", status_code=201,
             dependencies=[Depends(require_json)], responses=problems(*WRITE, 404))
def add_finding(reference: Ref, body: FindingIn, session: DB, who: Who) -> FindingOut:
    """Save a finding; 422 unless it cites at least one piece of the case's evidence."""
    return evidence_findings.add_finding(session, who, reference, body)
