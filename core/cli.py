"""The ``qauym`` command: a Flask CLI group built on :func:`core.create_app`.

``qauym run``, ``qauym db ...`` (Flask-Migrate), ``qauym demo``, ``qauym plugins ...``,
``qauym jobs run``, plus whatever enabled plugins add through ``register_commands``.
"""

from __future__ import annotations

import sys

import click
import flask_migrate
from flask import Flask, current_app, g
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from flask_migrate import cli as migrate_cli
from flask_migrate import upgrade as migrate_upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from core import demo, errors
from core.app import create_app
from core.extensions import db
from core.models import Association, Membership, PluginSwitch, Region, User
from core.plugins import PluginError, plugin_meta
from core.services import jobs as jobs_service
from core.services import plugin_gate, storage
from core.services.urls import site_request_context


def _create_app() -> Flask:

    try:
        return create_app()
    except PluginError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)


def _db_group() -> click.Group:
    """Flask-Migrate's ``db`` commands, with ``upgrade`` going to ``heads`` by default.

    Qauym's history has one branch per plugin, so plain ``head`` is ambiguous; ``heads``
    upgrades the core and every installed plugin's branch.
    """

    group = click.Group(
        "db",
        params=list(migrate_cli.db.params),
        callback=migrate_cli.db.callback,
        help="Database migrations (Flask-Migrate / Alembic).",
    )
    for name, command in migrate_cli.db.commands.items():
        if name != "upgrade":
            group.add_command(command, name)

    @group.command("upgrade")
    @click.option("-d", "--directory", default=None, help="migration script directory")
    @click.option("--sql", is_flag=True, help="print the SQL instead of running it")
    @click.option("--tag", default=None, help="arbitrary tag for custom env.py scripts")
    @click.option("-x", "--x-arg", multiple=True, help="extra arguments for env.py")
    @click.argument("revision", default="heads")
    @with_appcontext
    def upgrade(directory, sql, tag, x_arg, revision):
        """Upgrade to a later version (default: heads, every branch)."""
        migrate_upgrade(directory or g.directory, revision, sql, tag, x_arg or g.x_arg)

    return group


class QauymGroup(FlaskGroup):
    """Flask's group, with Qauym's ``db`` in place of the one Flask-Migrate registers."""

    _db = None

    def get_command(self, ctx: click.Context, name: str):
        if name == "db":
            if QauymGroup._db is None:
                QauymGroup._db = _db_group()
            return QauymGroup._db
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        """Run the command; on a database without Qauym's tables, say so instead of printing a
        traceback (``qauym db ...`` itself is left alone: it is how the tables get made)."""

        try:
            return super().invoke(ctx)
        except DBAPIError as exc:
            if ctx.invoked_subcommand == "db" or not errors.is_missing_table(exc):
                raise
            app = ctx.ensure_object(ScriptInfo).load_app()
            with app.app_context():
                db.session.remove()
                empty = errors.schema_missing(db.engine)
            message = (
                "the database has no tables yet"
                if empty
                else "the database lacks some tables (a plugin added since the last upgrade?)"
            )
            click.echo(f"Error: {message}: run `qauym db upgrade`.", err=True)
            ctx.exit(1)


@click.group(cls=QauymGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Qauym: a platform for teachers' professional communities."""


def _drop_everything() -> None:
    """Drop every table in the database (models, plugin tables, FTS tables, alembic_version)."""

    db.session.remove()
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            # Virtual tables first: dropping one drops its shadow tables.
            virtual = conn.scalars(
                text(
                    "SELECT name FROM sqlite_master "
                    "WHERE type='table' AND sql LIKE 'CREATE VIRTUAL%'"
                )
            ).all()
            for name in virtual:
                conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
        names = inspect(conn).get_table_names()
        cascade = " CASCADE" if engine.dialect.name == "postgresql" else ""
        for name in names:
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}"{cascade}'))
        if engine.dialect.name == "sqlite":
            conn.execute(text("PRAGMA foreign_keys=ON"))


