"""CSV downloads: one dialect for every export and no formula typed by a user reaches a
spreadsheet (OWASP CSV injection). Each plugin tests its own export routes the same way."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import pytest

from core import hookimpl
from core.plugin_api import PortfolioEntry
from core.services.csv_export import csv_response
from core.testing import CSV_FORMULA_PAYLOADS, assert_formulas_neutralised, read_csv


@pytest.fixture
def app(make_app):
    app = make_app(plugins="none")

    @app.get("/test-export.csv")
    def test_export():
        return csv_response(
            "Қатысушылар тізімі.csv",
            ["Аты", "Сағат"],
            [["Әлия", 1.5], ["Балансы", -2], ["Жазылған", "-2"], [], ["Күні", dt.date(2026, 2, 1)]],
        )

    with app.app_context():
        yield app


class TypedEntries:
    """Portfolio entries whose texts were typed by users (a title, a role)."""

    def __init__(self, payload: str):
        self.payload = payload

    @hookimpl
    def portfolio_entries(self, user):
        day = dt.date(2026, 2, 10)
        return [PortfolioEntry(day, "attended", self.payload, 1.5, role=self.payload)]


@pytest.mark.parametrize("payload", CSV_FORMULA_PAYLOADS)
def test_portfolio_csv_neutralises_typed_formulas(app, client, factory, login, payload):
    pm = app.extensions["qauym_plugins"].pm
    pm.register(TypedEntries(payload), name="typed_test")
    try:
        user = factory.user(full_name=payload)
        login(client, user)
        client.set_cookie("lang", "kk")
        rows = read_csv(client.get(f"/u/{user.id}/portfolio.csv"))
    finally:
        pm.unregister(name="typed_test")
    # the teacher's name, the entry's title and role
    assert_formulas_neutralised(rows, payload, expected=3)
    assert rows[1][5] == "1,5"  # hours: a number, with the decimal comma Excel in kk reads


def test_one_dialect_numbers_stay_numbers_and_cyrillic_file_names_survive(client):
    resp = client.get("/test-export.csv", headers={"Accept-Language": "ru"})
    rows = read_csv(resp)
    assert resp.data.decode("utf-8-sig").split("\r\n")[0] == "Аты;Сағат"
    # Numbers the system writes are numbers (a negative one too); the same text typed is not.
    assert rows[1:] == [
        ["Әлия", "1,5"],
        ["Балансы", "-2"],
        ["Жазылған", "'-2"],
        [],
        ["Күні", "2026-02-01"],
    ]
    disposition = resp.headers["Content-Disposition"]
    assert 'filename="' in disposition and disposition.isascii()
    fallback = disposition.split('filename="')[1].split('"')[0]
    assert fallback.endswith(".csv") and fallback.isascii()
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert urllib.parse.unquote(encoded) == "Қатысушылар тізімі.csv"
    assert resp.headers["Cache-Control"] == "private, no-store"
