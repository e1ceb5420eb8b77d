"""Two servers sending the outbox at once (``qauym jobs run`` on each, or a job beside the
immediate send after registering) never send one email twice: an email another sender is
delivering is locked, and skipped here rather than sent again or waited for (PostgreSQL)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import OutboxEmail
from core.services import notifications
from core.timeutil import utcnow


@pytest.fixture
def app(make_app):
    app = make_app(plugins="none")
    with app.app_context():
        yield app


@pytest.mark.postgres_only
def test_emails_another_sender_holds_are_skipped_not_sent_twice(app, pg_url):
    mails = [
        OutboxEmail(to=f"t{n}@example.kz", subject="s", body="b", send_after=utcnow())
        for n in range(4)
    ]
    db.session.add_all(mails)
    db.session.commit()
    held = [mails[0].id, mails[1].id]

    # The other server: its transaction has locked the first two emails while it sends them.
    dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as other:
        other.execute("SET lock_timeout = '30s'")
        other.execute(
            "SELECT id FROM core_outbox_email WHERE id = ANY(%s) FOR UPDATE", (held,)
        ).fetchall()
        # Here a sender that waited would stop at the lock timeout; one that read the rows
        # without locking would send them again.
        db.session.execute(db.text("SET LOCAL lock_timeout = '5s'"))
        sent = notifications.send_outbox()
        other.rollback()

    assert sent == 2
    db.session.expire_all()
    state = {
        m.id: (m.sent_at is not None, m.attempts) for m in db.session.scalars(select(OutboxEmail))
    }
    assert state == {
        mails[0].id: (False, 0),
        mails[1].id: (False, 0),
        mails[2].id: (True, 1),
        mails[3].id: (True, 1),
    }
    assert notifications.send_outbox() == 2  # once released, the other two go out
