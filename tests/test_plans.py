"""Activity plans through HTTP: who edits them, rows, CSV import and export, the PDF, the
planned/done/overdue states with plugins' links, and members-only plans."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
import time_machine
from sqlalchemy import func, select

from core.extensions import db
from core.models import Plan, PlanRow
from core.services import plugin_gate
from core.testing import assert_formulas_neutralised, read_csv, sign_in_as

# 10 November 2026, 12:00 in Almaty: school year 2026-27.
NOV_10 = dt.datetime(2026, 11, 10, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


@pytest.fixture(autouse=True)
def _english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def people(factory):
    association = factory.association(slug="shyn", name_kk="ШЫҢ желісі")
    return {
        "association": association,
        "leader": factory.member(association, factory.user(full_name="Әсел Жетекші"), "leader"),
        "secretary": factory.member(
            association,
            factory.user(full_name="Гүлнар Хатшы", email="hatshy@example.kz"),
            "secretary",
        ),
        "member": factory.member(association, factory.user(full_name="Ерлан Мүше"), "member"),
        "outsider": factory.user(full_name="Бөгде Адам"),
    }


def _row(**kw) -> dict:
    data = {
        "topic": "Формативті бағалау",
        "form": "seminar",
        "goal": "Мақсат",
        "expected_result": "",
        "resources": "",
        "participants": "№1 мектеп",
        "month": "",
        "on_date": "",
        "responsible": "",
        "number": "",
    }
    data.update(kw)
    return data


def _rows() -> list[PlanRow]:
    db.session.expire_all()
    return list(db.session.scalars(select(PlanRow).order_by(PlanRow.number, PlanRow.id)))


def test_member_cannot_edit_secretary_can(client, post, people):
    base = "/a/shyn/plan/2026"
    sign_in_as(client, people["member"])
    assert client.get(base + "/rows/new").status_code == 403
    assert post(client, base + "/rows/new", _row()).status_code == 403
    assert _rows() == []
    assert "Add a row" not in client.get(base).get_data(as_text=True)

    client.get("/logout")
    client2 = client.application.test_client()
    client2.set_cookie("lang", "en")
    sign_in_as(client2, people["secretary"])
    resp = post(client2, base + "/rows/new", _row(month="10", responsible=str(people["member"].id)))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    post(client2, base + "/rows/new", _row(topic="Оқу серуені", form="learning_walk"))
    rows = _rows()
    assert [(r.number, r.topic, r.month) for r in rows] == [
        (1, "Формативті бағалау", 10),
        (2, "Оқу серуені", None),
    ]
    html = client2.get(base).get_data(as_text=True)
    assert "Формативті бағалау" in html and "October 2026" in html and "Ерлан Мүше" in html

    # edit, move, renumber, delete
    first, second = rows
    resp = post(
        client2, f"{base}/rows/{first.id}/edit", _row(topic="Жаңа тақырып", on_date="2027-03-05")
    )
    assert resp.status_code == 302
    assert post(client2, f"{base}/rows/{second.id}/move/up").status_code == 302
    assert [r.topic for r in _rows()] == ["Оқу серуені", "Жаңа тақырып"]
    assert _rows()[1].on_date == dt.date(2027, 3, 5) and _rows()[1].month is None
    assert post(client2, f"{base}/rows/{second.id}/delete").status_code == 302
    assert [(r.number, r.topic) for r in _rows()] == [(2, "Жаңа тақырып")]
    post(client2, f"{base}/renumber")
    assert [r.number for r in _rows()] == [1]
    # a member may not delete, and rows of another year's URL are not found
    sign_in_as(client, people["member"])
    assert post(client, f"{base}/rows/{first.id}/delete").status_code == 403
    assert post(client2, f"/a/shyn/plan/2025/rows/{first.id}/delete").status_code == 404


def test_wtforms_own_messages_follow_each_requests_language(client, post, people):
    """WTForms' own message (a required field left empty) comes from WTForms' catalog in the
    reader's language at each request, though each language's catalog is read once."""
    from babel import support
    from wtforms.i18n import messages_path

    sign_in_as(client, people["leader"])
    for lang in ("kk", "ru", "en", "kk"):
        people["leader"].locale = lang
        db.session.commit()
        resp = post(client, "/a/shyn/plan/2026/rows/new", _row(topic=""))
        assert resp.status_code == 400
        html = resp.get_data(as_text=True)
        catalog = support.Translations.load(messages_path(), [lang], domain="wtforms")
        expected = catalog.gettext("This field is required.")
        assert f'lang="{lang}"' in html
        assert expected in html, lang


def test_bad_row_input_gets_field_errors_and_keeps_what_was_typed(client, post, people):
    sign_in_as(client, people["leader"])
    resp = post(client, "/a/shyn/plan/2026/rows/new", _row(topic="", goal="Сақталған мәтін"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Сақталған мәтін" in html and "This field is required." in html
    resp = post(client, "/a/shyn/plan/2026/rows/new", _row(on_date="2028-01-01"))
    assert resp.status_code == 400
    assert "Choose a date within the school year 2026–27." in resp.get_data(as_text=True)
    for bad in ({"form": "dance"}, {"number": "-3"}, {"month": "13"}, {"responsible": "999999"}):
        assert post(client, "/a/shyn/plan/2026/rows/new", _row(**bad)).status_code == 400
    assert _rows() == []
    assert client.get("/a/shyn/plan/99999").status_code == 404
    assert client.get("/a/shyn/plan/2026/rows/99999999999999999999/edit").status_code == 404


GOOD_CSV = (
    "\ufeffNo.,Topic,Form of activity,Goal,Expected result,Resources,Participants and venue,"
    "Month or date,Responsible\r\n"
    "1,Онлайн кездесу,Network meeting,Тәжірибе алмасу,,,Zoom,қыркүйек,hatshy@example.kz\r\n"
    ",Оқу серуені,Серуен,,,,,,\r\n"
)


def _upload(client, post, text: str, **extra):
    data = {"file": (io.BytesIO(text.encode("utf-8")), "plan.csv"), **extra}
    return post(client, "/a/shyn/plan/2026/import", data, content_type="multipart/form-data")


def test_csv_import_with_a_bad_line_saves_nothing(client, post, people):
    sign_in_as(client, people["secretary"])
    bad = (
        "1;Семинар;Seminar;;;;;10;\n"
        "2;Конференция;Дискотека;;;;;32.13.2026;Белгісіз Адам\n"
        "3;;Webinar;;;;;2030-01-01;\n"
    )
    resp = _upload(client, post, bad)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Nothing has been saved" in html
    assert "Line 2:" in html and "Unknown form of activity: Дискотека." in html
    assert "32.13.2026 is not a date." in html
    assert "Белгісіз Адам is not a member of the association." in html
    assert "Line 3:" in html and "The topic is missing." in html
    assert "Add these rows" not in html
    # confirming anyway (a crafted POST) saves nothing either
    resp = post(client, "/a/shyn/plan/2026/import", {"confirm": "1", "payload": "bm9wZQ=="})
    assert resp.status_code == 400
    assert db.session.scalar(select(func.count(PlanRow.id))) == 0
    for junk in (b"\x00\xff\xfe binary", b"x" * 70000):
        resp = post(
            client,
            "/a/shyn/plan/2026/import",
            {"file": (io.BytesIO(junk), "x.csv")},
            content_type="multipart/form-data",
        )
        html = resp.get_data(as_text=True)
        assert resp.status_code == 400 and 'class="error"' in html


def test_csv_import_of_a_good_file_previews_then_saves(client, post, people):
    sign_in_as(client, people["secretary"])
    # Russian reader: the form label and month in Kazakh and Russian are both understood.
    text = GOOD_CSV.replace("Серуен", "учебный обход")
    resp = _upload(client, post, text)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html
    assert "2 rows will be added to the plan." in html
    assert db.session.scalar(select(func.count(PlanRow.id))) == 0  # only a preview
    from html.parser import HTMLParser

    class Hidden(HTMLParser):
        value = ""

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name") == "payload" and a.get("value"):
                self.value = a["value"]

    parser = Hidden()
    parser.feed(html)
    resp = post(client, "/a/shyn/plan/2026/import", {"confirm": "1", "payload": parser.value})
    assert resp.status_code == 302
    rows = _rows()
    assert [(r.number, r.topic, r.form, r.month, r.responsible_id) for r in rows] == [
        (1, "Онлайн кездесу", "network_meeting", 9, people["secretary"].id),
        (2, "Оқу серуені", "learning_walk", None, None),
    ]


def test_csv_export_neutralises_formulas_and_hides_people_from_the_public(client, post, people):
    payload = '=HYPERLINK("http://evil.example","x")'
    sign_in_as(client, people["leader"])
    post(
        client,
        "/a/shyn/plan/2026/rows/new",
        _row(topic=payload, goal="@SUM(1)", responsible=str(people["member"].id)),
    )
    rows = read_csv(client.get("/a/shyn/plan/2026.csv"))
    assert rows[0][-1] == "Responsible"
    assert_formulas_neutralised(rows, payload, expected=1)
    assert rows[1][3] == "'@SUM(1)" and rows[1][-1] == "Ерлан Мүше"
    anonymous = client.application.test_client()
    public = read_csv(anonymous.get("/a/shyn/plan/2026.csv"))
    assert "Responsible" not in public[0][-1] and "Ерлан Мүше" not in str(public)


def test_plan_pdf_has_kazakh_letters(client, post, people):
    sign_in_as(client, people["leader"])
    post(
        client,
        "/a/shyn/plan/2026/rows/new",
        _row(topic="Әдіс-тәсілдер: ғылым, қоғам, өңір, ұстаз, үміт, һ, і"),
    )
    client.set_cookie("lang", "kk")
    resp = client.get("/a/shyn/plan/2026.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(resp.data)).pages)
    assert "ШЫҢ желісі" in text
    for word in ("Әдіс-тәсілдер", "ғылым", "қоғам", "өңір", "ұстаз", "үміт", "һ, і"):
        assert word in text


def _note(association, text):
    from qauym_sample.plugin import SampleNote

    db.session.add(SampleNote(association_id=association.id, text=text))
    db.session.commit()


def test_rows_are_planned_done_or_overdue_in_site_time(client, post, people, app):
    a = people["association"]
    with time_machine.travel(NOV_10, tick=False):
        sign_in_as(client, people["leader"])
        for topic, month in (
            ("Қыркүйек", "9"),
            ("Қазан", "10"),
            ("Желтоқсан", "12"),
            ("Күнсіз", ""),
        ):
            post(client, "/a/shyn/plan/2026/rows/new", _row(topic=topic, month=month))
        post(client, "/a/shyn/plan/2026/rows/new", _row(topic="Бүгін", on_date="2026-11-10"))
        sep, octo, dec, undated, today = _rows()
        _note(a, f"plan:{octo.id}")  # took place
        _note(a, f"plan:{dec.id}:later")  # linked, not yet
        html = client.get("/a/shyn/plan").get_data(as_text=True)

        def state(row):
            chunk = html.split(f'id="row-{row.id}"', 1)[1].split("</tr>", 1)[0]
            return chunk

        assert f'id="row-{sep.id}" class="state-overdue"' in html
        assert "overdue" in state(sep)
        assert "done" in state(octo) and "Sample note" in state(octo)
        assert "planned" in state(dec) and "Sample note" in state(dec)
        assert "planned" in state(undated) and "planned" in state(today)

        # switched off for the association: the sample plugin's link counts for nothing
        plugin_gate.set_switch("sample", False, actor=None, association_id=a.id)
        db.session.commit()
        html = client.get("/a/shyn/plan").get_data(as_text=True)
        assert "Sample note" not in html
        assert "overdue" in state(octo)
    # 1 September 2026 at 00:30 in Almaty is still 31 August in UTC: the current school
    # year is already 2026-27.
    with time_machine.travel(dt.datetime(2026, 8, 31, 19, 30, tzinfo=dt.UTC), tick=False):
        anonymous = app.test_client()
        anonymous.set_cookie("lang", "en")
        assert "Activity plan for 2026–27" in anonymous.get("/a/shyn/plan").get_data(as_text=True)


def test_members_only_plan_is_hidden_from_anonymous_and_outsiders(client, post, people, app):
    sign_in_as(client, people["leader"])
    post(client, "/a/shyn/plan/2026/rows/new", _row(topic="Жабық жоспар"))
    assert post(client, "/a/shyn/plan/2026/settings", {"members_only": "y"}).status_code == 302
    assert db.session.scalar(select(Plan.members_only)) is True
    anonymous = app.test_client()
    for url in ("/a/shyn/plan/2026", "/a/shyn/plan/2026.csv", "/a/shyn/plan/2026.pdf"):
        resp = anonymous.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    outsider = app.test_client()
    sign_in_as(outsider, people["outsider"])
    assert outsider.get("/a/shyn/plan/2026").status_code == 403
    member = app.test_client()
    sign_in_as(member, people["member"])
    assert "Жабық жоспар" in member.get("/a/shyn/plan/2026").get_data(as_text=True)
    # the members may not change the setting
    assert post(member, "/a/shyn/plan/2026/settings", {}).status_code == 403


def test_plan_page_queries_do_not_grow_with_rows(client, people, factory, count_queries):
    a = people["association"]
    plan = Plan(association_id=a.id, year=2026)
    db.session.add(plan)
    db.session.commit()
    plan_id = plan.id
    from core.models import Association

    def add(n):
        for i in range(n):
            association = db.session.scalar(select(Association).where(Association.slug == "shyn"))
            user = factory.member(association, factory.user(), "member")
            db.session.add(
                PlanRow(
                    plan_id=plan_id,
                    number=i + 1,
                    topic=f"Т {i}",
                    form="seminar",
                    month=10,
                    responsible_id=user.id,
                )
            )
        db.session.commit()
        db.session.expunge_all()

    sign_in_as(client, people["member"])
    add(2)
    client.get("/a/shyn/plan/2026")
    with count_queries() as few:
        assert client.get("/a/shyn/plan/2026").status_code == 200
    add(20)
    with count_queries() as many:
        html = client.get("/a/shyn/plan/2026").get_data(as_text=True)
    assert html.count('class="state-') == 22
    assert many.count == few.count


def test_a_row_keeps_its_responsible_person_after_they_leave(client, post, people, app):
    sign_in_as(client, people["leader"])
    post(client, "/a/shyn/plan/2026/rows/new", _row(responsible=str(people["member"].id)))
    row = _rows()[0]
    member = app.test_client()
    sign_in_as(member, people["member"])
    assert post(member, "/a/shyn/leave").status_code == 302
    page = client.get(f"/a/shyn/plan/2026/rows/{row.id}/edit").get_data(as_text=True)
    assert "Ерлан Мүше" in page
    resp = post(
        client,
        f"/a/shyn/plan/2026/rows/{row.id}/edit",
        _row(topic="Өзгертілді", responsible=str(people["member"].id)),
    )
    assert resp.status_code == 302
    assert _rows()[0].topic == "Өзгертілді" and _rows()[0].responsible_id == people["member"].id
