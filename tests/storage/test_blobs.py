"""The local blob store: content-addressed, written once, corruption detected; and the
attachment size limit."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.audit.tables import AuditEvent
from ombud.cases.attachments import add_attachment, read_attachment
from ombud.cases.filing import open_case
from ombud.cases.schemas import CaseIn
from ombud.cases.tables import Attachment
from ombud.common.errors import NotFound, TooLarge, UnsupportedMedia
from ombud.storage.blobs import LocalBlobStore
from tests.audit.crew import make_crew

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 1000


def test_the_same_bytes_are_stored_once_under_their_sha256(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    first, second = store.put(PNG), store.put(PNG)
    assert first == second == hashlib.sha256(PNG).hexdigest()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files == [tmp_path / first[:2] / first[2:4] / first]
    assert store.get(first) == PNG
    other = store.put(PNG + b"!")
    assert other != first and store.get(other) == PNG + b"!"


def test_a_corrupted_or_missing_blob_is_detected(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    digest = store.put(PNG)
    path = tmp_path / digest[:2] / digest[2:4] / digest
    path.write_bytes(PNG[:-1] + b"\x01")
    with pytest.raises(KeyError, match="corrupted"):
        store.get(digest)
    path.unlink()
    with pytest.raises(KeyError):
        store.get(digest)
    with pytest.raises(KeyError):
        store.get("../../etc/passwd")  # not a digest: never a path


def test_attachments_over_the_limit_are_refused_with_413(session: Session, tmp_path: Path) -> None:
    crew = make_crew(session)
    case, _ = open_case(session, crew.customer, CaseIn(summary="Screenshot of the order"))
    root = tmp_path / "blobs"
    store = LocalBlobStore(root)
    with pytest.raises(TooLarge) as too_large:
        add_attachment(session, crew.customer, case.reference, filename="big.png",
                       data=PNG + b"\x00" * 100, store=store, max_bytes=len(PNG))
    assert too_large.value.status == 413 and "the limit is" in too_large.value.detail
    with pytest.raises(UnsupportedMedia) as program:
        add_attachment(session, crew.customer, case.reference, filename="../../receipt.pdf",
                       data=b"MZ" + b"\x00" * 100, store=store, max_bytes=len(PNG))
    assert program.value.status == 415 and "receipt.pdf" in program.value.detail
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert not root.exists()  # nothing was written

    ok = add_attachment(session, crew.customer, case.reference, filename="exact.png", data=PNG,
                        store=store, max_bytes=len(PNG))
    assert (ok.size, ok.media_type) == (len(PNG), "image/png")
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "attachment.added")) == 1
    meta, data = read_attachment(session, crew.customer, case.reference, ok.id, store)
    assert data == PNG and meta.sha256 == hashlib.sha256(PNG).hexdigest()
    blob = root / ok.sha256[:2] / ok.sha256[2:4] / ok.sha256
    blob.write_bytes(b"tampered")
    with pytest.raises(NotFound):
        read_attachment(session, crew.customer, case.reference, ok.id, store)
