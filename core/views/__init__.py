"""Core pages. All live on the ``core`` blueprint (:mod:`core.views.blueprint`), split by
subject into modules; importing them adds their routes to it."""

from __future__ import annotations

from flask import Flask

from core.views import admin, associations, auth, misc, notifications, plans  # noqa: F401
from core.views.blueprint import bp


def register_core_blueprints(app: Flask) -> None:
    app.register_blueprint(bp)
