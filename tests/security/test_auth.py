"""Staff sign-in (argon2id + TOTP, lockout, per-address rate limit), signed sessions,
exchange-issued customer tokens and one-time email links."""

from __future__ import annotations

import time

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from ombud.app import create_app
from ombud.audit.tables import AuditEvent
from ombud.common.clock import utcnow
from ombud.common.errors import Invalid, RateLimited, Unauthorized
from ombud.config import Settings
from ombud.jobs.tables import Job
from ombud.security import passwords, tokens
from ombud.security import service as security
from ombud.security.roles import Role
from ombud.security.tables import Staff
from tests.audit.crew import race
from tests.conftest import PASSWORD, TOTP

IP = "198.51.100.7"


def _steady_totp() -> None:
    """Stay clear of a 30-second TOTP step boundary while a test computes and checks codes."""
    if 30 - time.time() % 30 < 2:
        time.sleep(2.1)


def code(offset_steps: int = 0) -> str:
    """The TOTP code ``offset_steps`` 30-second steps from now."""
    return pyotp.TOTP(TOTP).at(int(time.time()) + 30 * offset_steps)


@pytest.fixture
def agent(session: Session) -> Staff:
    team = security.create_team(session, "trading")
    created = security.create_staff(session, username="Agent", password=PASSWORD,
                                    role=Role.AGENT, team_id=team.id, totp_secret=TOTP)
    staff = session.get(Staff, created.staff.id)
    assert staff is not None
    return staff


def _login(session: Session, settings: Settings, *, password: str = PASSWORD,
           totp: str | None = None, ip: str = IP) -> str:
    _steady_totp()
    return security.login(session, settings, username="agent", password=password,
                          code=code() if totp is None else totp, ip=ip)


def test_passwords_are_hashed_with_argon2id(session: Session, agent: Staff) -> None:
    assert agent.password_hash.startswith("$argon2id$")
    assert PASSWORD not in agent.password_hash
    assert passwords.check_password(agent.password_hash, PASSWORD)
    assert not passwords.check_password(agent.password_hash, PASSWORD + "x")
    assert not passwords.check_password(None, PASSWORD)
    assert not passwords.check_password("not-a-hash", PASSWORD)
    with pytest.raises(Invalid, match="at least 10 characters"):
        security.create_staff(session, username="short", password="hunter2", role=Role.AGENT)


def test_totp_allows_one_step_of_drift_and_no_more() -> None:
    _steady_totp()
    assert passwords.check_totp(TOTP, code())
    assert passwords.check_totp(TOTP, f" {code()[:3]} {code()[3:]} ")
    assert passwords.check_totp(TOTP, code(-1)) and passwords.check_totp(TOTP, code(+1))
    too_old = code(-2)
    assert too_old not in {code(-1), code(), code(1)}
    assert not passwords.check_totp(TOTP, too_old)
    valid = {code(-1), code(), code(1)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)
    assert not passwords.check_totp(TOTP, wrong)
    assert not passwords.check_totp(TOTP, "abcdef") and not passwords.check_totp(TOTP, "")


def test_sign_in_gives_a_session_that_names_the_staff_member(
    session: Session, settings: Settings, agent: Staff
) -> None:
    token = _login(session, settings)
    who = security.principal_from_session(session, security.session_payload(settings, token))
    assert (who.kind, who.id, who.role, who.team_id) == ("staff", agent.id, Role.AGENT,
                                                         agent.team_id)
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor ==
                                                               f"staff:{agent.id}")).all()
    assert actions == ["staff.login"]


@pytest.mark.parametrize("wrong", ["password", "code", "username"])
def test_a_wrong_factor_is_refused_without_saying_which(
    wrong: str, session: Session, settings: Settings, agent: Staff
) -> None:
    _steady_totp()
    valid = {code(-1), code(), code(1)}
    bad_code = next(c for c in ("000000", "111111", "222222") if c not in valid)
    with pytest.raises(Unauthorized, match=r"^wrong username, password or code$"):
        security.login(session, settings, username="nobody" if wrong == "username" else "agent",
                       password="wrong-password-1" if wrong == "password" else PASSWORD,
                       code=bad_code if wrong == "code" else code(), ip=IP)
    session.refresh(agent)
    assert agent.failed_logins == (0 if wrong == "username" else 1)


def test_repeated_failures_lock_the_account(
    session: Session, settings: Settings, agent: Staff
) -> None:
    cfg = settings.model_copy(update={"login_max_failures": 3, "login_lockout_seconds": 600})
    for _ in range(3):
        with pytest.raises(Unauthorized, match="wrong username, password or code"):
            _login(session, cfg, password="wrong-password-1")
    with pytest.raises(Unauthorized, match="locked for a while after repeated failures"):
        _login(session, cfg)  # right password and code, but locked
    session.refresh(agent)
    assert agent.locked_until is not None
    failed = session.scalars(select(AuditEvent.action).where(
        AuditEvent.action == "staff.login_failed")).all()
    assert len(failed) == 4
    session.execute(text("UPDATE staff SET locked_until = :t"), {"t": utcnow()})
    session.commit()
    assert _login(session, cfg)  # the lock has run out


def test_too_many_attempts_from_one_address_are_rate_limited(
    session: Session, settings: Settings, agent: Staff
) -> None:
    cfg = settings.model_copy(update={"login_rate_per_minute": 3, "login_max_failures": 100})
    for _ in range(3):
        with pytest.raises(Unauthorized):
            _login(session, cfg, password="wrong-password-1")
    with pytest.raises(RateLimited, match="too many sign-in attempts") as limited:
        _login(session, cfg)
    assert limited.value.status == 429
    assert _login(session, cfg, ip="203.0.113.9")  # another address is not affected


