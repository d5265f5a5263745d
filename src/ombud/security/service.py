"""Security verbs: staff accounts and sign-in, sessions, customer tokens, one-time links."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.audit import service as audit_service
from ombud.common.clock import as_utc, utcnow
from ombud.common.errors import Conflict, Invalid, NotFound, RateLimited, Unauthorized
from ombud.common.ids import token as new_token
from ombud.config import Settings
from ombud.customers import service as customers
from ombud.db import tx
from ombud.jobs import service as jobs
from ombud.security import passwords, tokens
from ombud.security.permissions import Principal
from ombud.security.roles import Role
from ombud.security.schemas import NewStaff, StaffOut, TeamOut
from ombud.security.tables import LoginAttempt, MagicLink, Staff, Team


def create_team(
    session: Session, name: str, categories: list[str] | None = None,
    languages: list[str] | None = None,
) -> TeamOut:
    """A team, created if absent."""
    with tx(session):
        team = session.scalars(select(Team).where(Team.name == name)).first()
        if team is None:
            team = Team(name=name, categories=categories or [], languages=languages or [])
            session.add(team)
            session.flush()
            audit_service.append(session, actor="system", action="team.created",
                                 data={"team_id": team.id, "name": name})
        return TeamOut.model_validate(team)


def list_teams(session: Session) -> list[TeamOut]:
    """Every team."""
    return [TeamOut.model_validate(t) for t in session.scalars(select(Team).order_by(Team.name))]


def list_staff(session: Session) -> list[StaffOut]:
    """Every member of staff."""
    rows = session.scalars(select(Staff).order_by(Staff.username))
    return [StaffOut.model_validate(s) for s in rows]


def create_staff(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    email: str = "",
    team_id: int | None = None,
    totp_secret: str | None = None,
    actor: str = "system",
) -> NewStaff:
    """A staff account with an argon2id password and a TOTP secret (returned once)."""
    username = username.strip().lower()
    bare = username.replace(".", "").replace("-", "")
    if not username or len(username) > 64 or not bare.isalnum():
        raise Invalid("a username is letters, digits, dots and dashes", pointer="username")
    try:
        pw_hash = passwords.hash_password(password)
    except ValueError as exc:
        raise Invalid(str(exc), pointer="password") from None
    secret = totp_secret or passwords.new_totp_secret()
    with tx(session):
        if session.scalars(select(Staff).where(Staff.username == username)).first():
            raise Conflict(f"username {username!r} is taken", pointer="username")
        staff = Staff(
            username=username, display_name=display_name or username, email=email,
            role=role.value, team_id=team_id, password_hash=pw_hash, totp_secret=secret,
            created_at=utcnow(),
        )
        session.add(staff)
        session.flush()
        audit_service.append(session, actor=actor, action="staff.created",
                             data={"staff_id": staff.id, "username": username, "role": role.value})
        return NewStaff(
            staff=StaffOut.model_validate(staff), totp_secret=secret,
            totp_uri=passwords.provisioning_uri(secret, username),
        )


def login(
    session: Session, settings: Settings, *, username: str, password: str, code: str, ip: str
) -> str:
    """Check password and TOTP; return a signed session token.

    Too many attempts from one address in a minute are refused (429); a run of failures
    locks the account for ``login_lockout_seconds``. The answer never says which factor
    was wrong.
    """
    now = utcnow()
    username = username.strip().lower()[:64]
    with tx(session):
        recent = session.scalar(
            select(func.count()).select_from(LoginAttempt)
            .where(LoginAttempt.ip == ip, LoginAttempt.at > now - dt.timedelta(minutes=1))
        ) or 0
        if recent >= settings.login_rate_per_minute:
            raise RateLimited("too many sign-in attempts; wait a minute")
        staff = session.scalars(  # locked: concurrent failures must all count
            select(Staff).where(Staff.username == username).with_for_update()
            .execution_options(populate_existing=True)).first()
        locked = staff is not None and staff.locked_until and as_utc(staff.locked_until) > now
        ok = passwords.check_password(staff.password_hash if staff else None, password)
        ok = ok and staff is not None and staff.active and not locked
        ok = ok and staff is not None and passwords.check_totp(staff.totp_secret, code)
        session.add(LoginAttempt(ip=ip, username=username, ok=ok, at=now))
        if staff is not None:
            if ok:
                staff.failed_logins = 0
            else:
                staff.failed_logins += 1
                if staff.failed_logins >= settings.login_max_failures:
                    staff.locked_until = now + dt.timedelta(seconds=settings.login_lockout_seconds)
                    staff.failed_logins = 0
            audit_service.append(
                session, actor=f"staff:{staff.id}",
                action="staff.login" if ok else "staff.login_failed", data={"ip": ip},
            )
    if not ok or staff is None:
        if locked:
            raise Unauthorized("this account is locked for a while after repeated failures")
        raise Unauthorized("wrong username, password or code")
    return staff_session_token(settings, staff)


def staff_session_token(settings: Settings, staff: Staff) -> str:
    """A signed session for ``staff``."""
    return tokens.sign(settings.secret_key, {
        "k": "staff", "id": staff.id, "v": staff.session_version, "n": new_token(12),
        "exp": int(utcnow().timestamp()) + settings.session_hours * 3600,
    })


def customer_session_token(settings: Settings, customer_id: int) -> str:
    """A signed portal session for a customer."""
    return tokens.sign(settings.secret_key, {
        "k": "customer", "id": customer_id, "n": new_token(12),
        "exp": int(utcnow().timestamp()) + settings.session_hours * 3600,
    })


def session_payload(settings: Settings, token: str) -> dict[str, Any]:
    """The verified payload of a session token (raises Unauthorized)."""
    return tokens.unsign(settings.secret_key, token)


def principal_from_session(session: Session, payload: dict[str, Any]) -> Principal:
    """The principal a verified session payload stands for."""
    if payload.get("k") == "customer":
        customer = customers.get_customer(session, int(payload["id"]))
        return Principal(kind="customer", id=customer.id, name=customer.name or "customer")
    staff = session.get(Staff, int(payload.get("id", 0)))
    if staff is None or not staff.active or staff.session_version != payload.get("v"):
        raise Unauthorized("your session has ended; sign in again")
    return Principal(kind="staff", id=staff.id, name=staff.display_name, role=Role(staff.role),
                     team_id=staff.team_id)


def logout_everywhere(session: Session, staff_id: int) -> None:
    """End every session of one member of staff."""
    with tx(session):
        staff = session.get(Staff, staff_id)
        if staff is None:
            raise NotFound("no such staff member")
        staff.session_version += 1


class KnownCustomers:
    """Customers recently seen by (exchange UID, email), per app: a UID never moves to
    another customer, so a verified token of a known customer needs no database read."""

    def __init__(self, seconds: float = 60.0, size: int = 100_000) -> None:
        self.seconds, self.size = seconds, size
        self._seen: dict[tuple[str, str], tuple[float, Principal]] = {}

    def get(self, uid: str, payload: dict[str, Any]) -> Principal | None:
        """The principal seen for this token's customer lately, or None."""
        hit = self._seen.get((uid, str(payload.get("email") or "")))
        if hit is None or time.monotonic() - hit[0] > self.seconds:
            return None
        return hit[1]

    def put(self, uid: str, payload: dict[str, Any], principal: Principal) -> None:
        """Remember ``principal`` for this token's customer."""
        if len(self._seen) >= self.size:
            self._seen.clear()
        self._seen[(uid, str(payload.get("email") or ""))] = (time.monotonic(), principal)


