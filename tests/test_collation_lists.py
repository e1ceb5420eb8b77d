"""Lists in the reader's alphabet on the admin pages and on the search page (Ақмола before
Атырау, Қарағанды before Шығыс in Kazakh), through core.collation."""

from __future__ import annotations

import pytest

from core.extensions import db
from core.models import RegionAdmin
from core.testing import sign_in_as

NAMES = ["Шығыс тобы", "Атырау тобы", "Қарағанды тобы", "Ақмола тобы"]
KK_ORDER = ["Ақмола тобы", "Атырау тобы", "Қарағанды тобы", "Шығыс тобы"]


@pytest.fixture
def app(make_app):
    app = make_app(plugins="")
    with app.app_context():
        yield app


def _order(html: str, names: list[str]) -> list[str]:
    return sorted((n for n in names if n in html), key=html.index)


def test_admin_association_list_in_the_kazakh_alphabet(client, factory):
    for i, name in enumerate(NAMES):
        factory.association(slug=f"a{i}", name_kk=name, name_ru=name)
    admin = factory.user(is_site_admin=True)
    sign_in_as(client, admin)
    client.set_cookie("lang", "kk")
    html = client.get("/admin/associations").get_data(as_text=True)
    assert _order(html, NAMES) == KK_ORDER


def test_admin_region_lists_in_the_kazakh_alphabet(client, factory):
    regions = [factory.region(name_kk=n.split()[0], name_ru=n.split()[0]) for n in NAMES]
    admin = factory.user(is_site_admin=True)
    for r in regions:
        helper = factory.user(full_name=f"Әкімші {r.name_kk}")
        db.session.add(RegionAdmin(user_id=helper.id, region_id=r.id))
    db.session.commit()
    sign_in_as(client, admin)
    client.set_cookie("lang", "kk")
    html = client.get("/admin/region-admins").get_data(as_text=True)
    words = [n.split()[0] for n in NAMES]
    assert _order(html, [f"Әкімші {w}" for w in words]) == [
        f"Әкімші {n.split()[0]}" for n in KK_ORDER
    ]


def test_people_in_search_results_in_the_kazakh_alphabet(client, factory):
    names = ["Шығыс Сабақова", "Атырау Сабақова", "Қарағанды Сабақова", "Ақмола Сабақова"]
    for n in names:
        factory.user(full_name=n)
    sign_in_as(client, factory.user(full_name="Іздеуші"))
    client.set_cookie("lang", "kk")
    html = client.get("/search?q=Сабақова").get_data(as_text=True)
    # The surname is marked as the match: compare the first names.
    firsts = [n.split()[0] + " " for n in names]
    assert _order(html, firsts) == ["Ақмола ", "Атырау ", "Қарағанды ", "Шығыс "]
