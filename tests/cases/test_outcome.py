"""The outcome sought, read from the customer's words: requests count, descriptions do not."""

from __future__ import annotations

import pytest

from ombud.cases.outcome import desired_outcome


@pytest.mark.parametrize(("text", "found"), [
    ("I want my money back", "I want my money back"),
    ("Refund the fee as well", "Refund the fee as well"),
    ("A full refund please", "A full refund please"),
    ("Full refund.", "Full refund."),
    ("Credit my account with 5 USDT", "Credit my account with 5 USDT"),
    ("退还 0.5 ETH 到我的账户", "退还 0.5 ETH 到我的账户"),
    ("希望尽快处理", "希望尽快处理"),
    ("Hello\nPlease unfreeze my account.\nThanks", "Please unfreeze my account."),
    ("Refund was not received", ""),
    ("Returned funds never arrived", ""),
    ("退款没有到账", ""),
    ("Any news?", ""),
])
def test_requests_are_found_and_descriptions_are_not(text: str, found: str) -> None:
    assert desired_outcome(text) == found


def test_at_most_three_lines() -> None:
    wants = "I want a\nI want b\nI want c\nI want d"
    assert desired_outcome(wants) == "I want a\nI want b\nI want c"