def customer_token_uid(settings: Settings, token: str) -> tuple[str, dict[str, Any]]:
    """The UID an exchange-issued token names, and its payload (raises Unauthorized)."""
    payload = tokens.unsign(settings.customer_token_secret, token)
    uid = str(payload.get("uid", "")).strip()
    if not uid:
        raise Unauthorized("the token names no customer")
    return uid, payload


def principal_from_customer_token(
    session: Session, settings: Settings, token: str, known: KnownCustomers | None = None
) -> Principal:
    """The customer an exchange-issued token names, registered on first sight."""
    uid, payload = customer_token_uid(settings, token)
    cached = known.get(uid, payload) if known is not None else None
    if cached is not None:
        return cached
    customer = customers.find_or_register(
        session, uid=uid, email=payload.get("email"), name=str(payload.get("name", "")),
        language=str(payload.get("lang", "en")), jurisdiction=str(payload.get("jur", "")),
    )
    principal = Principal(kind="customer", id=customer.id, name=customer.name or uid)
    if known is not None:
        known.put(uid, payload, principal)
    return principal


def create_magic_link(session: Session, settings: Settings, email: str) -> tuple[str, int]:
    """A one-time sign-in token for ``email`` (customer registered if new) and the customer id."""
    customer = customers.find_or_register(session, email=email)
    raw = new_token()
    with tx(session):
        session.add(MagicLink(
            token_hash=tokens.hash_token(raw), customer_id=customer.id,
            expires_at=utcnow() + dt.timedelta(minutes=settings.magic_link_minutes),
        ))
    return raw, customer.id


def request_magic_link(session: Session, settings: Settings, email: str) -> None:
    """Mail a one-time sign-in link to ``email`` (through the job queue)."""
    with tx(session):
        raw, customer_id = create_magic_link(session, settings, email)
        link = f"{settings.public_url}/portal/magic/{raw}"
        jobs.enqueue(session, "notify.email", {
            "to": customers.normalise_email(email),
            "subject": "Your sign-in link for the complaints portal",
            "body": (f"Open this link to see and file complaints (valid for "
                     f"{settings.magic_link_minutes} minutes, once):\n\n{link}\n\n"
                     "If you did not ask for it, ignore this message."),
        }, f"magic:{tokens.hash_token(raw)}")
        audit_service.append(session, actor=f"customer:{customer_id}",
                             action="customer.link_requested")


def use_magic_link(session: Session, raw: str) -> Principal:
    """Spend a one-time link: valid once, before it expires."""
    with tx(session):
        link = session.get(MagicLink, tokens.hash_token(raw), with_for_update=True)
        if link is None or link.used_at is not None or as_utc(link.expires_at) < utcnow():
            raise Unauthorized("this sign-in link is invalid, used or expired; ask for a new one")
        link.used_at = utcnow()
        customer = customers.get_customer(session, link.customer_id)
        audit_service.append(session, actor=f"customer:{customer.id}", action="customer.login",
                             data={"via": "email link"})
    return Principal(kind="customer", id=customer.id, name=customer.name or "customer")
