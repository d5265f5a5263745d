"""Completeness: fact extraction (EN/ZH), questions per category and language, DC-5."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ombud.cases.taxonomy import Category
from ombud.triage.completeness import Amount, Completeness, Fact, Holdings, check, extract

TXID = "3f" * 32
ADDR = "0x" + "ab12" * 10


def asked(result: Completeness) -> list[Fact]:
    return [q.fact for q in result.questions]


def test_extracts_transfer_facts_in_english() -> None:
    f = extract(f"I deposited 0.5 BTC via TRC20, txid 0x{TXID}, to {ADDR} on 2024-08-08 13:05")
    assert f.txids == (f"0x{TXID}",)
    assert f.addresses == (ADDR,)
    assert f.amounts == (Amount(Decimal("0.5"), "BTC"),)
    assert f.networks == ("TRC20",)
    assert f.times == ("2024-08-08 13:05",)
    assert f.direction == "deposit"


def test_extracts_chinese_amounts_assets_and_times() -> None:
    f = extract("我昨天提币0.8个比特币和1,200.5 USDT，还有500U，到现在没到账")
    assert Amount(Decimal("0.8"), "BTC") in f.amounts
    assert Amount(Decimal("1200.5"), "USDT") in f.amounts
    assert Amount(Decimal("500"), "USDT") in f.amounts
    assert "昨天" in f.times
    assert f.direction == "withdrawal"
    t = extract("3月5日下午在ETH-USDT-SWAP開多，訂單號：987654321 被強平")
    assert t.pairs == ("ETH-USDT-SWAP",)
    assert t.order_ids == ("987654321",)
    assert "3月5日" in t.times and "開多" in t.sides


@pytest.mark.parametrize(
    ("text", "pairs"),
    [("BTC-USDT", ("BTC-USDT",)), ("ethusdt spot", ("ETH-USDT",)), ("SOL/USDC", ("SOL-USDC",)),
     ("my BTC perpetual", ("BTC PERPETUAL",))],
)
def test_pairs_in_their_usual_spellings(text: str, pairs: tuple[str, ...]) -> None:
    assert extract(text).pairs == pairs


def test_api_facts() -> None:
    f = extract('POST /api/v5/trade/order returns {"code":"50011"}; 错误码 -1021')
    assert f.endpoints == ("/api/v5/trade/order",)
    assert {"50011", "-1021"} <= set(f.error_codes)


def test_trade_dispute_without_anything_asks_for_order_id_in_chinese() -> None:
    result = check("我的单子成交价不对", Category.TRADE_DISPUTE)
    assert asked(result) == [Fact.ORDER_ID]
    assert result.language == "zh-Hans"
    assert "订单号" in result.questions[0].text


def test_trade_dispute_with_pair_asks_only_for_side_and_time() -> None:
    result = check("My order on BTC-USDT filled at a terrible price", Category.TRADE_DISPUTE)
    assert asked(result) == [Fact.SIDE, Fact.TIME]


def test_trade_dispute_with_order_id_is_complete() -> None:
    assert check("order id 12345678 slipped badly", Category.TRADE_DISPUTE).complete


def test_dc5_order_history_held_means_no_order_id_question() -> None:
    holdings = Holdings(orders=True)
    result = check("My BTC-USDT market buy at 14:32 slipped", Category.TRADE_DISPUTE, holdings)
    assert result.complete
    assert {n.fact for n in result.not_asked} >= {Fact.ORDER_ID, Fact.SIDE, "trade_history"}
    partial = check("My market buy slipped", Category.TRADE_DISPUTE, holdings)
    assert asked(partial) == [Fact.PAIR, Fact.TIME]  # never the order id


def test_deposit_asks_for_all_four_facts_in_traditional_chinese() -> None:
    result = check("我的入金還沒到帳", Category.DEPOSIT_WITHDRAWAL)
    assert asked(result) == [Fact.TXID, Fact.NETWORK, Fact.ADDRESS, Fact.AMOUNT]
    assert result.language == "zh-Hant"
    assert "網路" in result.questions[1].text or "網絡" in result.questions[1].text


def test_dc5_withdrawal_record_held_means_only_identify_it() -> None:
    result = check("my withdrawal is missing", Category.DEPOSIT_WITHDRAWAL,
                   Holdings(transfers=True))
    assert asked(result) == [Fact.IDENTIFY_TRANSFER]
    assert {n.fact for n in result.not_asked} == {Fact.TXID, Fact.NETWORK, Fact.ADDRESS}
    assert all("DC-5" in n.reason for n in result.not_asked)
    done = check("my withdrawal of 300 USDT is missing", Category.DEPOSIT_WITHDRAWAL,
                 Holdings(transfers=True))
    assert done.complete


def test_dc5_deposit_address_is_the_exchanges_own() -> None:
    result = check("deposit of 2 ETH not credited", Category.DEPOSIT_WITHDRAWAL,
                   Holdings(transfers=True))
    assert asked(result) == [Fact.TXID, Fact.NETWORK]


def test_account_security_needs_time_and_loss() -> None:
    assert asked(check("My account was hacked!", Category.ACCOUNT_SECURITY)) == [
        Fact.TIME, Fact.LOSS]
    assert check("hacked last night, 2 ETH stolen", Category.ACCOUNT_SECURITY).complete
    login = check("strange login, nothing is missing", Category.ACCOUNT_SECURITY,
                  Holdings(logins=True), subcategory="abnormal_login")
    assert asked(login) == [Fact.TIME]
    assert [n.fact for n in login.not_asked] == ["login_details"]


def test_liquidation_with_positions_held_needs_one_of_instrument_or_time() -> None:
    assert asked(check("I was liquidated unfairly", Category.LIQUIDATION)) == [
        Fact.INSTRUMENT, Fact.TIME]
    result = check("liquidated yesterday", Category.LIQUIDATION, Holdings(positions=True))
    assert result.complete
    assert Fact.INSTRUMENT in {n.fact for n in result.not_asked}


def test_kyc_never_asks_for_the_profile() -> None:
    result = check("my verification was rejected", Category.KYC, language="en")
    assert asked(result) == [Fact.REJECTED_ITEM]
    assert "kyc_profile" in {n.fact for n in result.not_asked}
    assert check("my passport was rejected", Category.KYC).complete
    held = check("my verification was rejected", Category.KYC, Holdings(kyc_decisions=True))
    assert held.complete


def test_api_and_fees_and_other() -> None:
    assert asked(check("your API is broken", Category.API)) == [Fact.API_DETAIL]
    assert check("error 50011 on every call", Category.API).complete
    assert asked(check("you overcharged me", Category.FEES)) == [Fact.FEE_REF]
    assert check("fee on BTC-USDT trade yesterday was wrong", Category.FEES).complete
    assert check("the app is ugly", Category.OTHER).complete


@pytest.mark.parametrize("text", ["", "😡😡", "x" * 150_000, "提现"])
def test_bad_input_never_raises(text: str) -> None:
    result = check(text, "not-a-category")
    assert result.category is Category.OTHER and result.complete
    assert check(text, Category.DEPOSIT_WITHDRAWAL).questions


def test_language_override_wins() -> None:
    result = check("my deposit is missing", Category.DEPOSIT_WITHDRAWAL, language="zh-Hant")
    assert result.language == "zh-Hant"
    assert "交易哈希" in result.questions[0].text
