"""Reply by email and the mailing-list mode of a board, through a real SMTP server.

An aiosmtpd server (``core.services.inbound_mail.controller``, what ``qauym mail
serve-inbound`` runs) listens on a free loopback port; smtplib sends replies to it; the topic,
the outbox (refusal answers, mailing-list emails) and the inbound log are then read back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from core.cli import mail_inbound
from core.extensions import db
from core.models import InboundMail, OutboxEmail, ReplyKey
from core.services import inbound_mail, reply_keys
from core.testing import Poster, SmtpSink, sign_in_as, start_on_free_port
from plugins.forum import mailing_list
from plugins.forum.models import ForumBan, ForumPost, ForumTopic
from plugins.forum.tests.forumkit import topic, world

DOMAIN = "reply.qauym.test"


@pytest.fixture
def app(make_app):
    app = make_app(
        plugins="forum",
        DEFAULT_LOCALE="en",
        REPLY_DOMAIN=DOMAIN,
        INBOUND_PER_HOUR=3,
        INBOUND_MAX_KB=64,
        QUIET_HOURS_START="00:00",
        QUIET_HOURS_END="00:00",
    )
    with app.app_context():
        yield app


@contextlib.contextmanager
def _inbound(app):
    """A running inbound SMTP server for ``app``; yields ``send(msg)``, which sends one
    message to it."""
    server = start_on_free_port(lambda port: inbound_mail.controller(app, "127.0.0.1", port))

    def send(msg: EmailMessage, mail_from: str | None = None) -> None:
        db.session.commit()  # the server's thread writes through its own session
        with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
            client.send_message(msg, from_addr=mail_from)
        db.session.expire_all()

    send.port = server.port
    try:
        yield send
    finally:
        server.stop()


@pytest.fixture
def smtp(app):
    """A running inbound SMTP server; ``smtp(msg)`` sends one message to it."""
    with _inbound(app) as send:
        yield send


def _mail(to: str, sender: str, text: str, *, charset: str = "utf-8", **headers) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = headers.pop("subject", "Re: Тақырып")
    msg["Message-ID"] = make_msgid(domain="mail.example.kz")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text, charset=charset)
    return msg


def _address(user, t: ForumTopic) -> str:
    address = reply_keys.issue(user, "forum", f"topic:{t.id}")
    db.session.commit()
    return address


def _posts(t: ForumTopic) -> list[ForumPost]:
    return list(db.session.scalars(select(ForumPost).where(ForumPost.topic_id == t.id)))


def _answers(user) -> list[OutboxEmail]:
    return list(
        db.session.scalars(
            select(OutboxEmail).where(
                OutboxEmail.user_id == user.id, OutboxEmail.kind == "core.email_reply"
            )
        )
    )


def _last_inbound() -> InboundMail:
    return db.session.scalars(select(InboundMail).order_by(InboundMail.id.desc())).first()


QUOTED = """Келісемін, сабақты сейсенбіге ауыстырайық.

--
Дана Ахметова, Қостанай
Sent from my iPhone

