"""The remedy policy as data, and what it proposes for a case's findings (pure).

A policy is a versioned JSON document edited by compliance. Each clause has an id that the
proposal and the decision letter cite. ``suggest`` turns findings into remedy suggestions,
each naming the clause that gave it; ``check`` refuses remedies the policy does not allow
(absurd amounts, unlisted assets, an asset other than the loss's) and says when approval by
someone else is needed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from ombud.common.errors import Invalid
from ombud.common.money import MAX_AMOUNT, precision


class RemedyKind(StrEnum):
    """What a remedy does."""

    FEE_REFUND = "fee_refund"
    COMPENSATION = "compensation"
    GOODWILL = "goodwill"
    UNFREEZE = "unfreeze"
    GUIDANCE = "guidance"
    EXPLANATION = "explanation"


#: Remedies that move money through the exchange.
MONETARY = frozenset({RemedyKind.FEE_REFUND, RemedyKind.COMPENSATION, RemedyKind.GOODWILL})
#: Remedies the exchange carries out (money, or lifting a freeze).
EXECUTED = MONETARY | {RemedyKind.UNFREEZE}


@dataclass(frozen=True)
class Clause:
    """One rule: when it applies (categories, faults) and the remedy it gives."""

    id: str
    title: str
    remedy: RemedyKind
    categories: tuple[str, ...] = ()  # empty: every category
    faults: tuple[str, ...] = ()  # empty: any fault
    text: str = ""


@dataclass(frozen=True)
class Policy:
    """A whole policy version: clauses, fault shares, caps and limits (amounts in USD)."""

    clauses: tuple[Clause, ...]
    fault_share: Mapping[str, Decimal]
    caps_usd: Mapping[str, Decimal]
    goodwill_limit_usd: Decimal
    approval_limits_usd: Mapping[str, Decimal]
    payable_assets: tuple[str, ...]
    objection_days: int = 14
    precedent_tolerance: Decimal = Decimal("0.25")

    def clause(self, clause_id: str) -> Clause:
        """The clause with ``clause_id``; Invalid when the policy has none."""
        for c in self.clauses:
            if c.id == clause_id:
                return c
        raise Invalid(f"the policy has no clause {clause_id!r}", pointer="clause_id")

    def limit_for(self, role: str) -> Decimal:
        """The most (USD) a member of staff with ``role`` may grant alone."""
        return self.approval_limits_usd.get(role, Decimal(0))


@dataclass(frozen=True)
class FindingFacts:
    """What the policy needs from a finding."""

    finding_id: int
    fault: str
    verdict: str
    loss_asset: str | None = None
    loss_amount: Decimal | None = None
    loss_usd: Decimal | None = None


@dataclass(frozen=True)
class RemedyDraft:
    """A remedy as proposed or entered; ``usd`` is its value at the loss's USD rate."""

    kind: RemedyKind
    clause_id: str
    asset: str | None = None
    amount: Decimal | None = None
    usd: Decimal | None = None
    finding_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Check:
    """The policy's view of a set of remedies."""

    total_usd: Decimal
    approval_reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def needs_approval(self) -> bool:
        """True when someone other than the proposer must approve."""
        return bool(self.approval_reasons)


