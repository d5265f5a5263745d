"""Request dependencies: settings, a database session, and who is asking."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ombud.common.errors import Forbidden, OmbudError, Unauthorized, UnsupportedMedia
from ombud.config import Settings
from ombud.security import service as security
from ombud.security import tokens
from ombud.security.permissions import Principal
from ombud.storage.blobs import BlobStore

SESSION_COOKIE = "ombud_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def settings(request: Request) -> Settings:
    """The app's settings."""
    value: Settings = request.app.state.settings
    return value


async def db(request: Request) -> AsyncIterator[Session]:
    """One session per request, closed afterwards (nothing is committed here).

    Making a session does no I/O, so it happens on the event loop; closing one that holds
    a connection (a rollback) is handed to a worker thread.
    """
    session: Session = request.app.state.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


async def blobs(request: Request) -> BlobStore:
    """The attachment store (an async dependency: an attribute read needs no thread)."""
    store: BlobStore = request.app.state.blobs
    return store


async def app_settings(request: Request) -> Settings:
    """``settings`` as an async dependency: no thread hop for an attribute read."""
    return settings(request)


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


def _released(read: Callable[..., Principal], session: Session, *args: Any) -> Principal:
    """``read(session, *args)``, then end its transaction: the connection goes back to the
    pool at once instead of being held while the request awaits other work (a filing waiting
    for its group commit, which needs a connection of the same pool)."""
    try:
        return read(session, *args)
    finally:
        session.rollback()


async def api_principal(
    request: Request,
    session: Annotated[Session, Depends(db)],
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    """The API caller: a staff bearer token, an exchange-issued customer token, or the
    console's session cookie (which, for a write, needs the session's CSRF token in
    ``X-CSRF-Token``: a cross-site form can send the cookie but not the header).

    Tokens are checked on the event loop; only a database read goes to a worker thread, and
    a customer seen lately needs none.
    """
    cfg = settings(request)
    token = _bearer(authorization)
    if token:
        try:
            payload = security.session_payload(cfg, token)
        except Unauthorized:
            known: security.KnownCustomers = request.app.state.known_customers
            uid, claims = security.customer_token_uid(cfg, token)
            cached = known.get(uid, claims)
            if cached is not None:
                return cached
            return await run_in_threadpool(
                _released, security.principal_from_customer_token, session, cfg, token, known)
        return await run_in_threadpool(
            _released, security.principal_from_session, session, payload)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        payload = security.session_payload(cfg, cookie)
        if request.method not in SAFE_METHODS and not tokens.check_csrf(
                cfg.secret_key, str(payload.get("n", "")), request.headers.get(CSRF_HEADER)):
            raise Forbidden(f"a write with the session cookie needs the {CSRF_HEADER} header")
        return await run_in_threadpool(
            _released, security.principal_from_session, session, payload)
    raise Unauthorized("send 'Authorization: Bearer <token>'")


def cookie_principal(request: Request, session: Session) -> Principal | None:
    """The signed-in principal of a browser session, or None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        return security.principal_from_session(
            session, security.session_payload(settings(request), cookie))
    except OmbudError:
        return None


def session_nonce(request: Request) -> str:
    """The nonce of the browser session (binds its CSRF token); empty when signed out."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return ""
    try:
        return str(security.session_payload(settings(request), cookie).get("n", ""))
    except OmbudError:
        return ""


async def require_json(content_type: Annotated[str | None, Header()] = None) -> None:
    """Refuse a body that is not JSON with 415."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMedia("send the body as application/json")


async def require_multipart(content_type: Annotated[str | None, Header()] = None) -> None:
    """Refuse an upload that is not ``multipart/form-data`` with 415."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "multipart/form-data":
        raise UnsupportedMedia("send the file as multipart/form-data (field 'file')")
