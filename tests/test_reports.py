"""Annual reports through HTTP: drafts for the leader, published ones for everyone with
frozen figures, plugins' sections (and none from a plugin switched off), a parent's report
with its member associations, and the PDF."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
import time_machine

from core.extensions import db
from core.models import AnnualReport, Membership
from core.services import plugin_gate
from core.testing import sign_in_as

# 20 June 2027 in Almaty: the school year 2026-27 is nearly over.
JUNE = dt.datetime(2027, 6, 20, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


@pytest.fixture(autouse=True)
def _english(client):
    client.set_cookie("lang", "en")


def _note(association, text="Жазба"):
    from qauym_sample.plugin import SampleNote

    db.session.add(SampleNote(association_id=association.id, text=text))
    db.session.commit()


@pytest.fixture
def world(factory):
    parent = factory.association(slug="kostanay", name_kk="Қостанай бірлестігі")
    child = factory.association(slug="shyn", name_kk="ШЫҢ желісі", parent_id=parent.id)
    leader = factory.member(parent, factory.user(full_name="Әсел Жетекші"), "leader")
    early = factory.member(parent, factory.user(full_name="Ерте Мүше"), "member")
    late = factory.member(parent, factory.user(full_name="Кеш Мүше"), "member")
    factory.member(child, factory.user(full_name="Бала Мүше"), "member")
    for user, when in (
        (leader, dt.datetime(2025, 5, 1)),
        (early, dt.datetime(2026, 1, 1)),
        (late, dt.datetime(2027, 2, 1)),
    ):
        m = db.session.scalar(
            db.select(Membership).where(
                Membership.user_id == user.id, Membership.association_id == parent.id
            )
        )
        m.joined_at = when
    db.session.commit()
    _note(parent)
    _note(parent)
    _note(child)
    return {"parent": parent, "child": child, "leader": leader, "member": early}


def _figures(html: str) -> dict[str, str]:
    import re

    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))


def test_draft_is_for_the_leader_then_published_for_everyone(client, post, world, app):
    anonymous = app.test_client()
    anonymous.set_cookie("lang", "en")
    with time_machine.travel(JUNE, tick=False):
        assert anonymous.get("/a/kostanay/report/2026").status_code == 404
        member = app.test_client()
        sign_in_as(member, world["member"])
        assert member.get("/a/kostanay/report/2026").status_code == 404
        assert post(member, "/a/kostanay/report/2026", {"foreword": "x"}).status_code == 403

        sign_in_as(client, world["leader"])
        html = client.get("/a/kostanay/report/2026").get_data(as_text=True)
        assert "Draft: not published" in html
        figures = _figures(html)
        assert figures["Members at the start of the year"] == "2"
        assert figures["Members at the end of the year"] == "3"
        assert figures["Notes written"] == "2"
        assert "People who left the association are no longer recorded" in html

        resp = post(
            client, "/a/kostanay/report/2026", {"foreword": "Біздің **жыл**", "publish": "0"}
        )
        assert resp.status_code == 302
        assert anonymous.get("/a/kostanay/report/2026").status_code == 404
        assert "Annual report for 2026–27" not in anonymous.get("/a/kostanay").get_data(
            as_text=True
        )

        resp = post(
            client, "/a/kostanay/report/2026", {"foreword": "Біздің **жыл**", "publish": "1"}
        )
        assert resp.status_code == 302
        report = db.session.scalar(db.select(AnnualReport))
        assert report.status == "published" and set(report.snapshot) == {"kk", "ru", "en"}

        html = anonymous.get("/a/kostanay/report/2026").get_data(as_text=True)
        assert "<strong>жыл</strong>" in html and _figures(html)["Notes written"] == "2"
        assert "Draft" not in html
        home = anonymous.get("/a/kostanay").get_data(as_text=True)
        assert 'href="/a/kostanay/report/2026"' in home and "Annual report for 2026–27" in home

        # published figures do not change later
        _note(world["parent"])
        assert (
            _figures(anonymous.get("/a/kostanay/report/2026").get_data(as_text=True))[
                "Notes written"
            ]
            == "2"
        )
        # a published report is not edited in place
        post(client, "/a/kostanay/report/2026", {"foreword": "Өзгерді", "publish": "0"})
        db.session.expire_all()
        assert db.session.scalar(db.select(AnnualReport.foreword)) == "Біздің **жыл**"
        # back to draft: live figures again, and no longer public
        assert post(client, "/a/kostanay/report/2026/unpublish").status_code == 302
        assert anonymous.get("/a/kostanay/report/2026").status_code == 404
        assert (
            _figures(client.get("/a/kostanay/report/2026").get_data(as_text=True))["Notes written"]
            == "3"
        )


def test_published_report_reads_in_the_readers_language_and_as_pdf(client, post, world, app):
    with time_machine.travel(JUNE, tick=False):
        sign_in_as(client, world["leader"])
        post(
            client,
            "/a/kostanay/report/2026",
            {"foreword": "Қазақ әріптері: ә ғ қ ң ө ұ ү һ і", "publish": "1"},
        )
    reader = app.test_client()
    reader.set_cookie("lang", "ru")
    html = reader.get("/a/kostanay/report/2026").get_data(as_text=True)
    assert "Членов в начале года" in html
    resp = reader.get("/a/kostanay/report/2026.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(resp.data)).pages)
    assert "Годовой отчёт за 2026–27" in text and "ә ғ қ ң ө ұ ү һ і" in text
    reader.set_cookie("lang", "kk")
    resp = reader.get("/a/kostanay/report/2026.pdf")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(resp.data)).pages)
    assert "Қостанай бірлестігі" in text and "Жыл басындағы мүшелер" in text


def test_parent_report_includes_member_associations_when_asked(client, post, world):
    with time_machine.travel(JUNE, tick=False):
        sign_in_as(client, world["leader"])
        html = client.get("/a/kostanay/report/2026").get_data(as_text=True)
        assert "Include member associations" in html
        post(client, "/a/kostanay/report/2026", {"include_children": "y", "publish": "0"})
        figures = _figures(client.get("/a/kostanay/report/2026").get_data(as_text=True))
        assert figures["Associations counted"] == "2"
        assert figures["Notes written"] == "3"
        assert figures["Members at the end of the year"] == "4"


def test_a_plugin_switched_off_for_the_association_contributes_nothing(client, world):
    plugin_gate.set_switch("sample", False, actor=None, association_id=world["parent"].id)
    db.session.commit()
    with time_machine.travel(JUNE, tick=False):
        sign_in_as(client, world["leader"])
        html = client.get("/a/kostanay/report/2026").get_data(as_text=True)
    assert "Sample notes" not in html and "Notes written" not in html
    assert "Members at the end of the year" in html
