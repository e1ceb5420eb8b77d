"""Migrations and models agree, on SQLite and on PostgreSQL (``QAUYM_TEST_DB=postgresql``).

The history has one branch per owner (core, each installed plugin); every installed plugin's
scripts are visible whether or not the deployment enables it (FlaskBB's "can't locate
revision" trap), and ``upgrade heads`` builds exactly the schema the models describe.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from core.extensions import db, migrate
from core.migrations import include_object_for, is_fts_table
from core.plugins import available_plugins, migration_version_dirs, plugin_package_dir
from core.testing import _pg_reset


@pytest.fixture
def bare_app(pg_url, tmp_path):
    """Apps on one empty database that only migrations build (no ``create_all``)."""
    made = []
    reset = {"done": False}

    def _make(plugins: str = "all"):
        from core import create_app

        url = pg_url or f"sqlite:///{tmp_path / 'migrations.db'}"
        os.environ.setdefault("QAUYM_INSTANCE_PATH", str(tmp_path / "instance"))
        app = create_app(
            {"TESTING": True, "SECRET_KEY": "x", "PLUGINS": plugins, "DATABASE_URL": url}
        )
        if pg_url and not reset["done"]:
            with app.app_context():
                _pg_reset()
            reset["done"] = True
        made.append(app)
        return app

    yield _make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.get_config())


def _owners(app) -> set[str]:
    return {"core", *app.extensions["qauym_plugins"].enabled}


def _diff(app) -> list:
    with db.engine.connect() as conn:
        mc = MigrationContext.configure(
            conn,
            opts={"include_object": include_object_for(_owners(app)), "compare_type": True},
        )
        return compare_metadata(mc, db.metadata)


def _brief(item) -> str:
    """One line per difference: the operation and what it touches."""
    if isinstance(item, list):  # modify_* operations come grouped per column
        return "; ".join(_brief(i) for i in item)
    op, *rest = item
    names = []
    for part in rest:
        name = getattr(part, "name", None)
        table = getattr(getattr(part, "table", None), "name", None)
        if name or table:
            names.append(".".join(n for n in (table, name) if n))
        elif isinstance(part, str):
            names.append(part)
    return f"{op} {' '.join(names)}"


def _db_heads() -> set[str]:
    with db.engine.connect() as conn:
        return set(conn.scalars(text("SELECT version_num FROM alembic_version")))


def _applied() -> set[str]:
    """Every revision the database has run: its heads and all they rest on."""
    script = _script()
    todo, seen = list(_db_heads()), set()
    while todo:
        rev = script.get_revision(todo.pop())
        if rev.revision in seen:
            continue
        seen.add(rev.revision)
        for refs in (rev.down_revision, rev.dependencies):
            refs = (refs,) if isinstance(refs, str) else tuple(refs or ())
            todo.extend(r.revision for r in script.get_revisions(refs))
    return seen


def _all_revisions() -> set[str]:
    return {r.revision for r in _script().walk_revisions()}


def test_one_head_per_branch_and_one_branch_per_installed_plugin(bare_app):
    app = bare_app()
    with app.app_context():
        script = _script()
        heads = [script.get_revision(h) for h in script.get_heads()]
        roots = [r for r in script.walk_revisions() if not r.down_revision]

        labels_by_root = {r.revision: set(r.branch_labels) for r in roots}
        # Each root names exactly one branch, and each branch has exactly one head.
        assert all(len(labels) == 1 for labels in labels_by_root.values()), labels_by_root
        branches = {next(iter(labels)) for labels in labels_by_root.values()}
        for branch in branches:
            branch_heads = [h for h in heads if branch in h.branch_labels]
            assert len(branch_heads) == 1, f"branch {branch!r} has heads {branch_heads}"
        assert len(heads) == len(branches)

        # Branch roots follow the naming rule; plugin roots depend on a core revision.
        for root in roots:
            (label,) = root.branch_labels
            assert root.revision == f"{label}_0001"
            if label != "core":
                deps = root.dependencies
                deps = {deps} if isinstance(deps, str) else set(deps or ())
                assert deps & {r.revision for r in script.iterate_revisions("core@head", "base")}

        # Every installed plugin that declares tables has a branch named after it.
        assert "core" in branches
        for name in app.extensions["qauym_plugins"].enabled:
            tables = [t for t in db.metadata.tables if t.startswith(f"{name}_")]
            if tables:
                assert name in branches, f"plugin {name!r} has tables {tables} but no branch"


def test_version_locations_cover_installed_plugins_without_importing_them():
    dirs = migration_version_dirs()
    assert dirs[0] == Path(__file__).resolve().parents[1] / "core" / "migrations" / "versions"
    sample = plugin_package_dir(available_plugins()["sample"])
    assert sample / "migrations" / "versions" in dirs
    # In a fresh interpreter, finding the folders imports no plugin module.
    code = (
        "import sys; from core.plugins import migration_version_dirs, available_plugins; "
        "dirs = migration_version_dirs(); "
        "loaded = [ep.module for ep in available_plugins().values() if ep.module in sys.modules]; "
        "assert not loaded, loaded; print(len(dirs))"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent / "plugin_site"))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == len(dirs)


def test_upgrade_heads_on_empty_database_matches_the_models(bare_app):
    app = bare_app("all")
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        assert _applied() == _all_revisions()
        diff = _diff(app)
        assert diff == [], "models and migrations disagree:\n" + "\n".join(map(_brief, diff))
        # The demo data (core roster) fits the migrated schema.
        from core import demo

        demo.build(echo=lambda _msg: None)
        from core.models import Association

        assert db.session.scalar(select(Association.slug).where(Association.slug == "rep-math"))


def test_upgrade_with_plugins_left_out_still_runs_every_branch(bare_app):
    none_app = bare_app("")
    with none_app.app_context():
        flask_migrate.upgrade(revision="heads")
        assert none_app.extensions["qauym_plugins"].enabled == {}
        # Installed plugins' branches ran although the deployment enables none of them.
        assert {"sample_note", "sample_tick"} <= set(inspect(db.engine).get_table_names())
        assert _applied() == _all_revisions()

    sample_app = bare_app("sample")
    with sample_app.app_context():
        flask_migrate.upgrade(revision="heads")  # nothing to do, and no "can't locate revision"
        assert _diff(sample_app) == []

    again = bare_app("")
    with again.app_context():
        flask_migrate.upgrade(revision="heads")
        assert _applied() == _all_revisions()


def test_qauym_db_upgrade_defaults_to_heads(bare_app):
    app = bare_app("")
    runner = app.test_cli_runner()
    from core.cli import main

    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _applied() == _all_revisions()
        assert {"core_0001", "sample_0001"} <= _applied()


def test_autogenerate_ignores_fts_tables_and_unloaded_plugins_but_sees_strays(bare_app):
    app = bare_app("")  # the sample plugin is installed but not loaded
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        if db_kind() == "sqlite":  # FTS5 virtual tables are SQLite's
            with db.engine.begin() as conn:
                conn.execute(text("CREATE VIRTUAL TABLE core_note_fts USING fts5(body)"))
            names = set(inspect(db.engine).get_table_names())
            assert {"core_note_fts", "core_note_fts_data", "core_note_fts_idx"} <= names
            assert all(is_fts_table(n) for n in names if n.startswith("core_note_fts"))

        include = include_object_for(_owners(app))
        with db.engine.connect() as conn:
            mc = MigrationContext.configure(conn, opts={"include_object": include})
            diff = compare_metadata(mc, _core_only_metadata())
        assert diff == [], diff  # neither FTS tables nor sample_* tables show up

        if db_kind() == "postgresql":
            # a tsvector column named *_tsv and its GIN index, which models do not describe
            # (the forum's search_tsv is DDL run on PostgreSQL only), are no difference; a
            # column of another type is one, whatever its name
            with db.engine.begin() as conn:
                conn.execute(text("ALTER TABLE core_user ADD COLUMN probe_tsv tsvector"))
                conn.execute(
                    text("CREATE INDEX ix_core_user_probe_tsv ON core_user USING gin (probe_tsv)")
                )
            assert _diff_with(include, _core_only_metadata()) == []
            with db.engine.begin() as conn:
                conn.execute(text("ALTER TABLE core_user ADD COLUMN stray_tsv text"))
            diff = _diff_with(include, _core_only_metadata())
            assert [(d[0], d[3].name) for d in diff] == [("remove_column", "stray_tsv")], diff
            with db.engine.begin() as conn:
                conn.execute(text("ALTER TABLE core_user DROP COLUMN probe_tsv"))
                conn.execute(text("ALTER TABLE core_user DROP COLUMN stray_tsv"))

        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE core_stray (id INTEGER PRIMARY KEY)"))
        assert [d[0] for d in _diff_with(include, _core_only_metadata())] == ["remove_table"]

        # The real env.py, through the CLI: an autogenerate with nothing but the stray table
        # proposes only dropping it; without the stray it writes no file at all.
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE core_stray"))
        versions = Path(migration_version_dirs()[0])
        before = set(versions.iterdir())
        runner = app.test_cli_runner()
        from core.cli import main

        try:
            result = runner.invoke(
                main,
                ["db", "revision", "--autogenerate", "--head", "core@head", "-m", "probe"],
            )
            assert result.exit_code == 0, result.output
            assert set(versions.iterdir()) == before, "autogenerate wrote a revision"
        finally:
            for extra in set(versions.iterdir()) - before:
                extra.unlink()


def _core_only_metadata():
    from sqlalchemy import MetaData

    md = MetaData()
    for name, table in db.metadata.tables.items():
        if name.startswith("core_"):
            table.to_metadata(md)
    return md


def _diff_with(include, metadata):
    with db.engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={"include_object": include})
        return compare_metadata(mc, metadata)


def db_kind() -> str:
    from core.testing import test_db_kind

    return "sqlite" if test_db_kind() == "sqlite" else "postgresql"
