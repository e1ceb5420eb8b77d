"""The application factory."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from functools import partial
from typing import Any

from flask import Flask, g, jsonify, render_template
from flask_babel import refresh
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from core import config as config_module
from core import errors, i18n, security_headers, stylesheets, templating
from core.extensions import csrf, db, limiter, login_manager, migrate
from core.paths import CORE_DIR, PROJECT_TEMPLATES
from core.plugins import load_plugins, migration_version_dirs
from core.services import (
    http_cache,
    jobs,
    notifications,
    permissions,
    plugin_gate,
    pool_check,
    read_only_end,
    storage,
)
from core.services.web import IdConverter, clean_request_input
from core.views import register_core_blueprints

log = logging.getLogger("qauym")


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
    else:
        # No JIT compilation: PostgreSQL compiles a statement whose estimated cost passes
        # jit_above_cost, meant for long reports; the forum search's estimates pass it, and
        # compiling took 45-56 ms of a 200 ms search at a million posts, every time.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault(
            "connect_args", {"options": "-c jit=off"}
        )

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
    # Flask defines these keys (SAMESITE as None), so ``setdefault`` would do nothing: set them
    # unless the caller's config or the settings file chose a value.
    explicit = {**(config or {})}
    for key, value in (
        ("SESSION_COOKIE_HTTPONLY", True),
        ("SESSION_COOKIE_SAMESITE", "Lax"),
        ("REMEMBER_COOKIE_HTTPONLY", True),
        ("REMEMBER_COOKIE_SAMESITE", "Lax"),
    ):
        if key not in explicit and not app.config.get(key):
            app.config[key] = value
    secure = _secure_cookies(app.config)
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config.setdefault("REMEMBER_COOKIE_SECURE", secure)
    if not isinstance(app.config.get("REMEMBER_COOKIE_SECURE"), bool):
        app.config["REMEMBER_COOKIE_SECURE"] = secure
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)


def _secure_cookies(cfg) -> bool:
    """``SESSION_COOKIE_SECURE`` as set, or True when the site is served over https."""
    value = cfg.get("SESSION_COOKIE_SECURE")
    if isinstance(value, bool):
        return value
    text_value = str(value or "").strip().lower()
    if text_value in config_module.BOOL_WORDS:
        return config_module.BOOL_WORDS[text_value]
    return str(cfg.get("BASE_URL", "")).lower().startswith("https://")


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
    hops = int(app.config.get("PROXY_FIX") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)

    registry = load_plugins(app.config["PLUGINS"])  # a PluginError names the plugin
    app.extensions["qauym_plugins"] = registry
    registry.association_gate = plugin_gate.disabled_plugins_for

    # A wrong STORAGE_URL stops start-up; nothing is contacted yet.
    app.extensions["qauym_storage"] = storage.from_config(app.config)

    # Before any blueprint: every route that takes a database id uses ``<id:...>``.
    app.url_map.converters["id"] = IdConverter

    db.init_app(app)
    with app.app_context():  # a database restarted under us fails no request (pool_check)
        for engine in db.engines.values():
            pool_check.install(engine)
    read_only_end.init_app(app)  # prepared statements kept from page to page (PostgreSQL)
    migrate.init_app(app, db, directory=str(CORE_DIR / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "core.login"
    login_manager.login_message = None
    limiter.init_app(app)

    i18n.init_app(app)
    templating.init_app(app)
    security_headers.init_app(app)
    http_cache.init_app(app)  # gzip, the page cache and its write generation
    permissions.init_app(app)
    notifications.init_app(app)
    jobs.init_app(app)
    register_core_blueprints(app)

    @app.before_request
    def _fresh_request_state() -> None:
        # Per-request caches live on ``g``. In production every request has its own ``g``; a
        # request inside an already pushed app context (tests, CLI) shares it, so reset them.
        stale = [k for k in g if k.startswith("_qauym_")]
        # Flask-Login's current user and Flask-WTF's CSRF token are cached on ``g`` too.
        for key in [*stale, "_login_user", app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")]:
            g.pop(key, None)
        refresh()

    app.before_request(clean_request_input)

    _register_plugin_blueprints(app)

    stylesheets.init_app(app)  # /bundle/<digest>.css, after the plugins' static folders

    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
            database = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            log.exception("health check: database unreachable")
            with contextlib.suppress(Exception):
                db.session.rollback()
            return jsonify(status="error", database=str(exc.__class__.__name__)), 503
        return jsonify(status="ok", database=database, plugins=registry.names())

    errors.init_app(app)  # the database gone or never upgraded: a translated 503

    for code in (403, 404, 413, 429):
        app.register_error_handler(code, partial(_error_page, code))

    # Plugins add their commands to ``app.cli``; ``qauym`` (core.cli) lists them from there.
    registry.collect("register_commands", cli=app.cli)
    return app


def _error_page(code: int, e):
    """The translated error page; a rate limit's own answer (``on_breach``, such as the JSON
    ``429`` of an endpoint scripts call) is kept as it is."""
    if code == 429 and getattr(e, "response", None) is not None:
        return e.response
    return render_template("errors.html", error=e, code=code), code


def _register_plugin_blueprints(app: Flask) -> None:
    """Each plugin's one blueprint, named after it (checked by the gateway), at ``/<name>``."""
    for c in app.extensions["qauym_plugins"].collect("register_blueprints", app=app):
        app.register_blueprint(c.item, url_prefix=f"/{c.plugin}")
