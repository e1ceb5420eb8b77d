"""CSV downloads: one dialect and one formula guard for every export of the core and plugins.

Use :func:`csv_response` for any ``.csv`` a user downloads; never write cells with the
``csv`` module directly.

The dialect, chosen for the people who open these files (teachers and coordinators in
Kazakhstan, double-clicking the download into Excel with Kazakh or Russian regional settings):

- **UTF-8 with a byte-order mark.** Without the BOM Excel reads a CSV in the ANSI code page
  and Kazakh and Russian letters turn into mojibake; with it LibreOffice and Python
  (``utf-8-sig``) read the file as well.
- **Semicolon between cells, CRLF between rows.** Excel takes the separator from the Windows
  "list separator", which is ``;`` wherever the decimal separator is a comma, as in the kk-KZ
  and ru-RU settings; a comma-separated file opens there as one column. The portfolio and
  master-class exports were already semicolon-separated (and their tests pin it), so the
  mentoring reports, which used commas, now follow them.
- **Numbers in the reader's language.** Cells that are Python ``int``/``float``/``Decimal``
  values are written as numbers with the current locale's decimal sign (``1,5`` in kk and ru,
  ``1.5`` in en), so Excel in those settings sums them instead of reading text or a date.
  Dates are ISO ``YYYY-MM-DD``.

Formula injection (OWASP "CSV injection"): a text cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is prefixed with ``'`` so a spreadsheet shows it as text and
never runs ``=HYPERLINK(...)`` or ``=cmd|...``. Numbers the system itself puts in a cell
(an ``int`` or ``float``, such as a negative balance) are safe and stay numbers; the same
characters typed by a user (the string ``"-2+3"``) are text and are neutralised.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Response
from flask_babel import format_decimal

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DELIMITER = ";"
LINE_TERMINATOR = "\r\n"
BOM = "\ufeff"


def _number(value: int | float | Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    return format_decimal(value, format="0.##########")


def neutralise(value: Any) -> str:
    """One cell as text: numbers in the locale's form, everything else with formulas defused."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return _number(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _ascii_name(filename: str) -> str:
    stem, ext = os.path.splitext(filename)
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_") or "export"
    ext = re.sub(r"[^A-Za-z0-9]+", "", ext) or "csv"
    return f"{stem}.{ext}"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` every browser takes, plus the real name
    (Cyrillic included) as RFC 5987 ``filename*`` when it differs."""
    fallback = _ascii_name(filename)
    value = f'attachment; filename="{fallback}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


def to_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """The file's text (BOM included); an empty row is written as an empty line."""
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf, delimiter=DELIMITER, lineterminator=LINE_TERMINATOR)
    if header:
        writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return buf.getvalue()


def csv_response(filename: str, header: list[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A download of ``header`` then ``rows``, every cell passed through :func:`neutralise`.

    ``header`` may be empty for reports made of labelled sections (the rows carry the labels).
    Exports hold personal data: the response is never cached by shared caches.
    """
    resp = Response(to_text(header, rows).encode("utf-8"), mimetype="text/csv")
    resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    resp.headers["Content-Disposition"] = content_disposition(filename)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
