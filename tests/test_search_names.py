"""Names are searched through an index of their trigrams (``core.models``'
``SQLITE_NAME_INDEX_DDL`` / ``PG_NAME_INDEX_DDL``): the site search's people, contacts,
mention suggestions and member lists find a name by any part of it of three characters or
more without reading every name; shorter parts still find it by reading them all. The plans
are read back from the database; the index is kept by triggers (SQLite) when a name changes
or an account goes, and the migration core_0080 indexes the names already there."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import delete, select, text

from core.extensions import db
from core.models import User
from core.services import search as search_service


def _ids(condition) -> set[int]:
    return set(db.session.scalars(select(User.id).where(condition)))


def _sql(condition) -> str:
    stmt = select(User.id).where(condition)
    return str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))


def test_a_name_is_found_by_any_part_of_it(app, factory):
    aigul = factory.user(full_name="Айгүлнұр Сабақбаева")
    other = factory.user(full_name="Ерлан Оспанов")
    assert _ids(search_service.name_contains("гүлн")) == {aigul.id}
    assert _ids(search_service.name_contains("АЙГҮЛ")) == {aigul.id}
    assert _ids(search_service.name_contains("нұр саб")) == {aigul.id}  # across a space
    assert _ids(search_service.name_contains("ос")) == {other.id}  # two letters: read all
    assert _ids(search_service.name_matches("сабақбаевамен")) == {aigul.id}  # a form
    assert _ids(search_service.name_matches("айгүлнұр оспанов")) == set()  # both words
    # what FTS5 would read as its own syntax is only text
    for typed in ('гүл"н', "гүл*", "NEAR(гүл", "айгүл OR ерлан", "-гүл", "гүл:н"):
        assert _ids(search_service.name_contains(typed)) == set(), typed
        assert search_service.name_matches(typed) is not None


def test_the_index_follows_renames_and_deleted_accounts(app, factory):
    person = factory.user(full_name="Алёна Қасымова")
    assert _ids(search_service.name_contains("қасым")) == {person.id}
    person.full_name = "Алёна Нұрланқызы"
    db.session.commit()
    assert _ids(search_service.name_contains("қасым")) == set()
    assert _ids(search_service.name_contains("нұрлан")) == {person.id}
    db.session.execute(delete(User).where(User.id == person.id))
    db.session.commit()
    assert _ids(search_service.name_contains("нұрлан")) == set()


def test_name_search_reads_the_trigram_index(app, factory):
    factory.user(full_name="Айгүл Сабақбаева")
    condition = search_service.name_matches("айгүл сабақбаева")
    if db.session.get_bind().dialect.name == "sqlite":
        rows = db.session.execute(text("EXPLAIN QUERY PLAN " + _sql(condition))).all()
        details = [r[3] for r in rows]
        assert any("core_user_name_fts VIRTUAL TABLE" in d for d in details), details
        assert not any(re.match(r"SCAN core_user( |$)", d) for d in details), details
        # two letters: no index can serve them, every name is read (and still matched)
        short = _sql(search_service.name_contains("ай"))
        assert "core_user_name_fts" not in short
    else:
        # a table this small is read whole whatever indexes it has: forbid that to see
        # that the index can answer the LIKE of each pattern at all
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = db.session.execute(text("EXPLAIN (FORMAT JSON) " + _sql(condition))).scalar()
        plan = json.dumps(plan)
        assert "ix_core_user_name_trgm" in plan, plan
        db.session.rollback()


def test_migration_indexes_the_names_already_there(pg_url, tmp_path):
    import flask_migrate

    from core.testing import migrated_app, substring_index_complete, substring_index_parts

    with migrated_app(pg_url, tmp_path):
        flask_migrate.upgrade(revision="core_0070")
        db.session.execute(
            text(
                "INSERT INTO core_user (id, email, password_hash, full_name, name_folded, handle,"
                " category, experience_years, position, bio, is_site_admin, active, created_at)"
                " VALUES (1, 'a@x.kz', 'x', 'Әлия Сёмина', 'әлия семина', 'aliya', 'none', 0,"
                " '', '', false, true, '2026-01-01')"
            )
        )
        db.session.commit()
        flask_migrate.upgrade(revision="heads")  # core_0080 and whatever follows
        assert _ids(search_service.name_contains("лия сем")) == {1}
        # no later migration rebuilt core_user and lost a trigger
        assert substring_index_complete("core_user_name") <= substring_index_parts("core_user_name")
        if db.session.get_bind().dialect.name == "sqlite":
            db.session.execute(text("UPDATE core_user SET name_folded = 'жаңа есім' WHERE id = 1"))
            db.session.commit()
            assert _ids(search_service.name_contains("жаңа")) == {1}
        db.session.rollback()  # the migration's connection must not wait for this one's locks
        flask_migrate.downgrade(revision="core_0070")
        assert substring_index_parts("core_user_name") == set()


@pytest.mark.parametrize("query", ["айгүл", "ай", "гүлнар сабақ"])
def test_people_in_the_site_search_use_the_same_condition(app, client, factory, login, query):
    person = factory.user(full_name="Айгүл Сабақбаева Гүлнар")
    login(client, factory.user(full_name="Ерлан Оспанов"))
    html = client.get("/search", query_string={"q": query}).get_data(as_text=True)
    assert f'href="/u/{person.id}"' in html
