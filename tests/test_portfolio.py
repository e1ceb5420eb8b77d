"""Portfolio: entries from plugins (the sample plugin and in-test plugins), hours per kind,
certificates, who may see it, and the CSV export for attestation."""

import csv
import datetime as dt
import io

import pytest

from core import hookimpl
from core.extensions import db
from core.models import RegionAdmin
from core.plugin_api import PortfolioEntry
from core.services import certificates


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


class MentoringPlugin:
    """A second source of entries, registered for one test like an installed plugin."""

    @hookimpl
    def portfolio_entries(self, user):
        return [
            PortfolioEntry(dt.date(2026, 2, 1), "hosted", "Ашық сабақ: «Қазақ әдебиеті»", 3.0),
            PortfolioEntry(dt.date(2026, 2, 10), "attended", '=HYPERLINK("x")', 1.5, role="+"),
            PortfolioEntry(dt.date(2026, 3, 1), "mentoring", "Жас маманға тәлімгерлік", 0.0),
        ]


class BrokenPlugin:
    @hookimpl
    def portfolio_entries(self, user):
        raise RuntimeError("database of this plugin is down")


@pytest.fixture
def more_plugins(app):
    pm = app.extensions["qauym_plugins"].pm
    pm.register(MentoringPlugin(), name="mentoring_test")
    pm.register(BrokenPlugin(), name="broken_test")
    yield
    pm.unregister(name="mentoring_test")
    pm.unregister(name="broken_test")


def test_owner_sees_entries_from_the_sample_plugin_and_certificates(client, factory, login):
    user = factory.user(full_name="Әлия Қоңырбаева")
    cert = certificates.issue(
        source_key="sample:1",
        recipient=user,
        title="Семинарға қатысқаны үшін",
        kind="sample.attendance",
        hours=2,
        issuer="Әдістемелік кабинет",
        issued_on=dt.date(2026, 1, 15),
    )
    db.session.commit()
    login(client, user)

    resp = client.get(f"/u/{user.id}/portfolio")

    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Sample seminar" in html
    assert 'data-kind="attended"' in html
    assert "Семинарға қатысқаны үшін" in html and cert.code in html
    assert f"/u/{user.id}/portfolio.csv" in html


def test_hours_are_totalled_per_kind_and_a_failing_plugin_is_left_out(
    client, factory, login, more_plugins
):
    user = factory.user()
    login(client, user)
    client.set_cookie("lang", "en")

    html = client.get(f"/u/{user.id}/portfolio").get_data(as_text=True)

    # sample: attended 2.0; mentoring_test: hosted 3.0, attended 1.5, mentoring 0
    assert (
        '<tr data-kind="attended"><th scope="row">Attended</th><td data-label="Hours">3.5</td></tr>'
        in html
    )
    assert (
        '<tr data-kind="hosted"><th scope="row">Hosted</th><td data-label="Hours">3</td></tr>'
        in html
    )
    assert (
        '<tr data-kind="mentoring"><th scope="row">Mentoring</th><td data-label="Hours">0</td></tr>'
        in html
    )
    assert '<th id="total-hours">6.5</th>' in html
    assert "Ашық сабақ: «Қазақ әдебиеті»" in html


def test_csv_for_attestation_has_a_bom_and_reads_back_in_kazakh(
    client, factory, login, more_plugins
):
    user = factory.user(full_name="Әлия Ғалымқызы Қоңырбаева")
    login(client, user)
    client.set_cookie("lang", "kk")

    resp = client.get(f"/u/{user.id}/portfolio.csv")

    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert len(header) == 8
    assert len(body) == 4
    assert all(r[0] == "Әлия Ғалымқызы Қоңырбаева" for r in body)
    by_title = {r[3]: r for r in body}
    assert by_title["Ашық сабақ: «Қазақ әдебиеті»"][1] == "2026-02-01"
    assert by_title["Ашық сабақ: «Қазақ әдебиеті»"][5] == "3"
    assert by_title["Sample seminar"][6] == "Sample plugin (tests only)"  # not the code
    # Formulas never run when the file is opened in a spreadsheet.
    assert '\'=HYPERLINK("x")' in by_title
    assert by_title['\'=HYPERLINK("x")'][4] == "'+"
    assert by_title['\'=HYPERLINK("x")'][5] == "1,5"  # decimal comma, as Excel in kk reads it


@pytest.mark.parametrize("path", ["/u/{id}/portfolio", "/u/{id}/portfolio.csv"])
def test_who_may_see_a_portfolio(client, factory, login, post, path):
    region = factory.region()
    other_region = factory.region()
    owner = factory.user(region_id=region.id)
    url = path.format(id=owner.id)
    regional = factory.user()
    db.session.add(RegionAdmin(user_id=regional.id, region_id=region.id))
    elsewhere = factory.user()
    db.session.add(RegionAdmin(user_id=elsewhere.id, region_id=other_region.id))
    db.session.commit()
    admin = factory.user(is_site_admin=True)
    colleague = factory.user(region_id=region.id)

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for viewer, expected in [
        (owner, 200),
        (admin, 200),
        (regional, 200),
        (elsewhere, 403),
        (colleague, 403),
    ]:
        login(client, viewer)
        assert client.get(url).status_code == expected, viewer.email
        post(client, "/logout")
    login(client, admin)
    assert client.get(path.format(id=999999)).status_code == 404
