"""Operations endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ombud.jobs import service as jobs
from ombud.web.deps import db
from ombud.web.metrics import REGISTRY

router = APIRouter(tags=["operations"], include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(session: Annotated[Session, Depends(db)]) -> Response:
    """The process can reach its database."""
    try:
        session.execute(text("SELECT 1"))
    except DBAPIError:
        return Response('{"status":"database unavailable"}', status_code=503,
                        media_type="application/json", headers={"Retry-After": "5"})
    return Response('{"status":"ready"}', media_type="application/json")


@router.get("/metrics")
def metrics(session: Annotated[Session, Depends(db)]) -> Response:
    """Prometheus text format: request counters of this process and the job queue depth."""
    registry = CollectorRegistry()
    gauge = Gauge("ombud_jobs", "Jobs by status", ["status"], registry=registry)
    for status, count in jobs.counts(session).items():
        gauge.labels(status).set(count)
    body = generate_latest(REGISTRY) + generate_latest(registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
