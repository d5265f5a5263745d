"""Demo data: staff of every role, teams, customers and a few cases."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shlex
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases import filing
from ombud.cases import service as cases
from ombud.cases.lifecycle import Event
from ombud.cases.schemas import AssignIn, CaseIn, MessageIn, TransitionIn
from ombud.cases.taxonomy import Category, Channel
from ombud.common.clock import utcnow
from ombud.config import Settings
from ombud.evidence import findings as evidence_findings
from ombud.evidence import queries as evidence_queries
from ombud.evidence.schemas import Fault, FindingIn
from ombud.exchange import SCENARIOS, Scenario
from ombud.exchange.factory import open_sim
from ombud.intake.chat import kb
from ombud.intake.chat.schemas import ArticleIn
from ombud.intake.social import telegram
from ombud.jobs.service import run_due
from ombud.resolution import outcomes
from ombud.resolution import service as resolution
from ombud.resolution.policy import RemedyKind
from ombud.resolution.schemas import DecisionIn, PointIn, ProposalIn, RemedyIn
from ombud.security import service as security
from ombud.security.permissions import SYSTEM, Principal
from ombud.security.roles import Permission, Role
from ombud.security.tables import Staff
from ombud.worker import handlers

DEMO_PASSWORD = "ombud-demo-pass"
#: One TOTP secret per demo account, fixed so that the printed codes can be reproduced.
DEMO_TOTP = "OMBUDDEMOTOTPSECRETBASE32KEYAAAA"


@dataclass(frozen=True)
class DemoLogin:
    """A demo staff account to print on start."""

    username: str
    role: str
    team: str


TEAMS = {
    "Trading": ([Category.TRADE_DISPUTE, Category.LIQUIDATION, Category.FEES], ["en", "zh-Hans"]),
    "Wallets": ([Category.DEPOSIT_WITHDRAWAL], ["en", "zh-Hans", "zh-Hant"]),
    "Security": ([Category.ACCOUNT_SECURITY], ["en", "zh-Hans", "zh-Hant"]),
    "Accounts": ([Category.KYC, Category.API, Category.OTHER], ["en"]),
}
STAFF = [
    ("alice", Role.AGENT, "Trading"), ("bob", Role.SPECIALIST, "Trading"),
    ("wei", Role.AGENT, "Wallets"), ("sam", Role.SPECIALIST, "Security"),
    ("ana", Role.APPROVER, "Trading"), ("sue", Role.SUPERVISOR, "Trading"),
    ("cora", Role.COMPLIANCE, ""), ("root", Role.ADMIN, ""),
]
#: Demo cases, each staged first as a scenario on the simulated exchange (the last field), so
#: each has real evidence behind it: (uid, summary, text, desired outcome, category, asset,
#: amount, language, team, scenario). "{tx}" in the text is the staged transaction's id.
CASES = [
    ("100200300", "Market order filled far from the price I saw",
     "I bought 2 BTC at market and paid far more than the best ask on the screen.",
     "Refund the difference", Category.TRADE_DISPUTE, "USDT", "40", "en", "Trading",
     "slippage_on_thin_book"),
    ("100200301", "USDT deposit not credited",
     "I sent 500 USDT on BSC to my deposit address, txid {tx}, and nothing arrived.",
     "Credit my deposit", Category.DEPOSIT_WITHDRAWAL, "USDT", "500", "en", "Wallets",
     "deposit_wrong_network"),
    ("100200302", "我的账户被盗，资产被转走",
     "今天有人从陌生设备登录我的账户，修改了密码并提走了 1.5 BTC，我没有操作过。",
     "冻结账户并追回资产", Category.ACCOUNT_SECURITY, "BTC", "1.5", "zh-Hans", "Security",
     "login_new_country_then_withdrawal"),
    ("100200303", "Position liquidated on a wick",
     "My BTC-USDT-SWAP long was liquidated although the index never got near my price.",
     "Restore the position or compensate", Category.LIQUIDATION, "USDT", "6000", "en",
     "Trading", "liquidation_on_mark_wick"),
    ("100200304", "Market order filled seconds late",
     "My 1.5 BTC market buy was accepted at once but filled more than a second later, higher.",
     "Compensate the delay", Category.TRADE_DISPUTE, "USDT", "180", "en", "Trading",
     "delayed_fill"),
    ("100200305", "Profitable short closed without my order",
     "My BTC-USDT-SWAP short was closed by the system while it was in profit.",
     "Reopen the position", Category.LIQUIDATION, "USDT", "2000", "en", "Trading",
     "auto_deleverage"),
    ("100200306", "BTC withdrawal pending for two days",
     "My 2 BTC withdrawal has shown 'pending' for two days and never reached my wallet.",
     "Send my withdrawal", Category.DEPOSIT_WITHDRAWAL, "BTC", "2", "en", "Wallets",
     "withdrawal_stuck_in_review"),
    ("100200307", "XRP deposit missing",
     "I sent 250 XRP to my deposit address, txid {tx}, hours ago; it is not in my account.",
     "Credit my deposit", Category.DEPOSIT_WITHDRAWAL, "XRP", "250", "en", "Wallets",
     "deposit_missing_memo"),
]

#: Knowledge-base articles the chat bot answers from: (slug, language, title, body).
ARTICLES = [
    ("deposit-not-credited", "en", "My deposit has not arrived",
     "A deposit is credited once the network confirmations shown on the deposit page are "
     "reached. Look up the transaction id (txid) on a block explorer, and check that you sent "
     "on the network and with the memo or tag shown on the deposit page."),
    ("withdrawal-pending", "en", "Why is my withdrawal pending?",
     "Withdrawals are reviewed for security before they are broadcast, usually within 30 "
     "minutes. A new device, a changed password or 2FA reset holds withdrawals for 24 hours."),
    ("liquidation-explained", "en", "How liquidation works",
     "A position is liquidated when its margin ratio falls to the maintenance margin, measured "
     "against the mark price (not the last traded price)."),
    ("trading-fees", "en", "Trading fees",
     "Maker and taker fees depend on your VIP tier and are shown on the fee page."),
    ("zh-deposit-not-credited", "zh-Hans", "充值未到账怎么办",
     "充值需要达到充值页面显示的网络确认数后才会到账。请在区块浏览器中查询交易哈希（txid），"
     "并确认使用了充值页面显示的网络和标签（memo）。"),
    ("zh-withdrawal-pending", "zh-Hans", "提现一直处于审核中",
     "为保障资金安全，提现在广播前需要经过安全审核，通常在 30 分钟内完成。"
     "更换设备、修改密码或重置二次验证后，提现会被限制 24 小时。"),
    ("zh-2fa-reset", "zh-Hans", "如何重置二次验证",
     "如果您丢失了验证器，请在登录页面选择“安全验证不可用”，按提示提交身份证明。"),
    ("zh-hant-deposit", "zh-Hant", "充值未到帳怎麼辦",
     "充值需要達到充值頁面顯示的網絡確認數後才會到帳。請在區塊瀏覽器中查詢交易哈希。"),
]


def seed_articles(session: Session) -> None:
    """Create the demo knowledge base's missing articles."""
    known = kb.slugs(session)
    for slug, language, title, body in ARTICLES:
        if slug not in known:
            kb.save_article(session, SYSTEM, ArticleIn.model_validate(
                {"slug": slug, "language": language, "title": title, "body": body}))