Сб, 28 нояб. 2026 г. в 10:15, Qauym <noreply@qauym.local>:
> Айгүл Серікова replied in Тақырып
"""


def test_notification_email_carries_a_reply_address_and_a_reply_by_email_is_posted(
    app, client, smtp, factory, post
):
    w = world(factory)
    t = topic(w.board, w.member, replies=[(w.leader, "Бастапқы жауап")])
    db.session.commit()
    sign_in_as(client, w.member2)
    post(client, f"/forum/t/{t.id}/watch", {"level": "watching"})
    sign_in_as(client, w.leader)
    post(client, f"/forum/t/{t.id}/reply", {"body": "Жаңа сабақ жоспары дайын."})
    mail = db.session.scalar(
        select(OutboxEmail).where(
            OutboxEmail.user_id == w.member2.id, OutboxEmail.kind == "forum.reply"
        )
    )
    reply_to = mail.headers["Reply-To"]
    assert reply_to.startswith("reply+") and reply_to.endswith("@" + DOMAIN)
    assert "replying to this email" in mail.body
    key = db.session.scalar(select(ReplyKey).where(ReplyKey.user_id == w.member2.id))
    assert key.target == f"topic:{t.id}" and key.plugin == "forum"
    assert key.expires_at > key.created_at + dt.timedelta(days=59)

    smtp(_mail(reply_to, w.member2.email, QUOTED))
    new = [p for p in _posts(t) if p.author_id == w.member2.id]
    assert [p.body for p in new] == ["Келісемін, сабақты сейсенбіге ауыстырайық."]
    assert new[0].approved
    assert _last_inbound().status == "accepted"
    # the topic's watchers hear of it, with a reply address of their own
    leader_mail = db.session.scalar(
        select(OutboxEmail).where(
            OutboxEmail.user_id == w.leader.id, OutboxEmail.kind == "forum.reply"
        )
    )
    assert leader_mail.headers["Reply-To"] != reply_to
    # the same message delivered again (an MTA retrying) is not posted twice
    msg = _mail(reply_to, w.member2.email, "Екінші рет")
    smtp(msg)
    smtp(msg)
    assert len([p for p in _posts(t) if p.author_id == w.member2.id]) == 2


def test_html_reply_and_legacy_charsets_are_decoded(app, smtp, factory):
    w = world(factory)
    t = topic(w.board, w.member)
    address = _address(w.member2, t)
    html = _mail(address, w.member2.email, "")
    html.set_content(
        "<p>Жоспар <b>өте</b> жақсы &amp; нақты.</p><ul><li>бірінші</li></ul>"
        "<div class='gmail_quote'>On Sat wrote:<blockquote>ескі мәтін</blockquote></div>",
        subtype="html",
    )
    smtp(html)
    smtp(_mail(address, w.member2.email, "Пишу из старого клиента: всё верно.", charset="koi8-r"))
    smtp(_mail(address, w.member2.email, "Келісемін, әріптестер!", charset="kz-1048"))
    bodies = [p.body for p in _posts(t) if p.author_id == w.member2.id]
    assert bodies == [
        "Жоспар өте жақсы & нақты.\n\n- бірінші",
        "Пишу из старого клиента: всё верно.",
        "Келісемін, әріптестер!",
    ]


@pytest.mark.parametrize(
    "case, reason",
    [
        ("locked", "closed for new replies"),
        ("banned", "may not write on this board until"),
        ("left", "no longer a member"),
        ("deleted", "no longer exists"),
        ("long", "longer than 20000 characters"),
        ("empty", "No text was found"),
    ],
)
def test_reply_refused_like_the_web_form_and_answered_in_the_users_language(
    app, smtp, factory, case, reason
):
    w = world(factory)
    t = topic(w.board, w.member)
    address = _address(w.member2, t)
    text = "Менің жауабым"
    if case == "locked":
        t.locked = True
    elif case == "banned":
        db.session.add(
            ForumBan(
                board_id=w.board.id,
                user_id=w.member2.id,
                until=dt.datetime(2100, 1, 1),
                reason="spam",
            )
        )
    elif case == "left":
        from core.services import associations

        associations.leave(w.association, w.member2)
    elif case == "deleted":
        t.deleted_at = dt.datetime(2026, 11, 1)
    elif case == "long":
        text = "сөз " * 6000
    elif case == "empty":
        text = "> тек дәйексөз\n> ештеңе жаңа емес"
    db.session.commit()
    smtp(_mail(address, w.member2.email, text))
    assert [p.author_id for p in _posts(t)] == [w.member.id]
    record = _last_inbound()
    assert record.status == "refused" and record.answered
    (answer,) = _answers(w.member2)
    assert reason in answer.body
    assert answer.headers["Auto-Submitted"] == "auto-replied"
    assert answer.sent_at is not None  # delivered at once


def test_refusal_in_kazakh_and_a_held_reply_for_a_new_member(app, smtp, factory):
    w = world(factory, moderate_first_posts=1)
    t = topic(w.board, w.member)
    w.member2.locale = "kk"
    t.locked = True
    db.session.commit()
    address = _address(w.member2, t)
    smtp(_mail(address, w.member2.email, "Жауап"))
    (answer,) = _answers(w.member2)
    assert answer.subject == "Сіздің электрондық хатпен жауабыңыз жарияланбады"
    assert "жабық" in answer.body
    t.locked = False
    db.session.commit()
    smtp(_mail(address, w.member2.email, "Жаңа мүшенің алғашқы жауабы"))
    (held,) = [p for p in _posts(t) if p.author_id == w.member2.id]
    assert not held.approved  # in the moderation queue, as from the web form


def test_forged_expired_and_foreign_keys_are_refused(app, smtp, factory):
    w = world(factory)
    t = topic(w.board, w.member)
    address = _address(w.member2, t)
    forged = f"reply+{'A' * 22}@{DOMAIN}"
    smtp(_mail(forged, w.member2.email, "Жалған кілт"))
    assert _last_inbound().reason == "unknown"
    assert "not known" in _answers(w.member2)[-1].body
    # someone else's reply address: refused, told to the sender (an account here)
    smtp(_mail(address, w.outsider.email, "Бөтен адамның жауабы"))
    assert _last_inbound().reason == "sender"
    assert "did not come from the email address" in _answers(w.outsider)[-1].body
    # a stranger with no account gets no answer at all (no backscatter)
    smtp(_mail(forged, "spammer@example.com", "Buy now"))
    assert _last_inbound().reason == "unknown" and not _last_inbound().answered
    key = reply_keys.find(address.split("+")[1].split("@")[0])
    key.expires_at = dt.datetime(2026, 1, 1)
    db.session.commit()
    smtp(_mail(address, w.member2.email, "Кеш қалған жауап"))
    assert _last_inbound().reason == "expired"
    assert [p.author_id for p in _posts(t)] == [w.member.id]


def test_smtp_server_refuses_other_recipients(app, smtp):
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:
        client.ehlo()
        code, _ = client.mail("a@example.com")
        assert code == 250
        code, _ = client.rcpt(f"someone@{DOMAIN}")
        assert code == 550


def test_automatic_mail_is_never_posted_nor_answered(app, smtp, factory):
    w = world(factory)
    t = topic(w.board, w.member)
    address = _address(w.member2, t)
    smtp(_mail(address, w.member2.email, "I am on holiday", Auto_Submitted="auto-replied"))
    smtp(_mail(address, w.member2.email, "Отпуск", Precedence="bulk"))
    smtp(_mail(address, f"MAILER-DAEMON@{DOMAIN}", "Delivery failed"))
    assert [p.author_id for p in _posts(t)] == [w.member.id]
    assert _answers(w.member2) == []
    statuses = db.session.scalars(select(InboundMail.status)).all()
    assert statuses == ["dropped"] * 3


def test_rate_limit_and_answers_capped(app, smtp, factory):
    w = world(factory)
    t = topic(w.board, w.member)
    address = _address(w.member2, t)
    for i in range(3):
        smtp(_mail(address, w.member2.email, f"Жауап {i}"))
    assert len(_posts(t)) == 4
    for i in range(5):
        smtp(_mail(address, w.member2.email, f"Тағы жауап {i}"))
    assert len(_posts(t)) == 4
    refused = db.session.scalar(
        select(func.count(InboundMail.id)).where(InboundMail.reason == "rate")
    )
    assert refused == 5
    assert len(_answers(w.member2)) == inbound_mail.MAX_ANSWERS_PER_HOUR  # no mail storm


def test_piped_message_through_the_command(app, factory):
    w = world(factory)
    t = topic(w.board, w.member)
    address = _address(w.member2, t)
    raw = _mail(address, w.member2.email, "Құбыр арқылы келген жауап").as_bytes()
    result = app.test_cli_runner().invoke(mail_inbound, input=raw)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("accepted")
    db.session.expire_all()
    assert _posts(t)[-1].body == "Құбыр арқылы келген жауап"


# --- mailing-list mode ---------------------------------------------------------------------


def test_mailing_list_subscribe_receive_reply_and_unsubscribe(app, client, smtp, factory, post):
    w = world(factory)
    t = topic(w.board, w.member)
    db.session.commit()
    sign_in_as(client, w.member2)
    page = client.get(f"/forum/b/{w.board.id}").get_data(as_text=True)
    assert "Every post by email" in page
    post(client, f"/forum/b/{w.board.id}/mailing-list", {"action": "subscribe"})
    assert "Stop emails of every post" in client.get(f"/forum/b/{w.board.id}").get_data(
        as_text=True
    )
    prefs = client.get("/notifications/preferences").get_data(as_text=True)
    assert "Forum boards by email" in prefs and w.board.name in prefs
    # the topic is also watched: one email for the post, the mailing-list one
    post(client, f"/forum/t/{t.id}/watch", {"level": "watching"})
    sign_in_as(client, w.leader)
    post(client, f"/forum/t/{t.id}/reply", {"body": "Ертеңгі жиналыс 15:00-де."})
    mails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == w.member2.id))
    (mail,) = list(mails)
    assert mail.kind == "forum.mailing_list"
    assert mail.subject == f"Re: [{w.board.name}] {t.title}"
    assert "Ертеңгі жиналыс 15:00-де." in mail.body and "Айгүл Серікова" in mail.body
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = mail.headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe in mail.body
    # answered by email
    smtp(_mail(mail.headers["Reply-To"], w.member2.email, "Келемін.\n\n> Ертеңгі жиналыс"))
    assert _posts(t)[-1].body == "Келемін."
    # leaving: a confirm page, then a POST (no login needed, the link is signed)
    client.get("/logout")
    path = unsubscribe.replace("http://localhost", "")
    confirm = client.get(path)
    assert confirm.status_code == 200 and "Stop these emails" in confirm.get_data(as_text=True)
    assert mailing_list.is_subscribed(w.member2, w.board)
    assert client.post(path).status_code == 200  # RFC 8058 one-click: no form token
    assert not mailing_list.is_subscribed(w.member2, w.board)
    assert client.get(path[:-3] + "xyz").status_code == 404  # a forged token


def test_mailing_list_only_for_members_and_waits_for_quiet_hours(make_app, factory):
    app = make_app(plugins="forum", DEFAULT_LOCALE="en", REPLY_DOMAIN=DOMAIN)
    with app.app_context():
        w = world(factory)
        client = app.test_client()
        sign_in_as(client, w.outsider)
        page = client.get(f"/forum/b/{w.public.id}").get_data(as_text=True)
        assert "Every post by email" not in page
        resp = Poster()(client, f"/forum/b/{w.public.id}/mailing-list", {"action": "subscribe"})
        assert resp.status_code == 403
        t = topic(w.board, w.member)
        db.session.commit()
        night = dt.datetime(2026, 12, 1, 20, 0)  # 01:00 in Almaty
        with app.test_request_context():
            mailing_list.send(_posts(t)[0], "Дана", [w.member2], night)
        mail = db.session.scalars(select(OutboxEmail)).one()
        assert mail.send_after == dt.datetime(2026, 12, 2, 2, 0)  # 07:00 in Almaty
        assert mail.headers["Reply-To"].endswith("@" + DOMAIN)


def test_round_trip_through_both_smtp_servers(app, smtp, factory):
    """The site sends a mailing-list email through SMTP; the reply to its Reply-To, sent back
    to the inbound server, lands in the topic; the refusal of a second, locked-topic reply goes
    out through SMTP with the headers that stop mail loops."""
    from core.services import notifications
    from plugins.forum import services as svc

    with SmtpSink() as sink:
        app.config.update(sink.config)
        w = world(factory)
        t = topic(w.board, w.member)
        mailing_list.subscribe(w.member2, w.board)
        db.session.commit()
        with app.test_request_context():
            svc.notify_new_post(_posts(t)[0], w.member)
        db.session.commit()
        assert notifications.send_outbox() == 1
        (sent,) = sink.messages
        assert sent["To"] == w.member2.email
        assert sent["Auto-Submitted"] == "auto-generated" and sent["Precedence"] == "list"
        assert sent["List-Unsubscribe"].startswith("<http://localhost/forum/mailing-list/")
        reply = _mail(sent["Reply-To"], w.member2.email, "Дұрыс айтасыз.\n\n> Мәтін")
        reply["In-Reply-To"] = sent["Message-ID"]
        smtp(reply)
        assert _posts(t)[-1].body == "Дұрыс айтасыз."
        t.locked = True
        db.session.commit()
        smtp(_mail(sent["Reply-To"], w.member2.email, "Тағы бір ой"))
        refusal = sink.messages[-1]
        assert refusal["Auto-Submitted"] == "auto-replied"
        assert "closed for new replies" in refusal.get_content()


# --- files in replies by email -------------------------------------------------------------

PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00\x11" * 2500  # 5 KB: an image pasted on purpose
LOGO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 400  # a signature's logo, well under 2 KB
PDF = b"%PDF-1.4\n" + b"lesson plan " * 100


@pytest.fixture(params=["local", "s3"])
def files_app(make_app, request):
    """The email app with files kept in the local folder or in a bucket of a real
    S3-speaking server on loopback; files up to 1 MB, messages up to 2 MB."""
    settings = {}
    if request.param == "s3":
        settings = request.getfixturevalue("s3_server").config(f"mail-{uuid.uuid4().hex[:16]}")
    app = make_app(
        plugins="forum",
        DEFAULT_LOCALE="en",
        REPLY_DOMAIN=DOMAIN,
        INBOUND_MAX_KB=2048,
        MAX_UPLOAD_MB=1,
        QUIET_HOURS_START="00:00",
        QUIET_HOURS_END="00:00",
        **settings,
    )
    with app.app_context():
        yield app


@pytest.fixture
def files_smtp(files_app):
    with _inbound(files_app) as send:
        yield send


def _with_files(to: str, sender: str, text: str, files: list[tuple[str, bytes]]) -> EmailMessage:
    """A reply as a mail client makes it: the text, its HTML with a pasted photo and the
    signature's logo inline (multipart/related), then ``files`` attached."""
    msg = _mail(to, sender, text)
    msg.add_alternative(
        f"<p>{text}</p><img src='cid:photo'><p>--<br><img src='cid:logo'> Мектеп №5</p>",
        subtype="html",
    )
    html = msg.get_payload()[1]
    html.add_related(
        PHOTO, "image", "png", cid="<photo>", filename="тақта.png", disposition="inline"
    )
    html.add_related(LOGO, "image", "png", cid="<logo>", filename="logo.png", disposition="inline")
    for name, data in files:
        subtype = "pdf" if data.startswith(b"%PDF") else "octet-stream"
        msg.add_attachment(data, "application", subtype, filename=name)
    return msg


