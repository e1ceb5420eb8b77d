"""The library and the site search match materials through their stored folded text
(``Submission.search_folded``, kept by ``core.api.keep_folded``): it follows the author's
edits, the search reads that column through its trigram index (``core.api.substring_index``:
an FTS5 table kept by triggers on SQLite, a pg_trgm index on PostgreSQL) or, for a word part
shorter than three letters, with a plain ``LIKE``, never with a per-row function; migration
expertise_0030 folds the materials already there and expertise_0040 indexes them."""

from __future__ import annotations

from sqlalchemy import select, text

from core.extensions import db
from plugins.expertise.models import Submission
from plugins.expertise.tests.conftest import as_user, logout, reviewed, step, submission_data


def _folded(sub_id: int) -> str:
    return db.session.scalar(select(Submission.search_folded).where(Submission.id == sub_id))


def test_the_folded_text_follows_the_authors_edits(world, client, post):
    as_user(client, world.author)
    data = submission_data(world, title="Бөлшектерді ҚОСУ", keywords="бөлшек")
    del data["send"]  # kept as a draft, which the author may still edit
    resp = post(
        client, "/expertise/a/kostanay-math/submit", data, content_type="multipart/form-data"
    )
    assert resp.status_code == 302
    sub_id = db.session.scalars(select(Submission.id).order_by(Submission.id.desc())).first()
    assert _folded(sub_id) == "бөлшектерді қосу\nсабақ жоспары: ортақ бөлімге келтіру.\nбөлшек"
    edited = submission_data(world, abstract="Ёлочные игрушки", keywords="")
    del edited["send"], edited["files"]
    resp = post(client, f"/expertise/s/{sub_id}/edit", edited, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert _folded(sub_id) == "бөлшектерді қосу\nелочные игрушки"


def test_the_library_reads_the_folded_column_in_the_database(world, client, post, count_queries):
    sub_id = reviewed(client, post, world)
    as_user(client, world.coordinator)
    assert step(client, post, sub_id, "recommend").status_code == 302
    logout(client)
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    # through the index; two letters: every material read
    for path in ("/expertise/library", "/search"):
        for q in ("бөлшектерімен", "бө"):
            with count_queries() as counter:
                page = client.get(path, query_string={"q": q}).get_data(as_text=True)
            assert f"/expertise/s/{sub_id}" in page, (path, q)
            statements = [
                s
                for s in counter.statements
                if "expertise_submission.search_folded" in s or "expertise_submission_search" in s
            ]
            assert statements, path
            for statement in statements:
                assert "qauym_forms_match" not in statement and "lower(" not in statement
                if sqlite and q != "бө":
                    assert "expertise_submission_search_fts MATCH" in statement, statement
                    assert "search_folded LIKE" not in statement, statement
                else:
                    assert "expertise_submission.search_folded LIKE" in statement, statement
                    assert "_fts" not in statement, statement


def test_the_migration_folds_the_materials_already_there(pg_url, tmp_path):
    import flask_migrate

    from core.testing import (
        Factory,
        migrated_app,
        substring_index_complete,
        substring_index_parts,
    )

    with migrated_app(pg_url, tmp_path, plugins="expertise") as app:
        flask_migrate.upgrade(revision="heads")
        factory = Factory()
        sub = Submission(
            association_id=factory.association().id,
            author_id=factory.user().id,
            title="Ашық сабақ",
            material_type="lesson_plan",
            grade_from=5,
            grade_to=6,
            language="kk",
            abstract="Ёлка ИГРЫ",
            keywords="ойын",
            state="recommended",
        )
        db.session.add(sub)
        db.session.commit()
        sub_id = sub.id
        db.session.remove()
        flask_migrate.downgrade(revision="expertise_0020_bids_discussion")
        flask_migrate.upgrade(revision="heads")
        assert _folded(sub_id) == "ашық сабақ\nелка игры\nойын"
        db.session.remove()
        page = app.test_client().get("/expertise/library", query_string={"q": "ойындар"})
        assert f"/expertise/s/{sub_id}" in page.get_data(as_text=True)
        # no later migration rebuilt expertise_submission and lost a trigger
        name = "expertise_submission_search"
        assert substring_index_complete(name) <= substring_index_parts(name)
        if db.session.get_bind().dialect.name == "sqlite":
            # the index follows a change made around the ORM
            db.session.execute(
                text("UPDATE expertise_submission SET search_folded = 'дебат' WHERE id = :id"),
                {"id": sub_id},
            )
            db.session.commit()
            page = app.test_client().get("/expertise/library", query_string={"q": "дебаттар"})
            assert f"/expertise/s/{sub_id}" in page.get_data(as_text=True)
        db.session.remove()
        flask_migrate.downgrade(revision="expertise_0030_search_folded")
        assert substring_index_parts(name) == set()
