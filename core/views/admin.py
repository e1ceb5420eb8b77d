"""Admin area: site and regional administrators."""

from __future__ import annotations

from flask import render_template

from core.services.permissions import require
from core.views import bp


@bp.get("/admin")
def admin():
    require("admin.access")
    return render_template("core/admin/index.html")
