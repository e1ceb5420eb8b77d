"""Lighthouse scores 1.00 in performance, accessibility, best practices and SEO on the home,
directory, association, forum, events and library pages, served with the demo data and read
in Kazakh by an anonymous visitor (the phone form factor, Lighthouse's default).

Lighthouse is the npm package pinned in ``tests/lighthouse/package-lock.json`` (installed by
``make lighthouse``, which ``make test-sqlite`` and ``make test-lighthouse`` call), run by
``tests/lighthouse/run.mjs`` in one Debian Chromium (``CHROME_PATH``) for every page. It runs
in ``make test`` (the last step of ``make test-sqlite``, on one worker). Throttling stays
Lighthouse's default (simulated slow 4G and a 4x slower CPU): it is what the issue measured.
The simulation scales the CPU time the page really took, so a machine busy with other tests can
cost a page a point of performance by chance; a page below 1.00 is measured once more, and the
bar stays 1.00. The margin: with one bundled stylesheet (core/stylesheets.py) the simulated
first and largest paint of each page are about 0.8 s, and performance stays 1.00 up to about
1.05 s (first paint) and 1.55 s (largest) with every metric at 1.00; a failure prints the
metrics.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from core import demo
from core.services.urls import site_request_context
from core.testing_browser import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.lighthouse]

HERE = Path(__file__).resolve().parent / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PAGES = (
    "/",
    "/associations",
    "/a/shyn-network",
    "/forum/",
    "/masterclasses/",
    "/expertise/library",
)


def _demo_world(app) -> None:
    with app.app_context():
        ctx = demo.build(echo=lambda _: None)
        demo.build_plans(ctx)
        registry = app.extensions["qauym_plugins"]
        for name in registry.implementers("demo_data"):
            with site_request_context():
                registry.collect("demo_data", plugins=[name], ctx=ctx)


def _lighthouse(urls: list[str], out: Path) -> dict:
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "lighthouse").is_dir():
        pytest.fail("Lighthouse is not installed: run `make lighthouse` (node, npm ci)")
    env = {
        **os.environ,
        "CHROME_PATH": CHROMIUM,
        "LH_EXTRA_HEADERS": json.dumps({"Accept-Language": "kk-KZ,kk;q=0.9"}),
    }
    subprocess.run(
        [node, str(HERE / "run.mjs"), str(out), *urls],
        cwd=HERE,
        env=env,
        check=True,
        timeout=900,
    )
    return json.loads(out.read_text())


def _metrics(result: dict) -> str:
    """FCP, LCP, SI, TBT and server time in ms, CLS: which one costs the points."""
    return " ".join(
        f"{k}={v:.3f}" if k == "cls" else f"{k}={v:.0f}"
        for k, v in result.get("metrics", {}).items()
        if v is not None
    )


def _failures(result: dict) -> list[str]:
    lines = []
    for category in CATEGORIES:
        if result["scores"][category] != 1:
            lines.append(f"{result['url']}: {category} {result['scores'][category]}")
            if category == "performance":
                lines.append(f"    metrics {_metrics(result)}")
            for audit in result["failing"]:
                if audit["category"] == category:
                    lines.append(
                        f"    {audit['id']} ({audit['score']}) {audit['title']} {audit['value']}"
                    )
                    lines.extend(f"        {item}" for item in audit["items"])
    return lines


def test_lighthouse_scores_one_on_the_main_pages(live_server, tmp_path):
    _demo_world(live_server.app)
    urls = [live_server.url + path for path in PAGES]
    results = _lighthouse(urls, tmp_path / "first.json")
    again = [url for url in urls if _failures(results[url])]
    if again:
        # Measured once more: a busy machine can slow one page by chance (module docstring).
        results.update(_lighthouse(again, tmp_path / "again.json"))
    failures = [line for url in urls for line in _failures(results[url])]
    assert not failures, "Lighthouse below 1.00:\n" + "\n".join(failures)