def _dec(value: Any, what: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Invalid(f"{what}: {value!r} is not a decimal") from None
    if not result.is_finite() or result < 0:
        raise Invalid(f"{what}: must be a non-negative number")
    return result


def parse(document: str | Mapping[str, Any]) -> Policy:
    """A policy from its JSON document; Invalid names the first thing wrong with it."""
    try:
        data = json.loads(document) if isinstance(document, str) else document
        clauses = tuple(
            Clause(id=str(c["id"]), title=str(c["title"]), remedy=RemedyKind(c["remedy"]),
                   categories=tuple(c.get("categories", ())), faults=tuple(c.get("faults", ())),
                   text=str(c.get("text", "")))
            for c in data["clauses"])
        ids = [c.id for c in clauses]
        if len(set(ids)) != len(ids):
            raise Invalid("clause ids must be unique")
        share = {k: _dec(v, f"fault_share.{k}") for k, v in data["fault_share"].items()}
        if any(v > 1 for v in share.values()):
            raise Invalid("a fault share is a fraction between 0 and 1")
        return Policy(
            clauses=clauses, fault_share=share,
            caps_usd={k: _dec(v, f"caps_usd.{k}") for k, v in data["caps_usd"].items()},
            goodwill_limit_usd=_dec(data["goodwill_limit_usd"], "goodwill_limit_usd"),
            approval_limits_usd={k: _dec(v, f"approval_limits_usd.{k}")
                                 for k, v in data["approval_limits_usd"].items()},
            payable_assets=tuple(str(a).upper() for a in data["payable_assets"]),
            objection_days=int(data.get("objection_days", 14)),
            precedent_tolerance=_dec(data.get("precedent_tolerance", "0.25"),
                                     "precedent_tolerance"),
        )
    except KeyError as exc:
        raise Invalid(f"the policy lacks {exc.args[0]!r}") from None
    except (TypeError, AttributeError):
        raise Invalid("the policy is malformed: a field has the wrong shape (see the current "
                      "version for the expected structure)") from None
    except ValueError as exc:
        if isinstance(exc, Invalid):
            raise
        raise Invalid(f"the policy is malformed: {exc}") from None


def dump(policy: Policy) -> str:
    """The JSON document of ``policy`` (``parse(dump(p)) == p``)."""
    return json.dumps({
        "clauses": [{"id": c.id, "title": c.title, "remedy": c.remedy.value,
                     "categories": list(c.categories), "faults": list(c.faults), "text": c.text}
                    for c in policy.clauses],
        "fault_share": {k: str(v) for k, v in policy.fault_share.items()},
        "caps_usd": {k: str(v) for k, v in policy.caps_usd.items()},
        "goodwill_limit_usd": str(policy.goodwill_limit_usd),
        "approval_limits_usd": {k: str(v) for k, v in policy.approval_limits_usd.items()},
        "payable_assets": list(policy.payable_assets),
        "objection_days": policy.objection_days,
        "precedent_tolerance": str(policy.precedent_tolerance),
    }, indent=2, ensure_ascii=False)


def _quantize(amount: Decimal, asset: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-precision(asset)), rounding=ROUND_DOWN)


def _usd_rate(finding: FindingFacts) -> Decimal | None:
    if finding.loss_amount and finding.loss_usd is not None:
        return finding.loss_usd / finding.loss_amount
    return None


def _applies(clause: Clause, category: str, fault: str) -> bool:
    return ((not clause.categories or category in clause.categories)
            and (not clause.faults or fault in clause.faults))


def suggest(policy: Policy, category: str, findings: Iterable[FindingFacts]) -> list[RemedyDraft]:
    """Remedies the policy gives for ``findings``, each citing its clause.

    A monetary clause pays the measured loss times the fault's share, in the loss's asset,
    within the category's cap; a finding without a measured loss gets the non-monetary clauses
    only. The first matching clause of each remedy kind wins, so clause order is priority.
    Goodwill is never suggested: it is the proposer's call, within its limit.
    """
    drafts: list[RemedyDraft] = []
    for finding in findings:
        seen: set[RemedyKind] = set()
        for clause in policy.clauses:
            if (clause.remedy in seen or clause.remedy is RemedyKind.GOODWILL
                    or not _applies(clause, category, finding.fault)):
                continue
            if clause.remedy in MONETARY:
                draft = _monetary(policy, category, clause, finding)
                if draft is None:
                    continue
            else:
                draft = RemedyDraft(kind=clause.remedy, clause_id=clause.id,
                                    finding_id=finding.finding_id, note=clause.title)
            seen.add(clause.remedy)
            drafts.append(draft)
    return drafts


def _monetary(policy: Policy, category: str, clause: Clause,
              finding: FindingFacts) -> RemedyDraft | None:
    share = policy.fault_share.get(finding.fault, Decimal(0))
    if not finding.loss_amount or not finding.loss_asset or share <= 0:
        return None
    asset = finding.loss_asset.upper()
    if asset not in policy.payable_assets:
        return None
    amount = finding.loss_amount * share
    rate = _usd_rate(finding)
    cap = policy.caps_usd.get(category)
    if cap is not None and rate and amount * rate > cap:
        amount = cap / rate
    amount = _quantize(amount, asset)
    if amount <= 0:
        return None
    usd = (amount * rate).quantize(Decimal("0.01")) if rate else None
    return RemedyDraft(kind=clause.remedy, clause_id=clause.id, asset=asset, amount=amount,
                       usd=usd, finding_id=finding.finding_id,
                       note=f"{clause.title}: loss {finding.loss_amount} {asset} x share {share}")


