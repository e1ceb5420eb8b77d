"""Closed sets (states, kinds, roles) are checked by the database, on SQLite and PostgreSQL.

Every ``StrEnum``-backed column carries a ``CHECK (column IN (...))`` built by
:func:`core.models.one_of`. Autogenerate does not compare CHECK constraints, so
tests/test_migrations.py cannot see a constraint that a migration forgot or an enum member that
no migration added: these tests read the constraints as ``upgrade heads`` created them
(``sqlite_master`` / ``pg_constraint``) and compare them with the enums, and try a bad value
in each constrained column. They walk the metadata, so a new ``one_of`` is covered at once.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import os
import re

import flask_migrate
import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.exc import IntegrityError

from core.extensions import db
from core.migrations import owned_by
from core.testing import _pg_reset


@pytest.fixture
def migrated_app(pg_url, tmp_path):
    """An app with every installed plugin on a database built by ``upgrade heads`` only."""
    from core import create_app

    url = pg_url or f"sqlite:///{tmp_path / 'closed_sets.db'}"
    os.environ.setdefault("QAUYM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PLUGINS": "all", "DATABASE_URL": url})
    with app.app_context():
        if pg_url:
            _pg_reset()
        flask_migrate.upgrade(revision="heads")
        yield app
        db.session.remove()
        db.engine.dispose()


def _owners(app) -> set[str]:
    return {"core", *app.extensions["qauym_plugins"].enabled}


def closed_set_checks(app) -> list[tuple[Table, CheckConstraint]]:
    """Every ``one_of`` constraint of the tables the app's owners have."""
    out = []
    for name, table in sorted(db.metadata.tables.items()):
        if not owned_by(name, _owners(app)):
            continue
        for c in sorted(table.constraints, key=lambda c: str(c.name)):
            if isinstance(c, CheckConstraint) and "enum" in c.info:
                out.append((table, c))
    return out


def allowed(check: CheckConstraint) -> set[str]:
    return {*check.info["extra"], *(m.value for m in check.info["enum"])}


