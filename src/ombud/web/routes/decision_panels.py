"""What the decision panels show: the console's (staff) and the portal's (customer), and the
decision form's rows as typed, as saved, or as the policy suggests them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ombud.cases.lifecycle import Status
from ombud.cases.schemas import CaseDetail
from ombud.common.clock import as_utc, utcnow
from ombud.disputes import queries as dispute_queries
from ombud.disputes.schemas import ObjectionOut
from ombud.evidence import queries as evidence_queries
from ombud.evidence.schemas import FindingOut
from ombud.resolution import policies
from ombud.resolution import queries as resolution_queries
from ombud.resolution import service as resolution
from ombud.resolution.policy import Clause, RemedyKind
from ombud.resolution.schemas import ProposalIn, ProposalOut, SuggestionOut
from ombud.security.permissions import Principal, has
from ombud.security.roles import Permission

#: Blank rows offered below the filled ones, for another point or remedy.
SPARE_ROWS = 1
POINT_FIELDS = ("point", "finding", "upheld", "reason")
REMEDY_FIELDS = ("kind", "clause", "asset", "amount", "usd", "finding", "note")
#: Case states whose decision the customer may still reopen (within the window).
REOPENABLE = frozenset({Status.RESOLVED.value, Status.CLOSED.value})


@dataclass
class DecisionForm:
    """The decision form's values: flat ``point.<i>.<field>`` / ``remedy.<i>.<field>`` keys
    (as the browser sends them, so that nothing typed is lost on an error)."""

    values: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str:
        """One value, blank when absent."""
        return self.values.get(key, "")

    def rows(self, kind: str) -> range:
        """Indices of the filled ``point`` or ``remedy`` rows plus the spare ones."""
        filled = {int(k.split(".")[1]) for k, v in self.values.items()
                  if k.startswith(f"{kind}.") and not k.endswith(".upheld") and v.strip()}
        return range((max(filled) + 1 if filled else 0) + SPARE_ROWS)


def form_values(fields: Mapping[str, str], points: Mapping[str, list[str]],
                remedies: Mapping[str, list[str]]) -> dict[str, str]:
    """Flatten the form's columns (one list per field, one entry per row) into keys."""
    values = {k: v for k, v in fields.items()}
    for prefix, columns in (("point", points), ("remedy", remedies)):
        for name, column in columns.items():
            for i, value in enumerate(column):
                values[f"{prefix}.{i}.{name}"] = value
    return values


def _blank(row: Mapping[str, str]) -> bool:
    return not any(v.strip() for k, v in row.items() if k != "upheld")


def _row(values: Mapping[str, str], prefix: str, i: int, names: tuple[str, ...]
         ) -> dict[str, str]:
    return {n: values.get(f"{prefix}.{i}.{n}", "").strip() for n in names}


def to_proposal(values: Mapping[str, str]) -> ProposalIn:
    """The typed form as a ProposalIn (raises ValidationError); blank rows are skipped."""
    form = DecisionForm(dict(values))
    points: list[dict[str, Any]] = []
    for i in form.rows("point"):
        row = _row(values, "point", i, POINT_FIELDS)
        if not _blank(row):
            points.append({"point": row["point"], "finding_id": row["finding"] or None,
                           "upheld": row["upheld"] == "yes", "reason": row["reason"]})
    remedies: list[dict[str, Any]] = []
    for i in form.rows("remedy"):
        row = _row(values, "remedy", i, REMEDY_FIELDS)
        if not _blank(row):
            remedies.append({"kind": row["kind"], "clause_id": row["clause"],
                             "asset": row["asset"].upper() or None,
                             "amount": row["amount"] or None, "usd": row["usd"] or None,
                             "finding_id": row["finding"] or None, "note": row["note"]})
    return ProposalIn.model_validate({
        "outcome": values.get("outcome", ""), "summary": values.get("summary", ""),
        "justification": values.get("justification", ""), "points": points,
        "remedies": remedies})


