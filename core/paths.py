"""Where the core's files are: a leaf module (it imports nothing from core), so any module can
use it without an import circle."""

from __future__ import annotations

from pathlib import Path

CORE_DIR = Path(__file__).resolve().parent
PROJECT_TEMPLATES = CORE_DIR.parent / "templates"
CORE_MIGRATIONS = CORE_DIR / "migrations"
FONTS = CORE_DIR / "fonts"