def seed(session: Session, settings: Settings) -> list[DemoLogin]:
    """Create the demo data once; a second call changes nothing. Each case is staged on the
    simulated exchange, investigated, and its evidence captured and analysed."""
    logins = [DemoLogin(u, r.value, t) for u, r, t in STAFF]
    seed_articles(session)
    if session.scalars(select(Staff.id).limit(1)).first() is not None:
        return logins
    teams = {name: security.create_team(session, name, [c.value for c in cats], langs)
             for name, (cats, langs) in TEAMS.items()}
    staff_ids = {}
    for username, role, team in STAFF:
        created = security.create_staff(
            session, username=username, password=DEMO_PASSWORD, role=role,
            display_name=username.capitalize(), email=f"{username}@exchange.example",
            team_id=teams[team].id if team else None, totp_secret=DEMO_TOTP,
        )
        staff_ids[username] = created.staff.id
    staged = _stage_scenarios(settings)
    references = []
    for uid, summary, text, outcome, cat, asset, amount, lang, team, name in CASES:
        scenario = staged[name]
        chain = scenario.evidence.get("chain", ())
        case, _ = filing.open_case(session, SYSTEM, CaseIn(
            summary=summary, description=text.format(tx=chain[0].tx_id if chain else ""),
            desired_outcome=outcome, category=cat, asset=asset, amount=Decimal(amount),
            language=lang, channel=Channel.WEB, customer_uid=uid,
            customer_email=f"u{uid}@mail.example", jurisdiction="GB" if lang == "en" else "HK",
        ), received_at=scenario.window.end)
        cases.assign(session, SYSTEM, case.reference, AssignIn(team_id=teams[team].id))
        for event in (Event.TRIAGE, Event.START_INVESTIGATION):  # queues the evidence capture
            cases.apply_transition(session, SYSTEM, case.reference, TransitionIn(event=event))
        references.append(case.reference)
    past = _open_precedents(session, settings)  # triaged by the triage job
    run_due(session, "demo-seed", handlers(settings), limit=10 * (len(CASES) + len(past)))
    for ref in past:  # queues the evidence capture
        cases.apply_transition(session, SYSTEM, ref,
                               TransitionIn(event=Event.START_INVESTIGATION))
    run_due(session, "demo-seed", handlers(settings), limit=10 * len(past))
    first = references[0]
    bob = Principal(kind="staff", id=staff_ids["bob"], name="Bob", role=Role.SPECIALIST,
                    team_id=teams["Trading"].id)
    cases.add_message(session, bob, first, MessageIn(
        body="The replay shows the book was thin above 1 BTC; the fill matches it.",
        visibility="internal"))
    ana = Principal(kind="staff", id=staff_ids["ana"], name="Ana", role=Role.APPROVER,
                    team_id=teams["Trading"].id)
    _decide_precedents(session, settings, past, bob, ana)
    run_due(session, "demo-seed", handlers(settings), limit=10 * len(past))
    return logins


