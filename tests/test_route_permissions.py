"""The route-permission walk over every core route and the sample plugin's, and tests of the
walk itself (it must catch a leak, an unclassified route and URL arguments that prove nothing).
"""

import datetime as dt

import pytest
from flask import Blueprint

from core import stylesheets
from core.extensions import db
from core.models import AnnualReport, Plan, PlanRow
from core.services import certificates
from core.testing_routes import Access, assert_route_permissions, seed_world, walk_routes

# Minimum access of every GET route of the core and the sample plugin. A new route makes the
# walk fail until it is added here. "member" routes about one person (certificate PDF,
# portfolio) are walked with the member persona as that person: the leader and the outsider
# are other people and must not get them.
CORE_ROUTES = {
    "healthz": "public",
    "stylesheet_bundle": "public",
    "core.index": "public",
    "core.directory": "public",
    "core.association": "public",
    "core.login": "public",
    "core.register": "public",
    "core.password_forgot": "public",
    "core.password_reset": Access("public", reachable=False),  # a made-up token
    "core.password_change": "login",
    "core.register_confirm": Access("public", reachable=False),  # a made-up token
    "core.profile": "public",
    "core.profile_edit": "login",
    "core.welcome": "login",
    "core.notifications": "login",
    "core.notification_prefs": "login",
    "core.admin": "admin",
    "core.admin_associations": "admin",
    "core.admin_plugins": "admin",
    "core.association_admin": "admin",
    "core.audit_log": "admin",
    "core.region_admins": "admin",
    "core.admin_user": "admin",
    "core.create_association": "admin",
    "core.delete_association": "admin",
    "core.edit_association": "manager",
    "core.invite": "manager",
    "core.join_requests": "manager",
    "core.members": "member",
    "core.search": "public",
    "core.verify_certificate_form": "public",
    "core.verify_certificate": "public",
    "core.my_certificates": "login",
    "core.certificate_pdf": "member",
    "core.portfolio_page": "member",
    "core.portfolio_csv": "member",
    "core.plan_current": "public",
    "core.plan": "public",
    "core.plan_csv": "public",
    "core.plan_pdf": "public",
    "core.plan_row_new": "manager",
    "core.plan_row_edit": "manager",
    "core.plan_import": "manager",
    "core.report": "public",  # the walk's report is published; drafts: see test_reports.py
    "core.report_pdf": "public",
}
SAMPLE_ROUTES = {
    "sample.home": "public",
    "sample.notes": "member",
}


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


@pytest.fixture
def world(app, factory):
    world = seed_world(factory, slug="walk")
    cert = certificates.issue(
        source_key="walk:member",
        recipient=world.member,
        title="Қатысқаны үшін",
        kind="walk",
        issuer="Qauym",
        issued_on=dt.date(2026, 1, 1),
    )
    plan = Plan(association_id=world.association.id, year=2026)
    row = PlanRow(plan=plan, number=1, topic="Семинар", form="seminar")
    db.session.add_all([plan, row])
    db.session.add(
        AnnualReport(
            association_id=world.association.id,
            year=2025,
            status="published",
            snapshot={"kk": _SNAPSHOT, "ru": _SNAPSHOT, "en": _SNAPSHOT},
        )
    )
    db.session.commit()
    world.objects["certificate"] = cert
    world.objects["plan_row"] = row
    return world


_SNAPSHOT = {"name": "Walk", "period": "2025–26", "core": [], "note": "", "sections": []}


def test_every_core_and_sample_route_checks_permissions(app, world):
    assert_route_permissions(
        app,
        world,
        {**CORE_ROUTES, **SAMPLE_ROUTES},
        arg_defaults={
            "code": lambda w: w.objects["certificate"].code,
            "token": lambda w: "not-a-real-token",
            "school_year": lambda w: 2026,
            "row_id": lambda w: w.objects["plan_row"].id,
        },
        url_args={
            "stylesheet_bundle": {"digest": stylesheets.current(app).digest},
            "core.report": {"slug": "walk", "school_year": 2025},
            "core.report_pdf": {"slug": "walk", "school_year": 2025},
        },
    )


leaky = Blueprint("leaky", __name__)


@leaky.get("/leaky/<slug>/members")
def members(slug):
    return "everyone sees the member list"


@leaky.get("/leaky/unlisted")
def unlisted():
    return "nobody classified me"


@pytest.fixture
def leaky_app(make_app):
    app = make_app(plugins="")
    app.register_blueprint(leaky)
    with app.app_context():
        yield app


def test_the_walk_reports_leaks_unclassified_routes_and_unreachable_pages(leaky_app, factory):
    world = seed_world(factory)

    result = walk_routes(
        leaky_app,
        world,
        {"leaky.members": "member", "leaky.gone": "public", "core.admin": "login"},
        only=lambda endpoint: endpoint.startswith(("leaky.", "core.admin")),
    )

    problems = "\n".join(result.problems)
    assert f"leaky.members /leaky/{world.association.slug}/members: 200 for anonymous" in problems
    assert "200 for outsider" in problems
    assert "leaky.unlisted (/leaky/unlisted): not in the table" in problems
    assert "leaky.gone: in the table but no such GET route" in problems
    # core.admin classified too low is not a leak, but the outsider cannot reach it:
    assert "core.admin /admin: 403 for outsider, who should reach an 'login' page" in problems
    assert result.statuses["leaky.members"]["admin"] == 200


def test_missing_url_arguments_are_reported(leaky_app, factory):
    world = seed_world(factory)
    result = walk_routes(
        leaky_app,
        world,
        {"leaky.members": "public"},
        only=lambda endpoint: endpoint == "leaky.members",
        arg_defaults={"slug": lambda w: (_ for _ in ()).throw(LookupError("no slug here"))},
    )
    assert result.problems == ["no slug here"]
