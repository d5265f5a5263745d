"""Errors as RFC 9457 problem details (JSON for the API, a plain page for browsers)."""

from __future__ import annotations

import html
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from ombud.common.errors import OmbudError

log = logging.getLogger("ombud.web")
PROBLEM = "application/problem+json"


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


def _pointer(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return "#/" + "/".join(parts)


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    @app.exception_handler(OmbudError)
    async def _domain(request: Request, exc: OmbudError) -> Response:
        errors = [{"pointer": f"#/{exc.pointer}", "detail": exc.detail}] if exc.pointer else None
        headers = {"Retry-After": "60"} if exc.status == 429 else None
        return problem(request, exc.status, exc.title, exc.detail, errors, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"pointer": _pointer(tuple(e.get("loc", ()))), "detail": str(e.get("msg", ""))}
                  for e in exc.errors()]
        return problem(request, 422, "Unprocessable content",
                       "some fields are missing or invalid", errors)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return problem(request, exc.status_code, str(exc.detail), str(exc.detail),
                       headers=getattr(exc, "headers", None))

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> Response:
        log.error("database unavailable: %s", exc.orig)
        return problem(request, 503, "Service unavailable",
                       "the database is not answering; nothing was saved, try again shortly",
                       headers={"Retry-After": "5"})
