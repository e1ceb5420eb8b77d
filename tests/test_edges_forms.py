"""Text and dates at their edges (issue 10): what people type is stored on one line without
control or bidi characters, reaches a certificate clean, and a date in year 1 or 9999 is a
field error in the user's language with the typed text kept."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import District, School, Subject, User
from core.services import certificates


@pytest.fixture
def app(make_app):
    app = make_app(plugins="")
    with app.app_context():
        yield app


@pytest.fixture
def places(factory):
    region = factory.region("kostanay")
    district = District(region_id=region.id, name_kk="Аудан", name_ru="Район", name_en="District")
    db.session.add(district)
    db.session.flush()
    school = School(name="№1 мектеп", region_id=region.id, district_id=district.id)
    subject = Subject(code="math", name_kk="Математика", name_ru="Математика", name_en="Maths")
    db.session.add_all([school, subject])
    db.session.commit()
    return {"region": region, "district": district, "school": school, "subject": subject}


def _registration(places, **over):
    data = {
        "full_name": "Әсел Нұрланқызы",
        "email": "asel@example.kz",
        "password": "qwerty123",
        "confirm": "qwerty123",
        "region": str(places["region"].id),
        "district": str(places["district"].id),
        "school": str(places["school"].id),
        "new_school": "",
        "subjects": [str(places["subject"].id)],
        "category": "moderator",
        "experience_years": "7",
        "locale": "kk",
    }
    data.update(over)
    return data


def test_a_name_with_line_breaks_nul_and_bidi_overrides_is_stored_and_certified_clean(
    client, post, places
):
    typed = "\u202eӘсел\r\nНұрлан\x00қызы\u2066\t"
    resp = post(client, "/register", _registration(places, full_name=typed))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]  # "check your mail"
    user = db.session.scalar(select(User).where(User.email == "asel@example.kz"))
    assert user.full_name == "Әсел Нұрланқызы"

    cert = certificates.issue(
        source_key="edges:name",
        recipient=user,
        title="Қатысқаны үшін",
        kind="edges",
        issuer="Qauym",
        issued_on=dt.date(2026, 1, 1),
    )
    db.session.commit()
    assert cert.recipient_name == "Әсел Нұрланқызы"
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "Әсел Нұрланқызы" in page
    assert "\u202e" not in page and "\x00" not in page


def test_a_password_is_not_changed_by_the_cleaning(client, post, places):
    resp = post(
        client,
        "/register",
        _registration(places, password="pass\tword 1", confirm="pass\tword 1"),
    )
    assert resp.status_code == 200
    user = db.session.scalar(select(User).where(User.email == "asel@example.kz"))
    assert user.check_password("pass\tword 1")
