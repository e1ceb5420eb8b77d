"""The in-app notification list and notification preferences."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from core.views import bp


@bp.get("/notifications")
@login_required
def notifications():
    return render_template("core/notifications.html")
