"""Handles (``@handle``): given from the name to every new account (Kazakh and Russian
Cyrillic transliterated, a number added when taken), changed on the profile form with
translated errors, unique whatever the case, backfilled by the migration core_0040."""

from __future__ import annotations

import os

import flask_migrate
import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import School, User
from core.services import handles
from core.testing import _pg_reset, sign_in_as


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


@pytest.mark.parametrize(
    ("name", "handle"),
    [
        ("Айгүл Серікова", "aigul_serikova"),
        ("Әлия Сейітова", "aliya_seiitova"),
        ("Щукин Юрий Ёлкин", "shchukin_yurii_yolkin"),
        ("Қуаныш Шыңғысұлы", "quanysh_shyngysuly"),
        ("Ли", "li_user"),
        ("", "user"),
        ("O'Brien  Şahin", "o_brien_sahin"),
        ("Оспанова-Жұмабаева Гүлнар Нұрсұлтанқызы", "ospanova_zhumabaeva_gulnar_nur"),
    ],
)
def test_base_handle_transliterates_the_name(name, handle):
    assert handles.base_handle(name) == handle
    assert handles.HANDLE_RE.fullmatch(handle)


def test_new_users_get_a_free_handle_from_their_name(app, factory):
    first = factory.user(full_name="Айгүл Серікова")
    second = factory.user(full_name="АЙГҮЛ СЕРІКОВА")
    # Two in one flush do not collide either.
    a = User(email="a@example.kz", full_name="Айгүл Серікова", password_hash="x")
    b = User(email="b@example.kz", full_name="Айгүл Серікова", password_hash="x")
    db.session.add_all([a, b])
    db.session.commit()
    assert [first.handle, second.handle, a.handle, b.handle] == [
        "aigul_serikova",
        "aigul_serikova2",
        "aigul_serikova3",
        "aigul_serikova4",
    ]


def _profile_form(user, **over):
    data = {
        "full_name": user.full_name,
        "email": user.email,
        "handle": user.handle,
        "region": str(user.region_id),
        "district": "",
        "school": str(user.school_id),
        "new_school": "",
        "category": "none",
        "experience_years": "0",
        "locale": "kk",
    }
    data.update(over)
    return data


@pytest.fixture
def teacher(app, factory):
    region = factory.region(code="kst")
    school = School(name="№7 мектеп", region_id=region.id)
    db.session.add(school)
    db.session.commit()
    return factory.user(full_name="Әлия Сейітова", region_id=region.id, school_id=school.id)


def test_profile_shows_and_edits_the_handle(client, post, factory, teacher):
    sign_in_as(client, teacher)
    assert 'value="aliya_seiitova"' in client.get("/profile/edit").get_data(as_text=True)
    resp = post(client, "/profile/edit", _profile_form(teacher, handle=" @Aliya_S "))
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, teacher.id).handle == "aliya_s"
    other = factory.user(full_name="Басқа")
    page = client.get(f"/u/{teacher.id}").get_data(as_text=True)
    assert "@aliya_s" in page
    # A form without the field (an older page) keeps the handle.
    data = _profile_form(teacher, handle=None)
    del data["handle"]
    assert post(client, "/profile/edit", data).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, teacher.id).handle == "aliya_s"
    assert other.handle == "basqa"


@pytest.mark.parametrize(
    ("lang", "typed", "message"),
    [
        ("en", "ab", "A handle has 3 to 30 characters."),
        ("en", "a" * 31, "A handle has 3 to 30 characters."),
        ("en", "әлия", "Use only Latin letters a-z"),
        ("en", "_aliya", "Use only Latin letters a-z"),
        ("en", "BASQA", "This handle is taken"),
        ("kk", "әлия", "Тек латын әріптері"),
        ("kk", "basqa", "Бұл лақап ат бос емес"),
        ("ru", "ali ya", "Только латинские буквы"),
        ("ru", "basqa", "Этот ник уже занят"),
        ("kk", "", "Лақап атыңызды жазыңыз."),
    ],
)
def test_a_bad_or_taken_handle_is_refused_in_the_readers_language(
    client, post, factory, teacher, lang, typed, message
):
    factory.user(full_name="Басқа")
    sign_in_as(client, teacher)
    client.set_cookie("lang", lang)
    resp = post(client, "/profile/edit", _profile_form(teacher, handle=typed, full_name="Жаңа"))
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert message in html
    assert 'id="handle-err"' in html
    db.session.expire_all()
    user = db.session.get(User, teacher.id)
    assert (user.handle, user.full_name) == ("aliya_seiitova", "Әлия Сейітова")


def test_migration_backfills_handles_from_names(pg_url, tmp_path):
    """Upgrade a database at core_0031 holding users to core_0040 (and back)."""
    from core import create_app

    url = pg_url or f"sqlite:///{tmp_path / 'handles.db'}"
    os.environ.setdefault("QAUYM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PLUGINS": "", "DATABASE_URL": url})
    with app.app_context():
        if pg_url:
            _pg_reset()
        flask_migrate.upgrade(revision="core_0031")
        for n, name in enumerate(["Айгүл Серікова", "Айгүл  Серікова", "Ли", "Щукин Юрий"], 1):
            db.session.execute(
                sa.text(
                    "INSERT INTO core_user (id, email, password_hash, full_name, category,"
                    " experience_years, position, bio, is_site_admin, active, email_confirmed,"
                    " profile_public, created_at) VALUES (:id, :email, 'x', :name, 'none', 0,"
                    " '', '', false, true, true, false, '2026-01-01')"
                ),
                {"id": n, "email": f"u{n}@example.kz", "name": name},
            )
        db.session.commit()
        flask_migrate.upgrade(revision="core_0040")
        rows = db.session.execute(sa.text("SELECT handle FROM core_user ORDER BY id")).all()
        db.session.commit()
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.text("UPDATE core_user SET handle = 'li_user' WHERE id = 1"))
        db.session.rollback()
        flask_migrate.downgrade(revision="core_0031")
        db.session.remove()
        db.engine.dispose()
    assert [r[0] for r in rows] == [
        "aigul_serikova",
        "aigul_serikova2",
        "li_user",
        "shchukin_yurii",
    ]
