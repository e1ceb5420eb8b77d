"""The ``qauym`` command: demo, plugins list/enable/disable, jobs run (through click's runner)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from core.cli import main
from core.extensions import db
from core.models import Association, Notification, PluginSwitch, Region, RegionAdmin, User
from core.testing import _pg_reset


def run(app, *args: str):
    return app.test_cli_runner().invoke(main, list(args))


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


@pytest.fixture
def empty_app(pg_url, tmp_path):
    """An app on an empty database (no ``create_all``): ``qauym demo`` migrates it itself."""
    from core import create_app

    url = pg_url or f"sqlite:///{tmp_path / 'demo.db'}"
    os.environ.setdefault("QAUYM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "PLUGINS": "sample",
            "DATABASE_URL": url,
            "BASE_URL": "http://demo.example",
        }
    )
    with app.app_context():
        if pg_url:
            _pg_reset()
        yield app
        db.session.remove()
        db.engine.dispose()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_builds_the_roster_then_refuses_then_resets(empty_app):
    from qauym_sample.plugin import SampleNote

    from core.demo import DEMO_PASSWORD

    result = run(empty_app, "demo")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "shyn.leader@demo.qauym.kz" in out and DEMO_PASSWORD in out
    assert "http://demo.example/" in out
    assert "sample: one note per association" in out  # the plugin's demo_data hook ran

    regions = db.session.scalars(select(Region)).all()
    assert len(regions) == 20 and sum(r.kind == "city" for r in regions) == 3
    assert {r.code for r in regions} >= {"kostanay", "ulytau", "astana", "almaty", "shymkent"}
    assert all(r.name_kk and r.name_ru and r.name_en for r in regions)
    slugs = set(db.session.scalars(select(Association.slug)))
    assert slugs == {
        "rep-math",
        "kostanay-math",
        "shyn-network",
        "damu-ma",
        "young-teachers-almaty",
    }
    shyn = db.session.scalar(select(Association).where(Association.slug == "shyn-network"))
    assert len(shyn.cyclogram) >= 12  # 6 activities, in Kazakh and in Russian
    assert shyn.rules_kk.count("\n") >= 7 and shyn.rules_ru.count("\n") >= 7  # 8 rules each
    assert "Обосновываем" not in shyn.rules_kk and "Обосновываем" in shyn.rules_ru
    from core.models import AnnualReport, Plan

    plan = db.session.scalar(select(Plan).where(Plan.association_id == shyn.id))
    assert plan is not None and len(plan.rows) >= 15
    report = db.session.scalar(select(AnnualReport).where(AnnualReport.association_id == shyn.id))
    assert report.status == "published" and report.year == plan.year - 1 and report.snapshot
    assert {m.user.school.name for m in shyn.memberships if m.user.school} and len(
        {m.user.school_id for m in shyn.memberships}
    ) == 4
    kostanay_math = db.session.scalar(
        select(Association).where(Association.slug == "kostanay-math")
    )
    assert kostanay_math.parent.slug == "rep-math"
    users = _count(User)
    assert 35 <= users <= 50
    assert {u.category for u in db.session.scalars(select(User))} >= {
        "none",
        "pedagog",
        "moderator",
        "expert",
        "researcher",
        "master",
    }
    assert _count(RegionAdmin) == 1
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.qauym.kz"))
    assert admin.is_site_admin and admin.check_password(DEMO_PASSWORD)
    assert _count(SampleNote) == 5

    again = run(empty_app, "demo")
    assert again.exit_code != 0
    assert "already holds data" in again.output and "--reset" in again.output
    assert _count(User) == users and _count(SampleNote) == 5  # nothing added twice

    reset = run(empty_app, "demo", "--reset")
    assert reset.exit_code == 0, reset.output
    assert _count(User) == users and _count(SampleNote) == 5


def test_demo_context_members_by_role(empty_app):
    import flask_migrate

    from core import demo

    flask_migrate.upgrade(revision="heads")
    ctx = demo.build(echo=lambda _m: None)
    experts = ctx.members("shyn-network", "expert")
    assert [u.email for u in experts] == [
        "shyn.expert@demo.qauym.kz",
        "shyn.expert2@demo.qauym.kz",
    ]
    assert ctx.users["shyn_expert"] in experts
    damu = ctx.members("damu-ma")
    assert any(u.experience_years <= 3 and u.category in ("none", "pedagog") for u in damu)
    assert any(u.category in ("expert", "researcher", "master") for u in damu)
    young = ctx.members("young-teachers-almaty")
    assert sum(u.experience_years <= 3 for u in young) >= 3
    for slug in ctx.associations:
        for role in ("leader", "coordinator", "moderator", "secretary", "expert"):
            assert ctx.members(slug, role), (slug, role)
        assert ctx.members(slug, "participant") and ctx.members(slug, "member"), slug


def test_plugins_list_shows_version_description_state_and_switches(app, factory):
    region = factory.region("kostanay")
    factory.association(slug="net", region_id=region.id)
    result = run(app, "plugins", "list")
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if row.startswith("sample"))
    assert "1.0" in line and "enabled" in line and "Sample plugin" in line and "off: -" in line

    assert run(app, "plugins", "disable", "sample", "--region", "kostanay").exit_code == 0
    line = next(
        row for row in run(app, "plugins", "list").output.splitlines() if row.startswith("sample")
    )
    assert "region:kostanay" in line


def test_plugins_list_marks_plugins_left_out_of_the_deployment(make_app):
    app = make_app(plugins="")
    with app.app_context():
        result = run(app, "plugins", "list")
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if row.startswith("sample"))
    assert "disabled for this deployment" in line and "1.0" in line


def test_disable_for_region_takes_effect_and_enable_restores(app, factory, login):
    region = factory.region("kostanay")
    other = factory.region("almaty")
    here = factory.association(slug="net", region_id=region.id)
    there = factory.association(slug="far", region_id=other.id)
    user = factory.member(here)
    factory.member(there, user)
    client = app.test_client()
    login(client, user)
    assert client.get("/sample/net").status_code == 200

    result = run(app, "plugins", "disable", "sample", "--region", "kostanay")
    assert result.exit_code == 0, result.output
    assert client.get("/sample/net").status_code == 404
    assert client.get("/sample/far").status_code == 200
    switch = db.session.scalar(select(PluginSwitch))
    assert (switch.plugin, switch.region_id, switch.enabled) == ("sample", region.id, False)

    assert run(app, "plugins", "enable", "sample", "--region", "kostanay").exit_code == 0
    assert client.get("/sample/net").status_code == 200

    assert run(app, "plugins", "disable", "sample", "--association", "far").exit_code == 0
    assert client.get("/sample/far").status_code == 404


def test_unknown_plugin_region_or_association_is_a_clear_error(app, factory):
    factory.region("kostanay")
    result = run(app, "plugins", "disable", "nosuch", "--region", "kostanay")
    assert result.exit_code == 2
    assert "unknown plugin 'nosuch'" in result.output and "sample" in result.output

    result = run(app, "plugins", "disable", "sample", "--region", "atlantis")
    assert result.exit_code == 2
    assert "unknown region 'atlantis'" in result.output and "kostanay" in result.output

    result = run(app, "plugins", "enable", "sample", "--association", "nowhere")
    assert result.exit_code == 2 and "unknown association 'nowhere'" in result.output

    result = run(app, "plugins", "disable", "sample")
    assert result.exit_code == 2 and "--region" in result.output
    assert _count(PluginSwitch) == 0


def test_jobs_run_twice_runs_the_sample_job_effect_once(app, factory):
    from qauym_sample.plugin import SampleTick

    factory.user()
    factory.user()
    first = run(app, "jobs", "run")
    assert first.exit_code == 0, first.output
    assert "sample.tick" in first.output
    second = run(app, "jobs", "run")  # right after: not due yet
    assert second.exit_code == 0, second.output
    forced = run(app, "jobs", "run", "--force")  # even forced, the job itself is idempotent
    assert forced.exit_code == 0, forced.output
    assert "sample.tick" in forced.output
    assert _count(SampleTick) == 1
    pings = db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.kind == "sample.ping")
    )
    assert pings == 2
