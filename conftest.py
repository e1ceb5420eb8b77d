"""Fixtures for every test in the repository (core and plugins) come from core.testing."""

pytest_plugins = ["core.testing", "core.testing_browser"]
