"""The pure parts of the survey: exact figures, where an invitation goes, its texts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from ombud.feedback import model, texts
from ombud.feedback.model import Route, Tally


def test_ratio_rounds_half_away_from_zero_exactly() -> None:
    assert model.ratio(1, 3) == Decimal("0.33")
    assert model.ratio(2, 3) == Decimal("0.67")
    assert model.ratio(1, 8) == Decimal("0.13")  # 0.125 rounds up
    assert model.ratio(-1, 8) == Decimal("-0.13")
    assert model.ratio(100, 3) == Decimal("33.33")
    assert model.ratio(0, 5) == Decimal("0.00")
    assert model.ratio(1, 0) is None


@given(st.integers(-10**12, 10**12), st.integers(1, 10**9))
def test_ratio_is_the_exact_quotient_rounded(numerator: int, denominator: int) -> None:
    exact = Fraction(numerator, denominator)
    got = Fraction(model.ratio(numerator, denominator))
    assert abs(got - exact) <= Fraction(1, 200)
    # half-way cases go away from zero
    hundredths = exact * 100
    if hundredths.denominator == 2:
        assert abs(got) > abs(exact)


def test_figures_of_a_tally() -> None:
    # 8 sent, 5 answered: CSAT 5,4,4,2,1 and NPS 10,9,7,3,0
    t = Tally(sent=8, answered=5, csat_total=16, satisfied=3, promoters=2, detractors=2)
    f = model.figures(t)
    assert f.response_rate == Decimal("62.50")
    assert f.mean_csat == Decimal("3.20")
    assert f.csat_percent == Decimal("60.00")
    assert f.nps == Decimal("0.00")
    assert model.figures(Tally(sent=3)).mean_csat is None
    assert model.figures(Tally(sent=3)).response_rate == Decimal("0.00")
    both = model.total([Tally(1, 1, 5, 1, 1, 0), Tally(2, 1, 1, 0, 0, 1)])
    assert both == Tally(3, 2, 6, 1, 1, 1)


def test_routes_per_channel() -> None:
    assert model.routes("email", has_email=True, has_social_address=False) == (
        Route.PORTAL, Route.EMAIL)
    assert model.routes("web", has_email=False, has_social_address=False) == (Route.PORTAL,)
    assert model.routes("chat", has_email=True, has_social_address=False) == (
        Route.PORTAL, Route.EMAIL)
    assert model.routes("telegram", has_email=True, has_social_address=True) == (
        Route.PORTAL, Route.SOCIAL)
    # a social customer we cannot reach privately is mailed when we know their address
    assert model.routes("x", has_email=True, has_social_address=False) == (
        Route.PORTAL, Route.EMAIL)


def test_invitation_in_each_language_carries_reference_link_and_date() -> None:
    until = dt.date(2026, 3, 1)
    for language, word in (("en", "resolved"), ("zh-Hans", "处理"), ("zh-Hant", "處理")):
        subject, body = texts.invitation(language, "C-2026-000001", "http://x/survey/t", until)
        assert "C-2026-000001" in subject and "C-2026-000001" in body
        assert "http://x/survey/t" in body and "2026-03-01" in body and word in body
    assert texts.invitation("fr", "C-1", "l", until) == texts.invitation("en", "C-1", "l", until)


def test_page_texts_have_the_same_keys_in_every_language() -> None:
    keys = {lang: set(texts.page(lang, reference="C", until=dt.date(2026, 1, 1)))
            for lang in ("en", "zh-Hans", "zh-Hant")}
    assert keys["en"] == keys["zh-Hans"] == keys["zh-Hant"]
    page = texts.page("zh-Hant", reference="C-9", until=dt.date(2026, 1, 1), csat=4, nps=9)
    assert "4/5" in page["answer"] and "9/10" in page["answer"]
