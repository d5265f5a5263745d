"""Errors as RFC 9457 problem details (JSON for the API, a plain page for browsers)."""

from __future__ import annotations

import html
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from starlette.exceptions import HTTPException

from ombud.common.errors import OmbudError

log = logging.getLogger("ombud.web")
PROBLEM = "application/problem+json"
#: Seconds a client should wait before retrying when the database is not answering.
DB_RETRY_AFTER = "5"


def problem(
    request: Request, status: int, title: str, detail: str,
    errors: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None,
) -> Response:
    """A problem response: JSON under /api, a small HTML page elsewhere."""
    if request.url.path.startswith("/api/") or "json" in request.headers.get("accept", ""):
        body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status,
                                "detail": detail, "instance": request.url.path}
        if errors:
            body["errors"] = errors
        return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)
    items = "".join(f"<li>{html.escape(e['detail'])}</li>" for e in errors or [])
    page = (f"<!doctype html><meta charset=utf-8><title>{status} {html.escape(title)}</title>"
            "<link rel=stylesheet href=/static/ombud.css><main class=error>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p><ul>{items}</ul>"
            "<p><a href=/>Home</a></p></main>")
    return HTMLResponse(page, status_code=status, headers=headers)


def pointer(error: dict[str, Any]) -> str:
    """The JSON pointer (as a URI fragment) of one Pydantic/FastAPI validation error."""
    if error.get("type") == "json_invalid":
        return "#"  # the body as a whole is not JSON; its "loc" is a character offset
    loc = list(error.get("loc", ()))
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
        loc = loc[1:]  # where it came from, not a field (a field may be called "body")
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in loc]
    return "#/" + "/".join(parts) if parts else "#"


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    @app.exception_handler(OmbudError)
    async def _domain(request: Request, exc: OmbudError) -> Response:
        errors = [{"pointer": f"#/{exc.pointer}", "detail": exc.detail}] if exc.pointer else None
        headers = {"Retry-After": "60"} if exc.status == 429 else None
        return problem(request, exc.status, exc.title, exc.detail, errors, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"pointer": pointer(e), "detail": str(e.get("msg", ""))} for e in exc.errors()]
        return problem(request, 422, "Unprocessable content",
                       "some fields are missing or invalid", errors)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return problem(request, exc.status_code, _title(exc.status_code), str(exc.detail),
                       headers=getattr(exc, "headers", None))

    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> Response:
        if isinstance(exc, IntegrityError):
            log.warning("integrity error: %s", exc.orig)
            return problem(request, 409, "Conflict",
                           "the request collided with a concurrent change; nothing was saved, "
                           "retry it")
        if isinstance(exc, DataError):
            log.warning("data error: %s", exc.orig)
            return problem(request, 422, "Unprocessable content",
                           "a value is outside what the database can store; nothing was saved")
        log.error("database unavailable: %s", exc)
        return problem(request, 503, "Service unavailable",
                       "the database is not answering; nothing was saved, try again shortly",
                       headers={"Retry-After": DB_RETRY_AFTER})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return problem(request, 500, "Internal server error",
                       "something went wrong on our side; it has been logged")
