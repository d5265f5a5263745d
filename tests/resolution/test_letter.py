"""The decision letter: DC-1 (every point answered), DC-3 (escalation routes), DC-4 (language)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ombud.common.errors import Invalid
from ombud.resolution.escalation import (
    FDRC_WEBSITE,
    FOS_WEBSITE,
    OAFS_WEBSITE,
    Body,
    EscalationConfig,
    RouteKind,
    routes,
)
from ombud.resolution.letter import (
    LetterFacts,
    LetterPoint,
    LetterRemedy,
    amount_text,
    compose,
    missing,
)

FEE_POINT = LetterPoint(
    point="I was charged the trading fee twice",
    upheld=True,
    finding="The fee for order 81 was charged twice",
    reason="A platform fault booked the fill twice",
    evidence=("fills 2026-03-02 (sha256 1a2b3c4d)", "fee ledger 2026-03 (sha256 99aa00bb)"),
)
PRICE_POINT = LetterPoint(
    point="My order filled at a bad price",
    upheld=False,
    finding="The fill price matched the order book at that moment",
    reason="The market moved before the order arrived",
)
REFUND = LetterRemedy(
    kind="fee_refund", clause_id="FR-1", clause_title="Platform-fault fill",
    asset="BTC", amount=Decimal("0.00012345"),
)


def make(**changes: object) -> LetterFacts:
    base = LetterFacts(
        reference="C-2026-000123",
        customer_name="Carol",
        received_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        decided_at=datetime(2026, 3, 20, 14, 0, tzinfo=UTC),
        outcome="partly_upheld",
        summary="We refund the duplicated fee; the fill price was fair.",
        points=(FEE_POINT, PRICE_POINT),
        remedies=(REFUND,),
        policy_version=3,
        respond_by=datetime(2026, 4, 3, 23, 59, tzinfo=UTC),
        respond_url="https://help.example/cases/C-2026-000123/decision",
        jurisdiction="DE",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


UPHELD = {"outcome": "upheld", "points": (FEE_POINT,)}


# DC-1: every point has a finding and a reason, or no letter ----------------------------------


@pytest.mark.parametrize("finding", [None, "", "   "])
def test_a_point_without_a_finding_stops_the_letter_and_is_named(finding: str | None) -> None:
    facts = make(points=(FEE_POINT, replace(PRICE_POINT, finding=finding)))
    assert missing(facts) == ["point 2 ('My order filled at a bad price'): no finding answers it"]
    with pytest.raises(Invalid, match=r"My order filled at a bad price.*no finding"):
        compose("en", facts)


def test_a_point_without_a_reason_stops_the_letter_and_is_named() -> None:
    facts = make(points=(replace(FEE_POINT, reason=" "), PRICE_POINT))
    assert missing(facts) == [
        "point 1 ('I was charged the trading fee twice'): no reason is given"
    ]
    with pytest.raises(Invalid, match=r"charged the trading fee twice.*no reason"):
        compose("zh-Hans", facts)


def test_a_decision_without_points_cannot_be_sent() -> None:
    assert missing(make(points=())) == ["the decision lists none of the complaint's points"]


def test_a_complete_decision_has_nothing_missing() -> None:
    assert missing(make()) == []


def test_an_upheld_outcome_with_a_point_not_upheld_is_refused() -> None:
    # Otherwise the letter would wrongly leave out the escalation routes (DC-3).
    problems = missing(make(outcome="upheld"))
    assert problems == ["point 2 ('My order filled at a bad price'): not upheld, "
                        "yet the outcome is 'upheld'"]


@pytest.mark.parametrize(
    ("remedy", "problem"),
    [
        (replace(REFUND, amount=None), "needs an amount and an asset"),
        (replace(REFUND, asset=""), "needs an amount and an asset"),
        (replace(REFUND, amount=Decimal("-1")), "is not a positive amount"),
        (replace(REFUND, amount=Decimal("NaN")), "is not a positive amount"),
        (replace(REFUND, clause_id=""), "no policy clause cited"),
        (replace(REFUND, kind="lottery"), "unknown remedy kind"),
        (LetterRemedy("unfreeze", "UF-1", "Unfreeze", "BTC", Decimal("1")), "carries no amount"),
    ],
)
def test_a_remedy_the_letter_cannot_state_is_refused(remedy: LetterRemedy, problem: str) -> None:
    problems = missing(make(remedies=(remedy,)))
    assert len(problems) == 1 and problem in problems[0]


def test_a_letter_without_a_way_to_respond_is_refused() -> None:
    facts = make(respond_url="", respond_by=datetime(2026, 3, 19, tzinfo=UTC))
    assert missing(facts) == [
        "the page where the customer accepts or objects is missing",
        "the deadline to accept or object is not after the decision",
    ]


# The letter's content ------------------------------------------------------------------------


def test_each_point_comes_with_its_finding_reason_and_evidence() -> None:
    _, body = compose("en", make())
    assert (
        "1. I was charged the trading fee twice\n"
        "   Our finding: The fee for order 81 was charged twice\n"
        "   Upheld. Reason: A platform fault booked the fill twice\n"
        "   Evidence relied on: fills 2026-03-02 (sha256 1a2b3c4d); "
        "fee ledger 2026-03 (sha256 99aa00bb)\n"
        "2. My order filled at a bad price\n"
        "   Our finding: The fill price matched the order book at that moment\n"
        "   Not upheld. Reason: The market moved before the order arrived\n"
    ) in body
    assert "We uphold your complaint in part." in body
    assert "We refund the duplicated fee; the fill price was fair." in body


def test_each_remedy_cites_its_clause_and_the_policy_version() -> None:
    guidance = LetterRemedy("guidance", "GD-2", "Limit orders", None, None, "See the guide.")
    _, body = compose("en", make(remedies=(REFUND, guidance)))
    assert "What we will do (under our remedy policy, version 3)" in body
    assert "- Refund of fees: 0.00012345 BTC, under clause FR-1 “Platform-fault fill”." in body
    assert ("- Guidance on using our services, under clause GD-2 “Limit orders”. "
            "See the guide.") in body


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("0.00012345"), "0.00012345"),
        (Decimal("1E-8"), "0.00000001"),
        (Decimal("1.50"), "1.50"),
        (Decimal("123456789.123456789012345678"), "123456789.123456789012345678"),
        (Decimal("1E+3"), "1000"),
    ],
)
def test_amounts_are_printed_exactly_as_their_decimal(amount: Decimal, text: str) -> None:
    assert amount_text(amount) == text
    for language in ("en", "zh-Hans", "zh-Hant"):
        _, body = compose(language, make(remedies=(replace(REFUND, amount=amount),)))
        assert f"{text} BTC" in body
        assert not re.search(r"\d[eE][+-]?\d", body)


def test_the_letter_says_how_and_by_when_to_accept_or_object() -> None:
    _, body = compose("en", make())
    assert ("Please tell us by 3 April 2026, 23:59 UTC whether you accept this decision: "
            "https://help.example/cases/C-2026-000123/decision.") in body
    _, zh = compose("zh-Hans", make())
    assert "请于 2026年4月3日 23:59 UTC 前告知我们您是否接受本决定" in zh


def test_dates_are_stated_in_utc() -> None:
    hong_kong = timezone(timedelta(hours=8))
    facts = make(respond_by=datetime(2026, 4, 4, 7, 59, tzinfo=hong_kong))
    _, body = compose("en", facts)
    assert "by 3 April 2026, 23:59 UTC" in body


def test_a_decision_after_re_review_says_so() -> None:
    facts = make(revision=2, reviewed_note="Your new screenshots were considered.")
    subject, body = compose("en", facts)
    assert subject == "Our decision after re-reviewing your complaint C-2026-000123"
    assert "has re-reviewed your case. This letter replaces our earlier decision." in body
    assert "About the re-review: Your new screenshots were considered." in body
    subject, body = compose("zh-Hant", facts)
    assert "覆核決定" in subject and "重新審查您的個案" in body
    assert "re-review" not in compose("en", make())[1]


def test_an_unknown_language_gets_english() -> None:
    assert compose("de", make()) == compose("en", make())


# DC-3: escalation routes per jurisdiction ----------------------------------------------------


def test_uk_letter_has_the_fos_wording_website_waiver_and_leaflet() -> None:
    _, body = compose("en", make(jurisdiction="GB"))
    assert "Financial Ombudsman Service (FOS)" in body
    assert "within six months of the date of this letter (20 March 2026)" in body
    assert f"Website: {FOS_WEBSITE}" in body
    assert "We do not consent to the FOS looking at your complaint if you refer it after" in body
    assert "We enclose the FOS leaflet" in body


def test_uk_waiver_and_leaflet_link_follow_the_configuration() -> None:
    config = EscalationConfig(uk_consents_to_late_referral=True,
                              fos_leaflet_url="https://example.org/fos-leaflet.pdf")
    _, body = compose("en", make(jurisdiction="UK"), config)
    assert "We consent to the FOS looking at your complaint even if you refer it after" in body
    assert "do not consent" not in body
    assert ("The FOS leaflet that explains its service is at "
            "https://example.org/fos-leaflet.pdf.") in body


def test_uk_final_response_names_the_fos_even_when_upheld() -> None:
    _, body = compose("en", make(jurisdiction="GB", **UPHELD))
    assert "Financial Ombudsman Service" in body and FOS_WEBSITE in body


@pytest.mark.parametrize("outcome", [UPHELD, {"outcome": "rejected"}])
def test_hong_kong_letter_states_the_right_to_go_to_the_fdrc(outcome: dict[str, object]) -> None:
    _, body = compose("en", make(jurisdiction="HK", **outcome))
    assert "you have the right to take a money dispute with us to the Financial Dispute " \
           "Resolution Centre (FDRC)" in body
    assert "HK$1,000,000" in body and "within 24 months" in body and FDRC_WEBSITE in body
    _, zh = compose("zh-Hant", make(jurisdiction="HK", **outcome))
    assert "金融糾紛調解中心（FDRC）" in zh and "24 個月" in zh and "港幣 1,000,000 元" in zh


def test_malta_letter_names_the_oafs_with_its_limits_and_languages() -> None:
    _, body = compose("en", make(jurisdiction="MT", outcome="rejected"))
    assert "Office of the Arbiter for Financial Services (OAFS)" in body
    assert OAFS_WEBSITE in body
    assert "in Maltese or English" in body
    assert "within 2 years of the day you first knew" in body
    assert "within 15 working days" in body
    assert "out-of-court dispute resolution (ADR) body" in body  # the EU remedies as well


def test_eu_letter_not_upheld_gives_the_available_remedies_and_configured_bodies() -> None:
    config = EscalationConfig(
        adr={"DE": Body("Universalschlichtungsstelle des Bundes", "www.verbraucher-schlichter.de")},
        nca={"DE": Body("BaFin", "www.bafin.de")},
    )
    _, body = compose("en", make(jurisdiction="DE"), config)
    assert "If you are not satisfied with this decision, you can:" in body
    assert "out-of-court dispute resolution (ADR) body" in body
    assert "- ask Universalschlichtungsstelle des Bundes, the out-of-court dispute resolution " \
           "body for your country, to settle it (www.verbraucher-schlichter.de);" in body
    assert "- tell BaFin, the authority that supervises crypto-asset services" in body
    assert "- go to court." in body
    assert "OAFS" not in body


def test_a_malta_licensed_exchange_offers_the_oafs_to_every_eu_customer() -> None:
    found = routes("fr", fully_upheld=False, config=EscalationConfig(malta_licensed=True))
    assert [r.kind for r in found] == [RouteKind.EU_REMEDIES, RouteKind.OAFS]


@pytest.mark.parametrize("jurisdiction", ["DE", "MT", "SG", "US", ""])
def test_upheld_letters_leave_out_escalation_where_the_regime_does_not_require_it(
    jurisdiction: str,
) -> None:
    assert routes(jurisdiction, fully_upheld=True, config=EscalationConfig()) == ()
    _, body = compose("en", make(jurisdiction=jurisdiction, **UPHELD))
    assert "If you disagree" not in body
    assert "OAFS" not in body and "Ombudsman" not in body and "FDRC" not in body
    assert "Accepting or objecting" in body


@pytest.mark.parametrize("jurisdiction", ["SG", "US", "AE", "XX", ""])
def test_elsewhere_a_decision_not_upheld_gives_the_exchanges_own_appeal_route(
    jurisdiction: str,
) -> None:
    config = EscalationConfig(appeal_contact="appeals@exchange.example")
    _, body = compose("en", make(jurisdiction=jurisdiction, outcome="rejected"), config)
    assert "If you disagree\nObject to this decision by 3 April 2026, 23:59 UTC" in body
    assert "You can also write to our complaints appeals team: appeals@exchange.example." in body
    assert "Ombudsman" not in body and "ADR" not in body


# DC-4: the customer's language ---------------------------------------------------------------

ZH_POINTS = {
    "zh-Hans": LetterPoint("手续费被重复扣除", True, "订单 81 的手续费被扣了两次",
                           "平台故障导致成交被记录两次",
                           ("成交记录 2026-03-02（sha256 1a2b3c4d）",)),
    "zh-Hant": LetterPoint("手續費被重複扣除", True, "訂單 81 的手續費被扣了兩次",
                           "平台故障導致成交被記錄兩次",
                           ("成交紀錄 2026-03-02（sha256 1a2b3c4d）",)),
}
NAMES = {"zh-Hans": "陈女士", "zh-Hant": "陳女士"}
SIMPLIFIED_ONLY = set("们诉决议证据还费赔账处调审说网这")
TRADITIONAL_ONLY = set("們訴決議證據還費賠帳處調審說網這")
ALLOWED_LATIN = {"UTC", "BTC", "FOS", "FDRC", "OAFS", "ADR"}


@pytest.mark.parametrize("language", ["zh-Hans", "zh-Hant"])
@pytest.mark.parametrize("jurisdiction", ["GB", "HK", "MT", "DE", "SG"])
@pytest.mark.parametrize("outcome", ["rejected", "upheld"])
def test_chinese_letters_have_no_english_template_words_left(
    language: str, jurisdiction: str, outcome: str
) -> None:
    point = ZH_POINTS[language]
    facts = make(
        jurisdiction=jurisdiction, outcome=outcome, summary="", customer_name=NAMES[language],
        points=(point if outcome == "upheld" else replace(point, upheld=False),),
        remedies=(replace(REFUND, clause_title="平台故障成交"),
                  LetterRemedy("unfreeze", "UF-1", "", None, None)),
        revision=2,
    )
    config = EscalationConfig(appeal_contact="appeals@exchange.example")
    subject, body = compose(language, facts, config)
    data = r"https?://\S+|www\.[\w.-]+|[\w.]+@[\w.]+|C-2026-000123|FR-1|UF-1|sha256 [0-9a-f]+"
    text = re.sub(data, "", subject + body)
    leftovers = set(re.findall(r"[A-Za-z]+", text)) - ALLOWED_LATIN
    assert leftovers == set(), leftovers
    wrong_script = TRADITIONAL_ONLY if language == "zh-Hans" else SIMPLIFIED_ONLY
    assert not set(subject + body) & wrong_script


def test_simplified_and_traditional_letters_are_written_separately() -> None:
    _, hans = compose("zh-Hans", make(jurisdiction="GB"))
    _, hant = compose("zh-Hant", make(jurisdiction="GB"))
    assert "我们认为您的投诉部分成立。" in hans and "金融申诉专员服务（FOS）" in hans
    assert "我們認為您的投訴部分成立。" in hant and "金融申訴專員服務（FOS）" in hant
    assert "- 退还手续费：0.00012345 BTC，依据条款 FR-1“Platform-fault fill”。" in hans
    assert "- 退還手續費：0.00012345 BTC，依據條款 FR-1「Platform-fault fill」。" in hant
