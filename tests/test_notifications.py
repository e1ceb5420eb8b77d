"""notify(): preferences, quiet hours, plugin switches, per-recipient language; the outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.extensions import db
from core.models import Notification, NotificationPreference, OutboxEmail
from core.services import notifications, plugin_gate


@pytest.fixture
def app(make_app):
    """The core with only the sample plugin (tests/plugin_site): a known set of plugins."""
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


def utc(local: str) -> dt.datetime:
    """A local Almaty wall-clock time (UTC+5) as the naive UTC the database stores."""
    return dt.datetime.fromisoformat(local) - dt.timedelta(hours=5)


def mails() -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def notes() -> list[Notification]:
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


@pytest.mark.parametrize(
    ("local", "due_local"),
    [
        ("2026-03-10 22:59", "2026-03-10 22:59"),  # before quiet hours: due at once
        ("2026-03-10 23:00", "2026-03-11 07:00"),  # quiet hours start: next morning
        ("2026-03-11 06:59", "2026-03-11 07:00"),  # still quiet: this morning
        ("2026-03-11 07:00", "2026-03-11 07:00"),  # quiet hours are over
    ],
)
def test_quiet_hours_boundaries(app, factory, local, due_local):
    user = factory.user()
    notifications.notify(user, "core.role_changed", "Title", now=utc(local))
    db.session.commit()
    (mail,) = mails()
    assert mail.created_at == utc(local)
    assert mail.send_after == utc(due_local)
    # The in-app notification is never delayed.
    assert notes()[0].created_at == utc(local)


def test_urgent_mail_ignores_quiet_hours(app, factory):
    user = factory.user()
    notifications.notify(user, "core.role_changed", "Now", now=utc("2026-03-10 23:30"), urgent=True)
    db.session.commit()
    assert mails()[0].send_after == utc("2026-03-10 23:30")


def test_send_outbox_sends_only_due_mail_once(app, factory, caplog):
    user = factory.user(email="t@example.kz")
    notifications.notify(user, "core.role_changed", "Night", now=utc("2026-03-10 23:30"))
    notifications.notify(user, "core.invitation", "Day", now=utc("2026-03-10 12:00"))
    db.session.commit()
    night, day = mails()
    with caplog.at_level("INFO", logger="qauym.mail"):
        assert notifications.send_outbox(now=utc("2026-03-11 06:59")) == 1
    assert "t@example.kz" in caplog.text and "Day" in caplog.text and "Night" not in caplog.text
    db.session.refresh(night)
    db.session.refresh(day)
    assert day.sent_at == utc("2026-03-11 06:59") and night.sent_at is None
    assert notifications.send_outbox(now=utc("2026-03-11 07:00")) == 1
    assert notifications.send_outbox(now=utc("2026-03-11 07:05")) == 0
    db.session.refresh(night)
    assert night.sent_at == utc("2026-03-11 07:00") and night.attempts == 1


def test_preferences_switch_email_and_in_app_off(app, factory):
    quiet, no_mail, default = factory.user(), factory.user(), factory.user()
    db.session.add_all(
        [
            NotificationPreference(user_id=quiet.id, kind="core.invitation", in_app=False),
            NotificationPreference(user_id=no_mail.id, kind="core.invitation", email=False),
            # Another kind's preference changes nothing for this one.
            NotificationPreference(user_id=default.id, kind="core.role_changed", email=False),
        ]
    )
    db.session.commit()
    made = notifications.notify([quiet, no_mail, default], "core.invitation", "Hi", url="/x")
    db.session.commit()
    assert {n.user_id for n in made} == {n.user_id for n in notes()} == {no_mail.id, default.id}
    assert {m.user_id for m in mails()} == {quiet.id, default.id}
    assert mails()[0].body.endswith("http://localhost/x")


def test_inactive_users_and_duplicates(app, factory):
    user, gone = factory.user(), factory.user(active=False)
    notifications.notify([user, user, gone], "core.invitation", "Hi")
    db.session.commit()
    assert [n.user_id for n in notes()] == [user.id]
    assert [m.user_id for m in mails()] == [user.id]


def test_unknown_kind_is_refused(app, factory):
    with pytest.raises(KeyError):
        notifications.notify(factory.user(), "core.nonsense", "Hi")


def test_plugin_kind_stops_where_the_plugin_is_switched_off(app, factory):
    admin = factory.user(is_site_admin=True)
    region = factory.region()
    on = factory.association(region_id=region.id)
    off = factory.association(region_id=region.id)
    child = factory.association(parent_id=off.id, region_id=region.id)
    user = factory.user()
    plugin_gate.set_switch("sample", False, actor=admin, association_id=off.id)

    assert notifications.notify(user, "sample.ping", "Ping", association=off) == []
    assert notifications.notify(user, "sample.ping", "Ping", association=child.id) == []
    assert len(notifications.notify(user, "sample.ping", "Ping", association=on)) == 1
    db.session.commit()
    assert [n.association_id for n in notes()] == [on.id]
    assert [m.kind for m in mails()] == ["sample.ping"]

    plugin_gate.set_switch("sample", False, actor=admin, region_id=region.id)
    assert notifications.notify(user, "sample.ping", "Ping", association=on) == []


def test_plugin_kind_is_unknown_when_the_plugin_is_not_deployed(make_app, factory):
    app = make_app(plugins="none")
    with app.app_context():
        assert "sample.ping" not in notifications.kinds()
        with pytest.raises(KeyError):
            notifications.notify(factory.user(), "sample.ping", "Ping")


def test_lazy_title_is_rendered_in_each_recipients_language(app, factory):
    kk, ru, en, unset = (
        factory.user(locale="kk"),
        factory.user(locale="ru"),
        factory.user(locale="en"),
        factory.user(locale=None),
    )
    title = _l("Changes of your role")  # a core string with kk/ru/en entries in the catalogs
    body = _l("Password reset")
    notifications.notify([kk, ru, en, unset], "core.role_changed", title, body)
    db.session.commit()
    from flask_babel import force_locale
    from flask_babel import gettext as _

    expected = {}
    for lang in ("kk", "ru", "en"):
        with force_locale(lang):
            expected[lang] = (_("Changes of your role"), _("Password reset"))
    by_user = {n.user_id: (n.title, n.body) for n in notes()}
    assert by_user[kk.id] == expected["kk"]
    assert by_user[ru.id] == expected["ru"]
    assert by_user[en.id] == expected["en"] == ("Changes of your role", "Password reset")
    assert by_user[unset.id] == expected["kk"]  # the site default, not the sender's language
    assert {m.subject for m in mails()} == {t for t, _b in expected.values()}


def test_lazy_and_callable_titles_are_rendered_in_the_recipients_locale(app, factory):
    """Independent of the catalogs' contents: the lazy string reports the locale in force."""
    from flask_babel import get_locale
    from flask_babel.speaklater import LazyString

    a, b, c = factory.user(locale="ru"), factory.user(locale="en"), factory.user(locale=None)
    # Sent during a Russian visitor's request: c, with no setting, still gets the site default.
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert str(get_locale()) == "ru"
        notifications.notify(
            [a, b, c],
            "core.role_changed",
            LazyString(lambda: f"title:{get_locale()}"),
            body=lambda: f"body:{get_locale()}",
        )
        db.session.commit()
    assert {n.user_id: (n.title, n.body) for n in notes()} == {
        a.id: ("title:ru", "body:ru"),
        b.id: ("title:en", "body:en"),
        c.id: ("title:kk", "body:kk"),
    }


