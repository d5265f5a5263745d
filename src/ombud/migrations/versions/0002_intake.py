"""intake: inbound mails, quarantine, mail threads

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("transport", sa.String(length=8), nullable=False),
        sa.Column("envelope_from", sa.String(length=320), nullable=True),
        sa.Column("envelope_to", sa.Text(), nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("case_message_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_intake_mails_case_id_cases")),
        sa.ForeignKeyConstraint(["case_message_id"], ["messages.id"], name=op.f("fk_intake_mails_case_message_id_messages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_mails")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_intake_mails_dedupe_key")),
    )
    op.create_index("ix_intake_mails_outcome", "intake_mails", ["outcome", "id"], unique=False)
    op.create_table(
        "intake_quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["mail_id"], ["intake_mails.id"], name=op.f("fk_intake_quarantine_mail_id_intake_mails")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_quarantine")),
        sa.UniqueConstraint("mail_id", name=op.f("uq_intake_quarantine_mail_id")),
    )
    op.create_index("ix_intake_quarantine_status", "intake_quarantine", ["status", "id"], unique=False)
    op.create_table(
        "intake_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_intake_threads_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_threads")),
        sa.UniqueConstraint("message_id", name=op.f("uq_intake_threads_message_id")),
    )
    op.create_index("ix_intake_threads_case", "intake_threads", ["case_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_intake_threads_case", table_name="intake_threads")
    op.drop_table("intake_threads")
    op.drop_index("ix_intake_quarantine_status", table_name="intake_quarantine")
    op.drop_table("intake_quarantine")
    op.drop_index("ix_intake_mails_outcome", table_name="intake_mails")
    op.drop_table("intake_mails")
