"""Qauym core: the Flask application factory and the public API plugins use.

Plugins import from here (``hookimpl``) and from :mod:`core.plugin_api`, :mod:`core.models`,
:mod:`core.extensions` and :mod:`core.services`; nothing else in core is public.
"""

from __future__ import annotations

import pluggy

hookimpl = pluggy.HookimplMarker("qauym")

from core.app import create_app  # noqa: E402

__all__ = ["create_app", "hookimpl"]
