"""appraisal scores

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 00:04:35.100922
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('appraisal_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=80), nullable=False),
    sa.Column('criterion', sa.String(length=40), nullable=False),
    sa.Column('max_points', sa.Double(), nullable=False),
    sa.Column('self_score', sa.Double(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('appraised', sa.Double(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['survey_plans.id'], name=op.f('fk_appraisal_scores_plan_id_survey_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_appraisal_scores_updated_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisal_scores')),
    sa.UniqueConstraint('plan_id', 'unit', 'criterion', name=op.f('uq_appraisal_scores_plan_id_unit_criterion'))
    )


def downgrade() -> None:
    op.drop_table('appraisal_scores')
