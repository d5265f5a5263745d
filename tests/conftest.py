"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when OMBUD_TEST_DATABASE_URL
is set), the app, and a small world of teams, staff of every role and customers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from ombud import migrate
from ombud.app import create_app
from ombud.config import Settings
from ombud.db import make_engine, session_factory
from ombud.metadata import metadata
from ombud.security import service as security
from ombud.security.permissions import Principal
from ombud.security.roles import Role
from ombud.security.tokens import customer_token

PASSWORD = "correct-horse-battery"
TOTP = "TESTTOTPSECRETBASE32KEYAAAAAAAAA"
_PG_BASE = os.environ.get("OMBUD_TEST_DATABASE_URL", "")
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
#: Each pytest-xdist worker gets its own PostgreSQL database, ``<name>_<worker>``.
PG_URL = f"{_PG_BASE}_{_WORKER}" if _PG_BASE and _WORKER else _PG_BASE
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """SQLite: one migrated file, copied for each test. PostgreSQL: migrate once."""
    if PG_URL:
        if PG_URL != _PG_BASE:
            _create_database(_PG_BASE, PG_URL.rsplit("/", 1)[1])
        engine = make_engine(Settings(database_url=PG_URL))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        migrate.upgrade(engine)
        engine.dispose()
        return None
    path = tmp_path_factory.mktemp("template") / "ombud.db"
    engine = make_engine(Settings(database_url=f"sqlite:///{path}"))
    migrate.upgrade(engine)
    engine.dispose()
    return path


def _create_database(base_url: str, name: str) -> None:
    """Create database ``name`` on the server of ``base_url`` unless it exists."""
    engine = make_engine(Settings(database_url=base_url))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                            ).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def _pg_cleaner(_template_db: Path | None) -> Iterator[Engine | None]:
    """One engine kept for emptying the PostgreSQL test database between tests."""
    if _template_db is not None:
        yield None
        return
    engine = make_engine(Settings(database_url=PG_URL, db_pool_size=1))
    yield engine
    engine.dispose()


@pytest.fixture
def database_url(_template_db: Path | None, _pg_cleaner: Engine | None, tmp_path: Path) -> str:
    """A fresh, migrated, empty database for one test."""
    if _pg_cleaner is not None:
        with _pg_cleaner.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
            for (seq,) in conn.execute(text(
                    "SELECT sequence_name FROM information_schema.sequences"
                    " WHERE sequence_schema = 'public'")).all():
                conn.execute(text(f'ALTER SEQUENCE "{seq}" RESTART'))
        return PG_URL
    target = tmp_path / "ombud.db"
    shutil.copy(_template_db, target)
    return f"sqlite:///{target}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings of a test deployment (jobs are run explicitly by the tests)."""
    return Settings(
        database_url=database_url, data_dir=tmp_path / "var", jobs_inline=False,
        secret_key="test-secret-key", customer_token_secret="test-exchange-secret",
        public_url="http://testserver", login_rate_per_minute=1000,
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """The engine of the test database."""
    eng = make_engine(settings)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory."""
    return session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One session for a test."""
    with sessions() as s:
        yield s


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A test client of the whole app."""
    with TestClient(create_app(settings)) as c:
        yield c


@dataclass
class World:
    """Teams, one member of staff per role (plus a second agent), two customers."""

    settings: Settings
    teams: dict[str, int]
    staff: dict[str, Principal]
    customers: dict[str, str]  # name -> exchange UID

    def staff_token(self, name: str) -> str:
        """A bearer token for one member of staff."""
        with TestClient(create_app(self.settings)) as c:
            r = c.post("/api/v1/auth/token", json={
                "username": name, "password": PASSWORD, "code": pyotp.TOTP(TOTP).now()})
            assert r.status_code == 200, r.text
            return str(r.json()["token"])

    def customer_token(self, name: str) -> str:
        """An exchange-issued token for one customer."""
        return customer_token(self.settings.customer_token_secret, self.customers[name])

    def headers(self, who: str) -> dict[str, str]:
        """Authorization headers for a staff name or a customer name."""
        tok = self.customer_token(who) if who in self.customers else self.staff_token(who)
        return {"Authorization": f"Bearer {tok}"}


ROLE_STAFF = {
    "agent": (Role.AGENT, "trading"), "agent2": (Role.AGENT, "wallets"),
    "specialist": (Role.SPECIALIST, "trading"), "approver": (Role.APPROVER, "trading"),
    "supervisor": (Role.SUPERVISOR, "trading"), "compliance": (Role.COMPLIANCE, None),
    "admin": (Role.ADMIN, None),
}


@pytest.fixture
def world(settings: Settings, session: Session) -> World:
    """Seed teams, staff of every role and two customers."""
    teams = {name: security.create_team(session, name).id for name in ("trading", "wallets")}
    staff: dict[str, Principal] = {}
    for name, (role, team) in ROLE_STAFF.items():
        created = security.create_staff(
            session, username=name, password=PASSWORD, role=role, display_name=name.title(),
            team_id=teams[team] if team else None, totp_secret=TOTP)
        staff[name] = Principal(kind="staff", id=created.staff.id, name=name.title(), role=role,
                                team_id=created.staff.team_id)
    return World(settings=settings, teams=teams, staff=staff,
                 customers={"carol": "UID-CAROL-1", "dave": "UID-DAVE-2"})