@main.command("demo")
@click.option("--reset", is_flag=True, help="delete every table first, then rebuild the demo")
@with_appcontext
def demo_command(reset: bool) -> None:
    """Build the demo database: places, associations, ~40 people, each plugin's content.

    Refuses a database that already holds data unless ``--reset`` is given (which deletes
    everything in it).
    """
    if reset:
        click.echo("Dropping every table ...")
        _drop_everything()
    flask_migrate.upgrade(revision="heads")
    if demo.exists():
        count = db.session.scalar(select(db.func.count()).select_from(User))
        raise click.ClickException(
            f"the database already holds data ({count} users); the demo needs an empty one. "
            "Run `qauym demo --reset` to delete everything in it and rebuild the demo."
        )
    ctx = demo.build()
    demo.build_plans(ctx)
    registry = current_app.extensions["qauym_plugins"]
    for name in registry.implementers("demo_data"):
        click.echo(f"{name}:")
        try:
            with site_request_context():
                registry.collect("demo_data", plugins=[name], ctx=ctx)
        except PluginError as exc:
            db.session.rollback()
            raise click.ClickException(
                f"plugin {name!r} failed to add its demo data: {exc.__cause__ or exc!r}. "
                "The database is only partly built: fix the plugin (or leave it out of "
                "QAUYM_PLUGINS) and run `qauym demo --reset`."
            ) from exc
    with site_request_context():
        demo.publish_reports(ctx)

    roles: dict[int, list[str]] = {}
    for m in db.session.scalars(select(Membership).order_by(Membership.id)):
        roles.setdefault(m.user_id, []).append(f"{m.role}@{m.association.slug}")
    click.echo(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD}):")
    for key, user in ctx.users.items():
        what = ", ".join(roles.get(user.id, []))
        if key == "admin":
            what = "site administrator"
        elif key == "kostanay_admin":
            what = "regional administrator, Kostanay"
        click.echo(f"  {user.email:<36} {user.full_name:<24} {what}")
    click.echo(f"\nOpen {current_app.config['BASE_URL']}/ (start it with `qauym run`).")


@main.group()
def plugins() -> None:
    """Installed plugins and where they are switched off."""


@plugins.command("list")
@with_appcontext
def plugins_list() -> None:
    """Print each installed plugin: name, version, description, enabled, switched off where."""

    registry = current_app.extensions["qauym_plugins"]
    switches = db.session.scalars(select(PluginSwitch).where(PluginSwitch.enabled.is_(False))).all()
    for name, ep in registry.installed.items():
        meta = registry.info.get(name) or plugin_meta(name, ep)
        version, description = meta.version, str(meta.description)
        state = "enabled" if name in registry.enabled else "disabled for this deployment"
        off = [
            (f"region:{s.region.code}" if s.region_id else f"association:{s.association.slug}")
            for s in switches
            if s.plugin == name
        ]
        click.echo(f"{name}\t{version}\t{state}\toff: {', '.join(off) or '-'}\t{description}")


