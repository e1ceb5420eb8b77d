"""Language choice: the user's setting, then the ``lang`` cookie, then Accept-Language,
then DEFAULT_LOCALE (kk). Each step is checked with every later source pointing elsewhere."""

from __future__ import annotations

import flask_babel
import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import User


@pytest.fixture
def app(make_app):
    """The core with only the sample plugin (tests/plugin_site): a known set of plugins."""
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


def lang_of(client, headers=None) -> str:
    # The ``app`` fixture keeps an app context pushed, so requests share ``g`` where
    # Flask-Babel caches the chosen locale; in production each request has its own.
    flask_babel.refresh()
    html = client.get("/login", headers=headers or {}).get_data(as_text=True)
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_default_is_kazakh(client):
    assert lang_of(client) == "kk"


def test_default_comes_from_config(make_app):
    app = make_app(plugins="sample", DEFAULT_LOCALE="ru")
    with app.app_context():
        assert lang_of(app.test_client()) == "ru"


def test_accept_language_beats_the_default(client):
    assert lang_of(client, {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}) == "ru"
    assert lang_of(client, {"Accept-Language": "en-GB"}) == "en"
    # A language the site does not have falls through to the default.
    assert lang_of(client, {"Accept-Language": "de-DE,fr;q=0.8"}) == "kk"


def test_cookie_beats_accept_language(client):
    client.set_cookie("lang", "en")
    assert lang_of(client, {"Accept-Language": "ru"}) == "en"
    client.set_cookie("lang", "xx")  # unknown value: ignored
    assert lang_of(client, {"Accept-Language": "ru"}) == "ru"


def test_user_setting_beats_cookie_and_accept_language(client, login, factory):
    user = factory.user(locale="ru")
    login(client, user)
    client.set_cookie("lang", "en")
    assert lang_of(client, {"Accept-Language": "en"}) == "ru"
    # Without a setting, the cookie decides again.
    user.locale = None
    db.session.commit()
    assert lang_of(client, {"Accept-Language": "kk"}) == "en"


def test_language_switch_sets_cookie_and_saves_the_users_setting(client, post, login, factory):
    resp = post(client, "/language", {"lang": "ru", "next": "/login"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert lang_of(client) == "ru"

    user = factory.user(locale="kk")
    login(client, user)
    post(client, "/language", {"lang": "en", "next": "//evil.example/"})
    assert db.session.scalar(select(User.locale).where(User.id == user.id)) == "en"
    assert lang_of(client) == "en"
    # An unknown language changes nothing.
    post(client, "/language", {"lang": "xx"})
    assert db.session.scalar(select(User.locale).where(User.id == user.id)) == "en"


def test_language_switch_does_not_redirect_off_site(client, post):
    resp = post(client, "/language", {"lang": "ru", "next": "//evil.example/"})
    assert resp.headers["Location"] == "/"


def test_core_words_keep_the_core_translation_when_plugins_translate_them_too(make_app):
    # The forum's catalog also translates "Search" (as a button verb); the header's link must
    # keep the core's wording, whichever plugins are on.
    app = make_app(plugins="all")
    client = app.test_client()
    client.set_cookie("lang", "ru")
    page = client.get("/").get_data(as_text=True)
    assert '">Поиск</a>' in page
    assert ">Найти</a>" not in page


def test_templates_follow_a_forced_locale_and_a_refresh_within_a_request(app):
    """Templates keep the request's catalogs beside its locale (core.i18n.template_translations);
    ``force_locale`` (an email in its recipient's language) and ``refresh()`` (a language
    changed mid-request) must still be followed, and both ways back."""
    from flask import render_template_string

    def search() -> str:
        return render_template_string(
            '{{ _("Search") }}|{{ ngettext("%(num)s member", "%(num)s members", 5) }}'
        )

    with app.test_request_context("/", headers={"Cookie": "lang=ru"}):
        assert search().startswith("Поиск|")
        with flask_babel.force_locale("en"):
            assert search() == "Search|5 members"
            with flask_babel.force_locale("kk"):
                assert search().startswith("Іздеу|")
            assert search() == "Search|5 members"
        assert search().startswith("Поиск|")
        flask_babel.refresh()
        assert search().startswith("Поиск|")
    # The fixture keeps one app context, so the next request shares ``g``; the core's
    # before_request calls refresh(), as here: the Russian catalogs kept there must go.
    with app.test_request_context("/", headers={"Cookie": "lang=kk"}):
        flask_babel.refresh()
        assert search().startswith("Іздеу|")
