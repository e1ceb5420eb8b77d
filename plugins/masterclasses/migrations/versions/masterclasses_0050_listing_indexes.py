"""masterclasses: indexes the event list reads alone

``ix_masterclasses_event_listed`` (starts_at, id, ends_at, status, visibility,
association_id) takes the place of ``ix_masterclasses_event_starts_at`` (every range or order
by start is still served by it); ``ix_masterclasses_event_upcoming`` (ends_at, status,
visibility, association_id, starts_at, id) holds the events not yet ended. The event list
counts its events and finds the ids of its page in one of them, reading no row of a past
event. ``ix_masterclasses_event_status`` goes: seven values, which SQLite's planner, without
statistics, took for a selective index and read every listed event's row by.

Revision ID: masterclasses_0050
Revises: masterclasses_0040
Create Date: 2026-12-04 03:00:00
"""

from alembic import op

revision = 'masterclasses_0050'
down_revision = 'masterclasses_0040'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_masterclasses_event_listed',
        'masterclasses_event',
        ['starts_at', 'id', 'ends_at', 'status', 'visibility', 'association_id'],
    )
    op.create_index(
        'ix_masterclasses_event_upcoming',
        'masterclasses_event',
        ['ends_at', 'status', 'visibility', 'association_id', 'starts_at', 'id'],
    )
    op.drop_index('ix_masterclasses_event_starts_at', table_name='masterclasses_event')
    op.drop_index('ix_masterclasses_event_status', table_name='masterclasses_event')


def downgrade():
    op.create_index('ix_masterclasses_event_status', 'masterclasses_event', ['status'])
    op.create_index('ix_masterclasses_event_starts_at', 'masterclasses_event', ['starts_at'])
    op.drop_index('ix_masterclasses_event_upcoming', table_name='masterclasses_event')
    op.drop_index('ix_masterclasses_event_listed', table_name='masterclasses_event')
