"""Concurrent filings by known customers this process has not seen yet, on a small
connection pool."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.app import create_app
from ombud.cases.tables import Case
from ombud.config import Settings
from ombud.customers.service import find_or_register
from ombud.security import tokens

FILINGS = 8


def test_customers_filing_at_once_do_not_starve_the_pool(
    settings: Settings, session: Session
) -> None:
    # Two connections in all: a request that kept the connection of its customer lookup (a
    # plain read for a known customer) while awaiting the group commit, which needs one too,
    # would hold the pool until it timed out.
    for i in range(FILINGS):
        find_or_register(session, uid=f"UID-KNOWN-{i}")
    session.commit()
    small = settings.model_copy(update={"db_pool_size": 1})
    with TestClient(create_app(small), raise_server_exceptions=False) as c:
        def file(i: int) -> int:
            token = tokens.customer_token(small.customer_token_secret, f"UID-KNOWN-{i}")
            return c.post("/api/v1/cases", headers={"Authorization": f"Bearer {token}"},
                          json={"summary": f"Withdrawal {i} is stuck"}).status_code

        with ThreadPoolExecutor(FILINGS) as pool:
            statuses = list(pool.map(file, range(FILINGS)))
    assert statuses == [201] * FILINGS
    assert session.scalar(select(func.count()).select_from(Case)) == FILINGS
