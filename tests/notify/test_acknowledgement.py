"""The acknowledgement's content (regulation AK-1, IN-3): every required element, in the
customer's language, and the outcome sought repeated back or asked for."""

from __future__ import annotations

import datetime as dt

import pytest

from ombud.common.errors import Invalid
from ombud.notify.acknowledgement import AckFacts, compose

FACTS = AckFacts(
    reference="C-2026-000042", received_at=dt.datetime(2026, 3, 3, 14, 2, tzinfo=dt.UTC),
    due_at=dt.datetime(2026, 3, 18, tzinfo=dt.UTC), timeframe="15 calendar days",
    handler="Complaints team", handler_email="complaints@exchange.example",
    handler_phone="+44 20 7946 0000", follow_url="https://ombud.example/portal/cases/C-2026-000042",
    summary="Withdrawal stuck",
)


@pytest.mark.parametrize("language", ["en", "zh-Hans", "zh-Hant"])
def test_it_states_everything_ak_1_requires(language: str) -> None:
    subject, body = compose(language, FACTS)
    assert FACTS.reference in subject
    for part in (FACTS.reference, "2026-03-03 14:02 UTC", "2026-03-18", FACTS.handler,
                 FACTS.handler_email, FACTS.handler_phone, FACTS.follow_url):
        assert part in body
    timeframe = {"en": "15 calendar days", "zh-Hans": "15个自然日", "zh-Hant": "15個曆日"}
    assert timeframe[language] in body


def test_a_timeframe_that_is_not_a_count_of_days_is_kept_as_written() -> None:
    _, body = compose("zh-Hans", AckFacts(**{**FACTS.__dict__,
                                             "timeframe": "within one month"}))
    assert "within one month" in body


def test_it_asks_for_the_outcome_when_the_customer_named_none() -> None:
    _, english = compose("en", FACTS)
    _, chinese = compose("zh-Hans", FACTS)
    assert "What would you like us to do" in english
    assert "您希望我们如何解决" in chinese


def test_it_repeats_the_outcome_the_customer_asked_for() -> None:
    _, body = compose("zh-Hant", AckFacts(**{**FACTS.__dict__,
                                             "desired_outcome": "退還手續費"}))
    assert "您希望的處理結果：退還手續費" in body
    assert "您希望我們如何解決" not in body


def test_it_is_refused_without_a_way_to_reach_the_handler() -> None:
    with pytest.raises(Invalid, match="handler_phone"):
        compose("en", AckFacts(**{**FACTS.__dict__, "handler_phone": " "}))
