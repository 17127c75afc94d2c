"""responses: questionnaire versions, drafts, anonymous responses

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 23:37:26.796765
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('questionnaire_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_versions')),
    sa.UniqueConstraint('code', 'content_hash', name=op.f('uq_questionnaire_versions_code_content_hash'))
    )
    op.create_table('responses',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('group_code', sa.String(length=20), nullable=False),
    sa.Column('form_code', sa.String(length=40), nullable=False),
    sa.Column('form_version', sa.String(length=40), nullable=False),
    sa.Column('form_hash', sa.String(length=64), nullable=False),
    sa.Column('own_unit', sa.String(length=80), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['survey_plans.id'], name=op.f('fk_responses_plan_id_survey_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses'))
    )
    op.create_table('response_answers',
    sa.Column('response_id', sa.String(length=32), nullable=False),
    sa.Column('rated_unit', sa.String(length=80), nullable=False),
    sa.Column('question', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_answers_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'rated_unit', 'question', name=op.f('pk_response_answers'))
    )
    op.create_table('drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('form_hash', sa.String(length=64), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('furthest', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['slot_id'], ['slots.id'], name=op.f('fk_drafts_slot_id_slots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drafts')),
    sa.UniqueConstraint('slot_id', name=op.f('uq_drafts_slot_id'))
    )


def downgrade() -> None:
    op.drop_table('drafts')
    op.drop_table('response_answers')
    op.drop_table('responses')
    op.drop_table('questionnaire_versions')
