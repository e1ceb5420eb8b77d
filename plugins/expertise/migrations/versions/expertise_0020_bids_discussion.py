"""expertise: bids, load cap, reviewers' discussion and the coordinator's meta-review

Revision ID: expertise_0020_bids_discussion
Revises: expertise_0011_depth
Create Date: 2026-12-02 04:45:00.000000

- ``expertise_bid``: an expert's bid (eager, willing, not willing) on a material.
- ``expertise_settings.load_cap``: most open assignments balanced assignment gives an expert.
- ``expertise_discussion_post``: the discussion among a round's experts and coordinators.
- ``expertise_meta_review``: the coordinator's summary of a round (one per round).
"""

import sqlalchemy as sa
from alembic import op


revision = 'expertise_0020_bids_discussion'
down_revision = 'expertise_0011_depth'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('expertise_settings') as batch_op:
        batch_op.add_column(sa.Column('load_cap', sa.Integer(), server_default='3', nullable=False))
    op.create_table(
        'expertise_bid',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.String(length=12), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "value IN ('eager', 'willing', 'not_willing')", name=op.f('ck_expertise_bid_value')
        ),
        sa.ForeignKeyConstraint(
            ['expert_id'], ['core_user.id'], name=op.f('fk_expertise_bid_expert_id_core_user'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['submission_id'], ['expertise_submission.id'],
            name=op.f('fk_expertise_bid_submission_id_expertise_submission'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_expertise_bid')),
        sa.UniqueConstraint(
            'submission_id', 'expert_id', name=op.f('uq_expertise_bid_submission_id')
        ),
    )
    with op.batch_alter_table('expertise_bid') as batch_op:
        batch_op.create_index(batch_op.f('ix_expertise_bid_expert_id'), ['expert_id'])
        batch_op.create_index(batch_op.f('ix_expertise_bid_submission_id'), ['submission_id'])
    op.create_table(
        'expertise_discussion_post',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['author_id'], ['core_user.id'],
            name=op.f('fk_expertise_discussion_post_author_id_core_user'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['submission_id'], ['expertise_submission.id'],
            name=op.f('fk_expertise_discussion_post_submission_id_expertise_submission'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_expertise_discussion_post')),
    )
    with op.batch_alter_table('expertise_discussion_post') as batch_op:
        batch_op.create_index(
            batch_op.f('ix_expertise_discussion_post_submission_id'), ['submission_id']
        )
    op.create_table(
        'expertise_meta_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['author_id'], ['core_user.id'],
            name=op.f('fk_expertise_meta_review_author_id_core_user'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['submission_id'], ['expertise_submission.id'],
            name=op.f('fk_expertise_meta_review_submission_id_expertise_submission'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_expertise_meta_review')),
        sa.UniqueConstraint(
            'submission_id', 'round', name=op.f('uq_expertise_meta_review_submission_id')
        ),
    )
    with op.batch_alter_table('expertise_meta_review') as batch_op:
        batch_op.create_index(
            batch_op.f('ix_expertise_meta_review_submission_id'), ['submission_id']
        )


def downgrade():
    op.drop_table('expertise_meta_review')
    op.drop_table('expertise_discussion_post')
    op.drop_table('expertise_bid')
    with op.batch_alter_table('expertise_settings') as batch_op:
        batch_op.drop_column('load_cap')
