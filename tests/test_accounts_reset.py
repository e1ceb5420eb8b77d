"""Password reset by an emailed one-time link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from sqlalchemy import func, select

from core.extensions import db
from core.models import OutboxEmail, User


@pytest.fixture
def app(make_app):
    """The core with only the sample plugin (tests/plugin_site): a known set of plugins."""
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


MESSAGE = "If an account uses this email"


def outbox() -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def reset_link(mail: OutboxEmail) -> str:
    return re.search(r"http://localhost(/password/reset/\S+)", mail.body).group(1)


def ask(client, post, email: str):
    return post(client, "/password/forgot", {"email": email}, headers={"Accept-Language": "en"})


def test_unknown_email_gets_the_same_answer_and_no_mail(client, post, factory):
    factory.user(email="known@example.kz")
    known = ask(client, post, "Known@Example.kz")
    unknown = ask(client, post, "nobody@example.kz")
    assert known.status_code == unknown.status_code == 200
    assert MESSAGE in known.get_data(as_text=True)
    strip = lambda r: re.sub(r'name="csrf_token" value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(known) == strip(unknown)
    mails = outbox()
    assert [m.to for m in mails] == ["known@example.kz"]


def test_mail_is_sent_at_once_even_in_quiet_hours(app, client, post, factory):
    """The request delivers it immediately; quiet hours (set to cover the whole day here)
    do not hold it back."""
    app.config.update(QUIET_HOURS_START="00:00", QUIET_HOURS_END="23:59")
    factory.user(email="known@example.kz", locale="ru")
    ask(client, post, "known@example.kz")
    (mail,) = outbox()
    assert mail.sent_at is not None and mail.send_after <= mail.created_at
    assert mail.kind == "core.password_reset"


def test_link_works_once(client, post, factory):
    user = factory.user(email="known@example.kz")
    ask(client, post, "known@example.kz")
    link = reset_link(outbox()[0])
    other = client.application.test_client()
    form = other.get(link)
    assert form.status_code == 200 and 'name="password"' in form.get_data(as_text=True)

    short = post(other, link, {"password": "short", "confirm": "short"})
    assert short.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("password123")

    done = post(other, link, {"password": "brand-new-9", "confirm": "brand-new-9"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/u/{user.id}")
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("brand-new-9")
    # Logged in by the reset.
    assert other.get("/notifications").status_code == 200

    again = client.application.test_client().get(link, headers={"Accept-Language": "en"})
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    again_post = post(
        client.application.test_client(), link, {"password": "another-99", "confirm": "another-99"}
    )
    assert again_post.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("brand-new-9")


def test_expired_and_invalid_links_say_so(client, post, factory):
    factory.user(email="known@example.kz")
    ask(client, post, "known@example.kz")
    link = reset_link(outbox()[0])

    bad = client.get(link[:-3] + "abc", headers={"Accept-Language": "en"})
    assert bad.status_code == 400 and "is not valid" in bad.get_data(as_text=True)
    garbage = client.get("/password/reset/nonsense", headers={"Accept-Language": "en"})
    assert garbage.status_code == 400 and "is not valid" in garbage.get_data(as_text=True)

    # Two hours and a minute later the link has expired (itsdangerous reads the clock).
    with time_machine.travel(dt.timedelta(hours=2, minutes=1)):
        expired = client.get(link, headers={"Accept-Language": "en"})
    assert expired.status_code == 400 and "has expired" in expired.get_data(as_text=True)
    assert "/password/forgot" in expired.get_data(as_text=True)


def test_forgot_form_validates_email(client, post):
    resp = post(client, "/password/forgot", {"email": "nope"}, headers={"Accept-Language": "en"})
    assert resp.status_code == 400 and "valid email" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0


def test_forgot_is_rate_limited(make_app, post, factory):
    app = make_app(plugins="sample", RATELIMIT_ENABLED=True, RESET_RATE_LIMIT="2 per hour")
    with app.app_context():
        client = app.test_client()
        codes = [
            post(client, "/password/forgot", {"email": "x@example.kz"}).status_code
            for _ in range(3)
        ]
        assert codes == [200, 200, 429]


def test_login_page_links_to_reset(client):
    assert "/password/forgot" in client.get("/login").get_data(as_text=True)
