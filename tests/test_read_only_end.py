"""A request that only read ends with COMMIT on PostgreSQL, so the statements psycopg has
prepared on the connection stay prepared (core.services.read_only_end); a request that
wrote anything, or left a change pending, still ends with ROLLBACK and keeps nothing."""

from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy import select, text, update

from core.extensions import db
from core.models import Association


@pytest.fixture
def pooled(pooled_member):
    """The shared pooled app and member's client, with a few routes that write without
    committing."""
    app, client = pooled_member

    def kept() -> Association:
        return db.session.scalars(select(Association).where(Association.slug == "kept")).one()

    @app.get("/_test/flush-then-404")
    def flush_then_404():
        db.session.add(Association(slug="flushed", name_kk="Жазылған", region_id=kept().region_id))
        db.session.flush()
        abort(404)

    @app.get("/_test/pending")
    def pending():
        kept().name_kk = "Өзгерген"
        return "ok"

    @app.get("/_test/update")
    def core_update():
        db.session.execute(
            update(Association).where(Association.slug == "kept").values(name_kk="Жаңартылған")
        )
        return "ok"

    @app.get("/_test/with-update")
    def with_update():  # PostgreSQL only: SQLite has no UPDATE in a WITH
        db.session.execute(
            text(
                "WITH changed AS (UPDATE core_association SET name_kk = 'CTE' "
                "WHERE slug = 'kept' RETURNING id) SELECT count(*) FROM changed"
            )
        )
        return "ok"

    return app, client


@pytest.mark.postgres_only
def test_statements_stay_prepared_from_one_page_to_the_next(pooled):
    app, client = pooled
    for _ in range(8):  # psycopg prepares a statement at its fifth run on a connection
        assert client.get("/associations").status_code == 200
    with app.app_context():
        prepared = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
        db.session.rollback()
    # the statement that loads the member from their session, run on every page
    assert any("core_user_session" in s for s in prepared), prepared


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/_test/flush-then-404", 404),
        ("/_test/pending", 200),
        ("/_test/update", 200),
        pytest.param("/_test/with-update", 200, marks=pytest.mark.postgres_only),
    ],
)
def test_a_request_that_wrote_or_left_a_change_pending_keeps_nothing(pooled, url, status):
    app, client = pooled
    assert client.get("/associations").status_code == 200
    assert client.get(url).status_code == status
    with app.app_context():
        names = dict(db.session.execute(select(Association.slug, Association.name_kk)).all())
    assert names == {"kept": "Бастапқы"}
