"""The site search finds associations by their names, abbreviations and topic in Kazakh and
Russian, in any of the words' forms, through a folded copy of that text
(``Association.search_folded``, kept by ``core.api.keep_folded``) and its trigram index
(``core.models.substring_index``): FTS5 on SQLite, pg_trgm on PostgreSQL. Before, a Python
function read each association's six columns (25 ms a search at 5,000 associations on
SQLite). The migration core_0090 fills the copy and the index for associations already
there."""

from __future__ import annotations

import datetime as dt
import json
import re

import sqlalchemy as sa
from sqlalchemy import select, text

from core.extensions import db
from core.models import Association
from core.services import search as search_service


def _found(client, query: str) -> str:
    return client.get("/search", query_string={"q": query}).get_data(as_text=True)


def test_associations_found_by_name_abbreviation_topic_and_forms(client, factory):
    maths = factory.association(
        slug="math-kst",
        name_kk="Математика мұғалімдерінің бірлестігі",
        name_ru="Объединение учителей математики",
        abbr_kk="ММБ",
        topic_ru="Функциональная грамотность на уроках",
    )
    other = factory.association(slug="bio", name_kk="Биология", name_ru="Биология")
    href = f'href="/a/{maths.slug}"'
    for query in (
        "математика",  # Kazakh name
        "учителей",  # Russian name
        "учитель",  # a form: учителей
        "мұғалім",  # a form: мұғалімдерінің
        "ммб",  # abbreviation, any case
        "грамотность",  # topic
        "уроки",  # a form: уроках
        "ГРАМОТНОСТЬ уроков",  # both words, each in one of its forms
    ):
        html = _found(client, query)
        assert href in html, query
        assert f'href="/a/{other.slug}"' not in html, query
    assert href not in _found(client, "математика биология")  # every word must match
    # a rename is searched at once, the old name no longer
    maths.name_kk = "Физика бірлестігі"
    db.session.commit()
    assert href in _found(client, "физика")
    assert href not in _found(client, "математика мұғалімдерінің")
    # FTS5 syntax typed by someone is only text
    for typed in ('мат"ем', "мат*", "NEAR(мат", "математика OR биология"):
        assert client.get("/search", query_string={"q": typed}).status_code == 200


def test_association_search_reads_the_trigram_index(app, client, factory, count_queries):
    maths = factory.association(name_kk="Математика бірлестігі")
    # the site search's own statement: through the index, no function per row
    with count_queries() as c:
        assert f'href="/a/{maths.slug}"' in _found(client, "математика")
    (stmt,) = [s for s in c.statements if "FROM core_association" in s and "ORDER BY" in s]
    assert "search_folded" in stmt and "qauym_forms_match" not in stmt, stmt
    if db.session.get_bind().dialect.name == "sqlite":
        assert "core_association_search_fts" in stmt, stmt
    condition = search_service.forms_match([Association.search_folded], "математика", folded=True)
    sql = str(
        select(Association.id)
        .where(condition)
        .compile(db.engine, compile_kwargs={"literal_binds": True})
    )
    if db.session.get_bind().dialect.name == "sqlite":
        details = [r[3] for r in db.session.execute(text("EXPLAIN QUERY PLAN " + sql))]
        assert any("core_association_search_fts VIRTUAL TABLE" in d for d in details), details
        assert not any(re.match(r"SCAN core_association( |$)", d) for d in details), details
        assert "qauym_forms_match" not in sql
    else:
        # a table this small is read whole whatever indexes it has: forbid that to see that
        # the index can answer the LIKE at all
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = json.dumps(db.session.execute(text("EXPLAIN (FORMAT JSON) " + sql)).scalar())
        assert "ix_core_association_search_trgm" in plan, plan
        db.session.rollback()


def _insert_old_association(**values) -> None:
    """An association row as the schema at core_0080 holds it: every NOT NULL column
    without a server default given a value of its type."""
    columns = sa.inspect(db.session.connection()).get_columns("core_association")
    row = {}
    for c in columns:
        if c["name"] in values or c["nullable"] or c.get("default") is not None:
            continue
        kind = c["type"].python_type if hasattr(c["type"], "python_type") else str
        row[c["name"]] = {int: 0, dt.datetime: dt.datetime(2026, 1, 1), bool: False}.get(kind, "")
    row.update(values)
    table = sa.table("core_association", *(sa.column(k) for k in row))
    db.session.execute(sa.insert(table).values(row))


def test_migration_indexes_the_associations_already_there(pg_url, tmp_path):
    import flask_migrate

    from core.testing import migrated_app, substring_index_complete, substring_index_parts

    with migrated_app(pg_url, tmp_path):
        flask_migrate.upgrade(revision="core_0080")
        _insert_old_association(
            id=1,
            slug="old",
            name_kk="Тарих пәні бірлестігі",
            name_ru="Объединение учителей истории",
            abbr_kk="ТПБ",
            topic_kk="Ёлка және жаңа жыл",
            kind="subject",
            level="school",
            legal_status="informal",
            lifespan="permanent",
            join_policy="request",
        )
        db.session.commit()
        flask_migrate.upgrade(revision="heads")  # core_0090 and whatever follows
        folded = db.session.scalar(text("SELECT search_folded FROM core_association"))
        assert folded == (
            "тарих пәні бірлестігі\nобъединение учителей истории\nтпб\nелка және жаңа жыл"
        )

        def ids(query: str) -> set[int]:
            condition = search_service.forms_match([Association.search_folded], query, folded=True)
            return set(db.session.scalars(select(Association.id).where(condition)))

        assert ids("истории") == {1} and ids("тарих") == {1} and ids("ёлка") == {1}
        # no later migration rebuilt core_association and lost a trigger
        name = "core_association_search"
        assert substring_index_complete(name) <= substring_index_parts(name)
        db.session.rollback()  # the migration's connection must not wait for this one's locks
        flask_migrate.downgrade(revision="core_0080")
        assert substring_index_parts(name) == set()
        columns = sa.inspect(db.session.connection()).get_columns("core_association")
        assert "search_folded" not in {c["name"] for c in columns}
        db.session.rollback()
