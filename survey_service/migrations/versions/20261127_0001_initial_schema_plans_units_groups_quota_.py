"""initial schema: plans, units, groups, quota places, slots, users

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 23:07:19.702837
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('survey_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('province', sa.String(length=100), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_plans')),
    sa.UniqueConstraint('code', name=op.f('uq_survey_plans_code'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('api_key_hash', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('api_key_hash', name=op.f('uq_users_api_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name'))
    )
    op.create_table('respondent_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=40), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('form_code', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['survey_plans.id'], name=op.f('fk_respondent_groups_plan_id_survey_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_respondent_groups')),
    sa.UniqueConstraint('plan_id', 'code', name=op.f('uq_respondent_groups_plan_id_code'))
    )
    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['units.id'], name=op.f('fk_units_parent_id_units')),
    sa.ForeignKeyConstraint(['plan_id'], ['survey_plans.id'], name=op.f('fk_units_plan_id_survey_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('plan_id', 'code', name=op.f('uq_units_plan_id_code'))
    )
    op.create_table('quota_places',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['respondent_groups.id'], name=op.f('fk_quota_places_group_id_respondent_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_quota_places_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota_places')),
    sa.UniqueConstraint('group_id', 'unit_id', 'ordinal', name=op.f('uq_quota_places_group_id_unit_id_ordinal'))
    )
    op.create_table('slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='issued', nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['quota_places.id'], name=op.f('fk_slots_place_id_quota_places'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['survey_plans.id'], name=op.f('fk_slots_plan_id_survey_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaces_id'], ['slots.id'], name=op.f('fk_slots_replaces_id_slots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slots')),
    sa.UniqueConstraint('plan_id', 'code', name=op.f('uq_slots_plan_id_code')),
    sa.UniqueConstraint('token', name=op.f('uq_slots_token'))
    )
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.create_index('uq_slots_live_place', ['place_id'], unique=True, sqlite_where=sa.text("status <> 'voided'"), postgresql_where=sa.text("status <> 'voided'"))
    with op.batch_alter_table('quota_places', schema=None) as batch_op:
        batch_op.create_index('uq_quota_places_unitless', ['group_id', 'ordinal'], unique=True, sqlite_where=sa.text('unit_id IS NULL'), postgresql_where=sa.text('unit_id IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.drop_index('uq_slots_live_place', sqlite_where=sa.text("status <> 'voided'"), postgresql_where=sa.text("status <> 'voided'"))

    with op.batch_alter_table('quota_places', schema=None) as batch_op:
        batch_op.drop_index('uq_quota_places_unitless', sqlite_where=sa.text('unit_id IS NULL'), postgresql_where=sa.text('unit_id IS NULL'))

    op.drop_table('slots')
    op.drop_table('quota_places')
    op.drop_table('units')
    op.drop_table('respondent_groups')
    op.drop_table('users')
    op.drop_table('survey_plans')
