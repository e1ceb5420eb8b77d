"""Fixtures shared by the governance plugin's tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def app(make_app):
    """The app with only this plugin (a module overrides it for other settings)."""
    app = make_app(plugins="governance")
    with app.app_context():
        yield app


@pytest.fixture
def live_app(make_app):
    """The app the browser journeys talk to (a file database shared with the server)."""
    return make_app(plugins="governance", file_db=True)
