"""Smoke test in Chromium with every installed plugin: the site opens in Kazakh with no request
to an outside host, and a visitor checks a certificate from the footer link without logging in.
"""

import datetime as dt

import pytest

from core.extensions import db
from core.services import certificates

pytestmark = pytest.mark.browser


def test_home_in_kazakh_and_a_visitor_verifies_a_certificate(live_server, page, factory):
    with live_server.app.app_context():
        user = factory.user(full_name="Әлия Ғалымқызы Қоңырбаева")
        cert = certificates.issue(
            source_key="smoke:1",
            recipient=user,
            title="Өңірлік семинарға қатысқаны үшін",
            kind="smoke",
            hours=4,
            issuer="Аудандық әдістемелік кабинет",
            issued_on=dt.date(2026, 3, 1),
        )
        db.session.commit()
        code = cert.code

    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("header.site").is_visible()

    page.click("footer a[href='/verify']")
    page.fill("input[name=code]", " " + code.lower().replace("-", " ") + " ")
    page.press("input[name=code]", "Enter")
    page.wait_for_url(f"**/verify/{code}")

    assert page.locator("#status").get_attribute("data-status") == "valid"
    assert page.locator("#recipient").inner_text() == "Әлия Ғалымқызы Қоңырбаева"
    assert page.locator("main h1").inner_text() == "Сертификатты тексеру"  # "Verify a ..."
    assert page.get_by_text("Өңірлік семинарға қатысқаны үшін").is_visible()
    assert page.locator("html").get_attribute("lang") == "kk"
