"""The ``qauym`` command: a Flask CLI group built on :func:`core.create_app`.

``qauym run``, ``qauym db ...`` (Flask-Migrate), ``qauym demo``, ``qauym plugins ...``,
``qauym jobs run``, plus whatever enabled plugins add through ``register_commands``.
"""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app, g
from flask.cli import FlaskGroup, with_appcontext


def _create_app() -> Flask:
    from core import create_app
    from core.plugins import PluginError

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
    from flask_migrate import cli as migrate_cli
    from flask_migrate import upgrade as migrate_upgrade

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


@click.group(cls=QauymGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Qauym: a platform for teachers' professional communities."""


@main.group()
def plugins() -> None:
    """Installed plugins and where they are switched off."""


@plugins.command("list")
@with_appcontext
def plugins_list() -> None:
    """Print each installed plugin: name, version, description, enabled, switched off where."""
    from sqlalchemy import select

    from core.extensions import db
    from core.models import PluginSwitch

    registry = current_app.extensions["qauym_plugins"]
    switches = db.session.scalars(select(PluginSwitch).where(PluginSwitch.enabled.is_(False))).all()
    for name, ep in registry.installed.items():
        info = registry.info.get(name)
        if info is None:
            dist = ep.dist
            version = dist.version if dist else "?"
            description = (dist.metadata.get("Summary") if dist else "") or ""
        else:
            version, description = info.version, str(info.description)
        state = "enabled" if name in registry.enabled else "disabled for this deployment"
        off = [
            (f"region:{s.region.code}" if s.region_id else f"association:{s.association.slug}")
            for s in switches
            if s.plugin == name
        ]
        click.echo(f"{name}\t{version}\t{state}\toff: {', '.join(off) or '-'}\t{description}")


def _switch(name: str, region: str | None, association: str | None, enabled: bool) -> None:
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Association, Region
    from core.services import plugin_gate

    if bool(region) == bool(association):
        raise click.UsageError("give exactly one of --region and --association")
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
    from core.services import jobs as jobs_service

    for name, result in jobs_service.run_due(force=force).items():
        click.echo(f"{name}: {result}")


def register_plugin_commands(app: Flask) -> None:
    """Let enabled plugins add commands to the ``qauym`` group."""
    app.extensions["qauym_plugins"].hook.register_commands(cli=app.cli)
