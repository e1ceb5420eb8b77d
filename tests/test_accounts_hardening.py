"""Login and registration at the edges: throttling per address (behind a reverse proxy) and per
account, the same work whether or not an email exists, and registration that reveals nothing
about which emails have an account."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

import core.models
from core.extensions import db, limiter
from core.models import OutboxEmail, User

RU_TOO_MANY = "Слишком много попыток"


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


def throttled_app(make_app, **config):
    app = make_app(plugins="sample", RATELIMIT_ENABLED=True, **config)
    limiter.reset()
    return app


def attempt(client, post, email, password="wrong-one", addr=None, **headers):  # noqa: S107
    if addr:
        headers["X-Forwarded-For"] = addr
    return post(client, "/login", {"email": email, "password": password}, headers=headers)


# Throttling -------------------------------------------------------------------------------------


def test_behind_a_proxy_one_address_is_throttled_and_another_is_not(make_app, factory, post):
    app = throttled_app(make_app, PROXY_FIX=1, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        for n in range(3):
            assert attempt(client, post, f"x{n}@example.kz", addr="10.0.0.1").status_code == 200
        blocked = attempt(
            client, post, "x9@example.kz", addr="10.0.0.1", **{"Accept-Language": "ru"}
        )
        assert blocked.status_code == 429
        assert RU_TOO_MANY in blocked.get_data(as_text=True)  # the translated error page
        user = factory.user(email="teacher@example.kz")
        ok = attempt(client, post, user.email, "password123", addr="10.0.0.2")
        assert ok.status_code == 302


def test_without_proxy_fix_the_forwarded_header_is_ignored(make_app, post):
    app = throttled_app(make_app, PROXY_FIX=0, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        for n in range(3):
            attempt(client, post, f"x{n}@example.kz", addr=f"10.0.0.{n}")
        # A made-up header does not buy a fresh allowance: the client address is what counts.
        assert attempt(client, post, "x9@example.kz", addr="10.9.9.9").status_code == 429


def test_one_account_attacked_from_many_addresses_is_throttled(make_app, factory, post):
    app = throttled_app(
        make_app,
        PROXY_FIX=1,
        LOGIN_RATE_LIMIT="100 per minute",
        LOGIN_ACCOUNT_RATE_LIMIT="3 per 15 minutes",
    )
    with app.app_context():
        victim = factory.user(email="victim@example.kz")
        other = factory.user(email="other@example.kz")
        client = app.test_client()
        for n in range(3):
            assert attempt(client, post, "victim@example.kz", addr=f"10.1.0.{n}").status_code == 200
        # Typed differently, from yet another address: the same account.
        again = attempt(client, post, " Victim@Example.KZ ", addr="10.1.0.99")
        assert again.status_code == 429
        right = attempt(client, post, victim.email, "password123", addr="10.1.0.100")
        assert right.status_code == 429
        # Another account, from the attacker's own address even, still logs in.
        assert attempt(client, post, other.email, "password123", addr="10.1.0.1").status_code == 302


def test_successful_logins_do_not_use_up_the_account_allowance(make_app, factory, post):
    app = throttled_app(make_app, LOGIN_ACCOUNT_RATE_LIMIT="2 per 15 minutes")
    with app.app_context():
        user = factory.user()
        for _ in range(4):
            client = app.test_client()
            assert attempt(client, post, user.email, "password123").status_code == 302


def test_registration_is_throttled_per_address(make_app, post):
    app = throttled_app(make_app, REGISTER_RATE_LIMIT="2 per hour")
    with app.app_context():
        client = app.test_client()
        for _ in range(2):
            assert post(client, "/register", {"email": "bad"}).status_code == 400
        assert post(client, "/register", {"email": "bad"}).status_code == 429


# The same work for every email --------------------------------------------------------------


@pytest.fixture
def password_checks(monkeypatch):
    """Every password hash the app verifies, in order."""
    seen: list[str] = []
    real = core.models.check_password_hash

    def spy(pwhash, password):
        seen.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(core.models, "check_password_hash", spy)
    return seen


def test_login_checks_one_password_whether_or_not_the_account_exists(
    client, post, factory, password_checks
):
    user = factory.user(email="teacher@example.kz")
    user.set_password("password123")  # scrypt, as for accounts made through the site
    factory.user(email="closed@example.kz", active=False)
    db.session.commit()

    for email in ("teacher@example.kz", "nobody@example.kz", "closed@example.kz"):
        password_checks.clear()
        resp = attempt(client, post, email, **{"Accept-Language": "en"})
        assert resp.status_code == 200
        assert "Wrong email or password" in resp.get_data(as_text=True)
        assert len(password_checks) == 1, email
        # The dummy hash is made with the same method and parameters as a real one.
        assert password_checks[0].split("$")[0] == user.password_hash.split("$")[0], email


# Registration ------------------------------------------------------------------------------


@pytest.fixture
def places(factory):
    from core.models import District, School

    region = factory.region("kst")
    district = District(region_id=region.id, name_kk="Аудан", name_ru="Район", name_en="-")
    db.session.add(district)
    db.session.flush()
    school = School(region_id=region.id, district_id=district.id, name="№1 мектеп")
    db.session.add(school)
    db.session.commit()
    return region, district, school


def register_data(places, email):
    region, district, school = places
    return {
        "full_name": "Әсел Нұрланқызы",
        "email": email,
        "password": "qwerty123",
        "confirm": "qwerty123",
        "region": str(region.id),
        "district": str(district.id),
        "school": str(school.id),
        "category": "moderator",
        "experience_years": "7",
        "locale": "kk",
    }


def mails_to(email: str) -> list[OutboxEmail]:
    return list(
        db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.to == email).order_by(OutboxEmail.id)
        )
    )


def visible(resp, email: str) -> str:
    """The page as an observer sees it, without the parts that differ by nature."""
    html = resp.get_data(as_text=True)
    html = re.sub(r'name="csrf_token" value="[^"]*"', "", html)
    return html.replace(email, "EMAIL")


def test_registering_an_existing_email_looks_the_same_and_mails_its_owner(
    client, post, factory, places
):
    owner = factory.user(email="asel@example.kz", full_name="Әсел Бұрынғы")
    before = owner.password_hash
    new = post(client, "/register", register_data(places, "new@example.kz"))
    other = client.application.test_client()
    taken = post(other, "/register", register_data(places, "ASEL@example.kz"))

    assert new.status_code == taken.status_code == 200
    assert visible(new, "new@example.kz") == visible(taken, "asel@example.kz")
    assert new.headers.get("Set-Cookie", "").count("remember") == 0
    # The existing account is untouched and nobody is logged in.
    db.session.expire_all()
    assert db.session.get(User, owner.id).password_hash == before
    assert db.session.scalar(select(func.count(User.id))) == 2
    assert other.get("/notifications").status_code == 302

    (mail,) = mails_to("asel@example.kz")
    assert mail.kind == "core.register_existing" and mail.sent_at is not None
    link = re.search(r"http://localhost(/password/reset/\S+)", mail.body).group(1)
    assert other.get(link).status_code == 200  # a working reset link
    (confirm,) = mails_to("new@example.kz")
    assert confirm.kind == "core.register_confirm"


def test_a_new_account_logs_in_only_after_confirming(client, post, places):
    resp = post(client, "/register", register_data(places, "new@example.kz"))
    assert resp.status_code == 200
    user = db.session.scalar(select(User).where(User.email == "new@example.kz"))
    assert user is not None and user.email_confirmed is False
    assert client.get("/notifications").status_code == 302

    # Logging in before confirming fails exactly like a wrong password would.
    early = attempt(client, post, "new@example.kz", "qwerty123", **{"Accept-Language": "en"})
    assert early.status_code == 200 and "Wrong email or password" in early.get_data(as_text=True)

    (mail,) = mails_to("new@example.kz")
    link = re.search(r"http://localhost(/register/confirm/\S+)", mail.body).group(1)
    # Opening the link (a mail scanner does) changes nothing; the button does.
    assert client.get(link).status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed is False
    assert client.post(link).status_code == 400  # no CSRF token
    done = post(client, link, {})
    assert done.status_code == 302 and done.headers["Location"].endswith("/welcome")
    assert client.get("/notifications").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed is True

    # The link again: already confirmed, off to the login page.
    again = client.application.test_client().get(link)
    assert again.status_code == 302 and "/login" in again.headers["Location"]


@pytest.mark.parametrize("token", ["junk", "a" * 400, "eyJ1IjoiMSJ9.bad.sig", "%00", "..%2F"])
def test_a_bad_confirmation_link_is_a_clear_400(client, token):
    resp = client.get(f"/register/confirm/{token}", headers={"Accept-Language": "en"})
    assert resp.status_code in (400, 404)
    if resp.status_code == 400:
        assert "not valid" in resp.get_data(as_text=True)


def test_an_expired_or_forged_confirmation_link_does_not_confirm(app, client, post, places):
    from itsdangerous import URLSafeTimedSerializer

    post(client, "/register", register_data(places, "new@example.kz"))
    user = db.session.scalar(select(User).where(User.email == "new@example.kz"))
    forged = URLSafeTimedSerializer("another-secret", salt="qauym.confirm-email").dumps(
        {"u": user.id, "e": "new@example.kz", "n": ""}
    )
    wrong_email = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt="qauym.confirm-email"
    ).dumps({"u": user.id, "e": "someone@example.kz", "n": ""})
    for token in (forged, wrong_email):
        assert client.get(f"/register/confirm/{token}").status_code == 400
        assert post(client, f"/register/confirm/{token}", {}).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed is False


def test_password_reset_confirms_an_unconfirmed_account(client, post, places):
    post(client, "/register", register_data(places, "new@example.kz"))
    post(client, "/password/forgot", {"email": "new@example.kz"})
    mail = mails_to("new@example.kz")[-1]
    link = re.search(r"http://localhost(/password/reset/\S+)", mail.body).group(1)
    assert (
        post(client, link, {"password": "brand-new-9", "confirm": "brand-new-9"}).status_code == 302
    )
    assert client.get("/notifications").status_code == 200
    other = client.application.test_client()
    assert attempt(other, post, "new@example.kz", "brand-new-9").status_code == 302
