"""Server-rendered pages: the Jinja2 environment, CSRF tokens, flash messages, cookies."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ombud.cases.taxonomy import LABELS, Category
from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import Forbidden, OmbudError
from ombud.common.ids import token as new_token
from ombud.security import tokens
from ombud.security.permissions import Principal, permissions
from ombud.web.deps import SESSION_COOKIE, session_nonce, settings

TEMPLATES = Path(__file__).parent / "templates"
#: Binds the CSRF token of signed-out forms (sign-in, email link) to one browser.
PRE_COOKIE = "ombud_pre"
FLASH_COOKIE = "ombud_flash"
FLASH_SECONDS = 120


def _when(value: dt.datetime | None) -> str:
    """``2026-05-01 14:03 UTC``, or a dash."""
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _amount(value: Decimal | None) -> str:
    """A decimal without trailing zeros (``40``, ``0.8``)."""
    if value is None:
        return ""
    return format(value.normalize(), "f")


def _label(value: str) -> str:
    """``awaiting_customer`` → ``Awaiting customer``; categories use their taxonomy label."""
    try:
        return LABELS[Category(value)]
    except ValueError:
        return value.replace("_", " ").capitalize()


env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"], default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(when=_when, amount=_amount, label=_label)


def _form_nonce(request: Request) -> str:
    """What this browser's CSRF token is bound to: the session, else the pre-session cookie."""
    return session_nonce(request) or request.cookies.get(PRE_COOKIE, "")


def csrf_for(request: Request) -> str:
    """The CSRF token forms on this page carry (empty until a nonce exists)."""
    nonce = _form_nonce(request)
    return tokens.csrf_token(settings(request).secret_key, nonce) if nonce else ""


def verify_csrf(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    """Dependency of every POST form route: 403 unless the form carries this browser's token."""
    nonce = _form_nonce(request)
    if not nonce or not tokens.check_csrf(settings(request).secret_key, nonce, csrf):
        raise Forbidden("this form has expired or did not come from this site; reload the page "
                        "and try again")


def _flashes(request: Request) -> list[dict[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        payload = tokens.unsign(settings(request).secret_key, raw)
    except OmbudError:
        return []
    return [{"kind": str(k), "text": str(t)} for k, t in payload.get("m", [])]


def render(
    request: Request,
    template: str,
    *,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with the principal, its permissions, the page's CSRF token and
    any flash messages (which are then spent)."""
    nonce_cookie = None
    if not _form_nonce(request):
        nonce_cookie = new_token(16)
        token = tokens.csrf_token(settings(request).secret_key, nonce_cookie)
    else:
        token = csrf_for(request)
    flashes = _flashes(request)
    html = env.get_template(template).render(
        request=request, principal=principal, csrf=token, flashes=flashes, now=utcnow(),
        perms={p.value for p in permissions(principal)} if principal else set(),
        path=request.url.path, **context,
    )
    response = HTMLResponse(html, status_code=status_code, headers={
        "Cache-Control": "no-store", "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff"})
    if nonce_cookie:
        _cookie(request, response, PRE_COOKIE, nonce_cookie, max_age=24 * 3600)
    if flashes:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=settings(request).secure_cookies)


def redirect(request: Request, url: str, *messages: tuple[str, str]) -> RedirectResponse:
    """A 303 to ``url`` carrying flash ``messages`` as (kind, text): kind is ok or error."""
    response = RedirectResponse(url, status_code=303)
    if messages:
        value = tokens.sign(settings(request).secret_key,
                            {"m": list(messages), "exp": int(time.time()) + FLASH_SECONDS})
        _cookie(request, response, FLASH_COOKIE, value, FLASH_SECONDS)
    return response


def sign_in(request: Request, response: Response, session_token: str) -> Response:
    """Set the browser session cookie on ``response``."""
    _cookie(request, response, SESSION_COOKIE, session_token,
            settings(request).session_hours * 3600)
    return response


def sign_out(response: Response) -> Response:
    """Clear the browser session cookie on ``response``."""
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def sign_in_first(url: str) -> HTTPException:
    """Raise this to send a signed-out browser to a sign-in page."""
    return HTTPException(status_code=303, detail="Sign in first", headers={"Location": url})
