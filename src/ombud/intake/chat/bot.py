"""The knowledge-base bot (pure): answers from the best articles and always offers a person."""

from __future__ import annotations

from dataclasses import dataclass

from ombud.intake.chat.text import wants_person

BOT_NAME = "Ombud assistant"
#: What the widget's button sends, and what a typed "talk to a person" means.
HANDOVER = "handover"
EXCERPT = 600

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "greeting": "Hello! Ask me anything about deposits, withdrawals, trading, fees or your "
                    "account. If I cannot help, you can talk to a person.",
        "found": "This may help:",
        "more": "Also see: {titles}.",
        "none": "I could not find an article about that.",
        "offer": "Did this answer your question? If not, choose \"Talk to a person\".",
        "handover": "I am passing you to a member of our team. Your complaint is registered "
                    "as {case}; someone will join this chat shortly.",
        "joined": "{name} has joined the chat.",
        "closed": "This chat is closed. The conversation is kept on case {case}.",
        "closed_bot": "This chat is closed.",
    },
    "zh-Hans": {
        "greeting": "您好！您可以询问充值、提现、交易、手续费或账户相关的问题。"
                    "如果我无法解答，您可以转人工客服。",
        "found": "以下内容可能对您有帮助：",
        "more": "另请参阅：{titles}。",
        "none": "没有找到相关的帮助文章。",
        "offer": "以上内容是否解答了您的问题？如未解决，请选择“转人工”。",
        "handover": "正在为您转接人工客服。您的投诉已登记，编号 {case}；工作人员稍后会加入对话。",
        "joined": "{name} 已加入对话。",
        "closed": "对话已结束。对话记录已保存在案件 {case} 中。",
        "closed_bot": "对话已结束。",
    },
    "zh-Hant": {
        "greeting": "您好！您可以詢問充值、提現、交易、手續費或帳戶相關的問題。"
                    "如果我無法解答，您可以轉人工客服。",
        "found": "以下內容可能對您有幫助：",
        "more": "另請參閱：{titles}。",
        "none": "沒有找到相關的說明文章。",
        "offer": "以上內容是否解答了您的問題？如未解決，請選擇「轉人工」。",
        "handover": "正在為您轉接人工客服。您的投訴已登記，編號 {case}；工作人員稍後會加入對話。",
        "joined": "{name} 已加入對話。",
        "closed": "對話已結束。對話記錄已保存在案件 {case} 中。",
        "closed_bot": "對話已結束。",
    },
}


@dataclass(frozen=True)
class Hit:
    """A knowledge-base article found for a question."""

    slug: str
    title: str
    body: str


@dataclass(frozen=True)
class Answer:
    """What the bot says, and whether the customer asked for a person instead."""

    body: str
    handover: bool = False


def say(key: str, language: str, **values: str) -> str:
    """One of the bot's fixed sentences in ``language`` (English when unknown)."""
    return _TEXTS.get(language, _TEXTS["en"])[key].format(**values)


def answer(question: str, hits: list[Hit], language: str) -> Answer:
    """Answer ``question`` from ``hits`` (best first), or hand over when a person is asked for."""
    if question.strip().lower() == HANDOVER or wants_person(question):
        return Answer(body="", handover=True)
    if not hits:
        return Answer(f"{say('none', language)}\n{say('offer', language)}")
    best = hits[0]
    body = best.body if len(best.body) <= EXCERPT else best.body[:EXCERPT].rstrip() + "…"
    lines = [say("found", language), f"{best.title}\n{body}"]
    if len(hits) > 1:
        lines.append(say("more", language, titles="; ".join(h.title for h in hits[1:3])))
    lines.append(say("offer", language))
    return Answer("\n\n".join(lines))