def _database_checks() -> dict[str, str]:
    """Constraint name -> its SQL, as the migrated database holds it."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            rows = conn.execute(
                text(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE contype = 'c'"
                )
            ).all()
            return dict(rows)
        out = {}
        for (sql,) in conn.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL")
        ):
            for m in re.finditer(r"CONSTRAINT (\w+) CHECK \(", sql):
                depth, end = 1, m.end()
                while depth:  # up to the matching parenthesis (values hold none)
                    depth += {"(": 1, ")": -1}.get(sql[end], 0)
                    end += 1
                out[m.group(1)] = sql[m.end() : end - 1]
        return out


def _values_in(sql: str) -> set[str]:
    return set(re.findall(r"'((?:[^']|'')*)'", sql))


def test_every_closed_set_column_is_checked_in_the_database_with_exactly_its_enum(
    migrated_app,
):
    checks = closed_set_checks(migrated_app)
    # Core and every plugin with closed sets contribute (a sanity check on the walk itself).
    assert {t.name.split("_")[0] for t, _ in checks} >= {
        "core",
        "forum",
        "expertise",
        "mentoring",
        "masterclasses",
    }
    in_db = _database_checks()
    for table, check in checks:
        column = check.info["column"]
        assert check.name == f"ck_{table.name}_{check.name.removeprefix(f'ck_{table.name}_')}"
        assert check.name in in_db, f"{check.name} is in the models but not in the database"
        sql = in_db[check.name]
        assert re.search(rf"\b{column}\b", sql), (check.name, sql)
        assert _values_in(sql) == allowed(check), (
            f"{check.name}: the database allows {sorted(_values_in(sql))}, the enum "
            f"{check.info['enum'].__name__} has {sorted(allowed(check))}: a migration must "
            "change the constraint"
        )


def test_every_column_defaulting_to_an_enum_member_has_its_check(migrated_app):
    """A column whose default is a StrEnum member is a closed set: it needs ``one_of``."""
    checked = {
        (t.name, c.info["column"]): c.info["enum"] for t, c in closed_set_checks(migrated_app)
    }
    for name, table in db.metadata.tables.items():
        if not owned_by(name, _owners(migrated_app)):
            continue
        for col in table.columns:
            default = getattr(col.default, "arg", None)
            if isinstance(default, enum.StrEnum):
                assert checked.get((name, col.name)) is type(default), (
                    f"{name}.{col.name} defaults to {type(default).__name__} but has no "
                    "one_of() constraint with that enum"
                )


# --- a bad value is refused ------------------------------------------------------------------

_counter = itertools.count(1)


def _value_for(table: Table, col, conn, overrides: dict) -> object:
    """A valid value for a NOT NULL column without a default; creates parent rows."""
    if col.foreign_keys:
        (fk,) = col.foreign_keys
        parent = fk.column.table
        return _insert(parent, conn, {})[fk.column.name]
    for c in table.constraints:
        if isinstance(c, CheckConstraint) and c.info.get("column") == col.name:
            return sorted(m.value for m in c.info["enum"])[0]
    n = next(_counter)
    t = col.type
    if isinstance(t, Boolean):
        return False
    if isinstance(t, Integer):
        return n
    if isinstance(t, Float):
        return 1.0
    if isinstance(t, DateTime):
        return dt.datetime(2026, 1, 1, 12, 0)
    if isinstance(t, Date):
        return dt.date(2026, 1, 1)
    if isinstance(t, JSON):
        return {}
    if isinstance(t, String | Text):
        return f"v{n}"[: getattr(t, "length", None) or 50]
    raise AssertionError(f"no sample value for {table.name}.{col.name} ({t!r})")


def _insert(table: Table, conn, overrides: dict) -> dict:
    """Insert one row into ``table`` (Python-side defaults apply); returns its values."""
    values = dict(overrides)
    for col in table.columns:
        if col.name in values or col.nullable or col.default is not None:
            continue
        if col.autoincrement is True or (
            col.primary_key
            and isinstance(col.type, Integer)
            and not col.foreign_keys
            and len(table.primary_key.columns) == 1
        ):
            continue
        values[col.name] = _value_for(table, col, conn, overrides)
    result = conn.execute(table.insert().values(**values))
    if result.inserted_primary_key:
        for pk_col, v in zip(table.primary_key.columns, result.inserted_primary_key, strict=True):
            values.setdefault(pk_col.name, v)
    return values


def test_a_value_outside_the_set_is_refused_by_each_constraint(migrated_app):
    checks = closed_set_checks(migrated_app)
    assert checks
    for table, check in checks:
        column = check.info["column"]
        good = sorted(allowed(check))[-1]
        with db.engine.connect() as conn:
            # The same row with a member of the set goes in: the failure below is the check's.
            trans = conn.begin()
            try:
                _insert(table, conn, {column: good})
            finally:
                trans.rollback()
            # A value outside the set that fits the column (PostgreSQL refuses a longer one
            # for its length before the check, e.g. the String(2) of a language).
            length = getattr(table.c[column].type, "length", None)
            bad = "zz!"[:length] if length else "zz!"
            with pytest.raises(IntegrityError) as err, conn.begin():
                _insert(table, conn, {column: bad})
        assert check.name in str(err.value), (check.name, str(err.value))


def test_the_closed_sets_revisions_downgrade_and_upgrade_again(migrated_app):
    from alembic.script import ScriptDirectory

    from core.extensions import migrate

    names = {c.name for _t, c in closed_set_checks(migrated_app)}
    script = ScriptDirectory.from_config(migrate.get_config())
    revisions = [r for r in script.walk_revisions() if r.revision.endswith("_0010_closed_sets")]
    assert {r.revision.split("_")[0] for r in revisions} == {
        "core",
        "forum",
        "expertise",
        "mentoring",
        "masterclasses",
    }
    for rev in revisions:
        db.session.remove()
        flask_migrate.downgrade(revision=rev.down_revision)
    assert names.isdisjoint(_database_checks())
    flask_migrate.upgrade(revision="heads")
    assert names <= set(_database_checks())
