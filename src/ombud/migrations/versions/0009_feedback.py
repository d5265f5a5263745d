"""feedback: one satisfaction survey per case, with its answer

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the survey table."""
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("routes", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("csat IS NULL OR (csat >= 1 AND csat <= 5)",
                           name=op.f("ck_surveys_csat")),
        sa.CheckConstraint("nps IS NULL OR (nps >= 0 AND nps <= 10)",
                           name=op.f("ck_surveys_nps")),
        sa.CheckConstraint("answered_at IS NULL OR (csat IS NOT NULL AND nps IS NOT NULL)",
                           name=op.f("ck_surveys_answer")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_surveys_case_id_cases")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_surveys_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("case_id", name=op.f("uq_surveys_case_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_surveys_token_hash")),
    )
    op.create_index("ix_surveys_sent_at", "surveys", ["sent_at"], unique=False)


def downgrade() -> None:
    """Drop the survey table."""
    op.drop_index("ix_surveys_sent_at", table_name="surveys")
    op.drop_table("surveys")
