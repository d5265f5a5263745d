"""Chat fixtures: a small bilingual knowledge base, customers as principals, socket helpers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketTestSession

from ombud.intake.chat import kb
from ombud.intake.chat.schemas import ArticleIn
from ombud.security import service as security
from ombud.security.permissions import SYSTEM, Principal
from tests.conftest import World

ARTICLES = [
    ArticleIn(slug="deposit-not-credited", title="My deposit has not arrived",
              body="Deposits are credited after the network confirmations shown on the deposit "
                   "page. Check the transaction id (txid) on a block explorer and that you "
                   "used the right network and memo."),
    ArticleIn(slug="withdrawal-fees", title="Withdrawal fees",
              body="Each withdrawal pays a network fee that depends on the chain."),
    ArticleIn(slug="zh-deposit", language="zh-Hans", title="充值未到账怎么办",
              body="充值需要达到页面显示的网络确认数后才会到账。请在区块浏览器中查询交易哈希，"
                   "并确认使用了正确的网络和标签。"),
    ArticleIn(slug="zh-2fa", language="zh-Hans", title="如何重置二次验证",
              body="如果您丢失了验证器，请在登录页面选择“安全验证不可用”，按提示提交身份证明。"),
]


@pytest.fixture
def kb_seeded(session: Session) -> None:
    """The four articles above."""
    for article in ARTICLES:
        kb.save_article(session, SYSTEM, article)


def customer(session: Session, world: World, name: str) -> Principal:
    """The customer ``name`` of the world as a principal (registered on first use)."""
    return security.principal_from_customer_token(session, world.settings,
                                                  world.customer_token(name))


def bearer(token: str) -> dict[str, str]:
    """Authorization header."""
    return {"Authorization": f"Bearer {token}"}


def until(ws: WebSocketTestSession, **match: Any) -> list[dict[str, Any]]:
    """Frames received up to and including the first one with all of ``match``."""
    frames = []
    while True:
        frame = json.loads(ws.receive_text())
        frames.append(frame)
        if all(frame.get(k) == v for k, v in match.items()):
            return frames
