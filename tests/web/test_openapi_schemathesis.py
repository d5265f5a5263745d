"""Schemathesis over the whole /api/v1 OpenAPI document, in-process, as staff and as a customer.

Every operation gets positive and negative examples, half of them aimed at a real case and
attachment; no answer may be a 5xx or break the documented status codes and schemas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from schemathesis.core.result import Ok

from ombud.app import create_app
from ombud.config import Settings
from tests.conftest import World

MAX_EXAMPLES = 25
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance,
          checks.status_code_conformance, checks.content_type_conformance]


@dataclass
class Tally:
    """What a run did: operations, examples sent, failures by operation."""

    operations: int = 0
    examples: int = 0
    failures: dict[str, str] = field(default_factory=dict)


def _real_case(client: TestClient, world: World) -> dict[str, Any]:
    """A case of carol's (unrouted, so every staff member sees it) with one attachment."""
    carol = world.headers("carol")
    ref = client.post("/api/v1/cases", headers=carol, json={"summary": "Order not filled"}
                      ).json()["reference"]
    att = client.post(f"/api/v1/cases/{ref}/attachments", headers=carol,
                      files={"file": ("fill.txt", b"order 42 not filled\n", "text/plain")})
    assert att.status_code == 201, att.text
    return {"reference": ref, "attachment_id": att.json()["id"]}


def _fuzz(app: FastAPI, headers: dict[str, str], real: dict[str, Any]) -> Tally:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    tally = Tally()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"an operation schemathesis cannot read: {result}"
        op = result.ok()
        tally.operations += 1
        known = {k: v for k, v in real.items() if k in {p.name for p in op.path_parameters}}
        strategies = [op.as_strategy(generation_mode=mode) for mode in GenerationMode]
        if known:
            strategies += [op.as_strategy(generation_mode=mode, path_parameters=known)
                           for mode in GenerationMode]

        @seed(20260101)
        @hsettings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                   phases=[Phase.explicit, Phase.generate],
                   suppress_health_check=list(HealthCheck))
        @given(case=st.one_of(strategies))
        def run(case: schemathesis.Case) -> None:
            tally.examples += 1
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collected, reported together below
            tally.failures[op.label] = str(exc)[:2000]
    return tally


def _report(tally: Tally) -> str:
    return "\n\n".join(f"{label}:\n{text}" for label, text in tally.failures.items())


def test_whole_spec_as_staff(settings: Settings, world: World) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        real = _real_case(client, world)
    tally = _fuzz(app, world.headers("specialist"), real)
    assert tally.operations >= 9 and tally.examples >= tally.operations * MAX_EXAMPLES // 2
    assert not tally.failures, _report(tally)


def test_whole_spec_as_customer(settings: Settings, world: World) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        real = _real_case(client, world)
    tally = _fuzz(app, world.headers("carol"), real)
    assert tally.operations >= 9
    assert not tally.failures, _report(tally)