#: Decided cases like the delayed-fill one, so that its decision has precedents: (uid,
#: summary, text, measured loss and compensation in USDT, fault, days before the demo).
PRECEDENTS = [
    ("100200310", "Market buy filled late during an engine incident",
     "At 14:05 UTC my 0.8 BTC-USDT market buy was accepted at once but filled seconds later, "
     "at a worse price.", "120", "120", "platform", 40),
    ("100200311", "Late fill on my market order",
     "At 09:30 UTC my BTC-USDT market buy was accepted at once but filled more than a second "
     "later.", "300", "300", "platform", 25),
    ("100200312", "Market order filled late and higher",
     "At 21:10 UTC my BTC-USDT market buy was accepted at once but filled seconds later; the "
     "status page showed nothing.", "90", "45", "undetermined", 12),
]


def _open_precedents(session: Session, settings: Settings) -> list[str]:
    """Open the precedent cases (their customers have accounts on the simulated exchange)."""
    open_sim(settings).open_accounts(p[0] for p in PRECEDENTS)
    refs = []
    for uid, summary, text, loss, _paid, _fault, days in PRECEDENTS:
        case, _ = filing.open_case(session, SYSTEM, CaseIn(
            summary=summary, description=text, desired_outcome="Compensate the delay",
            category=Category.TRADE_DISPUTE, asset="USDT", amount=Decimal(loss),
            language="en", channel=Channel.WEB, customer_uid=uid,
            customer_email=f"u{uid}@mail.example", jurisdiction="GB",
        ), received_at=utcnow() - dt.timedelta(days=days))
        refs.append(case.reference)
    return refs