def _attachments(post: ForumPost) -> list[str]:
    from plugins.forum.models import ForumAttachment

    return sorted(
        db.session.scalars(
            select(ForumAttachment.original_name).where(ForumAttachment.post_id == post.id)
        )
    )


def test_reply_by_email_keeps_its_files_and_names_the_refused_ones(files_app, files_smtp, factory):
    w = world(factory)
    t = topic(w.board, w.member)
    w.member2.locale = "ru"
    address = _address(w.member2, t)
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10)
    files_smtp(
        _with_files(
            address,
            w.member2.email,
            "Жоспарды тіркедім.",
            [("жоспар.pdf", PDF), ("setup.exe", b"MZ\x90\x00 a program"), ("big.pdf", big)],
        )
    )
    (reply,) = [p for p in _posts(t) if p.author_id == w.member2.id]
    assert reply.body == "Жоспарды тіркедім."  # the text posts, with the files that passed
    assert _attachments(reply) == ["жоспар.pdf", "тақта.png"]  # the logo is left out
    record = _last_inbound()
    assert record.status == "accepted" and record.answered
    (answer,) = _answers(w.member2)
    assert answer.subject == "Некоторые файлы вашего ответа по электронной почте не прикреплены"
    assert f"/forum/p/{reply.id}" in answer.body
    assert "setup.exe: Файлы этого типа не принимаются" in answer.body
    assert "big.pdf: Файл больше 1 МБ" in answer.body
    assert "logo.png" not in answer.body and "жоспар.pdf" not in answer.body
    assert answer.headers["Auto-Submitted"] == "auto-replied"
    # the files are served like those of the web form, to readers
    client = files_app.test_client()
    sign_in_as(client, w.member)
    page = client.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "жоспар.pdf" in page
    from plugins.forum.models import ForumAttachment

    att = db.session.scalar(
        select(ForumAttachment).where(ForumAttachment.original_name == "жоспар.pdf")
    )
    assert client.get(f"/forum/att/{att.id}").data == PDF


