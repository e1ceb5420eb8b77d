"""The ceiling: a bare Flask + Jinja app (the framework Qauym is built on, no database, no
extensions) serving, for each page measured, a page of the same byte size.

    gunicorn -w 2 --pythonpath bench 'bare_app:create()'   (BENCH_BARE_SPEC=spec.json)

The spec maps a path (``/p/<key>``) to a byte size. Each page is a static context (a list of
items with a title, an author, a link, a date and a paragraph, as a topic or list page has)
rendered through one template with autoescaping on every request; the item count grows with the
size and a padding comment makes the body exactly as long as the Qauym page.
"""

from __future__ import annotations

import json
import os

from flask import Flask, render_template_string

TEMPLATE = """<!doctype html><html lang="kk"><head><meta charset="utf-8">
<title>{{ title }}</title><link rel="stylesheet" href="/static/site.css"></head><body>
<header><nav><a href="/">Qauym</a> <a href="/associations">Бірлестіктер</a></nav></header>
<main><h1>{{ title }}</h1>{% for it in items %}<article class="post" id="p{{ it.id }}">
<div class="post-head"><a href="/u/{{ it.author_id }}"><strong>{{ it.author }}</strong></a>
<a href="/p/{{ it.id }}">#{{ it.id }} · {{ it.when }}</a></div>
<div class="body"><p>{{ it.text }}</p></div></article>
{% endfor %}</main><!--{{ pad }}--></body></html>"""

TEXT = (
    "Сабақ жоспары мен бағалау критерийлері туралы пікір: оқушылардың жиынтық бағалау "
    "тапсырмалары & дескрипторлары <сыныпта> талқыланды."
)


def _items(n: int) -> list[dict]:
    return [
        {
            "id": 1000 + i,
            "author_id": 50 + i,
            "author": f"Айгүл Серікова {i}",
            "when": "01.09.2026 10:00",
            "text": TEXT,
        }
        for i in range(n)
    ]


def contexts(spec: dict[str, int], render) -> dict[str, dict]:
    """For each key, the context whose rendering is exactly ``spec[key]`` bytes (as UTF-8)."""
    out = {}
    one = len(render(title="Бет", items=_items(1), pad="").encode()) - len(
        render(title="Бет", items=[], pad="").encode()
    )
    for key, size in spec.items():
        n = 0
        empty = len(render(title="Бет", items=[], pad="").encode())
        n = max(0, (size - empty) // one)
        ctx = {"title": "Бет", "items": _items(n), "pad": ""}
        got = len(render(**ctx).encode())
        while got > size and ctx["items"]:
            ctx["items"] = ctx["items"][:-1]
            got = len(render(**ctx).encode())
        ctx["pad"] = "x" * max(0, size - got)
        out[key] = ctx
    return out


def create(spec: dict[str, int] | None = None) -> Flask:
    if spec is None:
        with open(os.environ["BENCH_BARE_SPEC"], encoding="utf-8") as f:
            spec = json.load(f)
    app = Flask("bare")

    def render(**ctx):
        return render_template_string(TEMPLATE, **ctx)

    with app.app_context():
        ctxs = contexts(spec, render)

    @app.get("/p/<key>")
    def page(key: str):
        return render(**ctxs[key])

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app
