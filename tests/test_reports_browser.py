"""Browser journey in Kazakh: the leader writes a foreword and publishes the annual report;
an anonymous visitor finds it on the association page and reads every plugin's section."""

from __future__ import annotations

import pytest

from core.services import plans
from core.testing_browser import browser_login

pytestmark = pytest.mark.browser

SECTIONS_KK = [
    "Талқылаулар",  # forum
    "Материалдарды сараптау",  # expertise
    "Жас мамандарға тәлімгерлік",  # mentoring
    "Шеберлік сыныптары мен іс-шаралар",  # masterclasses
    "Басқару",  # governance
]


def test_leader_publishes_the_report_and_a_visitor_reads_it(live_server, page, factory):
    with live_server.app.app_context():
        a = factory.association(slug="shyn-network", name_kk="ШЫҢ желісі")
        leader = factory.member(a, factory.user(full_name="Айгүл Жетекші"), "leader")
        email, year = leader.email, plans.current_year()
    base = live_server.url
    browser_login(page, base, email)
    page.goto(f"{base}/a/shyn-network/report/{year}")
    page.fill("textarea[name=foreword]", "Біздің желінің бір жылғы жұмысы.")
    page.click("button[name=publish][value='1']")
    page.wait_for_load_state()
    assert "Біздің желінің бір жылғы жұмысы." in page.inner_text("main")

    page.context.clear_cookies()
    page.goto(f"{base}/a/shyn-network")
    page.click(f"#plans-reports a[href$='/report/{year}']")
    page.wait_for_url(f"**/a/shyn-network/report/{year}")
    text = page.inner_text("main")
    assert "Біздің желінің бір жылғы жұмысы." in text
    for title in SECTIONS_KK:
        assert title in text, title
