"""What the survey says, in the customer's language: the invitation and the page (pure)."""

from __future__ import annotations

import datetime as dt

from ombud.feedback.model import COMMENT_MAX

_INVITATION: dict[str, tuple[str, str]] = {
    "en": (
        "How did we handle your complaint {reference}?",
        "Your complaint {reference} has been resolved. We would like to know how we did.\n\n"
        "Two short questions and an optional comment, about a minute:\n{link}\n\n"
        "The link is yours alone, needs no sign-in and stays open until {until}.\n"
        "Your answers help us improve how we handle complaints; they do not change the "
        "outcome of your case.",
    ),
    "zh-Hans": (
        "您对投诉 {reference} 的处理满意吗？",
        "您的投诉 {reference} 已处理完毕。我们希望了解您对处理过程的评价。\n\n"
        "只需回答两个简短问题，并可留下意见，约需一分钟：\n{link}\n\n"
        "此链接专属于您，无需登录即可使用，有效期至 {until}。\n"
        "您的回答将帮助我们改进投诉处理工作，不会影响您案件的处理结果。",
    ),
    "zh-Hant": (
        "您對投訴 {reference} 的處理滿意嗎？",
        "您的投訴 {reference} 已處理完畢。我們希望了解您對處理過程的評價。\n\n"
        "只需回答兩個簡短問題，並可留下意見，約需一分鐘：\n{link}\n\n"
        "此連結專屬於您，無需登入即可使用，有效期至 {until}。\n"
        "您的回答將幫助我們改進投訴處理工作，不會影響您案件的處理結果。",
    ),
}

_PAGE: dict[str, dict[str, str]] = {
    "en": {
        "title": "How did we do?",
        "intro": "About your complaint {reference}. Your answers help us improve; they do "
                 "not change the outcome of your case.",
        "csat": "Overall, how satisfied are you with how we handled your complaint?",
        "csat_1": "Very dissatisfied", "csat_2": "Dissatisfied", "csat_3": "Neither",
        "csat_4": "Satisfied", "csat_5": "Very satisfied",
        "nps": "How likely are you to recommend us to a friend or colleague?",
        "nps_low": "0 = not at all likely", "nps_high": "10 = extremely likely",
        "comment": "Anything else you would like to tell us? (optional)",
        "comment_hint": "At most {max} characters.",
        "submit": "Send my answers",
        "thanks": "Thank you for your answers.",
        "answer": "Your answer: satisfaction {csat} of 5, likelihood to recommend {nps} of 10.",
        "already": "You already answered this survey; your first answer is kept.",
        "closed": "This survey closed on {until}. Thank you for your time.",
        "error": "Please correct the marked answers.",
        "error_csat": "Choose how satisfied you are, from 1 to 5.",
        "error_nps": "Choose how likely you are to recommend us, from 0 to 10.",
        "error_comment": "Your comment is too long: at most {max} characters.",
        "error_comment_text": "Your comment contains characters we cannot store; please retype it.",
    },
    "zh-Hans": {
        "title": "您对我们的服务满意吗？",
        "intro": "关于您的投诉 {reference}。您的回答将帮助我们改进，不会影响您案件的处理结果。",
        "csat": "总体而言，您对我们处理您投诉的方式满意吗？",
        "csat_1": "非常不满意", "csat_2": "不满意", "csat_3": "一般",
        "csat_4": "满意", "csat_5": "非常满意",
        "nps": "您有多大可能向朋友或同事推荐我们？",
        "nps_low": "0 = 完全不可能", "nps_high": "10 = 极有可能",
        "comment": "还有什么想告诉我们的吗？（选填）",
        "comment_hint": "最多 {max} 个字符。",
        "submit": "提交我的回答",
        "thanks": "感谢您的回答。",
        "answer": "您的回答：满意度 {csat}/5，推荐可能性 {nps}/10。",
        "already": "您已回答过此调查，我们保留您的第一次回答。",
        "closed": "此调查已于 {until} 结束。感谢您抽出时间。",
        "error": "请更正标出的回答。",
        "error_csat": "请选择 1 到 5 的满意度评分。",
        "error_nps": "请选择 0 到 10 之间的推荐可能性。",
        "error_comment": "您的意见过长：最多 {max} 个字符。",
        "error_comment_text": "您的意见包含无法保存的字符，请重新输入。",
    },
    "zh-Hant": {
        "title": "您對我們的服務滿意嗎？",
        "intro": "關於您的投訴 {reference}。您的回答將幫助我們改進，不會影響您案件的處理結果。",
        "csat": "整體而言，您對我們處理您投訴的方式滿意嗎？",
        "csat_1": "非常不滿意", "csat_2": "不滿意", "csat_3": "普通",
        "csat_4": "滿意", "csat_5": "非常滿意",
        "nps": "您有多大可能向朋友或同事推薦我們？",
        "nps_low": "0 = 完全不可能", "nps_high": "10 = 極有可能",
        "comment": "還有什麼想告訴我們的嗎？（選填）",
        "comment_hint": "最多 {max} 個字元。",
        "submit": "提交我的回答",
        "thanks": "感謝您的回答。",
        "answer": "您的回答：滿意度 {csat}/5，推薦可能性 {nps}/10。",
        "already": "您已回答過此調查，我們保留您的第一次回答。",
        "closed": "此調查已於 {until} 結束。感謝您撥冗。",
        "error": "請更正標示的回答。",
        "error_csat": "請選擇 1 到 5 的滿意度評分。",
        "error_nps": "請選擇 0 到 10 之間的推薦可能性。",
        "error_comment": "您的意見過長：最多 {max} 個字元。",
        "error_comment_text": "您的意見包含無法儲存的字元，請重新輸入。",
    },
}

#: Shown for a link we do not know: in every language, since we cannot tell whose it is.
INVALID = (
    "This survey link is not valid. Check that you opened the whole link from our message.",
    "此调查链接无效。请确认您打开的是我们消息中的完整链接。",
    "此調查連結無效。請確認您開啟的是我們訊息中的完整連結。",
)


def language_of(value: str) -> str:
    """``value`` if it is a language we write in, else English."""
    return value if value in _PAGE else "en"


def invitation(language: str, reference: str, link: str, until: dt.date) -> tuple[str, str]:
    """Subject and body of the survey invitation."""
    subject, body = _INVITATION[language_of(language)]
    return (subject.format(reference=reference),
            body.format(reference=reference, link=link, until=until.isoformat()))


def page(language: str, *, reference: str, until: dt.date, csat: int | None = None,
         nps: int | None = None) -> dict[str, str]:
    """Every text of the survey page, filled in."""
    facts = {"reference": reference, "until": until.isoformat(), "max": str(COMMENT_MAX),
             "csat": "" if csat is None else str(csat), "nps": "" if nps is None else str(nps)}
    return {key: text.format(**facts) for key, text in _PAGE[language_of(language)].items()}
