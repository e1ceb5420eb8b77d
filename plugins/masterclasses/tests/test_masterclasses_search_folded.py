"""The site search matches events through their stored folded text (``Event.search_folded``,
kept by ``core.api.keep_folded``): it follows every edit, the search reads that column with a
plain ``LIKE`` and no per-row function, and migration masterclasses_0030 folds the events
already there."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.extensions import db
from plugins.masterclasses.models import Event
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
    with count_queries() as counter:
        assert "Критериалды бағалау" in _found(client, "бағалаудың")
    (statement,) = [s for s in counter.statements if "FROM masterclasses_event" in s]
    assert "masterclasses_event.search_folded LIKE" in statement, statement
    assert "qauym_forms_match" not in statement and "lower(" not in statement, statement


def test_the_migration_folds_the_events_already_there(pg_url, tmp_path):
    import flask_migrate

    from core.testing import Factory, migrated_app

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
        assert "Ашық сабақ" in _found(app.test_client(), "игр")
