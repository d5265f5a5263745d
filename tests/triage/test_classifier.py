"""Classifier: labelled set, held-out split by family, figures, calibration, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from ombud.cases.taxonomy import SUBCATEGORIES, Category
from ombud.triage.classifier import Classifier, Correction, retrain, train
from ombud.triage.classifier_corpus import (
    Example,
    base_set,
    generate,
    load_families,
    load_handwritten,
    split_by_family,
)
from ombud.triage.classifier_eval import evaluate
from ombud.triage.classifier_text import ZH_HANS, ZH_HANT, detect_language, to_traditional

Split = tuple[list[Example], list[Example]]
ALL_LABELS = {f"{c}/{s}" for c, subs in SUBCATEGORIES.items() for s in subs}


@pytest.fixture(scope="session")
def split() -> Split:
    return split_by_family(base_set())


@pytest.fixture(scope="session")
def model(split: Split) -> Classifier:
    return train(split[0])


def test_labelled_set_covers_every_sub_category_in_three_languages() -> None:
    examples = base_set()
    assert len(examples) >= 1500
    assert {ex.label for ex in examples} == ALL_LABELS
    assert len(load_handwritten()) >= 150
    for label in ALL_LABELS:
        langs = {ex.language for ex in examples if ex.label == label}
        assert langs == {"en", ZH_HANS, ZH_HANT}, label


def test_generation_is_deterministic() -> None:
    assert generate(per_family=2, seed=7) == generate(per_family=2, seed=7)
    assert generate(per_family=2, seed=7) != generate(per_family=2, seed=8)


def test_held_out_split_shares_no_family_and_keeps_every_label(split: Split) -> None:
    train_set, test_set = split
    assert not {ex.family for ex in train_set} & {ex.family for ex in test_set}
    assert {ex.label for ex in train_set} == ALL_LABELS == {ex.label for ex in test_set}
    assert any(ex.source == "handwritten" for ex in test_set)
    assert 0.15 < len(test_set) / (len(train_set) + len(test_set)) < 0.4


def test_every_family_has_english_and_chinese_phrasings() -> None:
    for family in load_families():
        assert family.en and family.zh, family.key


def test_traditional_text_has_no_simplified_only_characters() -> None:
    text = to_traditional("我的账户被盗了，提现到陌生地址，请尽快处理")
    assert text == "我的帳戶被盜了，提現到陌生地址，請盡快處理"
    assert detect_language(text) == ZH_HANT
    assert detect_language("我的账户被盗了") == ZH_HANS
    assert detect_language("my account was hacked") == "en"


def test_held_out_macro_f1_meets_target(model: Classifier, split: Split) -> None:
    report = evaluate(model, split[1])
    assert report.category.macro_f1 >= 0.90, report.category.per_class
    assert report.subcategory.macro_f1 >= 0.70


def test_confidence_is_calibrated_on_held_out(model: Classifier, split: Split) -> None:
    report = evaluate(model, split[1])
    assert report.ece < 0.08
    confident = [b for b in report.reliability if b.mean_confidence >= 0.9]
    assert confident and all(b.accuracy >= 0.9 for b in confident)


def test_fast_single_text_path_matches_batch_path(model: Classifier, split: Split) -> None:
    texts = [ex.text for ex in split[1][:40]]
    batch = model.category_probabilities(texts)
    for row, text in zip(batch, texts, strict=True):
        pred = model.predict(text)
        assert pred.confidence == pytest.approx(float(row.max()), abs=1e-3)
        assert pred.category == model.categories[int(np.argmax(row))]


@pytest.mark.parametrize(
    ("text", "category", "language"),
    [
        ("My 20x long on BTC-USDT was liquidated but the mark price never reached my "
         "liquidation price", Category.LIQUIDATION, "en"),
        ("我的账户被盗了，所有的USDT都被转走了", Category.ACCOUNT_SECURITY, ZH_HANS),
        ("提幣一直在審核中，已經三天了，什麼時候才能到帳", Category.DEPOSIT_WITHDRAWAL, ZH_HANT),
        ("API returns 429 too many requests far below the documented rate limit",
         Category.API, "en"),
    ],
)
def test_classifies_each_language(model: Classifier, text: str, category: Category,
                                  language: str) -> None:
    pred = model.predict(text)
    assert (pred.category, pred.language) == (category, language)
    assert pred.subcategory in SUBCATEGORIES[category]
    assert not pred.needs_human


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty text"),
        ("   \n\t ", "empty text"),
        ("😡😡😡🔥💸", "no words"),
        ("12345 !!!", "no words"),
        ("withdrawal", "too short"),
        ("提现", "too short"),
    ],
)
def test_bad_input_gets_a_clear_default(model: Classifier, text: str, reason: str) -> None:
    pred = model.predict(text)
    assert pred.category is Category.OTHER
    assert pred.subcategory is None
    assert pred.confidence == 0.0
    assert pred.needs_human
    assert any(reason in r for r in pred.reasons)


def test_huge_and_mixed_text_are_classified_with_reasons(model: Classifier) -> None:
    huge = "My withdrawal of 0.5 BTC failed and the fee was taken. " * 2000  # ~110 KB
    assert len(huge.encode()) > 100_000
    pred = model.predict(huge)
    assert pred.category is Category.DEPOSIT_WITHDRAWAL
    assert any("cut" in r for r in pred.reasons)
    mixed = model.predict("我的withdrawal一直pending，already 3 days，请尽快处理 please help")
    assert mixed.mixed_language
    assert any("mixed" in r for r in mixed.reasons)


@pytest.mark.parametrize("text", ["Why?? this is not ok at all", "hello I need help"])
def test_low_confidence_goes_to_human_triage(model: Classifier, text: str) -> None:
    pred = model.predict(text)
    assert pred.confidence < model.threshold
    assert pred.needs_human
    assert any("below the threshold" in r for r in pred.reasons)


def test_retrain_learns_a_staff_correction() -> None:
    base = generate(per_family=3, seed=1)
    text = "The staking rewards for my locked DOT were paid into the wrong sub-account"
    corrected = retrain([Correction(text, "fees/unexpected_fee")], base=base)
    assert corrected.predict(text).category is Category.FEES
    assert corrected.predict(text).subcategory == "unexpected_fee"


def test_retrain_refuses_labels_outside_the_taxonomy() -> None:
    with pytest.raises(ValueError, match="unknown category"):
        retrain([Correction("x", "nonsense/sub")], base=generate(per_family=1))
    with pytest.raises(ValueError, match="unknown sub-category"):
        retrain([Correction("x", "fees")], base=generate(per_family=1))
