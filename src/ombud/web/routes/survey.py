"""The satisfaction survey page, opened from the link in the invitation (no sign-in: the
link's token is the credential). CSAT 1-5, NPS 0-10 and a comment, answered once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ombud.common.errors import Conflict, NotFound
from ombud.feedback import queries, service, texts
from ombud.feedback.model import COMMENT_MAX
from ombud.feedback.schemas import AnswerIn, SurveyPage
from ombud.web.deps import db
from ombud.web.templating import redirect, render, verify_csrf

router = APIRouter(prefix="/survey", include_in_schema=False)

DB = Annotated[Session, Depends(db)]
CSRF = [Depends(verify_csrf)]
TEXT = Annotated[str, Form(max_length=100_000)]


def _unknown(request: Request) -> Response:
    return render(request, "survey/invalid.html", principal=None, lines=texts.INVALID,
                  status_code=404)


def _show(request: Request, token: str, page: SurveyPage, *, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, notice: str = "",
          status_code: int = 200) -> Response:
    t = texts.page(page.language, reference=page.reference, until=page.expires_at.date(),
                   csat=page.csat, nps=page.nps)
    template = "survey/form.html" if page.state == "open" else "survey/done.html"
    return render(request, template, principal=None, token=token, page=page, t=t,
                  values=values or {}, errors=errors or {}, notice=t[notice] if notice else "",
                  comment_max=COMMENT_MAX, status_code=status_code)


def _errors(exc: ValidationError, t: dict[str, str]) -> dict[str, str]:
    """One message per field, in the page's language."""
    errors: dict[str, str] = {}
    for e in exc.errors():
        name = str(e["loc"][0]) if e.get("loc") else ""
        key = f"error_{name}"
        if name == "comment" and e["type"] != "string_too_long":
            key = "error_comment_text"  # e.g. a NUL character, which no browser sends
        errors.setdefault(name, t.get(key, t["error"]))
    return errors


@router.get("/{token}")
def survey_page(request: Request, token: str, session: DB) -> Response:
    """The questions; once answered, the thanks; after the link expires, that it closed."""
    try:
        page = queries.survey_page(session, token)
    except NotFound:
        return _unknown(request)
    return _show(request, token, page)


@router.post("/{token}", dependencies=CSRF)
def answer(request: Request, token: str, session: DB, csat: TEXT = "", nps: TEXT = "",
           comment: TEXT = "") -> Response:
    """Take the answer once; bad input shows the form again with what is wrong, a second
    answer shows that the first one is kept."""
    try:
        page = queries.survey_page(session, token)
    except NotFound:
        return _unknown(request)
    if page.state != "open":
        return _show(request, token, page, notice="already" if page.state == "answered" else "",
                     status_code=409)
    values = {"csat": csat.strip(), "nps": nps.strip(), "comment": comment}
    try:
        data = AnswerIn.model_validate(values)
    except ValidationError as exc:
        t = texts.page(page.language, reference=page.reference, until=page.expires_at.date())
        errors = _errors(exc, t)
        return _show(request, token, page, values=values, errors=errors, status_code=422)
    try:
        service.answer(session, token, data)
    except Conflict:  # answered or closed a moment ago, by another request
        page = queries.survey_page(session, token)
        return _show(request, token, page, notice="already" if page.state == "answered" else "",
                     status_code=409)
    return redirect(request, f"/survey/{token}")
