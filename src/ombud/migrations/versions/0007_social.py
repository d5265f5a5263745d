"""social: customer identities across channels, merged customers, social channel updates

Revision ID: 0007
Revises: 0006

``customers.merged_into_id`` gets its foreign key on PostgreSQL only: SQLite cannot add a
constraint to an existing table without rebuilding it (and the cases that point at it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the identity and social tables; mark merged customers."""
    op.add_column("customers", sa.Column("merged_into_id", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(op.f("fk_customers_merged_into_id_customers"), "customers",
                              "customers", ["merged_into_id"], ["id"])
    op.create_table(
        "customer_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_customer_identities_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_identities")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_customer_identities_kind")),
    )
    op.create_index("ix_customer_identities_customer", "customer_identities", ["customer_id", "id"], unique=False)
    op.create_table(
        "social_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("update_key", sa.String(length=128), nullable=False),
        sa.Column("sender_id", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("post_id", sa.String(length=64), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_social_updates_customer_id_customers")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_social_updates_case_id_cases")),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_social_updates_message_id_messages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_updates")),
        sa.UniqueConstraint("platform", "update_key", name=op.f("uq_social_updates_platform")),
    )
    op.create_index("ix_social_updates_case", "social_updates", ["case_id", "id"], unique=False)


def downgrade() -> None:
    """Drop the social tables and the merge mark."""
    op.drop_index("ix_social_updates_case", table_name="social_updates")
    op.drop_table("social_updates")
    op.drop_index("ix_customer_identities_customer", table_name="customer_identities")
    op.drop_table("customer_identities")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("fk_customers_merged_into_id_customers"), "customers",
                           type_="foreignkey")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("merged_into_id")
