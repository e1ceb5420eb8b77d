"""The annual report gathers a section from every enabled plugin (the demo's content), and
leaves out a plugin switched off for the association."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.cli import main as qauym_cli
from core.extensions import db
from core.models import Association, User
from core.services import plans, plugin_gate
from core.testing import _pg_reset, sign_in_as

SECTIONS = {
    "forum": "Discussions",
    "expertise": "Expert review of materials",
    "mentoring": "Mentoring of young specialists",
    "masterclasses": "Master classes and events",
    "governance": "Governance",
}


@pytest.fixture
def demo_app(pg_url, tmp_path, monkeypatch):
    from core import create_app

    monkeypatch.setenv("QAUYM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "PLUGINS": "all",
            "DATABASE_URL": pg_url or f"sqlite:///{tmp_path / 'demo.db'}",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        if pg_url:
            _pg_reset()
        result = app.test_cli_runner().invoke(qauym_cli, ["demo"])
        assert result.exit_code == 0, result.output
        yield app
        db.session.remove()
        db.engine.dispose()


def _report(app, slug: str) -> str:
    association = db.session.scalar(select(Association).where(Association.slug == slug))
    leader = db.session.scalar(select(User).where(User.email == "shyn.leader@demo.qauym.kz"))
    client = app.test_client()
    client.set_cookie("lang", "en")
    sign_in_as(client, leader)
    page = client.get(f"/a/{association.slug}/report/{plans.current_year()}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_every_enabled_plugin_contributes_a_section(demo_app):
    html = _report(demo_app, "shyn-network")
    for plugin, title in SECTIONS.items():
        assert title in html, plugin

    shyn = db.session.scalar(select(Association).where(Association.slug == "shyn-network"))
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.qauym.kz"))
    plugin_gate.set_switch("forum", False, actor=admin, association_id=shyn.id)
    db.session.commit()
    html = _report(demo_app, "shyn-network")
    assert SECTIONS["forum"] not in html and SECTIONS["masterclasses"] in html
