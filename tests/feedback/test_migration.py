"""Migration 0009 creates the survey table as the code declares it, and downgrades and
upgrades again cleanly (on SQLite, and on PostgreSQL when the suite runs there)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from ombud import migrate
from ombud.config import Settings
from ombud.db import make_engine
from ombud.metadata import metadata
from tests.conftest import PG_URL, _create_database


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (a separate PostgreSQL database, not the suite's)."""
    if PG_URL:
        name = PG_URL.rsplit("/", 1)[1] + "_migration"
        _create_database(PG_URL, name)
        engine = make_engine(Settings(database_url=PG_URL.rsplit("/", 1)[0] + "/" + name))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        engine = make_engine(Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}"))
    yield engine
    engine.dispose()


def _alembic(engine: Engine, verb: str, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.SCRIPTS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, verb)(cfg, revision)


def _survey_diffs(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                 metadata)
    return [d for d in diffs if "surveys" in repr(d)]


def test_upgrade_downgrade_upgrade(scratch: Engine) -> None:
    migrate.upgrade(scratch)
    assert "surveys" in inspect(scratch).get_table_names()
    assert _survey_diffs(scratch) == []
    _alembic(scratch, "downgrade", "0008")
    assert "surveys" not in inspect(scratch).get_table_names()
    migrate.upgrade(scratch)
    assert _survey_diffs(scratch) == []
    insert = text("INSERT INTO surveys (case_id, customer_id, token_hash, language, channel, "
                  "routes, sent_at, expires_at, csat, nps, comment, answered_at) VALUES "
                  "(1, 1, :token, 'en', 'web', 'portal', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                  ":csat, :nps, '', CURRENT_TIMESTAMP)")
    with scratch.begin() as conn:  # the database itself refuses out-of-range answers
        conn.execute(text("INSERT INTO customers (id, name, language, jurisdiction, tier, "
                          "created_at) VALUES (1, '', 'en', '', 'regular', CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO cases (id, reference, customer_id, channel, category, "
                          "subcategory, priority, impact, jurisdiction, language, status, "
                          "summary, description, desired_outcome, received_at, updated_at, "
                          "cited_findings) VALUES (1, 'C-2026-000001', 1, 'web', 'fees', '', "
                          "'normal', 'low', '', 'en', 'resolved', 'x', '', '', "
                          "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0)"))
    for csat, nps in ((0, 5), (6, 5), (3, 11), (None, 5)):
        with pytest.raises(IntegrityError), scratch.begin() as conn:
            conn.execute(insert, {"token": "h", "csat": csat, "nps": nps})
    with scratch.begin() as conn:
        conn.execute(insert, {"token": "h", "csat": 5, "nps": 10})
    with pytest.raises(IntegrityError), scratch.begin() as conn:  # one survey per case
        conn.execute(insert, {"token": "h2", "csat": 4, "nps": 9})
