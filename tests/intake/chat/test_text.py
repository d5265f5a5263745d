"""Pure parts of the chat: search terms, language, the bot's answers, flood control."""

from __future__ import annotations

from ombud.intake.chat import bot
from ombud.intake.chat.limits import TokenBucket
from ombud.intake.chat.text import index_text, language_of, query_terms, search_terms, wants_person


def test_chinese_is_indexed_as_overlapping_bigrams() -> None:
    assert search_terms("充值未到账") == ["充值", "值未", "未到", "到账"]
    assert search_terms("币") == ["币"]


def test_english_words_are_lowered_stemmed_and_stop_words_dropped() -> None:
    assert search_terms("Why are my Deposits delayed?") == ["deposit", "delay"]


def test_mixed_text_keeps_both_scripts_and_query_terms_are_distinct() -> None:
    assert query_terms("USDT 充值 USDT 充值") == ["usdt", "充值"]
    assert index_text("") == "_"


def test_language_detection() -> None:
    assert language_of("my deposit is late") == "en"
    assert language_of("我的充值没有到账") == "zh-Hans"
    assert language_of("我的充值還沒有到帳") == "zh-Hant"
    assert language_of("USDT 充值没有到账, txid 9f3c") == "zh-Hans"


def test_asking_for_a_person() -> None:
    assert wants_person("Can I talk to a human please")
    assert wants_person("转人工")
    assert not wants_person("my deposit is missing")


def test_bot_answers_from_the_best_article_and_offers_a_person() -> None:
    hits = [bot.Hit("a", "Deposit delays", "Wait for confirmations."),
            bot.Hit("b", "Fees", "Network fees.")]
    answer = bot.answer("deposit late", hits, "en")
    assert not answer.handover
    assert "Deposit delays\nWait for confirmations." in answer.body
    assert "Also see: Fees." in answer.body
    assert "Talk to a person" in answer.body


def test_bot_without_articles_says_so_in_chinese() -> None:
    assert bot.answer("随便问问", [], "zh-Hans").body.startswith("没有找到相关的帮助文章")


def test_bot_hands_over_on_request() -> None:
    assert bot.answer("handover", [], "en").handover
    assert bot.answer("I want a real person", [], "en").handover


def test_token_bucket_allows_a_burst_then_one_per_second() -> None:
    bucket = TokenBucket(rate=1.0, burst=3.0)
    assert [bucket.take(100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(100.0) == 1.0
    assert bucket.take(100.5) == 0.5
    assert bucket.take(101.0) == 0.0
