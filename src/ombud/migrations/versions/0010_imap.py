"""imap: how far each polled IMAP mailbox has been read

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the IMAP cursor table."""
    op.create_table(
        "intake_imap_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=255), nullable=False),
        sa.Column("uid_validity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_imap_cursors")),
        sa.UniqueConstraint("account", name=op.f("uq_intake_imap_cursors_account")),
    )


def downgrade() -> None:
    """Drop the IMAP cursor table."""
    op.drop_table("intake_imap_cursors")
