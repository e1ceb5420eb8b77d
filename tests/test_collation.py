"""Lists sort in the reader's alphabet (Kazakh order for kk, Russian for ru), through HTTP."""

from __future__ import annotations

import re

import pytest

from core.collation import sort_key
from core.extensions import db
from core.models import Subject

KK = {"Accept-Language": "kk"}
RU = {"Accept-Language": "ru"}


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


def options(html: str, select_name: str) -> list[str]:
    block = html.split(f'name="{select_name}"', 1)[1].split("</select>", 1)[0]
    return [re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<option[^>]*>([^<]*)<", block)]


@pytest.fixture
def places(factory):
    for code, kk, ru in [
        ("atyrau", "Атырау облысы", "Атырауская область"),
        ("almaty-region", "Алматы облысы", "Алматинская область"),
        ("akmola", "Ақмола облысы", "Акмолинская область"),
        ("aktobe", "Ақтөбе облысы", "Актюбинская область"),
        ("karaganda", "Қарағанды облысы", "Карагандинская область"),
        ("zhetisu", "Жетісу облысы", "Жетысуская область"),
        ("east", "Шығыс Қазақстан облысы", "Восточно-Казахстанская область"),
    ]:
        factory.region(code, name_kk=kk, name_ru=ru, name_en=code)
    for code, kk, ru in [
        ("chemistry", "Химия", "Химия"),
        ("math", "Математика", "Математика"),
        ("kazakh", "Қазақ тілі", "Казахский язык"),
        ("history", "Әлем тарихы", "Всемирная история"),
    ]:
        db.session.add(Subject(code=code, name_kk=kk, name_ru=ru, name_en=code))
    db.session.commit()


def test_register_form_regions_in_kazakh_order(client, places):
    html = client.get("/register", headers=KK).get_data(as_text=True)
    regions = [r for r in options(html, "region") if r]
    assert regions.index("Ақмола облысы") < regions.index("Ақтөбе облысы")
    assert regions.index("Ақтөбе облысы") < regions.index("Алматы облысы")
    assert regions.index("Алматы облысы") < regions.index("Атырау облысы")
    assert regions.index("Жетісу облысы") < regions.index("Қарағанды облысы")
    assert regions.index("Қарағанды облысы") < regions.index("Шығыс Қазақстан облысы")


def test_register_form_subjects_in_kazakh_order(client, places):
    html = client.get("/register", headers=KK).get_data(as_text=True)
    pos = {name: html.index(name) for name in ("Әлем тарихы", "Қазақ тілі", "Математика", "Химия")}
    assert pos["Әлем тарихы"] < pos["Қазақ тілі"] < pos["Математика"] < pos["Химия"]


def test_register_form_regions_in_russian_order(client, places):
    html = client.get("/register", headers=RU).get_data(as_text=True)
    regions = [r for r in options(html, "region") if r]
    assert regions == sorted(regions, key=lambda t: sort_key(t, "ru"))
    assert regions.index("Акмолинская область") < regions.index("Восточно-Казахстанская область")


def test_directory_in_kazakh_order(client, factory):
    for name in ("Шығыс ӘБ", "Атырау ӘБ", "Ақмола ӘБ", "Қазақ тілі ӘБ", "Математика ӘБ"):
        factory.association(name_kk=name, name_ru=name)
    db.session.commit()
    html = client.get("/associations", headers=KK).get_data(as_text=True)
    pos = [html.index(n) for n in ("Ақмола ӘБ", "Атырау ӘБ", "Қазақ тілі ӘБ", "Математика ӘБ")]
    assert pos == sorted(pos)
    assert html.index("Математика ӘБ") < html.index("Шығыс ӘБ")


def test_sort_key_orders():
    words = ["Химия", "Математика", "Қазақ тілі", "Ақмола", "Алматы", "Ёлка", "Ежевика"]
    assert sorted(words, key=lambda w: sort_key(w, "kk")) == [
        "Ақмола", "Алматы", "Ежевика", "Ёлка", "Қазақ тілі", "Математика", "Химия"
    ]  # fmt: skip
    assert sorted(["Ёж", "Жук", "Ель"], key=lambda w: sort_key(w, "ru")) == ["Ель", "Ёж", "Жук"]
