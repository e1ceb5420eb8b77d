"""masterclasses: registration questions and answers; the log of messages to participants

Revision ID: masterclasses_0021
Revises: masterclasses_0020
Create Date: 2026-12-02 05:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = 'masterclasses_0021'
down_revision = 'masterclasses_0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'masterclasses_question',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=300), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('options', sa.Text(), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            sa.column('kind').in_(['text', 'choice']), name=op.f('ck_masterclasses_question_kind')
        ),
        sa.ForeignKeyConstraint(
            ['event_id'],
            ['masterclasses_event.id'],
            name=op.f('fk_masterclasses_question_event_id_masterclasses_event'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_masterclasses_question')),
    )
    op.create_index(
        op.f('ix_masterclasses_question_event_id'), 'masterclasses_question', ['event_id']
    )
    op.create_table(
        'masterclasses_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ['question_id'],
            ['masterclasses_question.id'],
            name=op.f('fk_masterclasses_answer_question_id_masterclasses_question'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['registration_id'],
            ['masterclasses_registration.id'],
            name=op.f('fk_masterclasses_answer_registration_id_masterclasses_registration'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_masterclasses_answer')),
        sa.UniqueConstraint(
            'registration_id',
            'question_id',
            name=op.f('uq_masterclasses_answer_registration_id'),
        ),
    )
    op.create_index(
        op.f('ix_masterclasses_answer_question_id'), 'masterclasses_answer', ['question_id']
    )
    op.create_index(
        op.f('ix_masterclasses_answer_registration_id'),
        'masterclasses_answer',
        ['registration_id'],
    )
    op.create_table(
        'masterclasses_message_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('sender_id', sa.Integer(), nullable=True),
        sa.Column('audience', sa.String(length=12), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('recipients', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['event_id'],
            ['masterclasses_event.id'],
            name=op.f('fk_masterclasses_message_log_event_id_masterclasses_event'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['sender_id'],
            ['core_user.id'],
            name=op.f('fk_masterclasses_message_log_sender_id_core_user'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_masterclasses_message_log')),
    )
    op.create_index(
        op.f('ix_masterclasses_message_log_event_id'), 'masterclasses_message_log', ['event_id']
    )


def downgrade():
    op.drop_index(
        op.f('ix_masterclasses_message_log_event_id'), table_name='masterclasses_message_log'
    )
    op.drop_table('masterclasses_message_log')
    op.drop_index(op.f('ix_masterclasses_answer_registration_id'), table_name='masterclasses_answer')
    op.drop_index(op.f('ix_masterclasses_answer_question_id'), table_name='masterclasses_answer')
    op.drop_table('masterclasses_answer')
    op.drop_index(op.f('ix_masterclasses_question_event_id'), table_name='masterclasses_question')
    op.drop_table('masterclasses_question')
