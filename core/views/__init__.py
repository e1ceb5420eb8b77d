"""Core pages. All live on the ``core`` blueprint, split by subject into modules."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("core", __name__)


def register_core_blueprints(app: Flask) -> None:
    from core.views import admin, associations, auth, misc, notifications, plans  # noqa: F401

    app.register_blueprint(bp)