def _decide_precedents(session: Session, settings: Settings, refs: list[str], bob: Principal,
                       ana: Principal) -> None:
    """Bob finds and decides each precedent case (Ana approves where the decision needs it);
    its customer accepts, so that the case is indexed as a precedent."""
    cfg = resolution.Config.from_settings(settings)
    for ref, (_uid, summary, _text, loss, paid, fault, _days) in zip(refs, PRECEDENTS,
                                                                       strict=True):
        case_id = cases.load(session, SYSTEM, ref, Permission.VIEW_CASE).id
        cited = [e.id for e in evidence_queries.for_case(session, case_id).evidence][:3]
        finding = evidence_findings.add_finding(session, bob, ref, FindingIn(
            fault=Fault(fault), verdict="delayed_fill", loss_asset="USDT",
            loss_amount=Decimal(loss), loss_usd=Decimal(loss), evidence_ids=cited,
            summary=f"Matched late during a matching-engine incident; the delay cost {loss} "
                    "USDT."))
        resolution.draft(session, bob, ref, ProposalIn(
            outcome="upheld", summary="The order was filled late.",
            justification="The measured loss times the fault share, as clause TD-1 says.",
            points=[PointIn(point=summary, finding_id=finding.id, upheld=True,
                            reason="The fill came late; the fault share decides the amount.")],
            remedies=[RemedyIn(kind=RemedyKind.COMPENSATION, clause_id="TD-1", asset="USDT",
                               amount=Decimal(paid), finding_id=finding.id)]))
        if resolution.submit(session, bob, ref, cfg).status == "awaiting_approval":
            resolution.approve(session, ana, ref, DecisionIn(note="Within the policy."), cfg)
        customer = cases.load(session, SYSTEM, ref, Permission.VIEW_CASE).customer_id
        outcomes.accept(session, Principal(kind="customer", id=customer), ref)


def _stage_scenarios(settings: Settings) -> dict[str, Scenario]:
    """Stage every case's scenario on the deployment's simulated exchange, in the order the
    scenarios are defined (each for the case's customer UID)."""
    sim = open_sim(settings)
    accounts = {case[-1]: case[0] for case in CASES}
    return {name: make(sim, accounts[name]) for name, make in SCENARIOS.items()
            if name in accounts}


#: Where the demo keeps its Telegram webhook secret between runs.
TELEGRAM_SECRET_FILE = "demo-telegram-secret"


def telegram_secret(settings: Settings) -> str:
    """The demo's Telegram webhook secret: OMBUD_TELEGRAM_SECRET_TOKEN, or one made on the
    first run and kept in the data folder (letters, digits, ``_`` and ``-``, as Telegram
    allows)."""
    if settings.telegram_secret_token:
        return settings.telegram_secret_token
    path = settings.data_dir / TELEGRAM_SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def telegram_update(update_id: int, text: str) -> bytes:
    """A private-chat text Update as the Bot API delivers it (for trying the webhook)."""
    person = {"id": 424242, "first_name": "Demo", "last_name": "Customer",
              "language_code": "en"}
    return json.dumps({"update_id": update_id, "message": {
        "message_id": 1, "date": update_id, "chat": {**person, "type": "private"},
        "from": person, "text": text}}).encode()


def telegram_lines(settings: Settings, base_url: str, secret: str, update_id: int) -> list[str]:
    """What ``ombud demo`` says about Telegram: the webhook and its secret, a command that
    posts a signed sample update, and how to connect a real bot."""
    hook = f"{base_url}/webhooks/telegram"
    body = telegram_update(update_id, "My withdrawal of 250 USDT has been pending for 3 days")
    curl = (f"curl -X POST {hook} -H 'Content-Type: application/json' "
            f"-H '{telegram.HEADER}: {secret}' -d {shlex.quote(body.decode())}")
    public = settings.public_url if settings.public_url.startswith("https://") else (
        "$OMBUD_PUBLIC_URL")
    sending = ("acknowledgements and replies go out through your bot"
               if settings.telegram_bot_token else
               "until OMBUD_TELEGRAM_BOT_TOKEN is set, a Telegram complaint is registered and "
               "its acknowledgement waits in the job queue")
    return [
        f"Telegram webhook: {hook} (secret token {secret}); {sending}",
        f"Post a signed update (a second post of the same update_id is refused): {curl}",
        "For a real bot: make one with @BotFather, set OMBUD_TELEGRAM_BOT_TOKEN, and "
        "OMBUD_PUBLIC_URL to this server's public HTTPS address, then run: curl "
        f"https://api.telegram.org/bot$OMBUD_TELEGRAM_BOT_TOKEN/setWebhook "
        f"-d url={public}/webhooks/telegram -d secret_token={secret}",
    ]
