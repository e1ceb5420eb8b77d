"""Safe Markdown: markdown-it-py renders (raw HTML off), nh3 sanitises what comes out.

Images are shown only from this site: an image on another host (``https://...``, or the
protocol-relative ``//host/...``) becomes a link to it, so reading a post never fetches
anything from outside (and the Content-Security-Policy, ``img-src 'self' data:``, would block
it anyway). Every link, protocol-relative ones included, gets ``rel="nofollow ugc noopener"``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3
from flask import current_app, has_app_context
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup

#: Raise by one whenever a change here (rules, allowed tags or attributes, the image rule,
#: markdown-it or nh3 upgrades that change output) would render stored text differently:
#: plugins that store rendered HTML beside the source (the forum's ``body_html``) keep the
#: version it was made with, show older rows rendered afresh, and re-render them with their
#: command (``qauym forum recook``). ``BASE_URL`` changes need the same command.
VERSION = 1

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def is_local(url: str) -> bool:
    """A URL on this site: a path (``/uploads/1``, ``pic.png``), or an absolute URL whose
    origin is the site's ``BASE_URL``. Protocol-relative ``//host/...`` is another host."""
    # as browsers read it: tabs and newlines dropped, a backslash counts as a slash
    url = url.strip().translate({9: None, 10: None, 13: None}).replace("\\", "/")
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc and not url.startswith("//"):
        return True
    if has_app_context() and parts.scheme in ("http", "https"):
        site = urlsplit(str(current_app.config.get("BASE_URL") or ""))
        return (parts.scheme, parts.netloc.lower()) == (site.scheme, site.netloc.lower())
    return False


def _render_image(self, tokens, idx, options, env):
    token = tokens[idx]
    src = token.attrGet("src") or ""
    if is_local(src):
        return self.image(tokens, idx, options, env)
    text = escapeHtml(self.renderInlineAsText(token.children or [], options, env) or src)
    opened = sum(
        1 if t.type == "link_open" else -1 for t in tokens[:idx] if t.type.startswith("link_")
    )
    if opened > 0:  # already inside a link: no link in a link, the text is enough
        return text
    return f'<a href="{escapeHtml(src)}">{text}</a>'


_md.add_render_rule("image", _render_image)

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
    "span",
    "aside",
    "cite",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "span": {"class"},
    "aside": {"class", "data-post"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize(html: str) -> Markup:
    """Clean HTML: allowed tags only, no scripts or event handlers, safe link schemes."""
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def render(text: str | None) -> Markup:
    """Markdown to sanitised HTML."""
    return sanitize(_md.render(text or ""))
