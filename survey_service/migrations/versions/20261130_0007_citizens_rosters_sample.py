"""citizens' satisfaction survey: rosters, their people (personal data), the drawn sample

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rosters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('seed', sa.BigInteger(), nullable=True),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['respondent_groups.id'], name=op.f('fk_rosters_group_id_respondent_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['survey_plans.id'], name=op.f('fk_rosters_plan_id_survey_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_rosters_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_rosters_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rosters')),
    sa.UniqueConstraint('group_id', 'unit_id', name=op.f('uq_rosters_group_id_unit_id'))
    )
    op.create_table('roster_people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('roster_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('address', sa.String(length=1000), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('commune', sa.String(length=200), nullable=False),
    sa.Column('service', sa.String(length=1000), nullable=False),
    sa.Column('served_on', sa.Date(), nullable=True),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['roster_id'], ['rosters.id'], name=op.f('fk_roster_people_roster_id_rosters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_people')),
    sa.UniqueConstraint('roster_id', 'ref', name=op.f('uq_roster_people_roster_id_ref'))
    )
    op.create_table('sample_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('roster_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('ord', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('slot_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=12), server_default='', nullable=False),
    sa.Column('reason', sa.String(length=300), server_default='', nullable=False),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['roster_people.id'], name=op.f('fk_sample_members_person_id_roster_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['place_id'], ['quota_places.id'], name=op.f('fk_sample_members_place_id_quota_places'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['sample_members.id'], name=op.f('fk_sample_members_replaced_by_id_sample_members')),
    sa.ForeignKeyConstraint(['roster_id'], ['rosters.id'], name=op.f('fk_sample_members_roster_id_rosters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['slots.id'], name=op.f('fk_sample_members_slot_id_slots'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sample_members')),
    sa.UniqueConstraint('roster_id', 'role', 'ord', name=op.f('uq_sample_members_roster_id_role_ord'))
    )
    with op.batch_alter_table('sample_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sample_members_place_id'), ['place_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sample_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sample_members_place_id'))

    op.drop_table('sample_members')
    op.drop_table('roster_people')
    op.drop_table('rosters')
