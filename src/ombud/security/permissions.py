"""The one access gate: who may see which case and do what with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ombud.common.errors import Forbidden, NotFound
from ombud.security.roles import CUSTOMER_PERMISSIONS, ROLE_PERMISSIONS, Permission, Role


@dataclass(frozen=True)
class Principal:
    """Who is acting: a member of staff, a customer, or the system itself."""

    kind: str  # "staff" | "customer" | "system"
    id: int
    name: str = ""
    role: Role | None = None
    team_id: int | None = None

    @property
    def actor(self) -> str:
        """How the audit trail names this principal."""
        return "system" if self.kind == "system" else f"{self.kind}:{self.id}"

    @property
    def is_staff(self) -> bool:
        """True for staff (and the system)."""
        return self.kind in ("staff", "system")


SYSTEM = Principal(kind="system", id=0, name="Ombud", role=Role.ADMIN)


class CaseScope(Protocol):
    """What the gate needs to know about a case."""

    customer_id: int
    team_id: int | None
    assignee_id: int | None


@dataclass(frozen=True)
class ListScope:
    """The part of the case list a principal may see: one customer, some teams, or all."""

    customer_id: int | None = None
    team_id: int | None = None
    staff_id: int | None = None
    everything: bool = False


def permissions(principal: Principal) -> frozenset[Permission]:
    """What ``principal`` may do in general."""
    if principal.kind == "customer":
        return CUSTOMER_PERMISSIONS
    if principal.role is None:
        return frozenset()
    return ROLE_PERMISSIONS[principal.role]


def has(principal: Principal, permission: Permission) -> bool:
    """True when ``principal`` holds ``permission``."""
    return permission in permissions(principal)


def require(principal: Principal, permission: Permission) -> None:
    """Raise Forbidden unless ``principal`` holds ``permission``."""
    if not has(principal, permission):
        raise Forbidden(f"your role may not {permission.value.replace('_', ' ')}")


def can_see(principal: Principal, case: CaseScope) -> bool:
    """True when ``principal`` may know that ``case`` exists."""
    if principal.kind == "customer":
        return case.customer_id == principal.id
    if has(principal, Permission.VIEW_ALL_TEAMS):
        return True
    if not has(principal, Permission.VIEW_CASE):
        return False
    return (
        case.assignee_id == principal.id
        or case.team_id is None
        or case.team_id == principal.team_id
    )


def gate(principal: Principal, case: CaseScope | None, permission: Permission, ref: str) -> None:
    """The check every case route passes: 404 when the case is unknown or not visible to
    ``principal`` (so a guessed reference reveals nothing), 403 when visible but not allowed."""
    if case is None or not can_see(principal, case):
        raise NotFound(f"case {ref} not found")
    require(principal, permission)


def list_scope(principal: Principal) -> ListScope:
    """The filter every case list applies for ``principal``."""
    if principal.kind == "customer":
        return ListScope(customer_id=principal.id)
    if has(principal, Permission.VIEW_ALL_TEAMS):
        return ListScope(everything=True)
    return ListScope(team_id=principal.team_id, staff_id=principal.id)


def can_see_internal(principal: Principal) -> bool:
    """True when ``principal`` may read internal notes (never a customer)."""
    return principal.kind != "customer" and has(principal, Permission.VIEW_INTERNAL)
