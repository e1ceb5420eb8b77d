"""Shared form pieces."""

from __future__ import annotations

from flask_wtf import FlaskForm


class PostForm(FlaskForm):
    """An empty form: a POST button with its CSRF token."""
