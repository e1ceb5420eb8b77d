"""The library search and the site search find materials by the forms of their words."""

from __future__ import annotations

from core.extensions import db
from plugins.expertise.models import Submission
from plugins.expertise.tests.conftest import as_user, logout, reviewed, step


def _publish(client, post, world, **over) -> int:
    sub_id = reviewed(client, post, world, **over)
    as_user(client, world.coordinator)
    assert step(client, post, sub_id, "recommend").status_code == 302
    return sub_id


def test_library_and_site_search_match_inflected_forms(world, client, post):
    sub = db.session.get(Submission, _publish(client, post, world))
    # (the review helpers submit the default text)
    sub.abstract = "Сабақ жоспары: оқушылардың жұмыстарын бағалау. Открытые уроки по дробям."
    db.session.commit()
    logout(client)
    for q in ["бөлшек", "бөлшектер", "сабақтар", "оқушы", "жұмыс", "бағалаудың", "урок", "уроков"]:
        page = client.get("/expertise/library", query_string={"q": q}).get_data(as_text=True)
        assert "Бөлшектерді қосу" in page, q
        site = client.get("/search", query_string={"q": q}).get_data(as_text=True)
        assert "/expertise/s/" in site, q
    for q in ["химия", "мектеп", "учитель"]:
        page = client.get("/expertise/library", query_string={"q": q}).get_data(as_text=True)
        assert "Бөлшектерді қосу" not in page, q
    site = client.get("/search", query_string={"q": "уроков"}).get_data(as_text=True)
    assert "Открытые <mark>уроки</mark>" in site  # the core marks the form in the snippet
