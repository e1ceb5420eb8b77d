"""Languages: the user's setting, then the ``lang`` cookie, then Accept-Language, then the default.

Each plugin ships its own ``translations`` folder (domain ``messages``); Flask-Babel merges the
catalogs of every folder listed in ``BABEL_TRANSLATION_DIRECTORIES``.
"""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import Domain, get_locale, get_translations
from flask_login import current_user

from core.extensions import babel
from core.paths import CORE_DIR

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


class AppDomain(Domain):
    """Flask-Babel's domain keeps loaded translations in one cache on the (global) extension
    object, keyed by language only; two apps in one process (tests, or a deployment that
    mounts two) would then share catalogs although their plugins differ. Keep the cache on
    the app instead."""

    def get_translations_cache(self, ctx):
        return current_app.extensions.setdefault("qauym_translations", {})

    def get_translations(self):
        """The catalogs of the request's locale, looked up once per request and locale: a
        page asks for them on each of its 50-100 translated strings, and Flask-Babel's own
        lookup (request context, cache, locale name) cost more than the translation."""
        if not has_request_context():
            return super().get_translations()
        locale = get_locale()
        memo = g.get("_qauym_translations")
        if memo is not None and memo[0] is locale and memo[1] is self:
            return memo[2]
        translations = super().get_translations()
        g._qauym_translations = (locale, self, translations)
        return translations


def template_translations():
    """``flask_babel.get_translations()`` for templates, which ask for it on each of a page's
    50-200 translated strings: Flask-Babel's lookup (the domain, then the locale, each through
    the app context) cost more than the translation (about 5% of a board page). The
    catalogs are kept beside the locale Flask-Babel selected for the request, in the same
    per-request namespace, and used while that locale object is the current one:
    ``force_locale`` puts another in place (and back), ``refresh()`` removes it, and either
    sends the next call through Flask-Babel again."""
    try:
        ctx = g._flask_babel
        locale, translations = ctx.qauym_translations
        if locale is ctx.babel_locale:
            return translations
    except (AttributeError, RuntimeError):  # none yet, or outside an app context
        pass
    translations = get_translations()
    ctx = getattr(g, "_flask_babel", None) if has_app_context() else None
    locale = getattr(ctx, "babel_locale", None)
    if locale is not None:
        ctx.qauym_translations = (locale, translations)
    return translations


def select_locale() -> str:
    langs = current_app.config["LANGUAGES"]
    if has_request_context():
        user = current_user
        if getattr(user, "is_authenticated", False) and user.locale in langs:
            return user.locale
        cookie = request.cookies.get("lang")
        if cookie in langs:
            return cookie
        best = request.accept_languages.best_match(langs)
        if best and request.headers.get("Accept-Language"):
            return best
    return current_app.config["DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


def current_locale() -> str:
    """The language of the current request (or the configured default outside one)."""
    try:
        loc = get_locale()
    except Exception:  # noqa: BLE001 - outside a request: the default
        loc = None
    if loc:
        return str(loc)
    return current_app.config["DEFAULT_LOCALE"] if has_app_context() else "kk"


def compile_catalogs(directory: str) -> None:
    """Compile each ``.po`` under ``directory`` to ``.mo`` when the ``.mo`` is missing or older.

    Catalogs are kept as ``.po`` in git; compiling at start-up keeps a checkout runnable with no
    build step. It costs a few milliseconds and is skipped when nothing changed.
    """
    for po in Path(directory).glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with open(po, "rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        # A name per process: parallel test workers or gunicorn workers compile at once.
        tmp = mo.with_suffix(f".mo.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            write_mo(fh, catalog)
        tmp.replace(mo)


def init_app(app) -> None:
    # One gettext domain for all: catalogs are merged in this order and a later one wins for
    # a msgid they share. The core's goes last, so a word the core uses ("Search", "Member")
    # reads the same on every page whatever plugin also translates it; plugins keep their own
    # wording for their own msgids (or use a more specific msgid).
    dirs = [
        str(info.translations)
        for info in app.extensions["qauym_plugins"].info.values()
        if info.translations
    ]
    dirs.append(str(CORE_DIR / "translations"))
    for d in dirs:
        compile_catalogs(d)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(dirs)
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    babel.domain_instance = AppDomain(domain="messages")
    # Templates translate through one attribute lookup (see template_translations), in place
    # of the callables Flask-Babel installs.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: template_translations().ugettext(s),
        ngettext=lambda s, p, n: template_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: template_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: template_translations().unpgettext(c, s, p, n),
    )
