"""triage: decisions, clocks, alerts, staff profiles, team jurisdictions, corrections, incidents

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the triage tables."""
    op.create_table(
        "triage_decisions",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("subcategory", sa.String(48), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("needs_human", sa.Boolean(), nullable=False),
        sa.Column("corrected", sa.Boolean(), nullable=False),
        sa.Column("classification", sa.JSON(), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("impact", sa.String(8), nullable=False),
        sa.Column("immediate_action", sa.Boolean(), nullable=False),
        sa.Column("priority_reasons", sa.JSON(), nullable=False),
        sa.Column("routing_reasons", sa.JSON(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("not_asked", sa.JSON(), nullable=False),
        sa.Column("clock_notes", sa.JSON(), nullable=False),
        sa.Column("awaiting_info", sa.Boolean(), nullable=False),
        sa.Column("question_rounds", sa.Integer(), nullable=False),
        sa.Column("incident_key", sa.String(80), nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("triaged_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_triage_decisions"),
    )
    op.create_index("ix_triage_decisions_awaiting", "triage_decisions",
                    ["awaiting_info", "case_id"])
    op.create_index("ix_triage_decisions_incident_key", "triage_decisions",
                    ["incident_key", "received_at"])
    op.create_table(
        "triage_clocks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("slot", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(32), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("purpose", sa.String(24), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("pausable", sa.Boolean(), nullable=False),
        sa.Column("strictest", sa.Boolean(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("warn_at", TZ, nullable=False),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("warned_at", TZ),
        sa.Column("settled_at", TZ),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_triage_clocks"),
        sa.UniqueConstraint("case_id", "slot", name="uq_triage_clocks_case_id"),
    )
    op.create_index("ix_triage_clocks_case", "triage_clocks", ["case_id", "id"])
    op.create_index("ix_triage_clocks_state_warn", "triage_clocks", ["state", "warn_at"])
    op.create_index("ix_triage_clocks_state_due", "triage_clocks", ["state", "due_at"])
    op.create_table(
        "triage_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("clock_id", sa.Integer(), sa.ForeignKey("triage_clocks.id"), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id")),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id")),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_triage_alerts"),
        sa.UniqueConstraint("key", name="uq_triage_alerts_key"),
    )
    op.create_index("ix_triage_alerts_case", "triage_alerts", ["case_id", "id"])
    op.create_index("ix_triage_alerts_staff", "triage_alerts", ["staff_id", "id"])
    op.create_table(
        "triage_staff_profiles",
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("hours_start", sa.String(5), nullable=False),
        sa.Column("hours_end", sa.String(5), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("business_unit", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", name="pk_triage_staff_profiles"),
    )
    op.create_table(
        "triage_team_skills",
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("jurisdictions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", name="pk_triage_team_skills"),
    )
    op.create_table(
        "triage_corrections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("predicted", sa.String(90), nullable=False),
        sa.Column("label", sa.String(90), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id")),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_triage_corrections"),
    )
    op.create_table(
        "triage_incidents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(40), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("closed_at", TZ),
        sa.PrimaryKeyConstraint("id", name="pk_triage_incidents"),
        sa.UniqueConstraint("case_id", name="uq_triage_incidents_case_id"),
    )
    op.create_index("ix_triage_incidents_key", "triage_incidents", ["key", "closed_at"])


def downgrade() -> None:
    """Drop the triage tables."""
    for table in ("triage_incidents", "triage_corrections", "triage_team_skills",
                  "triage_staff_profiles", "triage_alerts", "triage_clocks", "triage_decisions"):
        op.drop_table(table)
