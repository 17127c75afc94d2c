"""self-assessment and appraisal online: unit and council accounts, rounds, evidence

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit', sa.String(length=80), nullable=True))

    with op.batch_alter_table('appraisal_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_appraised', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('first_comment', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('explanation', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('explained_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('final', sa.Boolean(), server_default='0', nullable=False))

    op.create_table('appraisal_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=80), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('reopened_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['survey_plans.id'], name=op.f('fk_appraisal_units_plan_id_survey_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_units')),
    sa.UniqueConstraint('plan_id', 'unit', name=op.f('uq_appraisal_units_plan_id_unit'))
    )
    op.create_table('appraisal_fields',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=80), nullable=False),
    sa.Column('appraiser', sa.String(length=80), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('explanation_due', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['survey_plans.id'], name=op.f('fk_appraisal_fields_plan_id_survey_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_fields')),
    sa.UniqueConstraint('plan_id', 'unit', 'appraiser', name=op.f('uq_appraisal_fields_plan_id_unit_appraiser'))
    )
    op.create_table('appraisal_locks',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finalised_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['finalised_by'], ['users.id'], name=op.f('fk_appraisal_locks_finalised_by_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['survey_plans.id'], name=op.f('fk_appraisal_locks_plan_id_survey_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plan_id', name=op.f('pk_appraisal_locks'))
    )
    op.create_table('evidence_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=80), nullable=False),
    sa.Column('criterion', sa.String(length=40), nullable=False),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['survey_plans.id'], name=op.f('fk_evidence_files_plan_id_survey_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_evidence_files_uploaded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_files'))
    )
    op.create_index('ix_evidence_files_plan_unit', 'evidence_files', ['plan_id', 'unit'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_evidence_files_plan_unit', table_name='evidence_files')
    op.drop_table('evidence_files')
    op.drop_table('appraisal_locks')
    op.drop_table('appraisal_fields')
    op.drop_table('appraisal_units')
    with op.batch_alter_table('appraisal_scores', schema=None) as batch_op:
        batch_op.drop_column('final')
        batch_op.drop_column('explained_at')
        batch_op.drop_column('explanation')
        batch_op.drop_column('first_comment')
        batch_op.drop_column('first_appraised')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('unit')
