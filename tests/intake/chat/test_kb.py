"""Knowledge-base search on the database (FTS5 on SQLite, tsvector + GIN on PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from ombud.common.errors import Forbidden
from ombud.intake.chat import kb
from ombud.intake.chat.schemas import ArticleIn
from ombud.security.permissions import SYSTEM
from tests.conftest import World


@pytest.mark.usefixtures("kb_seeded")
def test_english_question_finds_the_english_article(session: Session) -> None:
    found = kb.search(session, "Where is my deposit? It has not arrived")
    assert found[0].slug == "deposit-not-credited"


@pytest.mark.usefixtures("kb_seeded")
def test_chinese_question_finds_the_chinese_article(session: Session) -> None:
    found = kb.search(session, "我的充值为什么还没到账", "zh-Hans")
    assert found[0].slug == "zh-deposit"
    assert kb.search(session, "二次验证丢了", "zh-Hans")[0].slug == "zh-2fa"


@pytest.mark.usefixtures("kb_seeded")
def test_nothing_matches_and_punctuation_is_harmless(session: Session) -> None:
    assert kb.search(session, "quantum entanglement") == []
    assert kb.search(session, "?!\"' OR ) AND NOT *") == []
    assert kb.search(session, "") == []


@pytest.mark.usefixtures("kb_seeded")
def test_an_edited_article_is_found_by_its_new_words(session: Session) -> None:
    kb.save_article(session, SYSTEM, ArticleIn(slug="withdrawal-fees", title="Withdrawal fees",
                                               body="Gas on Ethereum is paid in ETH."))
    assert kb.search(session, "ethereum gas")[0].slug == "withdrawal-fees"
    assert kb.search(session, "depends on the chain") == []


def test_only_admins_write_articles(session: Session, world: World) -> None:
    with pytest.raises(Forbidden):
        kb.save_article(session, world.staff["agent"],
                        ArticleIn(slug="x", title="x", body="y"))
