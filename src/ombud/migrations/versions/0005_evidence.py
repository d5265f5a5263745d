"""evidence: captured evidence (immutable), findings and the evidence they cite

Revision ID: 0005
Revises: 0004

Evidence rows may be inserted and (by retention) deleted, never updated: a trigger refuses
UPDATE on both SQLite and PostgreSQL. ``cases.cited_findings`` counts the case's findings that
cite evidence, for the lifecycle guard on proposals.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(precision=38, scale=18).with_variant(sa.String(length=64), "sqlite")
FAULTS = "'platform', 'customer', 'third_party', 'market', 'undetermined'"


def upgrade() -> None:
    op.create_table(
        "evidence_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("run", sa.String(length=64), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_evidence_items_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_items")),
        sa.UniqueConstraint("case_id", "run", "kind", name="uq_evidence_items_run_kind"),
    )
    op.create_index("ix_evidence_items_case", "evidence_items", ["case_id", "id"], unique=False)
    op.create_table(
        "evidence_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("fault", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=48), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("loss_asset", sa.String(length=16), nullable=True),
        sa.Column("loss_amount", AMOUNT, nullable=True),
        sa.Column("loss_usd", AMOUNT, nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("analysis", sa.String(length=32), nullable=True),
        sa.Column("key", sa.String(length=120), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"fault IN ({FAULTS})", name=op.f("ck_evidence_findings_fault")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_evidence_findings_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_findings")),
        sa.UniqueConstraint("case_id", "key", name="uq_evidence_findings_key"),
    )
    op.create_index("ix_evidence_findings_case", "evidence_findings", ["case_id", "id"], unique=False)
    op.create_table(
        "evidence_citations",
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["finding_id"], ["evidence_findings.id"], name=op.f("fk_evidence_citations_finding_id_evidence_findings")),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence_items.id"], name=op.f("fk_evidence_citations_evidence_id_evidence_items")),
        sa.PrimaryKeyConstraint("finding_id", "evidence_id", name=op.f("pk_evidence_citations")),
    )
    op.add_column("cases", sa.Column("cited_findings", sa.Integer(), nullable=False, server_default="0"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION evidence_items_immutable() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'evidence is immutable'; END $$ LANGUAGE plpgsql""")
        op.execute("""
            CREATE TRIGGER evidence_items_no_update BEFORE UPDATE ON evidence_items
            FOR EACH ROW EXECUTE FUNCTION evidence_items_immutable()""")
    else:
        op.execute("""
            CREATE TRIGGER evidence_items_no_update BEFORE UPDATE ON evidence_items
            BEGIN SELECT RAISE(ABORT, 'evidence is immutable'); END""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS evidence_items_no_update" + (
        " ON evidence_items" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS evidence_items_immutable()")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("cited_findings")
    op.drop_table("evidence_citations")
    op.drop_index("ix_evidence_findings_case", table_name="evidence_findings")
    op.drop_table("evidence_findings")
    op.drop_index("ix_evidence_items_case", table_name="evidence_items")
    op.drop_table("evidence_items")
