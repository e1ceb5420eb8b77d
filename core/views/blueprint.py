"""The ``core`` blueprint that every core page module adds its routes to (a leaf module, so
the page modules and the package do not import each other in a circle)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("core", __name__)
