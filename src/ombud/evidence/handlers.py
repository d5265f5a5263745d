"""Job handlers of the evidence domain (idempotent by run: a second run changes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from ombud.evidence import service
from ombud.evidence.schemas import Analysis
from ombud.exchange.gateway import ExchangeReader
from ombud.storage.blobs import BlobStore


def capture(connect: Callable[[], ExchangeReader], blobs: BlobStore, session: Session,
            payload: dict[str, Any]) -> None:
    """Job ``evidence.capture``: pull and freeze the case's evidence, queue its analysis."""
    service.capture_case(session, connect, blobs, int(payload["case_id"]), str(payload["run"]))


def analyse(blobs: BlobStore, session: Session, payload: dict[str, Any]) -> None:
    """Job ``evidence.analyse``: run one analysis and store its result and finding."""
    service.analyse_case(session, blobs, int(payload["case_id"]),
                         Analysis(payload["analysis"]), str(payload["run"]))
