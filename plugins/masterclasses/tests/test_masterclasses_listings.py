"""Listings: upcoming events with filters, my events, the month calendar, the association tab
and the navigation; materials before and after the event."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from core.extensions import db
from core.models import Subject
from plugins.masterclasses import services
from plugins.masterclasses.models import Material
from plugins.masterclasses.tests.helpers import make_event

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_filters_by_form_subject_region_association_date_and_delivery(client, factory):
    north, south = factory.region(), factory.region()
    a = factory.association(slug="north-math", region_id=north.id)
    b = factory.association(slug="south-bio", region_id=south.id)
    math = Subject(code="math", name_kk="Математика", name_ru="Математика", name_en="Math")
    db.session.add(math)
    db.session.commit()
    day = dt.datetime(2030, 3, 5, 6, 0)  # 11:00 in Almaty
    e1 = make_event(a, title="Алгебра шеберлік сыныбы", starts_at=day, form="masterclass")
    e1.subjects = [math]
    make_event(
        b,
        title="Биология вебинары",
        starts_at=day + dt.timedelta(days=1),
        form="webinar",
        delivery="online",
    )
    make_event(a, title="Өткен семинар", start_in=-dt.timedelta(days=10), form="seminar")
    db.session.commit()

    def titles(query: str) -> set[str]:
        page = client.get("/masterclasses/" + query).get_data(as_text=True)
        return {
            t
            for t in ("Алгебра шеберлік сыныбы", "Биология вебинары", "Өткен семинар")
            if t in page
        }

    assert titles("") == {"Алгебра шеберлік сыныбы", "Биология вебинары"}  # upcoming only
    assert titles("?form=webinar") == {"Биология вебинары"}
    assert titles(f"?subject={math.id}") == {"Алгебра шеберлік сыныбы"}
    assert titles(f"?region={south.id}") == {"Биология вебинары"}
    assert titles("?association=north-math") == {"Алгебра шеберлік сыныбы"}
    assert titles("?date=2030-03-06") == {"Биология вебинары"}
    assert titles("?delivery=online") == {"Биология вебинары"}
    assert titles("?delivery=offline") == {"Алгебра шеберлік сыныбы"}
    assert client.get("/masterclasses/?date=nonsense&subject=x").status_code == 200


def test_listing_queries_do_not_grow_with_the_number_of_events(
    client, factory, login, count_queries
):
    assoc = factory.association()
    host = factory.member(assoc)
    make_event(assoc, hosts=[host])
    # Signed in: an anonymous visitor's second request would come from the page cache.
    login(client, factory.member(assoc))
    client.get("/masterclasses/")
    with count_queries() as few:
        client.get("/masterclasses/")
    for _ in range(8):
        make_event(assoc, hosts=[host, "Қонақ"])
    with count_queries() as many:
        client.get("/masterclasses/")
    assert many.count == few.count


def test_event_list_pages_keep_the_order_and_the_filters(client, factory):
    """The page's ids are found first and its rows loaded by id (paginate with ``key``): the
    rows still come in start order, page after page, a page past the last shows the last, and
    a filter that joins the association pages the same way."""
    region = factory.region()
    here = factory.association(region_id=region.id)
    elsewhere = factory.association()
    for i in range(25):  # created in reverse: ids do not follow the start
        make_event(here, start_in=dt.timedelta(days=40 - i), title=f"Сабақ {40 - i:02d}")
    make_event(elsewhere, start_in=dt.timedelta(days=2), title="Сабақ басқа")

    def titles(query: str) -> list[str]:
        html = client.get("/masterclasses/" + query).get_data(as_text=True)
        return re.findall(r"Сабақ (?:\d\d|басқа)", html)

    expected = ["Сабақ басқа"] + [f"Сабақ {d:02d}" for d in range(16, 41)]
    assert titles("") + titles("?page=2") == expected
    assert titles("?page=99") == expected[20:]
    assert titles(f"?region={region.id}") + titles(f"?region={region.id}&page=2") == expected[1:]
    assert titles("?form=webinar") == []  # no ids: no second statement, the empty list


@pytest.mark.parametrize("stats", [False, True], ids=["fresh", "analyzed"])
def test_event_list_reads_its_index_not_every_past_event(client, factory, login, stats):
    """The event list's count and the ids of its page, as a member gets them, are answered
    from an index alone (ix_masterclasses_event_upcoming or _listed), and the rows are then
    read by id: the plans
    read back from SQLite, on a fresh database and with the statistics ANALYZE wrote for the
    bench's 2,000 events (PostgreSQL plans on a test-sized table are sequential scans
    whatever the statement). Before, the page walked the starts_at index through the whole
    row of every past event, and past events only accumulate."""
    from sqlalchemy import event

    from core.testing import sqlite_plan, sqlite_statistics

    assoc = factory.association()
    member = factory.member(assoc)
    for days in (-30, -20, -10, 5, 10):
        make_event(assoc, start_in=dt.timedelta(days=days), title=f"Кездесу {days + 100}")
    make_event(assoc, start_in=dt.timedelta(days=7), visibility="members", title="Кездесу 107")
    if stats and db.session.get_bind().dialect.name == "sqlite":
        sqlite_statistics(
            "masterclasses_event",
            {
                "ix_masterclasses_event_upcoming": "2000 1 1 1 1 1 1",
                "ix_masterclasses_event_listed": "2000 1 1 1 1 1 1",
                "ix_masterclasses_event_association_id": "2000 100",
                "ix_masterclasses_event_series_id": "2000 2000",
                "ix_masterclasses_event_plan_row_id": "2000 2000",
            },
        )
    login(client, member)
    seen: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, params, context, executemany):
        if (
            "FROM masterclasses_event" in statement
            and "masterclasses_event.ends_at >=" in statement
        ):
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        html = client.get("/masterclasses/").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    # the upcoming ones, by start; the past ones are not listed
    assert re.findall(r"Кездесу \d+", html) == ["Кездесу 105", "Кездесу 107", "Кездесу 110"]
    if db.session.get_bind().dialect.name != "sqlite":
        return
    (count, count_params), (ids, ids_params) = seen
    assert count.startswith("SELECT count(*)") and ids.startswith("SELECT masterclasses_event.id ")
    for statement, params in seen:
        plan = sqlite_plan(statement, params)
        reads = [
            d
            for d in plan
            if d.startswith(("SCAN masterclasses_event", "SEARCH masterclasses_event"))
        ]
        assert reads and all(" USING COVERING INDEX ix_masterclasses_event_" in d for d in reads), (
            plan
        )


def test_my_events_month_calendar_tab_and_nav(client, factory, login, post):
    assoc = factory.association(slug="damu")
    ev = make_event(
        assoc, title="Менің шеберлік сыныбым", starts_at=dt.datetime(2030, 4, 10, 13, 0)
    )
    make_event(assoc, title="Басқа кездесу", starts_at=dt.datetime(2030, 4, 20, 13, 0))
    teacher = factory.user()
    login(client, teacher)
    services.register(ev.id, teacher)
    my = client.get("/masterclasses/my").get_data(as_text=True)
    assert "Менің шеберлік сыныбым" in my and "Басқа кездесу" not in my

    cal = client.get("/masterclasses/calendar?month=2030-04").get_data(as_text=True)
    assert "<table" in cal and "<script" not in cal
    assert "18:00 Менің шеберлік сыныбым" in cal and "Басқа кездесу" in cal
    assert "Менің шеберлік сыныбым" not in client.get(
        "/masterclasses/calendar?month=2030-05"
    ).get_data(as_text=True)

    assoc_page = client.get("/a/damu").get_data(as_text=True)
    assert 'href="/masterclasses/a/damu"' in assoc_page
    tab = client.get("/masterclasses/a/damu").get_data(as_text=True)
    assert "Менің шеберлік сыныбым" in tab and 'aria-current="page"' in tab
    home = client.get("/").get_data(as_text=True)
    assert 'href="/masterclasses/"' in home  # nav item
    widget = home.split('class="card mc-widget"')[1]
    assert "Менің шеберлік сыныбым" in widget and "Басқа кездесу" not in widget


def test_materials_files_and_links_before_and_after(client, factory, login, post):
    assoc = factory.association()
    host = factory.member(assoc)
    ev = make_event(assoc, hosts=[host], visibility="members")
    member, outsider = factory.member(assoc), factory.user()

    login(client, outsider)
    resp = post(
        client,
        f"/masterclasses/{ev.id}/materials",
        {"title": "Слайдтар", "phase": "before", "url": "https://example.kz/s"},
    )
    assert resp.status_code == 403
    post(client, "/logout")

    login(client, host)
    post(
        client,
        f"/masterclasses/{ev.id}/materials",
        {"title": "Слайдтар", "phase": "before", "url": "https://example.kz/s"},
    )
    post(
        client,
        f"/masterclasses/{ev.id}/materials",
        {
            "title": "Рефлексия парағы",
            "phase": "after",
            "file": (io.BytesIO(PDF), "refleksiya.pdf"),
        },
        content_type="multipart/form-data",
    )
    post(
        client,
        f"/masterclasses/{ev.id}/materials",
        {"title": "Жалған", "phase": "after", "file": (io.BytesIO(b"MZ\x90"), "x.pdf")},
        content_type="multipart/form-data",
    )
    post(
        client,
        f"/masterclasses/{ev.id}/materials",
        {"title": "XSS", "phase": "before", "url": "javascript://example.kz/%0Aalert(1)"},
    )
    assert db.session.query(Material).count() == 2
    stored = db.session.query(Material).filter(Material.file_path != "").one()
    post(client, "/logout")

    login(client, member)
    page = client.get(f"/masterclasses/{ev.id}").get_data(as_text=True)
    assert "Слайдтар" in page and "Рефлексия парағы" in page
    download = client.get(f"/masterclasses/materials/{stored.id}")
    assert download.status_code == 200 and download.data == PDF
    post(client, "/logout")
    login(client, outsider)
    assert client.get(f"/masterclasses/materials/{stored.id}").status_code == 403
