"""Composition root of the command line: ``ombud ...``."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Annotated

import pyotp
import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from ombud import demo as demo_data
from ombud import migrate as migrations
from ombud.audit import verify as audit_verify
from ombud.cases import lifecycle
from ombud.common import logs
from ombud.common.errors import OmbudError
from ombud.config import Settings
from ombud.db import make_engine, session_factory
from ombud.exchange.factory import build_gateway
from ombud.intake.email import imap
from ombud.intake.email.listener import start_listener
from ombud.resolution import reconcile
from ombud.security import service as security
from ombud.security.roles import Role
from ombud.security.tokens import customer_token
from ombud.storage.blobs import LocalBlobStore
from ombud.triage import service as triage_service
from ombud.worker import embedded_runner, run_worker

app = typer.Typer(help="Ombud: complaint handling for cryptocurrency exchanges.",
                  no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit record.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
triage_app = typer.Typer(help="Triage: the classifier and its corrections.",
                         no_args_is_help=True)
app.add_typer(triage_app, name="triage")
out = Console()


def _settings() -> Settings:
    settings = Settings()
    logs.configure(settings.log_level)
    return settings


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    settings = _settings()
    migrations.upgrade(make_engine(settings))
    out.print(f"[green]schema up to date[/] ({settings.database_url.split('@')[-1]})")


@app.command()
def serve(
    host: str = "127.0.0.1", port: int = 8000,
    workers: Annotated[int, typer.Option(help="web processes")] = 1,
) -> None:
    """Serve the web app (jobs run in-process unless OMBUD_JOBS_INLINE=false)."""
    _settings()
    uvicorn.run("ombud.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_config=None, access_log=False)


@app.command()
def demo(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Migrate, seed demo data (kept between runs), print the logins, and serve the web app
    and the SMTP listener."""
    settings = _settings()
    engine = make_engine(settings)
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        logins = demo_data.seed(session, settings)
    table = Table(title=f"Demo staff: http://{host}:{port}/console")
    for col in ("username", "role", "team", "password"):
        table.add_column(col)
    for login in logins:
        table.add_row(login.username, login.role, login.team or "-", demo_data.DEMO_PASSWORD)
    out.print(table)
    out.print(f"TOTP secret of every demo account: {demo_data.DEMO_TOTP}; "
              "the current code: [bold].venv/bin/ombud code[/]", soft_wrap=True)
    token = customer_token(settings.customer_token_secret, demo_data.CASES[0][0], ttl_seconds=86400)
    out.print(f"Customer portal as UID {demo_data.CASES[0][0]}: "
              f"http://{host}:{port}/portal/login?token={token}", soft_wrap=True)
    out.print(f"Or ask for an email link at http://{host}:{port}/portal "
              f"(outbound mail is written to {settings.outbox_dir}/)", soft_wrap=True)
    secret = demo_data.telegram_secret(settings)
    os.environ["OMBUD_TELEGRAM_SECRET_TOKEN"] = secret  # the served app reads the environment
    for line in demo_data.telegram_lines(settings, f"http://{host}:{port}", secret,
                                         int(time.time())):
        out.print(line, soft_wrap=True)
    try:
        mail = start_listener(settings, sessions, LocalBlobStore(settings.blob_dir), host=host)
        out.print(f"Mail complaints to anyone@{host} over SMTP on port {mail.port}", soft_wrap=True)
    except OSError as exc:
        mail = None
        out.print(f"[yellow]SMTP listener not started[/]: {exc}", soft_wrap=True)
    try:
        uvicorn.run("ombud.app:app_from_env", factory=True, host=host, port=port,
                    log_config=None, access_log=False)
    finally:
        if mail is not None:
            mail.stop()
        engine.dispose()


@app.command()
def code(secret: str = demo_data.DEMO_TOTP) -> None:
    """Print the current TOTP code for a secret (the demo accounts' by default)."""
    out.print(pyotp.TOTP(secret).now())


@app.command()
def worker() -> None:
    """Run jobs from the database until stopped (run several for more throughput)."""
    settings = _settings()
    run_worker(settings, session_factory(make_engine(settings)))


@app.command("mail-listener")
def mail_listener(
    host: str = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="default: OMBUD_SMTP_LISTEN_PORT")] = None,
    lmtp: Annotated[bool, typer.Option(help="speak LMTP (behind a mail server)")] = False,
) -> None:
    """Receive complaints by mail (SMTP, or LMTP) until stopped."""
    settings = _settings()
    sessions = session_factory(make_engine(settings))
    runner = embedded_runner(settings, sessions) if settings.jobs_inline else None
    if runner is not None:
        runner.start()
    controller = start_listener(settings, sessions, LocalBlobStore(settings.blob_dir),
                                lmtp=lmtp, host=host, port=port)
    out.print(f"{'LMTP' if lmtp else 'SMTP'} listener on {host}:{controller.port}")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    if runner is not None:
        runner.stop()


