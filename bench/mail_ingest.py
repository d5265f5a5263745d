"""Mail intake benchmark: varied mails over SMTP to ``ombud mail-listener``, end to end.

Rerun from the repo root:

    .venv/bin/python bench/mail_ingest.py                    # SQLite, 1,200 mails
    .venv/bin/python bench/mail_ingest.py --db postgresql --mails 2000 --clients 8

Setup: a fresh, migrated database (SQLite file under /tmp/ombud-bench, or the PostgreSQL
database in OMBUD_BENCH_MAIL_PG_URL, default ``bench_intake``), ``ombud mail-listener`` in its
own process with OMBUD_JOBS_INLINE=false (acknowledgements are queued as job rows, as with a
separate worker); each listener parses in worker threads and registers the mails waiting
at that moment in one transaction (group commit). The mails are built first: the captured
real-world shapes of tests/intake/fixtures (Outlook HTML + winmail.dat, Gmail forward with
inline image, QQ GB18030, Foxmail GB2312-labelled GBK, Big5, ISO-2022-JP) each with a fresh
Message-ID and sender, plain mails with a PDF or PNG attachment, HTML-only mails, and 10%
replies that thread onto an earlier mail by In-Reply-To (sent after the first pass, so that
what they answer is there). ``--clients`` SMTP connections send them; the clock runs over both
passes, and a 250 is only given once the mail is committed. Afterwards: every mail has its
intake row, new mails = cases, replies = follow-up messages, nothing quarantined (zero
lost). Target: >= 150 mails/s.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import re
import smtplib
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import record
from _server import OMBUD, WORK, cpu_seconds, env_for, process, reset_database
from ombud.cases.tables import Attachment, Case, Message
from ombud.config import Settings
from ombud.db import make_engine, session_factory
from ombud.intake.tables import InboundMail
from ombud.jobs.tables import Job

BENCH = "mail_ingest"
TARGET = 150.0
PORT = 2735
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "intake" / "fixtures"
SHAPES = ["outlook_html_winmail.eml", "gmail_forwarded.eml", "qq_gb18030.eml",
          "foxmail_gb2312_gbk.eml", "big5_taiwan.eml", "iso2022jp.eml"]
PDF = b"%PDF-1.4\n" + b"0" * 40_000 + b"\n%%EOF\n"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAIAAAUA"
                       "AarVyFEAAAAASUVORK5CYII=")


def _b64(data: bytes) -> str:
    text = base64.b64encode(data).decode()
    return "\r\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def _plain(i: int, attachment: tuple[str, str, bytes] | None, html: bool) -> bytes:
    body = (f"Hello,\r\nMy withdrawal #{i} of {i % 900 + 10} USDT has not arrived for two days.\r\n"
            "I want it credited back to my account.\r\n\r\nOn Mon, support wrote:\r\n> earlier\r\n")
    head = (f"From: Customer {i} <c{i}@bench.example>\r\nTo: complaints@ombud.local\r\n"
            f"Subject: Withdrawal {i} missing\r\nMessage-ID: <plain-{i}@bench.example>\r\n"
            "Date: Tue, 1 Apr 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\n")
    ctype = "text/html" if html else "text/plain"
    text = f"<p>{body.replace(chr(13) + chr(10), '<br>')}</p>" if html else body
    if attachment is None:
        return (head + f"Content-Type: {ctype}; charset=utf-8\r\n\r\n" + text).encode()
    name, media, data = attachment
    return (head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            f"Content-Type: {ctype}; charset=utf-8\r\n\r\n{text}\r\n--b\r\n"
            f'Content-Type: {media}; name="{name}"\r\nContent-Disposition: attachment; '
            f'filename="{name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n{_b64(data)}\r\n'
            "--b--\r\n").encode()


def _shaped(i: int, name: str) -> bytes:
    raw = (FIXTURES / name).read_bytes()
    raw = re.sub(rb"(?im)^Message-ID: <", f"Message-ID: <b{i}.".encode(), raw, count=1)
    return re.sub(rb"(?im)^(From:.*<[^<>@\s]+)@", lambda m: m.group(1) + b"+" +
                  str(i).encode() + b"@", raw, count=1)  # a different sender per copy


def build(n: int, seed: int = 7) -> tuple[list[tuple[str, bytes]], int]:
    """``n`` varied mails (sender, bytes) and how many of them are replies."""
    rng = random.Random(seed)
    mails: list[tuple[str, bytes]] = []
    replies = 0
    for i in range(n):
        kind = i % 10
        if kind == 9 and i > 20:
            j = rng.randrange(0, i - 10)
            j -= j % 10  # a plain mail without attachment, already sent by then
            raw = (f"From: Customer {j} <c{j}@bench.example>\r\nTo: complaints@ombud.local\r\n"
                   f"Subject: Re: Withdrawal {j} missing\r\n"
                   f"Message-ID: <reply-{i}@bench.example>\r\n"
                   f"In-Reply-To: <plain-{j}@bench.example>\r\nContent-Type: text/plain; "
                   "charset=utf-8\r\n\r\nAny news? Here is the txid 0xabc.\r\n").encode()
            mails.append((f"c{j}@bench.example", raw))
            replies += 1
        elif kind < 6 and kind % 2 == 1:
            mails.append((f"s{i}@bench.example", _shaped(i, SHAPES[(i // 2) % len(SHAPES)])))
        elif kind == 0:
            mails.append((f"c{i}@bench.example", _plain(i, None, html=False)))
        elif kind in (2, 6):
            mails.append((f"c{i}@bench.example", _plain(i, ("receipt.pdf", "application/pdf",
                                                            PDF + str(i).encode()), html=False)))
        elif kind == 4:
            mails.append((f"c{i}@bench.example", _plain(i, ("screen.png", "image/png", PNG),
                                                        html=True)))
        else:
            mails.append((f"c{i}@bench.example", _plain(i, None, html=kind == 8)))
    return mails, replies


def send_all(mails: list[tuple[str, bytes]], clients: int) -> tuple[float, list[str]]:
    """Send over ``clients`` SMTP connections (in order, interleaved); seconds and failures."""
    failures: list[str] = []
    lanes = [mails[k::clients] for k in range(clients)]

    def run(lane: list[tuple[str, bytes]]) -> None:
        with smtplib.SMTP("127.0.0.1", PORT, timeout=120) as smtp:
            smtp.ehlo()
            for sender, raw in lane:
                smtp.mail(sender)
                smtp.rcpt("complaints@ombud.local")
                code, msg = smtp.data(raw)
                if code != 250:
                    failures.append(f"{code} {msg!r}")

    threads = [threading.Thread(target=run, args=(lane,)) for lane in lanes]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, failures


def _wait_listening(timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", PORT, timeout=2) as smtp:
                smtp.noop()
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the mail listener did not start")


def main() -> None:
    """Run the benchmark and record its figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--mails", type=int, default=1200)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--listeners", type=int, default=2,
                    help="ombud mail-listener processes sharing the port (SO_REUSEPORT)")
    ap.add_argument("--note", default="", help="added to the recorded note (e.g. the load)")
    ap.add_argument("--dry", action="store_true", help="print the figures, record nothing")
    args = ap.parse_args()
    url = (f"sqlite:///{WORK / 'mail_ingest'}.db" if args.db == "sqlite" else
           os.environ.get("OMBUD_BENCH_MAIL_PG_URL",
                          "postgresql://postgres@127.0.0.1:5432/bench_intake"))
    reset_database(url)
    mails, replies = build(args.mails)
    size = sum(len(r) for _s, r in mails)
    env = env_for(url, OMBUD_SMTP_LISTEN_PORT=str(PORT), OMBUD_LOG_LEVEL="WARNING")
    with ExitStack() as stack:
        procs = [stack.enter_context(process([OMBUD, "mail-listener"], env,
                                             WORK / f"mail_listener{k}.log"))
                 for k in range(args.listeners)]
        _wait_listening()
        time.sleep(1.0)  # every listener process bound
        cpu0 = sum(cpu_seconds(p.pid) for p in procs)
        originals = [m for m in mails if b"In-Reply-To: <plain-" not in m[1]]
        seconds, failures = send_all(originals, args.clients)
        more, failed = send_all([m for m in mails if m not in originals], args.clients)
        seconds, failures = seconds + more, failures + failed
        cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
    engine = make_engine(Settings(database_url=url))
    with session_factory(engine)() as s:
        rows = s.scalar(select(func.count(InboundMail.id))) or 0
        outcomes = dict(s.execute(select(InboundMail.outcome, func.count())
                                  .group_by(InboundMail.outcome)).all())
        cases = s.scalar(select(func.count(Case.id)).where(Case.channel == "email")) or 0
        inbound = s.scalar(select(func.count(Message.id)).where(Message.direction == "in")) or 0
        files = s.scalar(select(func.count(Attachment.id))) or 0
        acks = s.scalar(select(func.count(Job.id)).where(Job.kind == "cases.acknowledge")) or 0
    engine.dispose()
    new = len(mails) - replies
    lost = len(mails) - rows + len(failures) + outcomes.get("quarantined", 0)
    ok = (rows == len(mails) and cases == new == acks and inbound == len(mails)
          and outcomes.get("follow_up", 0) == replies and not failures)
    rate = len(mails) / seconds
    print(f"{len(mails)} mails ({size / 2**20:.1f} MiB, {replies} replies) in {seconds:.2f}s: "
          f"{rate:.0f} mails/s; cases {cases}, inbound messages {inbound}, attachments {files}, "
          f"ack jobs {acks}, outcomes {outcomes}, failures {failures[:3]}, "
          f"listeners' CPU {cpu:.1f}s ({1000 * cpu / len(mails):.1f} ms/mail)")
    note = (f"{args.db}; {args.listeners} listener processes, {args.clients} SMTP clients; "
            f"{len(mails)} mails, {replies} replies, "
            f"{files} attachments, 6 real-world shapes + plain/HTML; listeners' CPU "
            f"{1000 * cpu / len(mails):.1f} ms/mail" + (f"; {args.note}" if args.note else ""))
    if not args.dry:
        record(BENCH, f"mails/s end to end ({args.db})", f"{rate:.0f}", f">= {TARGET:.0f}",
               rate >= TARGET and ok, note)
        record(BENCH, f"mails lost ({args.db})", str(lost), "0", lost == 0 and ok, note)
    if not ok:
        raise SystemExit("counts do not match: something was lost or doubled")


if __name__ == "__main__":
    main()
