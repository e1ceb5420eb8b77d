"""The application factory."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, render_template
from sqlalchemy import text

from core import config as config_module
from core import security_headers
from core.extensions import csrf, db, limiter, login_manager, migrate
from core.plugins import PluginError, load_plugins, migration_version_dirs

log = logging.getLogger("qauym")

CORE_DIR = Path(__file__).resolve().parent
PROJECT_TEMPLATES = CORE_DIR.parent / "templates"


@migrate.configure
def _alembic_version_locations(config):
    """Core's versions folder plus every installed plugin's, enabled or not (see env.py)."""
    dirs = os.pathsep.join(str(d) for d in migration_version_dirs())
    config.set_main_option("version_locations", dirs.replace("%", "%%"))
    return config


def _load_config(app: Flask, config: dict[str, Any] | None) -> None:
    app.config.update(config_module.DEFAULTS)
    cfg_file = os.environ.get("QAUYM_CONFIG") or os.path.join(app.instance_path, "qauym.cfg")
    if os.path.exists(cfg_file):
        app.config.from_pyfile(cfg_file)
    app.config.update(config_module.from_environ())
    if config:
        app.config.update(config)

    if not app.config.get("DATABASE_URL"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "qauym.db")
    url = app.config["DATABASE_URL"]
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if url.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("connect_args", {"timeout": 30})

    if not app.config.get("SECRET_KEY"):
        key_file = os.path.join(app.instance_path, "secret_key")
        os.makedirs(app.instance_path, exist_ok=True)
        if not os.path.exists(key_file):
            with open(key_file, "w") as fh:
                fh.write(secrets.token_hex(32))
        with open(key_file) as fh:
            app.config["SECRET_KEY"] = fh.read().strip()
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = os.path.join(app.instance_path, "uploads")
    app.config["MAX_CONTENT_LENGTH"] = (int(app.config["MAX_UPLOAD_MB"]) + 1) * 1024 * 1024
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build a Qauym app. ``config`` overrides every other source of settings."""
    app = Flask(
        "core",
        instance_path=os.environ.get("QAUYM_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=str(PROJECT_TEMPLATES),
        static_folder=str(CORE_DIR / "static"),
    )
    _load_config(app, config)

    try:
        registry = load_plugins(app.config["PLUGINS"])
    except PluginError:
        raise
    app.extensions["qauym_plugins"] = registry

    db.init_app(app)
    migrate.init_app(app, db, directory=str(CORE_DIR / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "core.login"
    login_manager.login_message = None
    limiter.init_app(app)

    from core import i18n

    i18n.init_app(app)

    from core import templating

    templating.init_app(app)
    security_headers.init_app(app)

    from core.services import permissions

    permissions.init_app(app)

    from core.views import register_core_blueprints

    register_core_blueprints(app)

    @app.before_request
    def _fresh_request_state() -> None:
        # Per-request caches live on ``g``. In production every request has its own ``g``; a
        # request inside an already pushed app context (tests, CLI) shares it, so reset them.
        from flask import g
        from flask_babel import refresh

        stale = [k for k in g if k.startswith("_qauym_")]
        # Flask-Login's current user and Flask-WTF's CSRF token are cached on ``g`` too.
        for key in [*stale, "_login_user", app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")]:
            g.pop(key, None)
        refresh()

    _register_plugin_blueprints(app)

    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
            database = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            log.exception("health check: database unreachable")
            return jsonify(status="error", database=str(exc.__class__.__name__)), 503
        return jsonify(status="ok", database=database, plugins=registry.names())

    for code in (403, 404, 413, 429):
        app.register_error_handler(
            code,
            lambda e, code=code: (render_template("errors.html", error=e, code=code), code),
        )

    from core import cli

    cli.register_plugin_commands(app)
    return app


def _register_plugin_blueprints(app: Flask) -> None:
    registry = app.extensions["qauym_plugins"]
    for name, module in registry.enabled.items():
        impls = [
            i for i in registry.pm.hook.register_blueprints.get_hookimpls() if i.plugin is module
        ]
        for impl in impls:
            for bp in impl.function(app=app) or []:
                if bp.name != name:
                    raise PluginError(
                        f"Plugin {name!r} registers a blueprint named {bp.name!r}; "
                        f"it must be named {name!r}."
                    )
                app.register_blueprint(bp, url_prefix=f"/{name}")
