"""Alembic environment for Qauym (run by Flask-Migrate inside an app context).

History layout: the core branch (label ``core``, root ``core_0001``) lives in
``core/migrations/versions``; each plugin has its own branch (label = plugin name, root
``<name>_0001`` with ``depends_on`` the core revision it needs) in
``<plugin package>/migrations/versions``. Every installed plugin's folder is a version
location whether the plugin is enabled or not, and ``qauym db upgrade`` goes to ``heads``.

Autogenerate compares ``db.metadata`` (core models plus the models of the plugins this app
loaded) with the database, and leaves out:

* SQLite FTS5 virtual tables and their shadow tables (``*_fts``, ``*_fts_data``, ...), which
  plugins create with raw DDL in their migrations;
* tables of plugins this app did not load: with ``QAUYM_PLUGINS=forum`` the database still
  holds the other plugins' tables, and their absence from ``db.metadata`` must not turn into
  ``drop_table`` in the forum's revision.
"""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from core.extensions import db
from core.migrations import include_object_for

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")

target_metadata = db.metadata


def _loaded_owners() -> set[str]:
    return {"core", *current_app.extensions["qauym_plugins"].enabled}


def process_revision_directives(context_, revision, directives):
    script = directives[0]
    if getattr(config.cmd_opts, "autogenerate", False) and script.upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in schema detected; no revision written.")
        return
    # A new plugin branch (``--head base --branch-label forum``) starts after the core
    # schema it references: depend on the current core head.
    heads = context_.script.get_revisions(script.head) if script.head else ()
    is_root = script.head == "base" or not heads
    label = script.branch_label
    labels = {label} if isinstance(label, str) else set(label or ())
    if is_root and labels and "core" not in labels and not script.depends_on:
        core_head = context_.script.get_revisions("core@head")
        if core_head:
            script.depends_on = core_head[0].revision


def _configure(**kw) -> None:
    context.configure(
        target_metadata=target_metadata,
        include_object=include_object_for(_loaded_owners()),
        process_revision_directives=process_revision_directives,
        compare_type=True,
        **kw,
    )


def run_migrations_offline() -> None:
    url = db.engine.url.render_as_string(hide_password=False)
    _configure(url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with db.engine.connect() as connection:
        _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
