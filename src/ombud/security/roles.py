"""Roles and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Staff roles, from front line to administration."""

    AGENT = "agent"
    SPECIALIST = "specialist"
    APPROVER = "approver"
    SUPERVISOR = "supervisor"
    COMPLIANCE = "compliance"
    ADMIN = "admin"


class Permission(StrEnum):
    """Actions the access gate decides on."""

    VIEW_CASE = "view_case"
    REPLY = "reply"
    INTERNAL_NOTE = "internal_note"
    VIEW_INTERNAL = "view_internal"
    TRANSITION = "transition"
    ASSIGN = "assign"
    UPLOAD = "upload"
    VIEW_ALL_TEAMS = "view_all_teams"
    MANAGE_STAFF = "manage_staff"
    VIEW_JOBS = "view_jobs"
    VERIFY_AUDIT = "verify_audit"
    PROPOSE = "propose"
    APPROVE = "approve"
    CANCEL_REMEDY = "cancel_remedy"
    EDIT_POLICY = "edit_policy"


_HANDLER = {
    Permission.VIEW_CASE, Permission.REPLY, Permission.INTERNAL_NOTE, Permission.VIEW_INTERNAL,
    Permission.TRANSITION, Permission.UPLOAD, Permission.PROPOSE,
}
_APPROVER = {Permission.VIEW_ALL_TEAMS, Permission.APPROVE, Permission.CANCEL_REMEDY}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.AGENT: frozenset(_HANDLER),
    Role.SPECIALIST: frozenset(_HANDLER),
    Role.APPROVER: frozenset(_HANDLER | _APPROVER),
    Role.SUPERVISOR: frozenset(_HANDLER | _APPROVER | {Permission.ASSIGN}),
    Role.COMPLIANCE: frozenset({
        Permission.VIEW_CASE, Permission.VIEW_INTERNAL, Permission.INTERNAL_NOTE,
        Permission.VIEW_ALL_TEAMS, Permission.VERIFY_AUDIT, Permission.EDIT_POLICY,
    }),
    Role.ADMIN: frozenset(set(Permission)),
}

CUSTOMER_PERMISSIONS = frozenset({Permission.VIEW_CASE, Permission.REPLY, Permission.UPLOAD})
