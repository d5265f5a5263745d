"""team calendar: the business hours and holidays a team's service levels count on

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the team's calendar (JSON; NULL: the support-desk calendar)."""
    with op.batch_alter_table("triage_team_skills") as batch:
        batch.add_column(sa.Column("calendar", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop the team's calendar."""
    with op.batch_alter_table("triage_team_skills") as batch:
        batch.drop_column("calendar")
