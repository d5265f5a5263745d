"""Helpers for domain tests: a light cast (teams, staff rows and a customer, without argon2
hashing, so tests that only need principals stay fast) and a two-transaction race."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from ombud.common.clock import utcnow
from ombud.customers import service as customers
from ombud.db import tx
from ombud.security import service as security
from ombud.security.permissions import Principal
from ombud.security.roles import Role
from ombud.security.tables import Staff


@dataclass
class Crew:
    """Staff principals by name, team ids by name, and one customer."""

    staff: dict[str, Principal]
    teams: dict[str, int]
    customer: Principal


def make_crew(session: Session) -> Crew:
    """Teams "trading"/"wallets", an agent, a supervisor and customer Carol."""
    teams = {name: security.create_team(session, name).id for name in ("trading", "wallets")}
    staff: dict[str, Principal] = {}
    with tx(session):
        for name, role in (("agent", Role.AGENT), ("supervisor", Role.SUPERVISOR)):
            row = Staff(username=name, display_name=name.title(), role=role.value,
                        team_id=teams["trading"], password_hash="-", totp_secret="-",
                        created_at=utcnow())
            session.add(row)
            session.flush()
            staff[name] = Principal(kind="staff", id=row.id, name=row.display_name, role=role,
                                    team_id=row.team_id)
    carol = customers.find_or_register(session, uid="UID-CAROL-1", email="carol@example.com")
    return Crew(staff=staff, teams=teams,
                customer=Principal(kind="customer", id=carol.id, name="Carol"))


def race(sessions: sessionmaker[Session], first: Callable[[Session], None],
         second: Callable[[Session], None]) -> None:
    """Run ``second`` in another thread while ``first``'s transaction is still open, then
    commit ``first``. Rows ``first`` read must not be acted on by ``second`` as they were."""
    errors: list[BaseException] = []

    def other() -> None:
        try:
            with sessions() as s:
                second(s)
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)

    with sessions() as s, tx(s):
        first(s)
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=1.0)  # give it time to read what it should wait for
    thread.join()
    assert not errors, errors
