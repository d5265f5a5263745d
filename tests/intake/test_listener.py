"""Mail in over real SMTP: captured real-world shapes become cases; bad input is refused or
quarantined, and a valid mail sent right after each is still registered."""

from __future__ import annotations

import io
import smtplib
import zipfile
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases.tables import Attachment, Case, Message
from ombud.customers.tables import Customer
from ombud.intake.email.listener import MailController, MailHandler
from ombud.intake.tables import InboundMail, Quarantine
from ombud.jobs.tables import Job

from .conftest import assert_valid_mail_next, count, fixture, free_port, mail, registered, send


def _case(session: Session, sender: str) -> Case:
    session.rollback()
    customer = session.scalars(select(Customer).where(Customer.email == sender)).one()
    return session.scalars(select(Case).where(Case.customer_id == customer.id)).one()


def _files(session: Session, case: Case) -> dict[str, str]:
    rows = session.scalars(select(Attachment).where(Attachment.case_id == case.id))
    return {a.filename: a.media_type for a in rows}


def test_outlook_html_with_winmail_dat(listener: MailController, session: Session) -> None:
    code, _ = send(listener.port, fixture("outlook_html_winmail.eml"))
    assert code == 250
    case = _case(session, "francois.muller@example.fr")
    assert case.channel == "email"
    assert case.summary == "Withdrawal fee charged – VIP account"
    assert "Please refund the withdrawal fee" in case.desired_outcome
    assert case.asset == "BTC" and case.amount == Decimal("0.25")
    assert "Sent: Monday" not in case.description  # Outlook's quoted history is folded away
    assert "<script>" not in case.description and "alert" not in case.description
    assert _files(session, case) == {"winmail.dat": "application/octet-stream",
                                     "statement.pdf": "application/pdf"}
    notes = session.scalars(select(Message.body).where(
        Message.case_id == case.id, Message.visibility == "internal")).all()
    assert any("TNEF" in n for n in notes)


def test_gmail_forward_keeps_forwarded_text_and_inline_image(
        listener: MailController, session: Session) -> None:
    assert send(listener.port, fixture("gmail_forwarded.eml"))[0] == 250
    case = _case(session, "mei.lin@gmail.example")
    assert case.summary == "Fwd: Withdrawal failed: 300 USDT (TRC20)"
    assert "Forwarded message" in case.description and "TXa1b2c3" in case.description
    assert case.desired_outcome.startswith("I want the 300 USDT returned")
    assert (case.asset, case.amount) == ("USDT", Decimal("300"))
    assert _files(session, case) == {"screenshot.png": "image/png"}


@pytest.mark.parametrize(("name", "sender", "language", "needle", "asset", "amount"), [
    ("qq_gb18030.eml", "88123456@qq.example", "zh-Hans", "标记价格", "USDT", "1250"),
    ("foxmail_gb2312_gbk.eml", "li@163.example", "zh-Hant", "帳戶被凍結", "USDT", "2000"),
    ("big5_taiwan.eml", "dawen.chen@hinet.example", "zh-Hant", "區塊鏈上已確認", "ETH", "0.8"),
    ("iso2022jp.eml", "taro.yamada@example.jp", "en", "約定せず", "USDT", "100"),
])
def test_cjk_charsets(listener: MailController, session: Session, name: str, sender: str,
                      language: str, needle: str, asset: str, amount: str) -> None:
    assert send(listener.port, fixture(name))[0] == 250
    case = _case(session, sender)
    assert needle in case.description
    assert "\ufffd" not in case.description + case.summary
    assert case.language == language
    assert case.asset == asset and case.amount is not None
    assert case.amount.quantize(Decimal("1e-8")) == Decimal(amount)  # SQLite keeps a float


def test_qq_mail_folds_chinese_history_and_reads_outcome(
        listener: MailController, session: Session) -> None:
    send(listener.port, fixture("qq_gb18030.eml"))
    case = _case(session, "88123456@qq.example")
    assert case.summary == "合约被异常强平，要求赔偿"
    assert "发件人" not in case.description and "请提供订单号" not in case.description
    assert case.desired_outcome.startswith("我要求退还 1,250 USDT")
    customer = session.scalars(select(Customer).where(Customer.id == case.customer_id)).one()
    assert customer.name == "王小明"


