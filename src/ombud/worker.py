"""Composition root of background work: the job-handler registry and ``ombud worker``."""

from __future__ import annotations

import datetime as dt
import functools
import signal
import threading

from sqlalchemy.orm import Session, sessionmaker

from ombud.audit import service as audit
from ombud.cases import handlers as case_handlers
from ombud.common.faults import Faults
from ombud.config import Settings
from ombud.evidence import handlers as evidence_handlers
from ombud.exchange.factory import connector
from ombud.feedback import handlers as feedback_handlers
from ombud.feedback.service import SurveyConfig
from ombud.intake import delivery
from ombud.intake import handlers as intake_handlers
from ombud.intake.social import handlers as social_handlers
from ombud.intake.social import service as social_service
from ombud.jobs.runner import EmbeddedRunner, Periodic, run_loop
from ombud.jobs.service import Handler
from ombud.notify.senders import OutboxSender, Sender, SmtpSender
from ombud.resolution import execution, outcomes
from ombud.resolution.service import Config
from ombud.storage.blobs import LocalBlobStore
from ombud.triage import handlers as triage_handlers
from ombud.triage import sweep as triage_sweep
from ombud.triage.pipeline import TriageConfig

#: How often the deadline sweep runs (seconds).
TRIAGE_SWEEP_SECONDS = 30.0
#: How often unanswered decisions and expired reopening windows are looked at (seconds).
RESOLUTION_SWEEP_SECONDS = 300.0
#: The classifier of this process, trained at the first triage.
_MODEL = triage_handlers.Model()


def make_sender(settings: Settings) -> Sender:
    """SMTP when a server is configured, else the outbox folder."""
    if settings.smtp_host:
        return SmtpSender(settings.smtp_host, settings.smtp_port, starttls=settings.smtp_starttls,
                          user=settings.smtp_user, password=settings.smtp_password)
    return OutboxSender(settings.outbox_dir)


def handlers(settings: Settings, sender: Sender | None = None) -> dict[str, Handler]:
    """Every job kind and the function that runs it."""
    ack = case_handlers.AckSettings(
        department="Customer Complaints", email=settings.mail_from,
        phone=settings.support_phone, public_url=settings.public_url,
    )
    return {
        "cases.acknowledge": functools.partial(case_handlers.acknowledge, ack),
        "notify.email": functools.partial(
            intake_handlers.send_email, sender or make_sender(settings), settings.mail_from),
        "notify.customer": delivery.deliver,
        "evidence.capture": functools.partial(
            evidence_handlers.capture, connector(settings), LocalBlobStore(settings.blob_dir)),
        "evidence.analyse": functools.partial(
            evidence_handlers.analyse, LocalBlobStore(settings.blob_dir)),
        "social.send": functools.partial(social_handlers.send, social_handlers.clients(settings)),
        "social.acknowledge": functools.partial(
            social_handlers.acknowledge, ack, social_handlers.clients(settings)),
        "triage.case": functools.partial(triage_handlers.triage_case, TriageConfig(), _MODEL),
        execution.EXECUTE: functools.partial(
            execution.execute_remedy, connector(settings), LocalBlobStore(settings.blob_dir),
            Faults.parse(settings.fault_points, execution.FAULT_POINTS)),
        "feedback.survey": functools.partial(feedback_handlers.survey, SurveyConfig(
            settings.public_url, dt.timedelta(days=settings.survey_valid_days),
            ack.department), social_service.reply_address),
    }


def periodic(settings: Settings) -> list[Periodic]:
    """Recurring work: the audit anchor over changed chain heads, the deadline sweep, and
    decisions past their answer deadline or reopening window."""
    decisions = functools.partial(outcomes.sweep, cfg=Config.from_settings(settings))
    return [Periodic(settings.audit_anchor_seconds, audit.anchor),
            Periodic(TRIAGE_SWEEP_SECONDS, triage_sweep.run),
            Periodic(RESOLUTION_SWEEP_SECONDS, decisions)]


def embedded_runner(settings: Settings, sessions: sessionmaker[Session]) -> EmbeddedRunner:
    """The in-process runner of the embedded default."""
    return EmbeddedRunner(sessions, handlers(settings), poll_seconds=settings.job_poll_seconds,
                          periodic=periodic(settings), warm=_MODEL.get)


def run_worker(settings: Settings, sessions: sessionmaker[Session]) -> None:
    """``ombud worker``: run jobs until SIGTERM or SIGINT."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run_loop(sessions, handlers(settings), stop, poll_seconds=settings.job_poll_seconds,
             periodic=periodic(settings), warm=_MODEL.get,
             stale_after=dt.timedelta(seconds=settings.job_stale_seconds))