@app.command("mail-poll")
def mail_poll(
    once: Annotated[bool, typer.Option(help="poll one batch, print what it did, and exit")] = False,
) -> None:
    """Register complaints from the IMAP mailbox of OMBUD_IMAP_* until stopped."""
    settings = _settings()
    sessions = session_factory(make_engine(settings))
    runner = embedded_runner(settings, sessions) if settings.jobs_inline and not once else None
    if runner is not None:
        runner.start()
    stop = threading.Event()
    for sig in () if once else (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        result = imap.run(settings, sessions, LocalBlobStore(settings.blob_dir), stop, once=once)
    except OmbudError as exc:
        out.print(f"[red]{exc.detail}[/]")
        raise typer.Exit(2) from None
    finally:
        if runner is not None:
            runner.stop()
    if result is not None:
        out.print(f"fetched {result.fetched}, registered {result.registered}, "
                  f"held as too big {result.held}" + (", stopped at an error" if result.stopped
                                                      else ""))


@app.command("create-staff")
def create_staff(
    username: str,
    role: Annotated[Role, typer.Option()],
    team_id: Annotated[int | None, typer.Option()] = None,
    display_name: str = "",
    email: str = "",
) -> None:
    """Create a staff account; asks for the password and prints the TOTP secret once."""
    settings = _settings()
    password = os.environ.get("OMBUD_NEW_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    with session_factory(make_engine(settings))() as session:
        created = security.create_staff(session, username=username, password=password,
                                        role=role, team_id=team_id, display_name=display_name,
                                        email=email)
    out.print(f"created {created.staff.username} ({created.staff.role})")
    out.print(f"TOTP secret: {created.totp_secret}\n{created.totp_uri}")


@audit_app.command("verify")
def verify_audit() -> None:
    """Check every chain and anchor; exit 1 naming the first bad event of each chain."""
    settings = _settings()
    with session_factory(make_engine(settings))() as session:
        report = audit_verify.verify(session)
    if report.ok:
        out.print(f"[green]audit record intact[/]: {report.events} events in {report.chains} "
                  f"chains, {report.anchors} anchors")
        return
    for problem in report.problems:
        out.print(f"[red]TAMPERED[/] {problem}")
    raise typer.Exit(1)


@app.command("reconcile")
def reconcile_remedies() -> None:
    """Compare Ombud's remedies with the exchange's ledger; exit 1 listing every difference."""
    settings = _settings()
    with session_factory(make_engine(settings))() as session:
        report = reconcile.run(session, build_gateway(settings))
    searched = ("and searched the exchange's transfers for unknown Ombud client ids"
                if report.listed else "(this exchange cannot list its transfers)")
    out.print(f"checked {report.checked} remedies {searched}", soft_wrap=True)
    if not report.differences:
        out.print("[green]Ombud and the exchange agree[/]")
        return
    table = Table(title=f"{len(report.differences)} differences")
    for col in ("problem", "case", "remedy", "client id", "detail"):
        table.add_column(col)
    for d in report.differences:
        table.add_row(d.problem, d.reference or "-", str(d.remedy_id or "-"), d.client_id,
                      d.detail)
    out.print(table)
    raise typer.Exit(1)


@triage_app.command("retrain")
def retrain_triage() -> None:
    """Retrain the classifier with the staff corrections and print its held-out figures."""
    settings = _settings()
    with session_factory(make_engine(settings))() as session:
        done = triage_service.retrain_with_corrections(session)
    r = done.report
    out.print(f"retrained with {done.corrections} corrections; held-out set of {r.size}: "
              f"category macro-F1 {r.category.macro_f1:.3f} (accuracy {r.category.accuracy:.3f}),"
              f" sub-category macro-F1 {r.subcategory.macro_f1:.3f}, calibration error "
              f"{r.ece:.3f}", soft_wrap=True)
    table = Table(title="per category (held-out)")
    for col in ("category", "precision", "recall", "F1", "support"):
        table.add_column(col)
    for name, s in r.category.per_class.items():
        table.add_row(name, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support))
    out.print(table)


@app.command()
def docs(folder: Path = Path("docs")) -> None:
    """Regenerate the docs that come from code (the lifecycle diagram)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lifecycle.md").write_text(lifecycle_page())
    out.print(f"wrote {folder / 'lifecycle.md'}")


def lifecycle_page() -> str:
    """The lifecycle docs page, generated from ``cases.lifecycle``."""
    rows = "\n".join(
        f"| `{s.value}` | {', '.join(f'`{e.value}`' for e in lifecycle.events_from(s)) or '-'} |"
        for s in lifecycle.Status
    )
    return (
        "# Case lifecycle\n\nGenerated from `src/ombud/cases/lifecycle.py` by `ombud docs`; "
        "do not edit by hand.\n\n```mermaid\n" + lifecycle.mermaid() + "\n```\n\n"
        "| state | events |\n|---|---|\n" + rows + "\n"
    )


def main() -> None:
    """Entry point of the ``ombud`` script."""
    app(prog_name="ombud")


if __name__ == "__main__":
    main()