def test_big5_rfc2231_filename(listener: MailController, session: Session) -> None:
    send(listener.port, fixture("big5_taiwan.eml"))
    case = _case(session, "dawen.chen@hinet.example")
    assert _files(session, case) == {"交易截圖.png": "image/png"}


def test_raw_mail_kept_content_addressed(listener: MailController, session: Session,
                                         store: object) -> None:
    raw = fixture("iso2022jp.eml")
    send(listener.port, raw)
    session.rollback()
    row = session.scalars(select(InboundMail)).one()
    assert store.get(row.sha256) == raw  # type: ignore[attr-defined]
    assert row.size == len(raw) and row.outcome == "case_opened" and row.case_id is not None


def test_duplicate_message_id_is_acknowledged_and_dropped(
        listener: MailController, session: Session) -> None:
    raw = mail()
    first = send(listener.port, raw)
    second = send(listener.port, raw)
    assert first[0] == second[0] == 250
    assert "case_opened" in first[1] and "duplicate" in second[1]
    assert registered(session) == 1
    assert count(session, InboundMail.id) == 1


def test_reply_threads_onto_its_case(listener: MailController, session: Session) -> None:
    first = mail()
    send(listener.port, first)
    case = _case(session, "carol@example.com")
    original_id = first.split(b"Message-ID: ", 1)[1].split(b"\n", 1)[0].strip().decode()
    send(listener.port, mail(subject="Re: more details", body="The txid is 0xabc.\n\n> old",
                             In_Reply_To=original_id))
    send(listener.port, mail(subject=f"About [{case.reference}]", body="Any news?"))
    assert registered(session) == 1
    bodies = session.scalars(select(Message.body).where(
        Message.case_id == case.id, Message.direction == "in").order_by(Message.id)).all()
    assert bodies == ["It never arrived.", "The txid is 0xabc.", "Any news?"]


def test_conservative_fallback_same_sender_same_subject(
        listener: MailController, session: Session) -> None:
    send(listener.port, mail(subject="Withdrawal stuck"))
    send(listener.port, mail(subject="RE: Withdrawal stuck", body="Still stuck."))
    send(listener.port, mail(subject="Another matter", body="Different thing."))
    send(listener.port, mail(subject="Re: Withdrawal stuck", body="Me too",
                             sender="dave@example.com"))
    assert registered(session) == 3
    case = session.scalars(select(Case).where(Case.summary == "Withdrawal stuck")).first()
    assert case is not None
    assert count(session, Message.id, Message.case_id == case.id) == 2


def test_stranger_naming_a_reference_opens_their_own_case(
        listener: MailController, session: Session) -> None:
    send(listener.port, mail())
    case = _case(session, "carol@example.com")
    send(listener.port, mail(subject=f"[{case.reference}] hello", sender="mallory@example.com"))
    assert registered(session) == 2
    assert count(session, Message.id, Message.case_id == case.id) == 1


def test_malformed_mime_is_quarantined(listener: MailController, session: Session) -> None:
    raw = (b"From: carol@example.com\r\nTo: complaints@ombud.local\r\nSubject: broken\r\n"
           b"Message-ID: <broken-1@example.com>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed\r\n\r\n--nowhere\r\nContent-Type: text/plain\r\n\r\n"
           b"My account was drained of 2 BTC.\r\n--nowhere--\r\n")
    assert send(listener.port, raw)[0] == 250
    held = session.scalars(select(Quarantine)).one()
    assert "malformed MIME" in held.reason and held.status == "held"
    assert registered(session) == 0
    assert_valid_mail_next(listener.port, session)


def test_empty_mail_is_quarantined(listener: MailController, session: Session) -> None:
    assert send(listener.port, b"\r\n")[0] == 250
    assert "empty message" in session.scalars(select(Quarantine.reason)).one()
    assert_valid_mail_next(listener.port, session)


def test_fifty_megabyte_mail_refused_with_552(listener: MailController, session: Session) -> None:
    chunk = (b"A" * 998 + b"\r\n") * 1024  # 1 MB of legal lines, streamed: never 50 MB held
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=120) as smtp:
        smtp.ehlo()
        smtp.mail("carol@example.com")
        smtp.rcpt("complaints@ombud.local")
        smtp.putcmd("data")
        assert smtp.getreply()[0] == 354
        smtp.send(b"From: carol@example.com\r\nSubject: huge\r\n\r\n")
        for _ in range(50):
            smtp.send(chunk)
        smtp.send(b".\r\n")
        code, text = smtp.getreply()
    assert code == 552, text
    assert count(session, InboundMail.id) == 0
    assert_valid_mail_next(listener.port, session)