def validate(policy: Policy, category: str, remedy: RemedyDraft,
             findings: Mapping[int, FindingFacts]) -> RemedyDraft:
    """``remedy`` checked against the policy and its finding, with its USD value filled in.

    Raises Invalid for: an unknown clause or one for another remedy kind; a money remedy with
    no positive amount, an absurd amount or an asset the exchange does not pay in; a remedy in
    a different asset from the loss it answers; an amount over the category's cap.
    """
    clause = policy.clause(remedy.clause_id)
    if clause.remedy is not remedy.kind:
        raise Invalid(f"clause {clause.id} gives {clause.remedy.value}, not {remedy.kind.value}",
                      pointer="clause_id")
    if clause.categories and category not in clause.categories:
        raise Invalid(f"clause {clause.id} does not apply to {category} complaints",
                      pointer="clause_id")
    if remedy.kind not in MONETARY:
        return RemedyDraft(kind=remedy.kind, clause_id=clause.id, finding_id=remedy.finding_id,
                           note=remedy.note)
    if remedy.amount is None or not remedy.asset:
        raise Invalid(f"a {remedy.kind.value} needs an asset and an amount", pointer="amount")
    asset = remedy.asset.upper()
    if remedy.amount <= 0:
        raise Invalid("a remedy amount must be positive", pointer="amount")
    if remedy.amount > MAX_AMOUNT:
        raise Invalid("the remedy amount is implausibly large", pointer="amount")
    if asset not in policy.payable_assets:
        raise Invalid(f"the exchange does not pay remedies in {asset}; payable: "
                      f"{', '.join(policy.payable_assets)}", pointer="asset")
    if _quantize(remedy.amount, asset) != remedy.amount:
        raise Invalid(f"{asset} has {precision(asset)} decimal places; {remedy.amount} has more",
                      pointer="amount")
    finding = findings.get(remedy.finding_id) if remedy.finding_id is not None else None
    rate: Decimal | None = None
    if finding is not None and finding.loss_asset:
        if finding.loss_asset.upper() != asset:
            raise Invalid(f"the loss was in {finding.loss_asset.upper()}; a remedy for it is paid "
                          f"in the same asset, not {asset}", pointer="asset")
        rate = _usd_rate(finding)
    elif remedy.kind is not RemedyKind.GOODWILL:
        raise Invalid(f"a {remedy.kind.value} must answer a finding with a measured loss",
                      pointer="finding_id")
    usd = remedy.usd if rate is None else (remedy.amount * rate).quantize(Decimal("0.01"))
    if usd is None:
        raise Invalid(f"give the USD value of this {remedy.kind.value}", pointer="usd")
    cap = policy.caps_usd.get(category)
    if cap is not None and usd > cap:
        raise Invalid(f"{usd} USD is over the {category} cap of {cap} USD", pointer="amount")
    return RemedyDraft(kind=remedy.kind, clause_id=clause.id, asset=asset, amount=remedy.amount,
                       usd=usd, finding_id=remedy.finding_id, note=remedy.note)


def check(policy: Policy, role: str, remedies: Iterable[RemedyDraft], *,
          outside_precedents: str | None = None) -> Check:
    """Total USD and why approval by someone else is needed (empty: the proposer may issue)."""
    items = list(remedies)
    total = sum((r.usd or Decimal(0) for r in items if r.kind in MONETARY), Decimal(0))
    goodwill = sum((r.usd or Decimal(0) for r in items if r.kind is RemedyKind.GOODWILL),
                   Decimal(0))
    reasons: list[str] = []
    limit = policy.limit_for(role)
    if total > limit:
        reasons.append(f"{total} USD is above the {role} limit of {limit} USD")
    if goodwill > policy.goodwill_limit_usd:
        reasons.append(f"goodwill of {goodwill} USD is above the limit of "
                       f"{policy.goodwill_limit_usd} USD")
    if outside_precedents:
        reasons.append(outside_precedents)
    return Check(total_usd=total, approval_reasons=tuple(reasons))


def can_approve(policy: Policy, role: str, total_usd: Decimal) -> bool:
    """True when ``role``'s limit covers ``total_usd``."""
    return policy.limit_for(role) >= total_usd