def test_at_most_five_files_by_email_and_no_answer_when_all_are_kept(
    files_app, files_smtp, factory
):
    w = world(factory)
    t = topic(w.board, w.member)
    address = _address(w.member2, t)
    pdfs = [(f"{i}-сабақ.pdf", PDF + str(i).encode()) for i in range(1, 7)]
    files_smtp(_with_files(address, w.member2.email, "Алты файл.", pdfs))
    (reply,) = [p for p in _posts(t) if p.author_id == w.member2.id]
    # the pasted photo came first: it and four of the six documents
    kept = ["1-сабақ.pdf", "2-сабақ.pdf", "3-сабақ.pdf", "4-сабақ.pdf", "тақта.png"]
    assert _attachments(reply) == kept
    (answer,) = _answers(w.member2)
    assert "5-сабақ.pdf: A message takes at most 5 files." in answer.body
    assert "6-сабақ.pdf: A message takes at most 5 files." in answer.body
    files_smtp(_with_files(address, w.member2.email, "Бір файл.", pdfs[:1]))
    assert len(_answers(w.member2)) == 1  # everything kept: nothing to say
    assert _last_inbound().status == "accepted" and not _last_inbound().answered


def test_a_refused_reply_by_email_stores_none_of_its_files(files_app, files_smtp, factory):
    from pathlib import Path

    from plugins.forum.models import ForumAttachment

    w = world(factory)
    t = topic(w.board, w.member)
    t.locked = True
    address = _address(w.member2, t)
    files_smtp(_with_files(address, w.member2.email, "Жабық тақырыпқа.", [("a.pdf", PDF)]))
    assert _last_inbound().status == "refused"
    assert db.session.scalar(select(func.count(ForumAttachment.id))) == 0
    folder = Path(files_app.config["UPLOAD_FOLDER"]) / "forum"
    assert not folder.exists() or not any(folder.iterdir())


