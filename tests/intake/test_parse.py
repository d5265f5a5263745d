"""Parsing (pure): charsets declared, mis-declared and undeclared; RFC 2047/2231; HTML;
quoted history; TNEF; broken structure."""

from __future__ import annotations

import base64
import struct

import pytest

from ombud.intake.email.decode import decode_bytes, decode_header_value
from ombud.intake.email.parse import ParseError, parse
from ombud.intake.email.text import fold_quotes, html_to_text, sanitise_html
from ombud.intake.email.tnef import parse_tnef

from .conftest import fixture


def test_gb2312_declared_gbk_bytes_read_as_gb18030() -> None:
    word = "=?GB2312?B?" + base64.b64encode("帳戶凍結".encode("gbk")).decode() + "?="
    assert decode_header_value(word) == "帳戶凍結"
    assert decode_bytes("提幣".encode("gbk"), "gb2312") == ("提幣", "gb18030")


def test_latin1_label_on_utf8_bytes_is_read_as_utf8() -> None:
    assert decode_bytes("Müller".encode(), "iso-8859-1")[0] == "Müller"
    assert decode_bytes("Müller".encode("cp1252"), "iso-8859-1")[0] == "Müller"


def test_undeclared_gbk_and_unknown_charset() -> None:
    assert decode_bytes("我的账户被盗了".encode("gb18030"), None)[0] == "我的账户被盗了"
    assert decode_bytes(b"plain", "x-unknown-charset")[0] == "plain"


def test_raw_8bit_utf8_header() -> None:
    raw = "From: 张三 <z@example.cn>\r\nSubject: 退款 100 USDT\r\n\r\nhi\r\n".encode()
    got = parse(raw)
    assert (got.from_name, got.subject) == ("张三", "退款 100 USDT")


def test_rfc2231_continued_filename() -> None:
    raw = (b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           b"Content-Type: text/plain\r\n\r\nsee file\r\n--b\r\nContent-Type: application/pdf\r\n"
           b"Content-Disposition: attachment;\r\n filename*0*=UTF-8''%E5%AF%B9%E8%B4%A6;\r\n"
           b" filename*1*=%E5%8D%95.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + base64.b64encode(b"%PDF-1.4 x") + b"\r\n--b--\r\n")
    assert [p.filename for p in parse(raw).attachments] == ["对账单.pdf"]


def test_html_only_mail_is_sanitised_and_flattened() -> None:
    got = parse(fixture("outlook_html_winmail.eml"))
    assert "<script" not in got.html and "onerror" not in got.html
    assert "Please refund the withdrawal fee" in got.text
    assert "Withdrawal completed" in got.folded


def test_html_blockquote_becomes_quote() -> None:
    text = html_to_text("<p>New text</p><blockquote><p>old text</p></blockquote>")
    assert fold_quotes(text) == ("New text", "> old text")
    assert "javascript" not in sanitise_html('<a href="javascript:alert(1)">x</a>')


@pytest.mark.parametrize("history", [
    "On Mon, 3 Mar 2025 at 10:00, Support <s@x.example> wrote:\n> earlier",
    "-----Original Message-----\nFrom: Support\nSent: Monday\nearlier",
    "发件人: 客服 <s@x.example>\n发送时间: 2025年3月3日\n收件人: 我\n earlier",
    "在 2025年3月3日 10:00，客服 写道：\nearlier",
    "On Mon, 3 Mar 2025 at 10:00, Support Team <support@exchange.example>\nwrote:\nearlier",
])
def test_quoted_history_is_folded(history: str) -> None:
    new, folded = fold_quotes(f"My reply.\n\n{history}")
    assert new == "My reply." and "earlier" in folded


def test_forwarded_content_is_not_history() -> None:
    text = "FYI\n---------- Forwarded message ---------\nFrom: A\nDate: today\nTo: B\n\nfacts"
    assert fold_quotes(text) == (text, "")


def test_quote_only_mail_keeps_its_text() -> None:
    assert fold_quotes("> only a quote") == ("> only a quote", "")


def test_tnef_extraction() -> None:
    got = parse(fixture("outlook_html_winmail.eml"))
    names = {p.filename: p.data[:5] for p in got.attachments}
    assert names == {"winmail.dat": struct.pack("<I", 0x223E9F78)[:4] + b"\x01",
                     "statement.pdf": b"%PDF-"}
    assert parse_tnef(got.attachments[0].data).files[0].filename == "statement.pdf"


def test_damaged_tnef_kept_with_note() -> None:
    raw = (b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           b"Content-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/ms-tnef\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n"
           + base64.b64encode(struct.pack("<IHBII", 0x223E9F78, 1, 2, 0x8010, 999))
           + b"\r\n--b--\r\n")
    got = parse(raw)
    assert [p.filename for p in got.attachments] == ["winmail.dat"]
    assert "truncated" in got.notes[0]


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "empty message"),
    (b"\r\n\r\n", "empty message"),
    (b"From: a@b.c\r\nContent-Type: multipart/mixed\r\n\r\nbody", "malformed MIME"),
    (b"From: a@b.c\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\nno parts",
     "malformed MIME"),
])
def test_unparseable(raw: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse(raw)


def test_lenient_reads_broken_structure_as_text() -> None:
    raw = b"From: a@b.c\r\nContent-Type: multipart/mixed\r\n\r\nI lost 1 BTC"
    assert parse(raw, lenient=True).text == "I lost 1 BTC"


def test_nested_multiparts_and_forwarded_attachment() -> None:
    got = parse(fixture("gmail_forwarded.eml"))
    assert got.text.count("Forwarded message") == 2
    assert [(p.filename, p.inline) for p in got.attachments] == [("screenshot.png", True)]
    assert got.message_id.startswith("<CAF3x")
