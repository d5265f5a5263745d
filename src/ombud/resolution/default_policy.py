"""The policy a new deployment starts with (version 1); compliance replaces it with versions of
its own. Amounts are USD; fault shares are fractions of the measured loss."""

from __future__ import annotations

from typing import Any

DEFAULT_POLICY: dict[str, Any] = {
    "clauses": [
        {"id": "TD-1", "title": "Compensation for a platform-fault execution",
         "remedy": "compensation", "categories": ["trade_dispute"],
         "faults": ["platform", "undetermined"],
         "text": "Where our systems filled, delayed or priced an order wrongly, we pay the "
                 "measured loss times the fault share, in the traded asset."},
        {"id": "LQ-1", "title": "Compensation for a wrongful liquidation",
         "remedy": "compensation", "categories": ["liquidation"],
         "faults": ["platform", "undetermined"],
         "text": "Where a recomputed liquidation shows our mark, margin or engine was at "
                 "fault, we pay the difference to the correct outcome."},
        {"id": "DW-1", "title": "Compensation for a platform-fault deposit or withdrawal",
         "remedy": "compensation", "categories": ["deposit_withdrawal"],
         "faults": ["platform", "undetermined"],
         "text": "Where a transfer was lost, delayed or mis-credited by us, we pay the loss."},
        {"id": "SEC-2", "title": "Compensation for a platform security failure",
         "remedy": "compensation", "categories": ["account_security"], "faults": ["platform"],
         "text": "Where funds were lost through a failure of our controls, we restore them."},
        {"id": "FE-1", "title": "Refund of a fee charged in error", "remedy": "fee_refund",
         "categories": ["fees"], "faults": ["platform"],
         "text": "A fee charged by our error is refunded in the asset it was charged in."},
        {"id": "SEC-1", "title": "Restore a frozen account once its owner is verified",
         "remedy": "unfreeze", "categories": ["account_security", "kyc"], "faults": [],
         "text": "An account frozen for protection is restored when the owner is verified "
                 "and the risk is gone."},
        {"id": "GW-1", "title": "Goodwill gesture", "remedy": "goodwill", "categories": [],
         "faults": [], "text": "A gesture for service that fell short, within the goodwill "
                               "limit, without admitting fault."},
        {"id": "EX-1", "title": "Explanation of the rules that applied", "remedy": "explanation",
         "categories": [], "faults": ["customer", "market", "third_party"],
         "text": "Where the outcome followed our published rules, we explain which and how."},
        {"id": "GD-1", "title": "Guidance to avoid a repeat", "remedy": "guidance",
         "categories": [], "faults": ["customer", "third_party"],
         "text": "Practical steps (order types, address checks, 2FA) that prevent a repeat."},
    ],
    "fault_share": {"platform": "1", "undetermined": "0.5", "third_party": "0",
                    "customer": "0", "market": "0"},
    "caps_usd": {"trade_dispute": "25000", "liquidation": "50000",
                 "deposit_withdrawal": "50000", "account_security": "100000", "fees": "2000",
                 "api": "2000", "kyc": "500", "other": "500"},
    "goodwill_limit_usd": "50",
    "approval_limits_usd": {"agent": "0", "specialist": "500", "approver": "25000",
                            "supervisor": "10000", "compliance": "0", "admin": "100000"},
    "payable_assets": ["USDT", "USDC", "BTC", "ETH"],
    "objection_days": 14,
    "precedent_tolerance": "0.25",
}