# --- mailing-list emails: the post as the site shows it ------------------------------------

RICH = """**Маңызды**: [жоспар](https://example.kz/plan) және [соңғылар](/forum/latest).

- бірінші
- екінші

> дәйексөз

```
код   блогы
```

![тақта суреті](/forum/att/7?inline=1)
"""


def test_mailing_list_email_has_the_cooked_html_and_text_made_from_it(app, factory):
    w = world(factory)
    t = topic(w.board, w.member, body=RICH)
    w.member2.locale = "ru"
    mailing_list.subscribe(w.member2, w.board)
    db.session.commit()
    with app.test_request_context():
        mailing_list.send(_posts(t)[0], "Дана", [w.member2], dt.datetime(2026, 12, 2, 6, 0))
    mail = db.session.scalars(select(OutboxEmail)).one()
    text = mail.body
    assert "**" not in text and "](" not in text  # not the Markdown source
    assert "Маңызды: жоспар (https://example.kz/plan) және соңғылар " in text
    assert "(http://localhost/forum/latest)." in text
    assert "- бірінші\n- екінші" in text and "> дәйексөз" in text
    assert "код   блогы" in text  # code keeps its spacing
    assert "[тақта суреті] (http://localhost/forum/att/7?inline=1)" in text
    html = mail.html
    assert html.startswith("<!DOCTYPE html>") and '<html lang="ru">' in html
    assert "<strong>Маңызды</strong>" in html and "<blockquote>" in html
    assert 'href="http://localhost/forum/latest"' in html
    assert 'href="http://localhost/forum/att/7?inline=1"' in html  # the image, as a link
    for absent in ("<img", "src=", "<style", "style=", "<script", "<link", 'href="/'):
        assert absent not in html
    unsubscribe = mail.headers["List-Unsubscribe"].strip("<>")
    assert f'<a href="{unsubscribe}">' in html
    assert "Дана" in html and "Дана" in text


def test_mailing_list_email_goes_out_as_text_and_html_alternatives(app, factory):
    from core.services import notifications

    with SmtpSink() as sink:
        app.config.update(sink.config)
        w = world(factory)
        t = topic(w.board, w.member, body="Сілтеме: [бағдарлама](/forum/latest)")
        mailing_list.subscribe(w.member2, w.board)
        db.session.commit()
        with app.test_request_context():
            mailing_list.send(_posts(t)[0], "Дана", [w.member2], dt.datetime(2026, 12, 2, 6, 0))
        db.session.commit()
        assert notifications.send_outbox(now=dt.datetime(2026, 12, 2, 6, 0)) == 1
        (sent,) = sink.messages
        assert sent.get_content_type() == "multipart/alternative"
        plain = sent.get_body(preferencelist=("plain",)).get_content()
        html = sent.get_body(preferencelist=("html",)).get_content()
        assert "бағдарлама (http://localhost/forum/latest)" in plain
        assert '<a href="http://localhost/forum/latest"' in html
