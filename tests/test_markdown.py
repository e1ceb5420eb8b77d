"""Markdown shown on a core page (an association's description): images only from this site,
protocol-relative links treated as external ones, through the app."""

from __future__ import annotations

import re

from core.extensions import db

DESCRIPTION = """\
![logo](https://qauym.example.kz/static/logo.png)
![map](https://maps.example/tile.png "Карта")
![](//tracker.example/p.gif)
![photo](/uploads/photo.png)
[site](//evil.example/x) [ext](http://example.org/)
"""


def test_association_description_pulls_no_remote_image(make_app, factory):
    app = make_app(plugins="sample", BASE_URL="https://qauym.example.kz")
    with app.app_context():
        association = factory.association(slug="md-net")
        association.description = DESCRIPTION
        db.session.commit()
        html = app.test_client().get("/a/md-net").get_data(as_text=True)

    about = re.search(r'<section class="about">(.*?)</section>', html, re.S)[1]
    # images on this site (a path, or the site's own BASE_URL) stay images
    assert re.findall(r'<img[^>]*src="([^"]*)"', about) == [
        "https://qauym.example.kz/static/logo.png",
        "/uploads/photo.png",
    ]
    rel = 'rel="nofollow ugc noopener"'
    assert f'<a href="https://maps.example/tile.png" {rel}>map</a>' in about
    assert f'<a href="//tracker.example/p.gif" {rel}>//tracker.example/p.gif</a>' in about
    assert f'<a href="//evil.example/x" {rel}>site</a>' in about
    assert f'<a href="http://example.org/" {rel}>ext</a>' in about