def _with_attachment(filename: str, data: bytes, ctype: str = "application/octet-stream") -> bytes:
    from email import message_from_bytes, policy

    msg = message_from_bytes(mail(subject=f"See {filename}"), policy=policy.default)
    maintype, subtype = ctype.split("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype,  # type: ignore[attr-defined]
                       filename=filename)
    return bytes(msg)


def _refusals(session: Session) -> str:
    session.rollback()
    return "\n".join(session.scalars(select(Message.body).where(
        Message.visibility == "internal")).all())


def test_zip_bomb_attachment_refused_case_kept(listener: MailController, session: Session) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("statement.txt", b"0" * 20_000_000)
    assert send(listener.port, _with_attachment("statement.zip", buf.getvalue(),
                                                "application/zip"))[0] == 250
    assert registered(session) == 1
    assert count(session, Attachment.id) == 0
    assert "zip bomb" in _refusals(session)
    assert_valid_mail_next(listener.port, session)


def test_executable_named_pdf_refused_case_kept(listener: MailController, session: Session) -> None:
    exe = b"MZ\x90\x00\x03" + b"\x00" * 200
    assert send(listener.port, _with_attachment("invoice.pdf", exe, "application/pdf"))[0] == 250
    assert registered(session) == 1
    assert count(session, Attachment.id) == 0
    assert "program" in _refusals(session) and "invoice.pdf" in _refusals(session)
    assert_valid_mail_next(listener.port, session)


def test_invalid_utf8_is_read_with_replacement(listener: MailController, session: Session) -> None:
    raw = (b"From: carol@example.com\r\nTo: complaints@ombud.local\r\nSubject: bad bytes\r\n"
           b"Message-ID: <bad-utf8@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\nI lost 5 ETH \xff\xfe\xc3( yesterday.\r\n")
    assert send(listener.port, raw)[0] == 250
    case = _case(session, "carol@example.com")
    assert case.description.startswith("I lost 5 ETH \ufffd")
    assert_valid_mail_next(listener.port, session)


@pytest.mark.parametrize(("name", "mail_from"), [
    ("autoreply_oof.eml", "bob@corp.example"), ("bounce_dsn.eml", ""),
])
def test_auto_replies_and_bounces_never_open_a_case(
        listener: MailController, session: Session, name: str, mail_from: str) -> None:
    assert send(listener.port, fixture(name), mail_from=mail_from)[0] == 250
    row = session.scalars(select(InboundMail)).one()
    assert row.outcome == "automatic" and row.note
    assert registered(session) == 0
    assert count(session, Job.id) == 0  # never answered
    assert_valid_mail_next(listener.port, session)


def test_mail_loop_detected_by_own_received_lines(
        listener: MailController, session: Session) -> None:
    hops = "".join(f"Received: from relay{i} by ombud.local with SMTP; Tue, 1 Apr 2025\r\n"
                   for i in range(5))
    assert send(listener.port, hops.encode() + mail())[0] == 250
    assert "mail loop" in session.scalars(select(InboundMail.note)).one()
    assert registered(session) == 0
    assert_valid_mail_next(listener.port, session)


def test_storage_failure_answers_451_so_the_sender_retries() -> None:
    def broken(raw: bytes, envelope: object) -> object:
        raise OSError("disk full")

    handler = MailHandler(broken, max_bytes=1_000_000)  # type: ignore[arg-type]
    controller = MailController(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        assert send(controller.port, mail())[0] == 451
    finally:
        controller.stop()


def test_lmtp(settings: object, sessions: object, store: object, session: Session) -> None:
    from ombud.intake.email.listener import start_listener

    controller = start_listener(settings, sessions, store, lmtp=True,  # type: ignore[arg-type]
                                port=free_port())
    try:
        with smtplib.LMTP("127.0.0.1", controller.port) as lmtp:
            lmtp.sendmail("carol@example.com", ["complaints@ombud.local"], mail())
    finally:
        controller.stop()
    assert registered(session) == 1
    assert session.scalars(select(InboundMail.transport)).one() == "lmtp"
