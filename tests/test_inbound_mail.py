"""The core's inbound-mail service: what is kept of a reply's text, what counts as automatic
mail, and the ``email_reply`` hook as the gateway calls it (only the issuing plugin, a failing
plugin contained, a refusal rolled back). The forum's replies through a real SMTP server are
in ``plugins/forum/tests/test_forum_email.py``."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import select

from core import hookimpl
from core.extensions import db
from core.models import InboundMail, Notification, OutboxEmail
from core.plugin_api import EmailReplyResult
from core.services import inbound_mail, reply_keys
from core.services.inbound_mail import html_to_text, is_automatic, reply_text

DOMAIN = "r.qauym.test"


@pytest.mark.parametrize(
    "raw",
    [
        # Gmail, English
        "Agreed.\n\nOn Sat, 28 Nov 2026 at 10:15, Qauym <noreply@qauym.local> wrote:\n> old",
        # Gmail wraps the header over two lines
        "Agreed.\n\nOn Sat, 28 Nov 2026 at 10:15, Qauym\n<noreply@qauym.local> wrote:\n> old",
        # Mail.ru / Yandex, Russian
        'Agreed.\n\n28.11.2026, 10:15, "Qauym" <noreply@qauym.local> пишет:\n> old',
        "Agreed.\n\nСуббота, 28 ноября 2026, 10:15 +05:00 от Qauym <noreply@qauym.local>:\n"
        "-----Original Message-----\nold",
        # Kazakh
        "Agreed.\n\n2026 ж. 28 қар., 10:15 Qauym <noreply@qauym.local> жазды:\n> old",
        # Outlook, Russian header block
        "Agreed.\n\n________________________________\nОт: Qauym <noreply@qauym.local>\n"
        "Отправлено: 28 ноября 2026 г. 10:15\nold",
        "Agreed.\n\nОт: Qauym <noreply@qauym.local>\nДата: 28 ноября 2026\nold",
        # signature and phone lines
        "Agreed.\n\n-- \nДана Ахметова\nмұғалім",
        "Agreed.\n\nSent from my iPhone",
        "Agreed.\nОтправлено из мобильной Почты Mail.ru",
        "Agreed.\n\niPhone-нан жіберілді",
        "> quoted first\nAgreed.\n> quoted after",
    ],
)
def test_reply_text_keeps_only_the_new_part(raw):
    assert reply_text(raw) == "Agreed."


def test_reply_text_keeps_paragraphs_and_colons_in_the_text():
    text = "Бірінші абзац.\n\nЕкінші абзац: жоспар дайын.\nОт себя добавлю: всё хорошо."
    assert reply_text(text + "\n") == text


def test_html_to_text_drops_quotes_and_markup():
    html = (
        "<html><head><style>p{}</style></head><body><p>Жоспар&nbsp;<b>дайын</b>.</p>"
        "<ul><li>бір</li><li>екі</li></ul><br>"
        "<div class='gmail_quote'><div>On Sat wrote:</div><blockquote>ескі</blockquote></div>"
        "<blockquote type='cite'>тағы ескі</blockquote></body></html>"
    )
    assert html_to_text(html) == "Жоспар дайын.\n\n- бір\n\n- екі"


def _message(**headers) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "dana@example.kz")
    msg["To"] = f"reply+{'k' * 22}@{DOMAIN}"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("text")
    return msg


@pytest.mark.parametrize(
    "headers, mail_from, automatic",
    [
        ({}, "dana@example.kz", False),
        ({"Auto_Submitted": "no"}, None, False),
        ({"Auto_Submitted": "auto-replied"}, None, True),
        ({"Precedence": "bulk"}, None, True),
        ({"X_Autoreply": "yes"}, None, True),
        ({}, "", True),  # a bounce: empty envelope sender
        ({"From": "MAILER-DAEMON@mx.example.kz"}, None, True),
    ],
)
def test_automatic_mail_is_recognised(headers, mail_from, automatic):
    assert is_automatic(_message(**headers), mail_from) is automatic


# --- the email_reply hook through the gateway ---------------------------------------------

CALLS: list[tuple[str, str, str]] = []


class EchoPlugin:
    @hookimpl
    def email_reply(self, target, user, text):  # a subset of the arguments
        CALLS.append(("echo", target, text))
        if text == "refuse":
            db.session.add(Notification(user_id=user.id, kind="echo.x", title="half-written"))
            return EmailReplyResult(False, "Not here.")
        return EmailReplyResult(True, url=f"/echo/{target}")


class OtherPlugin:
    @hookimpl
    def email_reply(self, target, user, text, now):
        CALLS.append(("other", target, text))
        return EmailReplyResult(True, url="/other")


class BrokenPlugin:
    @hookimpl
    def email_reply(self, target, user, text, now):
        raise RuntimeError("database on fire")


@pytest.fixture
def app(make_app):
    app = make_app(plugins="none", DEFAULT_LOCALE="en", REPLY_DOMAIN=DOMAIN)
    pm = app.extensions["qauym_plugins"].pm
    for name, plugin in (("echo", EchoPlugin()), ("other", OtherPlugin())):
        pm.register(plugin, name=name)
    pm.register(BrokenPlugin(), name="broken")
    CALLS.clear()
    with app.app_context():
        yield app


def _reply(address: str, sender: str, text: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, address, "Re: x"
    msg["Message-ID"] = make_msgid()
    msg.set_content(text)
    return msg.as_bytes()


def test_only_the_issuing_plugin_gets_the_reply(app, factory):
    user = factory.user()
    address = reply_keys.issue(user, "echo", "thing:7")
    assert reply_keys.issue(user, "echo", "thing:7") == address  # one key per target
    db.session.commit()
    outcome = inbound_mail.receive(_reply(address, user.email, "Hello\n\n> quoted"))
    assert outcome.status == "accepted" and outcome.url == "/echo/thing:7"
    assert CALLS == [("echo", "thing:7", "Hello")]


def test_a_refusal_is_rolled_back_and_answered(app, factory):
    user = factory.user()
    address = reply_keys.issue(user, "echo", "thing:7")
    db.session.commit()
    outcome = inbound_mail.receive(_reply(address, user.email.upper(), "refuse"))
    assert outcome.status == "refused" and outcome.answered
    assert db.session.scalars(select(Notification)).all() == []
    answer = db.session.scalars(select(OutboxEmail)).one()
    assert "Not here." in answer.body and answer.headers["Auto-Submitted"] == "auto-replied"
    assert db.session.scalars(select(InboundMail.reason)).one() == "refused: Not here."


def test_a_failing_plugin_is_contained(app, factory):
    user = factory.user()
    address = reply_keys.issue(user, "broken", "x")
    db.session.commit()
    outcome = inbound_mail.receive(_reply(address, user.email, "Hello"))
    assert (outcome.status, outcome.reason) == ("refused", "failed")
    assert "could not be posted" in db.session.scalars(select(OutboxEmail)).one().body


def test_reply_addresses_are_off_without_a_domain(make_app, factory):
    app = make_app(plugins="none")
    with app.app_context():
        assert reply_keys.issue(factory.user(), "echo", "thing:7") == ""


def test_prune_drops_long_expired_keys_and_old_records(app, factory):
    import datetime as dt

    user = factory.user()
    old = dt.datetime(2026, 1, 1)
    reply_keys.issue(user, "echo", "a", now=old)
    fresh = reply_keys.issue(user, "echo", "b", now=dt.datetime(2026, 6, 1))
    db.session.add(InboundMail(status="dropped", created_at=old))
    db.session.commit()
    assert inbound_mail.prune(dt.datetime(2026, 6, 2)) == 2
    assert inbound_mail.prune(dt.datetime(2026, 6, 2)) == 0
    assert reply_keys.find(fresh.split("+")[1].split("@")[0]) is not None


def test_mail_commands_need_a_reply_domain(make_app):
    from core.cli import mail_inbound, mail_serve_inbound

    app = make_app(plugins="none")
    runner = app.test_cli_runner()
    for command in (mail_inbound, mail_serve_inbound):
        result = runner.invoke(command, input=b"")
        assert result.exit_code == 1 and "REPLY_DOMAIN" in result.output
