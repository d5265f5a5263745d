"""resolution: versioned remedy policy, proposals with points and remedies, approvals,
precedents, objections

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 16:29:24.669134
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ombud.db import Amount

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the policy, proposal, remedy, approval, precedent and objection tables."""
    op.create_table('policy_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_versions')),
    sa.UniqueConstraint('version', name=op.f('uq_policy_versions_version'))
    )
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_versions_effective_from'), ['effective_from'], unique=False)

    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('policy_version', sa.Integer(), nullable=False),
    sa.Column('proposer_id', sa.Integer(), nullable=False),
    sa.Column('total_usd', Amount(), nullable=False),
    sa.Column('needs_approval', sa.Boolean(), nullable=False),
    sa.Column('approval_reasons', sa.Text(), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('precedents', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('letter_subject', sa.Text(), nullable=True),
    sa.Column('letter_body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('respond_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("outcome IN ('upheld', 'partly_upheld', 'rejected')", name=op.f('ck_proposals_outcome')),
    sa.CheckConstraint("status IN ('draft', 'awaiting_approval', 'approved', 'issued', 'accepted', 'objected', 'lapsed', 'superseded')", name=op.f('ck_proposals_status')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_proposals_case_id_cases')),
    sa.ForeignKeyConstraint(['proposer_id'], ['staff.id'], name=op.f('fk_proposals_proposer_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals')),
    sa.UniqueConstraint('case_id', 'revision', name='uq_proposals_case_revision')
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_proposals_status_due', ['status', 'respond_by'], unique=False)

    op.create_table('objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('review_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('confirmed', 'changed')", name=op.f('ck_objections_outcome')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_objections_case_id_cases')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_objections_message_id_messages')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_objections_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['staff.id'], name=op.f('fk_objections_reviewer_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_objections_proposal_id'))
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objections_case_id'), ['case_id'], unique=False)

    op.create_table('precedents',
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('subcategory', sa.String(length=48), nullable=False),
    sa.Column('fault', sa.String(length=16), nullable=False),
    sa.Column('jurisdiction', sa.String(length=8), nullable=False),
    sa.Column('asset', sa.String(length=16), nullable=True),
    sa.Column('loss_usd', Amount(), nullable=False),
    sa.Column('loss_band', sa.Integer(), nullable=False),
    sa.Column('remedy_usd', Amount(), nullable=False),
    sa.Column('remedy_kinds', sa.String(length=120), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_precedents_case_id_cases')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_precedents_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_precedents'))
    )
    with op.batch_alter_table('precedents', schema=None) as batch_op:
        batch_op.create_index('ix_precedents_facts', ['category', 'subcategory', 'loss_band'], unique=False)

    op.create_table('proposal_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IN ('approved', 'refused')", name=op.f('ck_proposal_approvals_decision')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_approvals_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_proposal_approvals_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_approvals'))
    )
    with op.batch_alter_table('proposal_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_approvals_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('point', sa.Text(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=True),
    sa.Column('upheld', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['evidence_findings.id'], name=op.f('fk_proposal_points_finding_id_evidence_findings')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_points_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_points')),
    sa.UniqueConstraint('proposal_id', 'position', name='uq_proposal_points')
    )
    op.create_table('remedies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('clause_id', sa.String(length=32), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=True),
    sa.Column('asset', sa.String(length=16), nullable=True),
    sa.Column('amount', Amount(), nullable=True),
    sa.Column('usd', Amount(), nullable=True),
    sa.Column('account', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=True),
    sa.Column('receipt_evidence_id', sa.Integer(), nullable=True),
    sa.Column('bill_id', sa.String(length=64), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('executed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('fee_refund', 'compensation', 'goodwill', 'unfreeze', 'guidance', 'explanation')", name=op.f('ck_remedies_kind')),
    sa.CheckConstraint("status IN ('proposed', 'accepted', 'executing', 'executed', 'cancelled', 'superseded')", name=op.f('ck_remedies_status')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_remedies_case_id_cases')),
    sa.ForeignKeyConstraint(['finding_id'], ['evidence_findings.id'], name=op.f('fk_remedies_finding_id_evidence_findings')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_remedies_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['receipt_evidence_id'], ['evidence_items.id'], name=op.f('fk_remedies_receipt_evidence_id_evidence_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remedies')),
    sa.UniqueConstraint('client_id', name=op.f('uq_remedies_client_id'))
    )
    with op.batch_alter_table('remedies', schema=None) as batch_op:
        batch_op.create_index('ix_remedies_case', ['case_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_remedies_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index('ix_remedies_status', ['status'], unique=False)



def downgrade() -> None:
    """Drop the resolution and objection tables."""
    for table in ("remedies", "proposal_points", "proposal_approvals", "precedents",
                  "objections", "proposals", "policy_versions"):
        op.drop_table(table)
