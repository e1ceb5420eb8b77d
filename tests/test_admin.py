"""Admin area: dashboard, regional administrators, plugin switches and the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Association, AuditLog, PluginSwitch, RegionAdmin


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


@pytest.fixture
def world(factory):
    """Two regions with one association each (plus a child in R), a regional administrator
    of R, a site administrator and a member of the association in R."""
    r = factory.region(code="kostanay", name_en="Kostanay")
    other = factory.region(code="almaty", name_en="Almaty")
    a = factory.association(slug="net", region_id=r.id, join_policy="open")
    child = factory.association(slug="school", region_id=r.id, parent_id=a.id)
    b = factory.association(slug="far", region_id=other.id)
    member = factory.member(a)
    factory.member(child, member)
    factory.member(b, member)
    radmin = factory.user(full_name="Облыс Әкімшісі")
    db.session.add(RegionAdmin(user_id=radmin.id, region_id=r.id))
    db.session.commit()
    site = factory.user(is_site_admin=True)
    return {
        "r": r,
        "other": other,
        "a": a,
        "child": child,
        "b": b,
        "member": member,
        "radmin": radmin,
        "site": site,
    }


def _has_sample(client, slug):
    """(page answers, tab shown, sidebar slot shown) for the sample plugin on ``slug``."""
    page = client.get(f"/a/{slug}").get_data(as_text=True)
    return (
        client.get(f"/sample/{slug}").status_code == 200,
        f'href="/sample/{slug}"' in page,
        f"sample for {slug}" in page,
    )


def _switch_region(client, post, region_id, enabled):
    return post(
        client,
        "/admin/plugins/switch",
        {"switch": "sample:1" if enabled else "sample:0", "region": region_id},
    )


def test_admin_area_needs_an_administrator(client, factory, world, login, post):
    assert client.get("/admin").status_code == 302
    login(client, world["member"])
    for url in ("/admin", "/admin/plugins", "/admin/audit", "/admin/associations"):
        assert client.get(url).status_code == 403, url
    assert client.get("/admin/region-admins").status_code == 403
    assert _switch_region(client, post, world["r"].id, False).status_code == 403
    assert db.session.scalars(select(PluginSwitch)).all() == []


def test_dashboard_counts(client, world, login):
    client.set_cookie("lang", "en")
    login(client, world["site"])
    html = client.get("/admin").get_data(as_text=True)
    counts = html.split('class="cards counts"')[1].split("</div>\n</div>")[0]
    assert "<strong>3</strong><br>Associations" in counts
    assert "<strong>3</strong><br>Memberships" in counts
    assert "<strong>2</strong><br>Regions and cities" in counts
    assert "<strong>1</strong><br>Regional administrators" in counts


def test_regional_dashboard_and_lists_are_scoped(client, world, login, post):
    client.set_cookie("lang", "en")
    login(client, world["radmin"])
    html = client.get("/admin").get_data(as_text=True)
    assert "<strong>2</strong><br>Associations" in html  # net and school, not far
    assert "Users" not in html.split('class="cards counts"')[1]
    listing = client.get("/admin/associations").get_data(as_text=True)
    assert 'href="/a/net"' in listing and 'href="/a/school"' in listing
    assert 'href="/a/far"' not in listing
    # Their region only on the plugin page too.
    plugins = client.get("/admin/plugins").get_data(as_text=True)
    assert "Kostanay" in plugins and "Almaty" not in plugins
    assert client.get("/admin/region-admins").status_code == 403


def test_site_admin_adds_and_removes_regional_admin(client, factory, world, login, post):
    client.set_cookie("lang", "en")
    newcomer = factory.user(email="new.admin@example.kz", full_name="Жаңа Әкімші")
    login(client, world["site"])
    resp = post(
        client,
        "/admin/region-admins",
        {"email": "NEW.admin@example.kz", "region": world["other"].id},
    )
    assert resp.status_code == 302
    row = db.session.scalar(select(RegionAdmin).where(RegionAdmin.user_id == newcomer.id))
    assert row.region_id == world["other"].id
    added = db.session.scalar(select(AuditLog).where(AuditLog.action == "region_admin.add"))
    assert added.actor_id == world["site"].id and added.region_id == world["other"].id
    # Twice, or an unknown email: field errors, nothing added.
    resp = post(
        client, "/admin/region-admins", {"email": newcomer.email, "region": world["other"].id}
    )
    assert resp.status_code == 400 and "already administers" in resp.get_data(as_text=True)
    resp = post(
        client, "/admin/region-admins", {"email": "ghost@example.kz", "region": world["r"].id}
    )
    assert resp.status_code == 400 and "No registered user" in resp.get_data(as_text=True)
    assert len(db.session.scalars(select(RegionAdmin)).all()) == 2
    # Remove.
    post(client, f"/admin/region-admins/{row.id}/remove")
    assert db.session.get(RegionAdmin, row.id) is None
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "region_admin.remove"))


def test_region_switch_takes_effect_on_next_request(client, world, login, post):
    member = world["member"]
    login(client, member)
    assert _has_sample(client, "net") == (True, True, True)
    assert _has_sample(client, "far") == (True, True, True)
    post(client, "/logout")

    login(client, world["radmin"])
    page = client.get("/admin/plugins").get_data(as_text=True)
    button = f'form="switch-{world["r"].id}" name="switch" value="sample:0"'
    assert 'id="plugin-sample"' in page and button in page
    resp = _switch_region(client, post, world["r"].id, False)
    assert resp.status_code == 302

    page = client.get("/admin/plugins").get_data(as_text=True)
    assert f'form="switch-{world["r"].id}" name="switch" value="sample:1"' in page
    post(client, "/logout")

    login(client, member)
    assert _has_sample(client, "net") == (False, False, False)
    assert _has_sample(client, "school") == (False, False, False)  # same region
    assert _has_sample(client, "far") == (True, True, True)  # another region
    post(client, "/logout")

    login(client, world["radmin"])
    _switch_region(client, post, world["r"].id, True)
    post(client, "/logout")
    login(client, member)
    assert _has_sample(client, "net") == (True, True, True)

    entries = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(e.action, e.actor_id, e.region_id) for e in entries] == [
        ("plugin.disable", world["radmin"].id, world["r"].id),
        ("plugin.enable", world["radmin"].id, world["r"].id),
    ]


def test_association_switch_applies_to_children(client, world, login, post):
    client.set_cookie("lang", "en")
    login(client, world["radmin"])
    page = client.get("/admin/a/net").get_data(as_text=True)
    assert 'id="plugin-sample"' in page and "inherited" in page
    post(client, "/admin/a/net/plugins", {"switch": "sample:0"})
    post(client, "/logout")
    login(client, world["member"])
    assert _has_sample(client, "net") == (False, False, False)
    assert _has_sample(client, "school") == (False, False, False)  # child of net
    assert _has_sample(client, "far") == (True, True, True)
    post(client, "/logout")
    # The child can be switched back on for itself only.
    login(client, world["radmin"])
    post(client, "/admin/a/school/plugins", {"switch": "sample:1"})
    post(client, "/logout")
    login(client, world["member"])
    assert _has_sample(client, "school") == (True, True, True)
    assert _has_sample(client, "net") == (False, False, False)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "plugin.disable"))
    assert entry.association_id == world["a"].id and entry.actor_id == world["radmin"].id


def test_regional_admin_cannot_reach_another_region(client, world, login, post):
    login(client, world["radmin"])
    assert _switch_region(client, post, world["other"].id, False).status_code == 403
    assert client.get("/admin/a/far").status_code == 403
    resp = post(client, "/admin/a/far/plugins", {"switch": "sample:0"})
    assert resp.status_code == 403
    assert db.session.scalars(select(PluginSwitch)).all() == []
    assert client.get("/a/far/edit").status_code == 403
    assert post(client, "/a/far/edit", {"name_kk": "Басып алу"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Association, world["b"].id).name_kk != "Басып алу"
    # ...while their own region's association is theirs to edit.
    assert client.get("/a/net/edit").status_code == 200


def test_switch_rejects_unknown_plugin_and_bad_input(client, world, login, post):
    login(client, world["site"])
    resp = post(client, "/admin/plugins/switch", {"switch": "nope:0", "region": world["r"].id})
    assert resp.status_code == 404
    resp = post(client, "/admin/plugins/switch", {"switch": "sample:0"})
    assert resp.status_code == 400
    resp = post(client, "/admin/plugins/switch", {"switch": "sample:2", "region": world["r"].id})
    assert resp.status_code == 400
    resp = post(client, "/admin/plugins/switch", {"switch": "sample:0", "region": "9999"})
    assert resp.status_code == 404
    assert db.session.scalars(select(PluginSwitch)).all() == []


def test_audit_log_newest_first_scoped_and_paginated(client, factory, world, login, post):
    login(client, world["site"])
    _switch_region(client, post, world["other"].id, False)  # Almaty
    _switch_region(client, post, world["r"].id, False)  # Kostanay
    post(client, "/admin/a/net/plugins", {"switch": "sample:1"})
    html = client.get("/admin/audit").get_data(as_text=True)
    table = html.split('<table class="audit stack-table">')[1]
    # In words, in the reader's language (Kazakh by default), the plugin by its description.
    assert table.index("Sample plugin (tests only) қосылды") < table.index("өшірілді")
    assert table.count("Sample plugin (tests only) өшірілді") == 2
    assert "plugin.enable" not in table and "enabled: True" not in table
    post(client, "/logout")

    login(client, world["radmin"])
    table = (
        client.get("/admin/audit")
        .get_data(as_text=True)
        .split('<table class="audit stack-table">')[1]
    )
    assert table.count("өшірілді") == 1  # Kostanay's, not Almaty's
    assert table.count("қосылды") == 1  # the association in Kostanay
    post(client, "/logout")

    from core.services import audit

    for i in range(60):
        audit.record("test.filler", actor=None, target=f"row{i:02d}")
    db.session.commit()
    login(client, world["site"])
    first = client.get("/admin/audit").get_data(as_text=True)
    assert "row59" in first and "row00" not in first and 'rel="next"' in first
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    assert "row00" in second
    only = client.get("/admin/audit?action=plugin.enable").get_data(as_text=True)
    only = only.split('<table class="audit stack-table">')[1]
    assert "қосылды" in only and "test.filler" not in only
    ru = client.get("/admin/audit?action=plugin.enable", headers={"Accept-Language": "ru"})
    assert "Включено: Sample plugin (tests only)" in ru.get_data(as_text=True)
