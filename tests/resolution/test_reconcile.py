"""``ombud reconcile``: every difference between Ombud's remedies and the exchange's ledger is
reported, and the command fails when there is one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ombud.cli import app
from ombud.db import tx
from ombud.exchange.dto import TransferState
from ombud.exchange.factory import open_sim
from ombud.exchange.states import TransferStatus
from ombud.jobs import service as jobs
from ombud.resolution import reconcile
from ombud.resolution.reconcile import Ours, compare
from ombud.resolution.tables import Remedy
from ombud.storage.blobs import LocalBlobStore
from tests.conftest import World
from tests.resolution.seed_remedies import Spec, handlers, remedies, seed, uid

D = Decimal
AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def ours(remedy_id: int = 1, status: str = "executed", amount: str = "10",
         bill_id: str | None = "1001") -> Ours:
    return Ours(remedy_id, "C-2026-000001", status, f"OMB-C2026000001-{remedy_id}", "UID-1",
                "USDT", D(amount), bill_id)


def paid(client_id: str, amount: str = "10", account: str = "UID-1", transfer_id: str = "1001",
         status: TransferStatus = TransferStatus.SUCCESS) -> TransferState:
    return TransferState(client_id, status, account, "USDT", D(amount), "credit", transfer_id, AT)


def test_agreement_is_no_difference() -> None:
    o = ours()
    assert compare([o], {o.client_id: paid(o.client_id)}, [paid(o.client_id)]) == []
    waiting = ours(status="accepted", bill_id=None)  # not carried out yet, nor paid
    assert compare([waiting], {waiting.client_id: None}) == []


def test_each_kind_of_difference_is_named() -> None:
    missing, unrecorded, cancelled, wrong = (
        ours(1), ours(2, "accepted", bill_id=None), ours(3, "cancelled", bill_id=None),
        ours(4, amount="12"))
    theirs = {missing.client_id: None, unrecorded.client_id: paid(unrecorded.client_id),
              cancelled.client_id: paid(cancelled.client_id),
              wrong.client_id: paid(wrong.client_id, account="UID-2", transfer_id="9")}
    found = {(d.problem, d.remedy_id) for d in compare(
        [missing, unrecorded, cancelled, wrong], theirs)}
    assert found == {(reconcile.MISSING, 1), (reconcile.UNRECORDED, 2),
                     (reconcile.UNRECORDED, 3),
                     ("mismatch: amount, account, transfer id", 4)}


def test_transfers_with_an_ombud_client_id_no_remedy_carries_are_found() -> None:
    o = ours(5)
    listed = [paid(o.client_id), paid(f"{o.client_id}-2", transfer_id="1002"),
              paid("OMB-C2026000009-77", transfer_id="1003"),
              paid("TREASURY-SWEEP-1", transfer_id="1004"),  # not Ombud's: none of its business
              paid("OMB-C2026000009-78", status=TransferStatus.FAILED)]  # nothing moved
    found = compare([o], {o.client_id: paid(o.client_id)}, listed)
    assert [(d.problem, d.client_id, d.remedy_id) for d in found] == [
        (reconcile.TWICE, f"{o.client_id}-2", 5),
        (reconcile.UNKNOWN, "OMB-C2026000009-77", None)]
    assert reconcile.attributed("OMB-C2026000123-17") == ("C-2026-000123", 17)
    assert reconcile.attributed("C-2026-000123-r1") is None


def test_the_command_reports_the_exchange_ledger_against_the_database(
        world: World, session: Session, tmp_path: Path) -> None:
    sim = open_sim(world.settings)
    ids = seed(session, world, sim, [Spec("compensation", D(10), case=0),
                                     Spec("goodwill", D(2), case=1),
                                     Spec("fee_refund", D(1), case=2)])
    env = {"OMBUD_DATABASE_URL": world.settings.database_url,
           "OMBUD_DATA_DIR": str(world.settings.data_dir)}
    runner = CliRunner()
    clean = runner.invoke(app, ["reconcile"], env=env)
    assert clean.exit_code == 0 and "Ombud and the exchange agree" in clean.output

    jobs.run_due(session, "test", handlers(sim, LocalBlobStore(tmp_path / "blobs")), limit=2)
    first, second, third = remedies(session, ids)
    assert (first.status, second.status, third.status) == ("executed", "executed", "accepted")
    assert reconcile.run(session, sim).differences == []
    sim.credit(uid(0), "USDT", D(10), f"{first.client_id}-x")  # paid a second time
    sim.refund(uid(2), "USDT", D(1), third.client_id or "")  # paid outside Ombud's record
    with tx(session):
        session.execute(update(Remedy).where(Remedy.id == second.id).values(amount=D(3)))
    report = reconcile.run(session, sim)
    assert {(d.problem, d.remedy_id) for d in report.differences} == {
        (reconcile.TWICE, first.id), (reconcile.UNRECORDED, third.id),
        ("mismatch: amount", second.id)}
    failed = runner.invoke(app, ["reconcile"], env=env)
    assert failed.exit_code == 1
    assert "3 differences" in failed.output and "paid twice" in failed.output