def _number(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _remedy_values(i: int, kind: str, clause: str, asset: str | None, amount: Decimal | None,
                   usd: Decimal | None, finding: int | None, note: str) -> dict[str, str]:
    return {f"remedy.{i}.kind": kind, f"remedy.{i}.clause": clause,
            f"remedy.{i}.asset": asset or "", f"remedy.{i}.amount": _number(amount),
            f"remedy.{i}.usd": _number(usd) if asset is None else "",
            f"remedy.{i}.finding": str(finding or ""), f"remedy.{i}.note": note}


def form_of_proposal(p: ProposalOut) -> DecisionForm:
    """The form as a saved proposal fills it."""
    values = {"outcome": p.outcome, "summary": p.summary, "justification": p.justification}
    for i, point in enumerate(p.points):
        values.update({f"point.{i}.point": point.point,
                       f"point.{i}.finding": str(point.finding_id or ""),
                       f"point.{i}.upheld": "yes" if point.upheld else "no",
                       f"point.{i}.reason": point.reason})
    for i, r in enumerate(p.remedies):
        values.update(_remedy_values(i, r.kind.value, r.clause_id, r.asset, r.amount, r.usd,
                                     r.finding_id, r.note))
    return DecisionForm(values)


def form_of_suggestion(s: SuggestionOut | None, summary: str,
                       findings: list[FindingOut]) -> DecisionForm:
    """A first draft: the complaint's summary as its one point, answered by the finding with
    the largest measured loss, and the remedies the policy suggests."""
    main = max(findings, key=lambda f: f.loss_usd or Decimal(0), default=None)
    upheld = main is not None and main.fault.value in ("platform", "undetermined")
    values = {"outcome": "upheld" if upheld else "rejected", "summary": "",
              "justification": "", "point.0.point": summary,
              "point.0.finding": str(main.id) if main else "",
              "point.0.upheld": "yes" if upheld else "no",
              "point.0.reason": main.summary if main else ""}
    for i, r in enumerate(s.remedies if s else []):  # the clause's title is the letter's note
        values.update(_remedy_values(i, r.kind.value, r.clause_id, r.asset, r.amount, r.usd,
                                     r.finding_id, ""))
    return DecisionForm(values)


@dataclass(frozen=True)
class ConsolePanel:
    """Everything the console's decision panel shows."""

    reference: str
    case_status: str
    policy_version: int
    clauses: tuple[Clause, ...]
    kinds: tuple[str, ...]
    findings: list[FindingOut]
    suggestion: SuggestionOut | None
    current: ProposalOut | None
    earlier: list[ProposalOut]
    objection: ObjectionOut | None
    form: DecisionForm
    draftable: bool


def console_panel(session: Session, who: Principal, case: CaseDetail,
                  values: Mapping[str, str]) -> ConsolePanel:
    """The console panel of ``case`` for ``who`` (staff who read internal material).

    The form shows, in this order: what was just typed (after a refused save), the open
    draft, or the policy's suggestion.
    """
    ref = case.reference
    findings = evidence_queries.evidence_page(session, who, ref).findings
    version, policy = policies.in_effect(session, case.received_at)
    draftable = case.status.value in resolution.DRAFTABLE
    suggestion = (resolution.suggest(session, who, ref)
                  if draftable and has(who, Permission.PROPOSE) else None)
    proposals = resolution_queries.decisions(session, who, ref)
    live = [p for p in proposals if p.status != "superseded"]
    current = live[0] if live else None
    objections = dispute_queries.objections(session, who, ref)
    if "outcome" in values:
        form = DecisionForm(dict(values))
    elif current is not None and current.status in (*resolution.OPEN, "objected"):
        form = form_of_proposal(current)
    else:
        form = form_of_suggestion(suggestion, case.summary, findings)
    return ConsolePanel(
        reference=ref, case_status=case.status.value, policy_version=version,
        clauses=policy.clauses, kinds=tuple(k.value for k in RemedyKind), findings=findings,
        suggestion=suggestion, current=current,
        earlier=[p for p in proposals if p is not current],
        objection=objections[0] if objections else None, form=form, draftable=draftable)


@dataclass(frozen=True)
class PortalPanel:
    """What the customer sees of the decision, and the forms to answer it."""

    decision: ProposalOut | None
    can_answer: bool
    reopen_until: dt.datetime | None
    errors: dict[str, str]
    values: dict[str, str]


def _resolved_at(p: ProposalOut) -> dt.datetime | None:
    times = [t for t in (p.answered_at, *(r.executed_at for r in p.remedies)) if t]
    return max(as_utc(t) for t in times) if times else None


def portal_panel(session: Session, who: Principal, case: CaseDetail, reopen_window: dt.timedelta,
                 errors: Mapping[str, str] | None = None,
                 values: Mapping[str, str] | None = None) -> PortalPanel:
    """The customer's view of the case's latest issued decision."""
    issued = resolution_queries.decisions(session, who, case.reference)
    decision = issued[0] if issued else None
    now = utcnow()
    can_answer = (decision is not None and decision.status == "issued"
                  and case.status.value == Status.PROPOSED.value
                  and (decision.respond_by is None or now <= as_utc(decision.respond_by)))
    reopen_until = None
    if case.status.value in REOPENABLE:
        since = (_resolved_at(decision) if decision else None) or as_utc(case.updated_at)
        reopen_until = since + reopen_window if now <= since + reopen_window else None
    return PortalPanel(decision=decision, can_answer=can_answer, reopen_until=reopen_until,
                       errors=dict(errors or {}), values=dict(values or {}))