def _switch(name: str, region: str | None, association: str | None, enabled: bool) -> None:

    if bool(region) == bool(association):
        raise click.UsageError("give exactly one of --region and --association")
    installed = current_app.extensions["qauym_plugins"].installed
    if name not in installed:
        raise click.BadParameter(
            f"unknown plugin {name!r}; installed plugins: {', '.join(installed) or '(none)'}",
            param_hint="NAME",
        )
    region_id = association_id = None
    if region:
        r = db.session.scalar(select(Region).where(Region.code == region))
        if r is None:
            codes = ", ".join(db.session.scalars(select(Region.code).order_by(Region.code)))
            raise click.BadParameter(f"unknown region {region!r}; regions: {codes}")
        region_id = r.id
    else:
        a = db.session.scalar(select(Association).where(Association.slug == association))
        if a is None:
            raise click.BadParameter(f"unknown association {association!r}")
        association_id = a.id
    try:
        plugin_gate.set_switch(
            name, enabled, actor=None, region_id=region_id, association_id=association_id
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    click.echo(f"{name} {'enabled' if enabled else 'disabled'} for {region or association}")


@plugins.command("disable")
@click.argument("name")
@click.option("--region", help="region code, e.g. kostanay")
@click.option("--association", help="association slug (its subtree too)")
@with_appcontext
def plugins_disable(name: str, region: str | None, association: str | None) -> None:
    """Switch a plugin off for a region or an association subtree."""
    _switch(name, region, association, False)


@plugins.command("enable")
@click.argument("name")
@click.option("--region")
@click.option("--association")
@with_appcontext
def plugins_enable(name: str, region: str | None, association: str | None) -> None:
    """Switch a plugin back on for a region or an association subtree."""
    _switch(name, region, association, True)


@main.group()
def jobs() -> None:
    """Periodic jobs."""


@jobs.command("run")
@click.option("--force", is_flag=True, help="run every job, due or not")
@with_appcontext
def jobs_run(force: bool) -> None:
    """Run the jobs that are due (call from cron every minute)."""

    for name, result in jobs_service.run_due(force=force).items():
        click.echo(f"{name}: {result}")


@main.group("storage")
def storage_group() -> None:
    """Uploaded files: the folder (UPLOAD_FOLDER) and S3 storage (STORAGE_URL)."""


@storage_group.command("migrate")
@click.option(
    "--to",
    "target",
    type=click.Choice(["s3", "local"]),
    required=True,
    help="s3: copy UPLOAD_FOLDER into the STORAGE_URL bucket; local: the bucket into the folder",
)
@with_appcontext
def storage_migrate(target: str) -> None:
    """Copy every uploaded file between the folder and the bucket, keeping its key.

    Files already there with the same size and SHA-256 are skipped, so the command can be run
    again after an interruption; every copy is read back and compared by SHA-256; the source
    is never deleted. Exits with status 1 when a file could not be copied.
    """
    local = storage.local_storage(current_app.config)
    try:
        bucket = storage.S3Storage.from_config(current_app.config)
    except storage.StorageError as exc:
        raise click.ClickException(str(exc)) from exc
    source, dest = (local, bucket) if target == "s3" else (bucket, local)
    report = storage.migrate(source, dest, echo=click.echo)
    click.echo(
        f"{len(report.copied)} copied, {len(report.skipped)} already there, "
        f"{len(report.failed)} failed"
    )
    if report.failed:
        sys.exit(1)


@main.group("mail")
def mail_group() -> None:
    """Reply by email: receive replies sent to reply addresses (REPLY_DOMAIN)."""


@mail_group.command("inbound")
@click.option("--from", "mail_from", default=None, help="envelope sender, when the MTA gives it")
@click.option("--to", "rcpt_to", multiple=True, help="envelope recipient (repeatable)")
@with_appcontext
def mail_inbound(mail_from: str | None, rcpt_to: tuple[str, ...]) -> None:
    """Handle one message read from standard input (an MTA pipes it: `qauym mail inbound <
    message.eml`). Exits 0 whatever became of it (the outcome is printed and logged), so the
    MTA never bounces a refused reply; a refusal is answered by email."""
    from core.services import inbound_mail  # loads aiosmtpd only for the mail commands

    if not current_app.config.get("REPLY_DOMAIN"):
        raise click.ClickException("set REPLY_DOMAIN to receive replies by email")
    outcome = inbound_mail.receive(
        sys.stdin.buffer.read(), mail_from=mail_from, rcpt_tos=list(rcpt_to)
    )
    click.echo(f"{outcome.status} {outcome.reason} {outcome.url}".strip())


@mail_group.command("serve-inbound")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=2525, show_default=True, type=int)
@with_appcontext
def mail_serve_inbound(host: str, port: int) -> None:
    """Run an SMTP server (aiosmtpd) that accepts mail to reply addresses only and turns each
    message into a reply. Put it behind the MTA of REPLY_DOMAIN (or expose it as the domain's
    MX). Stops on Ctrl-C."""
    import threading  # only this long-running command needs it

    from core.services import inbound_mail  # loads aiosmtpd only for the mail commands

    if not current_app.config.get("REPLY_DOMAIN"):
        raise click.ClickException("set REPLY_DOMAIN to receive replies by email")
    server = inbound_mail.controller(current_app._get_current_object(), host, port)
    server.start()
    click.echo(f"Receiving replies for {current_app.config['REPLY_DOMAIN']} on {host}:{port}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