def test_the_rate_limit_answers_429_over_http(settings: Settings, agent: Staff) -> None:
    cfg = settings.model_copy(update={"login_rate_per_minute": 2, "login_max_failures": 100})
    body = {"username": "agent", "password": "wrong-password-1", "code": "000000"}
    with TestClient(create_app(cfg)) as client:
        answers = [client.post("/api/v1/auth/token", json=body) for _ in range(3)]
    assert [r.status_code for r in answers] == [401, 401, 429]
    assert answers[2].headers["content-type"].startswith("application/problem+json")


def _tampered(token: str, secret: str) -> list[str]:
    """Ways to spoil a token: flip a payload character, break the signature, re-sign with
    another key, drop the signature, garbage."""
    body, mac = token.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    forged = tokens.sign("some-other-secret", tokens.unsign(secret, token))
    return [f"{flipped}.{mac}", f"{body}.{mac[:-2]}xx", forged, body, "", "a.b.c", "☃.☃"]


def test_a_tampered_or_expired_session_is_refused(
    session: Session, settings: Settings, agent: Staff
) -> None:
    token = security.staff_session_token(settings, agent)
    for bad in _tampered(token, settings.secret_key):
        with pytest.raises(Unauthorized):
            security.session_payload(settings, bad)
    later = time.time() + settings.session_hours * 3600 + 1
    with pytest.raises(Unauthorized, match="expired"):
        tokens.unsign(settings.secret_key, token, now=later)
    odd = tokens.sign(settings.secret_key, {"k": "staff", "id": agent.id, "exp": "soon"})
    with pytest.raises(Unauthorized):
        security.session_payload(settings, odd)


def test_a_tampered_bearer_token_gets_401_over_http(settings: Settings, agent: Staff) -> None:
    token = security.staff_session_token(settings, agent)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                          ).status_code == 200
        for bad in _tampered(token, settings.secret_key)[:3]:
            r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {bad}"})
            assert r.status_code == 401, bad


def test_ending_every_session_logs_the_staff_member_out(
    session: Session, settings: Settings, agent: Staff
) -> None:
    payload = security.session_payload(settings, security.staff_session_token(settings, agent))
    security.logout_everywhere(session, agent.id)
    with pytest.raises(Unauthorized, match="sign in again"):
        security.principal_from_session(session, payload)
    fresh = security.session_payload(settings, security.staff_session_token(settings, agent))
    assert security.principal_from_session(session, fresh).id == agent.id
    agent.active = False
    session.commit()
    with pytest.raises(Unauthorized):
        security.principal_from_session(session, fresh)


def test_customer_tokens_must_be_signed_by_the_exchange_and_current(
    session: Session, settings: Settings
) -> None:
    secret = settings.customer_token_secret
    good = tokens.customer_token(secret, "UID-42", email="c@example.com", lang="zh-Hans")
    who = security.principal_from_customer_token(session, settings, good)
    assert who.kind == "customer"
    again = security.principal_from_customer_token(session, settings, good)
    assert again.id == who.id  # registered once
    refused = [
        tokens.customer_token("not-the-exchange", "UID-42"),
        tokens.customer_token(secret, "UID-42", ttl_seconds=-5),
        tokens.customer_token(secret, ""),
        tokens.sign(settings.secret_key, {"uid": "UID-42", "exp": time.time() + 60}),
        *_tampered(good, secret)[:3],
    ]
    for bad in refused:
        with pytest.raises(Unauthorized):
            security.principal_from_customer_token(session, settings, bad)


def test_a_magic_link_works_once_and_expires(session: Session, settings: Settings) -> None:
    security.request_magic_link(session, settings, "Carol@Example.com")
    job = session.scalars(select(Job).where(Job.kind == "notify.email")).one()
    assert "carol@example.com" in job.payload and "/portal/magic/" in job.payload
    raw, customer_id = security.create_magic_link(session, settings, "carol@example.com")
    assert security.use_magic_link(session, raw).id == customer_id
    with pytest.raises(Unauthorized, match="invalid, used or expired"):
        security.use_magic_link(session, raw)
    late, _ = security.create_magic_link(session, settings, "carol@example.com")
    session.execute(text("UPDATE magic_links SET expires_at = :t WHERE used_at IS NULL"),
                    {"t": utcnow()})
    session.commit()
    with pytest.raises(Unauthorized):
        security.use_magic_link(session, late)
    with pytest.raises(Unauthorized):
        security.use_magic_link(session, "never-issued")


def test_a_magic_link_cannot_be_spent_twice_at_once(
    sessions: sessionmaker[Session], session: Session, settings: Settings
) -> None:
    raw, _ = security.create_magic_link(session, settings, "carol@example.com")
    outcomes: list[str] = []

    def use(s: Session) -> None:
        try:
            security.use_magic_link(s, raw)
            outcomes.append("in")
        except Unauthorized:
            outcomes.append("refused")

    race(sessions, use, use)
    assert sorted(outcomes) == ["in", "refused"]


def test_concurrent_failures_all_count_towards_the_lockout(
    sessions: sessionmaker[Session], settings: Settings, agent: Staff
) -> None:
    def fail(s: Session) -> None:
        with pytest.raises(Unauthorized):
            _login(s, settings, password="wrong-password-1")

    race(sessions, fail, fail)
    with sessions() as s:
        staff = s.get(Staff, agent.id)
        assert staff is not None and staff.failed_logins == 2
