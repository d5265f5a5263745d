"""Demo data: staff of every role, teams, customers and a few cases."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.cases import service as cases
from ombud.cases.schemas import AssignIn, CaseIn, MessageIn
from ombud.cases.taxonomy import Category, Channel
from ombud.security import service as security
from ombud.security.permissions import SYSTEM, Principal
from ombud.security.roles import Role
from ombud.security.tables import Staff

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
CASES = [
    ("100200300", "Market order filled far from the price I saw",
     "I sold 2.5 ETH at market at 23:57 UTC and got 40 USDT less than the book showed.",
     "Refund the difference", Category.TRADE_DISPUTE, "USDT", "40", "en", "Trading"),
    ("100200301", "USDT deposit not credited after 3 hours",
     "I sent 500 USDT on TRC20, txid 9f3c... shows 120 confirmations but nothing arrived.",
     "Credit my deposit", Category.DEPOSIT_WITHDRAWAL, "USDT", "500", "en", "Wallets"),
    ("100200302", "我的账户被盗，资产被转走",
     "今天凌晨有人从陌生设备登录我的账户并提走了 0.8 BTC，我没有操作过。",
     "冻结账户并追回资产", Category.ACCOUNT_SECURITY, "BTC", "0.8", "zh-Hans", "Security"),
    ("100200303", "Position liquidated on a wick",
     "My BTC-USDT-SWAP long was liquidated although the index never got near my price.",
     "Restore the position or compensate", Category.LIQUIDATION, "USDT", "1250", "en", "Trading"),
]


def seed(session: Session) -> list[DemoLogin]:
    """Create the demo data once; a second call changes nothing."""
    logins = [DemoLogin(u, r.value, t) for u, r, t in STAFF]
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
    references = []
    for uid, summary, text, outcome, cat, asset, amount, lang, team in CASES:
        case, _ = cases.open_case(session, SYSTEM, CaseIn(
            summary=summary, description=text, desired_outcome=outcome, category=cat,
            asset=asset, amount=Decimal(amount), language=lang,
            channel=Channel.WEB, customer_uid=uid, customer_email=f"u{uid}@mail.example",
            jurisdiction="GB" if lang == "en" else "HK",
        ))
        cases.assign(session, SYSTEM, case.reference, AssignIn(team_id=teams[team].id))
        references.append(case.reference)
    first = references[0]
    bob = Principal(kind="staff", id=staff_ids["bob"], name="Bob", role=Role.SPECIALIST,
                    team_id=teams["Trading"].id)
    cases.add_message(session, bob, first, MessageIn(
        body="Pulled the fills; the book at 23:57 was thin above 2 ETH. Checking replay.",
        visibility="internal"))
    return logins
