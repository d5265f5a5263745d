"""The seed taxonomy of categories and sub-categories (DESIGN §4)."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """What a complaint is about."""

    TRADE_DISPUTE = "trade_dispute"
    ACCOUNT_SECURITY = "account_security"
    DEPOSIT_WITHDRAWAL = "deposit_withdrawal"
    LIQUIDATION = "liquidation"
    KYC = "kyc"
    API = "api"
    FEES = "fees"
    OTHER = "other"


SUBCATEGORIES: dict[Category, tuple[str, ...]] = {
    Category.TRADE_DISPUTE: ("slippage", "delayed_fill", "unfilled_order", "wrong_price"),
    Category.ACCOUNT_SECURITY: ("theft", "abnormal_login", "unauthorised_withdrawal", "phishing"),
    Category.DEPOSIT_WITHDRAWAL: ("not_credited", "delayed", "failed", "wrong_network_or_memo"),
    Category.LIQUIDATION: ("abnormal_liquidation", "auto_deleverage", "funding"),
    Category.KYC: ("rejected", "delayed", "documents"),
    Category.API: ("errors", "rate_limits", "keys"),
    Category.FEES: ("wrong_fee", "unexpected_fee"),
    Category.OTHER: ("app_or_web_bug", "service_quality"),
}

LABELS: dict[Category, str] = {
    Category.TRADE_DISPUTE: "Trade dispute",
    Category.ACCOUNT_SECURITY: "Account security",
    Category.DEPOSIT_WITHDRAWAL: "Deposit & withdrawal",
    Category.LIQUIDATION: "Derivatives liquidation",
    Category.KYC: "KYC",
    Category.API: "API",
    Category.FEES: "Fees",
    Category.OTHER: "Other",
}


class Channel(StrEnum):
    """Where a complaint came in."""

    WEB = "web"
    API = "api"
    EMAIL = "email"
    CHAT = "chat"
    TELEGRAM = "telegram"
    MESSENGER = "messenger"
    X = "x"
    POST = "post"
    PHONE = "phone"


class Priority(StrEnum):
    """How soon a case needs attention."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"