def test_mandatory_kind_ignores_preferences(app, factory):
    user = factory.user()
    db.session.add(
        NotificationPreference(
            user_id=user.id, kind="core.password_reset", in_app=False, email=False
        )
    )
    db.session.commit()
    notifications.notify(user, "core.password_reset", "Reset")
    db.session.commit()
    assert len(mails()) == 1


ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


def test_html_alternative_and_attachments_reach_the_smtp_server(app, factory):
    """An email with an HTML alternative and an attached calendar file leaves through a real
    SMTP server as multipart: the text, the HTML (in the recipient's language) and the file
    with its MIME parameters; a text-only email stays a single text part."""
    from core.testing import SmtpSink

    kk, ru = factory.user(locale="kk"), factory.user(locale="ru")
    noon = utc("2026-03-10 12:00")  # outside quiet hours, whatever the clock says
    with SmtpSink() as sink:
        app.config.update(sink.config)
        notifications.notify(
            [kk, ru],
            "core.invitation",
            _l("Invitations to associations"),
            "Text",
            html=_l("Invitations to associations"),
            attachments=[("event.ics", "text/calendar; method=REQUEST", ICS)],
            now=noon,
        )
        notifications.send_email(kk, "Plain", "Only text", now=noon)
        db.session.commit()
        assert notifications.send_outbox(now=noon) == 3
    by_to = {m["To"]: m for m in sink.messages if m["Subject"] != "Plain"}
    mail = by_to[kk.email]
    assert mail.get_content_type() == "multipart/mixed"
    assert mail.get_body(("plain",)).get_content().strip() == "Text"
    assert mail.get_body(("html",)).get_content().strip() == "Қауымдастықтарға шақырулар"
    assert by_to[ru.email].get_body(("html",)).get_content().strip() == "Приглашения в объединения"
    (att,) = mail.iter_attachments()
    assert att.get_filename() == "event.ics"
    assert att.get_content_type() == "text/calendar"
    assert att.get_param("method") == "REQUEST"
    assert att.get_content().replace("\r\n", "\n") == ICS.decode().replace("\r\n", "\n")
    (plain,) = [m for m in sink.messages if m["Subject"] == "Plain"]
    assert plain.get_content_type() == "text/plain" and not plain.is_multipart()


def test_the_outbox_refuses_attachments_it_should_not_keep(app, factory):
    user = factory.user()
    big = [("big.pdf", "application/pdf", b"x" * (notifications.MAX_ATTACHMENT_BYTES + 1))]
    with pytest.raises(ValueError):
        notifications.send_email(user, "Big", "Body", attachments=big)
    with pytest.raises(ValueError):
        notifications.send_email(user, "Odd", "Body", attachments=[("a", "nonsense", b"")])
    assert mails() == []
