"""The site search matches events through their stored folded text (``Event.search_folded``,
kept by ``core.api.keep_folded``): it follows every edit, the search reads that column through
its trigram index (``core.api.substring_index``: an FTS5 table kept by triggers on SQLite, a
pg_trgm index on PostgreSQL) or, for a word part shorter than three letters, with a plain
``LIKE``, never with a per-row function; migration masterclasses_0030 folds the events
already there and masterclasses_0040 indexes them."""

from __future__ import annotations

import json
import re

from sqlalchemy import delete, event, select, text

from core.api import forms_match
from core.extensions import db
from plugins.masterclasses.models import Event
from plugins.masterclasses.services.credit import search_events
from plugins.masterclasses.tests.helpers import event_form, make_event


def _found(client, q: str) -> str:
    html = client.get("/search", query_string={"q": q}).get_data(as_text=True)
    return re.sub(r"</?mark>", "", html)


def test_the_folded_text_follows_the_title_and_description(client, factory):
    ev = make_event(factory.association(), title="Ашық САБАҚ", description="Ёлочные игрушки")
    assert ev.search_folded == "ашық сабақ\nелочные игрушки"
    db.session.expire_all()  # as after a commit: the other column is not loaded
    ev.description = "Жаңа сипаттама"
    db.session.commit()
    assert db.session.scalar(select(Event.search_folded).where(Event.id == ev.id)) == (
        "ашық сабақ\nжаңа сипаттама"
    )


def test_an_edited_event_is_found_by_its_new_words_only(client, factory, login, post):
    assoc = factory.association(slug="kostanay-math")
    host = factory.member(assoc)
    ev = make_event(assoc, hosts=[host], title="Шеберлік сыныбы", description="Ойын арқылы")
    assert "Шеберлік сыныбы" in _found(client, "ойындар")  # a form of a description word
    login(client, host)
    resp = post(
        client,
        f"/masterclasses/{ev.id}/edit",
        event_form(title="Функционалдық сауаттылық", description="Ёлочные игрушки на уроке"),
    )
    assert resp.status_code == 302
    assert "Функционалдық сауаттылық" not in _found(client, "ойындар")
    for q in ("сауаттылығы", "ЁЛОЧНЫЕ", "елочная", "игрушками"):
        assert "Функционалдық сауаттылық" in _found(client, q), q


def test_the_search_reads_the_folded_column_in_the_database(client, factory, count_queries):
    make_event(factory.association(), title="Критериалды бағалау")
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    for q in ("бағалаудың", "ба"):  # through the index; two letters: every event read
        with count_queries() as counter:
            assert "Критериалды бағалау" in _found(client, q)
        (statement,) = [s for s in counter.statements if "FROM masterclasses_event" in s]
        assert "qauym_forms_match" not in statement and "lower(" not in statement, statement
        if sqlite and q != "ба":
            assert "masterclasses_event_search_fts MATCH" in statement, statement
            assert "search_folded LIKE" not in statement, statement
        else:
            assert "masterclasses_event.search_folded LIKE" in statement, statement
            assert "_fts" not in statement, statement


def test_the_index_follows_edits_and_deleted_events(client, factory):
    assoc = factory.association()
    ev = make_event(assoc, title="Ашық сабақ", description="Ойын арқылы оқыту")
    make_event(assoc, title="Әдістемелік семинар", description="Рефлексия")
    assert "Ашық сабақ" in _found(client, "ойындар")
    ev.description = "Дебат технологиясы"
    db.session.commit()
    page = _found(client, "ойындар")
    assert "Ашық сабақ" not in page and "Әдістемелік семинар" not in page
    assert "Ашық сабақ" in _found(client, "дебаттар")
    db.session.execute(delete(Event).where(Event.id == ev.id))
    db.session.commit()
    assert "Ашық сабақ" not in _found(client, "дебаттар")
    assert "Әдістемелік семинар" in _found(client, "рефлексиясы")
    # what FTS5 would read as its own syntax is only text: its words are looked for
    for typed in ('реф"лек', "реф*", "-рефлексия", "реф:лек"):
        assert "Әдістемелік семинар" in _found(client, typed), typed
    for typed in ("NEAR(реф", "рефлексия OR дебат", "рефлексия AND NOT дебат"):
        assert "Әдістемелік семинар" not in _found(client, typed), typed


def test_the_search_plan_starts_from_the_index(app, factory):
    make_event(factory.association(), title="Критериалды бағалау")
    viewer = factory.user()
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "FROM masterclasses_event" in statement and not statement.startswith("EXPLAIN"):
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        assert [e.title for e in search_events("бағалау", viewer, limit=20)] == [
            "Критериалды бағалау"
        ]
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    ((statement, parameters),) = statements
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        details = [r[3] for r in rows]
        assert any("masterclasses_event_search_fts VIRTUAL TABLE" in d for d in details), details
        assert not any(re.match(r"SCAN masterclasses_event( |$)", d) for d in details), details
    else:
        # a table this small is read whole whatever indexes it has, and the whole statement
        # is served by others (status): forbid reading the table to see that the index can
        # answer the LIKE of each pattern at all
        condition = forms_match([Event.search_folded], "бағалау", folded=True)
        sql = (
            select(Event.id)
            .where(condition)
            .compile(db.engine, compile_kwargs={"literal_binds": True})
        )
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = json.dumps(db.session.execute(text(f"EXPLAIN (FORMAT JSON) {sql}")).scalar())
        assert "ix_masterclasses_event_search_trgm" in plan, plan
        db.session.rollback()


def test_the_migration_folds_the_events_already_there(pg_url, tmp_path):
    import flask_migrate

    from core.testing import (
        Factory,
        migrated_app,
        substring_index_complete,
        substring_index_parts,
    )

    with migrated_app(pg_url, tmp_path, plugins="masterclasses") as app:
        flask_migrate.upgrade(revision="heads")
        ev = make_event(Factory().association(), title="Ашық сабақ", description="Ёлка ИГРЫ")
        event_id = ev.id
        db.session.remove()
        flask_migrate.downgrade(revision="masterclasses_0022")
        flask_migrate.upgrade(revision="heads")
        folded = db.session.scalar(select(Event.search_folded).where(Event.id == event_id))
        assert folded == "ашық сабақ\nелка игры"
        db.session.remove()
        assert "Ашық сабақ" in _found(app.test_client(), "игр")  # indexed by masterclasses_0040
        # no later migration rebuilt masterclasses_event and lost a trigger
        name = "masterclasses_event_search"
        assert substring_index_complete(name) <= substring_index_parts(name)
        db.session.remove()
        flask_migrate.downgrade(revision="masterclasses_0030")
        assert substring_index_parts(name) == set()
