"""A post's stored HTML made fit for email, and the plain text made from it.

Mailing-list emails (:mod:`plugins.forum.mailing_list`) carry the post as the site shows it,
not its Markdown source: the HTML part is the post's cooked HTML (already sanitised by
``markdown.render`` when stored: allowed tags only) with every link made absolute to this
site, and the text part is that HTML read as text.

Email-safe means no resource is fetched when the mail is opened: no stylesheets, fonts or
scripts, and no images either. The site's images are attachments shown to readers only, so a
mail client could not load them anyway, and remote images are what mail clients block as
trackers; each image becomes a link to it ("[alt] (url)" in the text).

The text keeps the reading order and the structure a reader needs: paragraphs and headings
on their own lines, list items as ``- `` (or ``1. ``), quotes as ``> `` lines, code blocks as
written, table cells separated by ``|``, and links as ``text (url)`` (just the url when the
text is the url).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markupsafe import Markup, escape

from core.api import markdown

#: The tags ``markdown.render`` lets through (images are made links before this is asked);
#: anything else is dropped with its markup (its text stays).
TAGS = frozenset(markdown.ALLOWED_TAGS) - {"img"}
_KEEP_ATTRS = {"a": ("href", "title"), "th": ("align",), "td": ("align",)}
_VOID = {"br", "hr", "img"}
_BLOCKS = {"p", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr"}
_QUOTES = {"blockquote", "aside"}


def absolute(url: str, base: str) -> str:
    """``url`` with this site's ``base`` in front when it is a path of this site."""
    if url.startswith("/") and not url.startswith("//"):
        return base.rstrip("/") + url
    return url


class _Reader(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.html: list[str] = []
        self.text: list[list[str]] = [[]]  # one buffer per open quote
        self.pre = 0
        self.links: list[tuple[str, int]] = []  # (url, where its text starts)
        self.lists: list[list[int]] = []  # [next number] for ol, [] for ul

    # --- the HTML part ---------------------------------------------------------------------

    def _emit_tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kept = []
        for name, value in attrs:
            if name in _KEEP_ATTRS.get(tag, ()) and value is not None:
                if name == "href":
                    value = absolute(value, self.base)
                kept.append(f' {name}="{escape(value)}"')
        self.html.append(f"<{tag}{''.join(kept)}>")

    # --- the text part ---------------------------------------------------------------------

    @property
    def out(self) -> list[str]:
        return self.text[-1]

    def _newline(self, blank: bool = False) -> None:
        """End the line (``blank``: and leave an empty one), unless the text already does."""
        if not self.out:
            return
        tail = "".join(self.out[-3:]).rstrip(" ")
        if blank and not tail.endswith("\n\n"):
            self.out.append("\n" if tail.endswith("\n") else "\n\n")
        elif not blank and not tail.endswith("\n"):
            self.out.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img":
            src = absolute(values.get("src") or "", self.base)
            alt = (values.get("alt") or "").strip() or src
            self.html.append(f'<a href="{escape(src)}">{escape(alt)}</a>')
            self.out.append(f"[{alt}] ({src})" if src else f"[{alt}]")
            return
        if tag in TAGS:
            self._emit_tag(tag, attrs)
        if tag in _QUOTES:
            self._newline(blank=True)
            self.text.append([])
        elif tag in ("ul", "ol") and self.lists:
            self._newline()  # a list inside a list item: no blank line
        elif tag in _BLOCKS:
            self._newline(blank=True)
            if tag == "hr":
                self.out.append("----")
                self._newline(blank=True)
        elif tag == "br":
            self.out.append("\n")
        if tag == "ul":
            self.lists.append([])
        elif tag == "ol":
            self.lists.append([1])
        elif tag == "li":
            self._newline()
            depth = max(len(self.lists) - 1, 0)
            numbers = self.lists[-1] if self.lists else []
            if numbers:
                self.out.append("   " * depth + f"{numbers[0]}. ")
                numbers[0] += 1
            else:
                self.out.append("   " * depth + "- ")
        elif tag == "tr":
            self._newline()
        elif tag in ("td", "th"):
            while self.out and not self.out[-1].strip() and not self.out[-1].endswith("\n"):
                self.out.pop()  # the source's spacing between cells
            if self.out and not self.out[-1].endswith("\n"):
                self.out.append(" | ")
        elif tag == "pre":
            self.pre += 1
        elif tag == "a":
            self.links.append((absolute(values.get("href") or "", self.base), len(self.out)))

    def handle_endtag(self, tag: str) -> None:
        if tag in TAGS and tag not in _VOID:
            self.html.append(f"</{tag}>")
        if tag in _QUOTES and len(self.text) > 1:
            inner = _tidy("".join(self.text.pop()))
            self.out.append("\n".join(f"> {line}".rstrip() for line in inner.split("\n")))
            self._newline(blank=True)
        elif tag in ("ul", "ol") and len(self.lists) > 1:
            self._newline()
        elif tag in _BLOCKS:
            self._newline(blank=True)
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
        elif tag == "a" and self.links:
            url, start = self.links.pop()
            label = "".join(self.out[start:]).strip()
            if url.startswith("mailto:"):
                url = url[len("mailto:") :]
                label = label.removeprefix("mailto:")
            if url and label != url:
                self.out.append(f" ({url})" if label else url)

    def handle_data(self, data: str) -> None:
        self.html.append(str(escape(data)))
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
            if not self.out or self.out[-1].endswith("\n"):
                data = data.lstrip()  # no line starts with the source's line break
        if data:
            self.out.append(data)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _read(cooked: str, base: str) -> _Reader:
    reader = _Reader(base)
    reader.feed(str(cooked))
    reader.close()
    while len(reader.text) > 1:  # an unclosed quote
        inner = reader.text.pop()
        reader.out.extend(inner)
    return reader


def email_html(cooked: str, base: str) -> Markup:
    """The post's HTML for an email: links absolute, images as links, known tags only."""
    return Markup("".join(_read(cooked, base).html))  # noqa: S704 - rebuilt from sanitised HTML


def plain_text(cooked: str, base: str) -> str:
    """The post's HTML as readable text, links as ``text (url)``."""
    return _tidy("".join(_read(cooked, base).out))
