"""Loops, threading and registration fields (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ombud.cases.outcome import desired_outcome
from ombud.intake.email import fields, loops, threading
from ombud.intake.email.parse import InboundMail, parse

from .conftest import fixture, mail


def _with(**headers: str) -> InboundMail:
    return parse(mail(**headers))


@pytest.mark.parametrize(("headers", "envelope", "expected"), [
    ({"Auto_Submitted": "auto-replied"}, "a@b.c", "Auto-Submitted"),
    ({"Auto_Submitted": "auto-generated"}, "a@b.c", "Auto-Submitted"),
    ({"Precedence": "bulk"}, "a@b.c", "Precedence"),
    ({"Precedence": "junk"}, "a@b.c", "Precedence"),
    ({"Precedence": "list"}, "a@b.c", "Precedence"),
    ({"X_Autoreply": "yes"}, "a@b.c", "x-autoreply"),
    ({"X_Autorespond": "yes"}, "a@b.c", "x-autorespond"),
    ({}, "", "null sender"),
    ({"Return_Path": "<>"}, None, "null sender"),
])
def test_automatic_mail(headers: dict[str, str], envelope: str | None, expected: str) -> None:
    assert expected in loops.loop_reason(_with(**headers), envelope, ["ombud.local"])


def test_person_written_mail_is_not_automatic() -> None:
    assert loops.loop_reason(_with(Auto_Submitted="no"), "a@b.c", ["ombud.local"]) == ""
    assert loops.loop_reason(_with(Precedence="first-class"), "a@b.c", ["ombud.local"]) == ""


def test_dsn_is_a_bounce_even_with_a_sender() -> None:
    got = parse(fixture("bounce_dsn.eml"))
    assert "delivery report" in loops.loop_reason(got, "postmaster@x", [])


def test_threading_order_and_keys() -> None:
    got = _with(In_Reply_To="<b@x>", References="<a@x> <b@x> <c@x>")
    assert threading.referenced_ids(got) == ["<b@x>", "<c@x>", "<a@x>"]
    assert threading.reference_in_ids(["<x@y>", "<C-2026-000042.ack@ombud.local>"]) == \
        "C-2026-000042"
    assert threading.reference_in_subject("Re: 退款 [C-2026-000042]") == "C-2026-000042"
    assert threading.msgid_key("<" + "a" * 300 + ">").startswith("sha256:")
    assert threading.same_subject("RE: Fwd: 回复：Withdrawal stuck", "withdrawal  STUCK")
    assert not threading.same_subject("Re:", "")
    assert threading.is_reply("回复：退款") and not threading.is_reply("Refund")


def test_fields() -> None:
    text = "Hello\nI lost $1,200.50 and 0.5 btc.\nPlease refund me.\n希望尽快处理"
    assert fields.amounts(text) == [fields.Amount("USD", Decimal("1200.50")),
                                    fields.Amount("BTC", Decimal("0.5"))]
    assert fields.amounts("USDT 300 lost") == [fields.Amount("USDT", Decimal("300"))]
    assert desired_outcome(text) == "Please refund me.\n希望尽快处理"
    assert desired_outcome("Nothing to ask") == ""
    assert fields.summary_from("", "\n  first line here\nsecond") == "first line here"
    assert fields.summary_from("", "") == "Complaint by email"
    assert fields.language_of("我的帐户被冻结了") == "zh-Hans"
    assert fields.language_of("我的帳戶被凍結了") == "zh-Hant"
    assert fields.language_of("Hello") == "en"
