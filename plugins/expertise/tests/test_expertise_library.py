"""The library of recommended materials, search, credit (portfolio and certificates), the
coordinator dashboard and the association's settings and rubric."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import time_machine
from sqlalchemy import select

from core.extensions import db
from core.models import Certificate, Subject
from core.services import portfolio
from core.timeutil import site_date
from plugins.expertise.models import Criterion, File, Rubric, Settings, Submission
from plugins.expertise.tests.conftest import (
    as_user,
    logout,
    reviewed,
    step,
    submit,
    to_review,
)


def _publish(client, post, world, **over) -> int:
    sub_id = reviewed(client, post, world, **over)
    as_user(client, world.coordinator)
    assert step(client, post, sub_id, "recommend").status_code == 302
    return sub_id


def test_library_lists_recommended_with_filters_summary_and_citation(world, client, post):
    sub_id = _publish(client, post, world, scores=[3, 3, 3, 3, 3, 2, 2, 2, 2, 2])
    hidden = submit(client, post, world, title="Жарияланбаған жоспар")
    logout(client)
    html = client.get("/expertise/library").get_data(as_text=True)
    assert "Бөлшектерді қосу" in html and "Жарияланбаған жоспар" not in html
    year = site_date().year
    hits = {
        "?q=бөлшек": True,
        "?q=химия": False,
        f"?subject={world.subject.id}": True,
        "?grade=6": True,
        "?grade=9": False,
        "?type=lesson_plan": True,
        "?type=teaching_kit": False,
        "?language=kk": True,
        "?language=ru": False,
        f"?association={world.association.id}": True,
        f"?year={year}": True,
        f"?year={year - 1}": False,
        # each set of filters has one statement, built once: the values differ per visit
        f"?subject={world.subject.id}&grade=6&language=kk": True,
        f"?subject={world.subject.id}&grade=6&language=ru": False,
        "?subject=0&association=0": True,  # 0 is no subject or association: any
    }
    for query, found in hits.items():
        page = client.get("/expertise/library" + query).get_data(as_text=True)
        assert ("Бөлшектерді қосу" in page) is found, query
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert "Review summary" in page and "3.0 / 3" in page and "2.0 / 3" in page
    assert "Author, Coauthor. Бөлшектерді қосу [Short-term (lesson) plan]. — " in page
    assert f"/expertise/s/{sub_id}" in page and "Version 1" in page
    assert client.get(f"/expertise/s/{hidden}").status_code in (302, 401)
    # Downloads are counted.
    f = db.session.scalar(select(File))
    client.get(f"/expertise/file/{f.id}")
    client.get(f"/expertise/file/{f.id}")
    db.session.expire_all()
    assert db.session.get(File, f.id).downloads == 2
    assert "downloads: 2" in client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    # The association tab lists it too.
    tab = client.get("/expertise/a/kostanay-math").get_data(as_text=True)
    assert "Бөлшектерді қосу" in tab
    assert 'href="/expertise/a/kostanay-math"' in client.get("/a/kostanay-math").get_data(
        as_text=True
    )


def test_rereview_flag_after_the_period(world, client, post):
    sub_id = _publish(client, post, world)
    sub = db.session.get(Submission, sub_id)
    assert "Due for re-review" not in client.get("/expertise/library").get_data(as_text=True)
    sub.rereview_due = site_date() - dt.timedelta(days=1)
    db.session.commit()
    assert "Due for re-review" in client.get("/expertise/library").get_data(as_text=True)
    page = client.get("/expertise/a/kostanay-math/dashboard").get_data(as_text=True)
    assert "Due for re-review" in page


def test_search_hook_finds_library_entries_only(world, client, post):
    sub_id = _publish(client, post, world)
    draft = submit(client, post, world, title="Бөлшектер: жоба")
    logout(client)
    html = client.get("/search?q=бөлшектер").get_data(as_text=True)
    assert f'href="/expertise/s/{sub_id}"' in html
    assert f"/expertise/s/{draft}" not in html


def test_portfolio_and_certificates_for_authors_and_experts(world, client, post, app):
    sub_id = _publish(client, post, world)
    certs = {c.source_key: c for c in db.session.scalars(select(Certificate))}
    assert f"expertise:material:{sub_id}:user:{world.author.id}" in certs
    review_keys = [k for k in certs if k.startswith("expertise:review:")]
    assert len(review_keys) == 2
    assert {certs[k].recipient_id for k in review_keys} == {world.expert1.id, world.expert2.id}
    with app.test_request_context():
        author_entries = [e for e in portfolio.entries(world.author) if e.source == "expertise"]
        expert_entries = [e for e in portfolio.entries(world.expert1) if e.source == "expertise"]
    assert [(e.kind, e.title) for e in author_entries] == [("material", "Бөлшектерді қосу")]
    assert author_entries[0].certificate_code == (
        certs[f"expertise:material:{sub_id}:user:{world.author.id}"].code
    )
    assert [e.kind for e in expert_entries] == ["review"]
    assert expert_entries[0].certificate_code
    # The material's page links each person to their own certificate only.
    as_user(client, world.expert1)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    mine = [certs[k] for k in review_keys if certs[k].recipient_id == world.expert1.id][0]
    assert f"/verify/{mine.code}" in page
    assert (
        f"/verify/{certs[f'expertise:material:{sub_id}:user:{world.author.id}'].code}" not in page
    )
    as_user(client, world.author)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert f"/verify/{certs[f'expertise:material:{sub_id}:user:{world.author.id}'].code}" in page
    assert f"/verify/{mine.code}" not in page
    # Issuing again (another decision path calling publish) does not duplicate.
    from plugins.expertise import services as svc

    sub = db.session.get(Submission, sub_id)
    with app.test_request_context():
        again = svc.material_certificate(sub, world.author)
    assert again.code == certs[f"expertise:material:{sub_id}:user:{world.author.id}"].code


def test_dashboard_counts_states_load_and_median(world, client, post):
    sub_id = _publish(client, post, world)
    submit(client, post, world, title="Екінші")
    sub = db.session.get(Submission, sub_id)
    sub.submitted_at = sub.decided_at - dt.timedelta(days=4)
    db.session.commit()
    as_user(client, world.member)
    assert client.get("/expertise/a/kostanay-math/dashboard").status_code == 403
    as_user(client, world.coordinator)
    html = client.get("/expertise/a/kostanay-math/dashboard").get_data(as_text=True)
    assert 'data-state="recommended">1<' in html and 'data-state="submitted">1<' in html
    assert "Median: 4.0 days (1 decisions)" in html
    assert "Expert One" in html and "School Expert" in html


def test_settings_and_rubric_editing(world, client, post):
    url = "/expertise/a/kostanay-math/settings"
    as_user(client, world.member)
    assert client.get(url).status_code == 403
    as_user(client, world.coordinator)
    assert client.get(url).status_code == 200
    rubric = db.session.scalar(select(Rubric))
    assert len(rubric.criteria) == 10
    bad = post(
        client,
        url,
        {
            "experts_per_round": "9",
            "reviewer_identity": "named",
            "min_category": "",
            "respond_days": "5",
            "review_days": "21",
            "rereview_years": "3",
        },
    )
    assert bad.status_code == 200 and db.session.get(Settings, world.association.id) is None
    ok = post(
        client,
        url,
        {
            "experts_per_round": "3",
            "reviewer_identity": "anonymous",
            "min_category": "master",
            "respond_days": "4",
            "review_days": "14",
            "rereview_years": "5",
            "review_hours": "1.5",
            "load_cap": "4",
            "hide_until_decision": "y",
        },
    )
    assert ok.status_code == 302
    st = db.session.get(Settings, world.association.id)
    assert (
        st.experts_per_round,
        st.reviewer_identity,
        st.hide_until_decision,
        st.review_hours,
    ) == (3, "anonymous", True, 1.5)
    add = "/expertise/a/kostanay-math/criteria"
    resp = post(client, add, {"c-title": "ICT", "c-weight": "2", "c-levels": "a\nb"})
    assert resp.status_code == 200 and "Give exactly 4 levels" in resp.get_data(as_text=True)
    resp = post(client, add, {"c-title": "ICT", "c-weight": "2", "c-levels": "0\n1\n2\n3"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert [c.title for c in db.session.get(Rubric, rubric.id).criteria][-1] == "ICT"
    first = db.session.scalar(select(Criterion).order_by(Criterion.id))
    assert post(client, f"/expertise/criterion/{first.id}/delete", {}).status_code == 302
    db.session.expire_all()
    assert len(db.session.get(Rubric, rubric.id).criteria) == 10


def test_editing_a_used_rubric_makes_a_new_version(world, client, post):
    first = to_review(client, post, world)
    old = db.session.get(Submission, first).rubric
    old_id, old_titles = old.id, [c.title for c in old.criteria]
    as_user(client, world.coordinator)
    crit = old.criteria[0]
    resp = post(
        client,
        f"/expertise/criterion/{crit.id}/edit",
        {
            f"c{crit.id}-title": "Оқу мақсаттары",
            f"c{crit.id}-weight": "3",
            f"c{crit.id}-levels": "0\n1\n2\n3",
        },
    )
    assert resp.status_code == 302
    db.session.expire_all()
    # The material in review keeps its rubric; the association has a new current one.
    assert [c.title for c in db.session.get(Rubric, old_id).criteria] == old_titles
    current = db.session.scalar(select(Rubric).order_by(Rubric.id.desc()))
    assert current.id != old_id
    assert (current.criteria[0].title, current.criteria[0].weight) == ("Оқу мақсаттары", 3.0)
    assert db.session.get(Submission, first).rubric_id == old_id
    second = to_review(client, post, world)
    assert db.session.get(Submission, second).rubric_id == current.id
    # Further edits of the unused new version change it in place.
    resp = post(client, "/expertise/a/kostanay-math/rubric", {"r-name": "Жаңа", "r-scale_max": "4"})
    assert resp.status_code == 302
    db.session.expire_all()
    rubrics = db.session.scalars(select(Rubric).order_by(Rubric.id)).all()
    assert len(rubrics) == 3  # the second submission pinned the edited one, so again a copy
    assert (rubrics[-1].name, rubrics[-1].scale_max) == ("Жаңа", 4)
    assert all(len(c.levels) == 5 for c in rubrics[-1].criteria)


def test_refused_criterion_edit_keeps_what_was_typed(world, client, post):
    as_user(client, world.coordinator)
    client.get("/expertise/a/kostanay-math/settings")
    crit = db.session.scalar(select(Criterion).order_by(Criterion.id))
    resp = post(
        client,
        f"/expertise/criterion/{crit.id}/edit",
        {f"c{crit.id}-title": "Typed title", f"c{crit.id}-weight": "2", f"c{crit.id}-levels": "x"},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Give exactly 4 levels" in html and "Typed title" in html
    db.session.expire_all()
    assert db.session.get(Criterion, crit.id).title != "Typed title"


def test_library_excludes_other_subjects_and_sorts_newest_first(world, client, post):
    chem = Subject(code="chem", name_kk="Химия", name_ru="Химия", name_en="Chemistry")
    db.session.add(chem)
    db.session.commit()
    first = _publish(client, post, world)
    sub = db.session.get(Submission, first)
    sub.published_at -= dt.timedelta(days=1)
    db.session.commit()
    second = _publish(client, post, world)
    html = client.get("/expertise/library").get_data(as_text=True)
    assert html.index(f"/expertise/s/{second}") < html.index(f"/expertise/s/{first}")
    assert "Бөлшектерді" not in client.get(f"/expertise/library?subject={chem.id}").get_data(
        as_text=True
    )


def test_credit_carries_the_site_day_not_the_utc_date(world, client, post, app):
    """A review and a publication at 03:30 on 2 December in Almaty (22:30 UTC on 1 December)
    are dated 2 December in the portfolio and on the certificates."""
    with time_machine.travel(dt.datetime(2026, 12, 1, 22, 30, tzinfo=dt.UTC), tick=False):
        sub_id = _publish(client, post, world)
    certs = list(db.session.scalars(select(Certificate)))
    assert certs and {c.issued_on for c in certs} == {dt.date(2026, 12, 2)}
    with app.test_request_context():
        entries = [
            e
            for who in (world.author, world.expert1)
            for e in portfolio.entries(who)
            if e.source == "expertise"
        ]
    assert {e.kind for e in entries} == {"material", "review"}
    assert {e.date for e in entries} == {dt.date(2026, 12, 2)}
    assert db.session.get(Submission, sub_id).rereview_due.day == 2


class _FormFields(HTMLParser):
    """The fields of the form posting to ``action``: name -> value as the browser sends it."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields = action, False, {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
        elif self.inside and tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""
        elif self.inside and tag == "textarea":
            self._textarea = a["name"]
            self.fields[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def test_criterion_edit_form_saved_unchanged_keeps_the_levels(world, client, post):
    as_user(client, world.coordinator)
    html = client.get("/expertise/a/kostanay-math/settings").get_data(as_text=True)
    crit = db.session.scalar(select(Criterion).order_by(Criterion.id))
    levels_before = list(crit.levels)
    parser = _FormFields(f"/expertise/criterion/{crit.id}/edit")
    parser.feed(html)
    fields = parser.fields
    # One level a line, as the field's help says, not a Python list.
    textarea = fields[f"c{crit.id}-levels"]
    assert textarea.strip().splitlines() == levels_before
    resp = post(client, f"/expertise/criterion/{crit.id}/edit", fields)
    assert resp.status_code == 302
    db.session.expire_all()
    current = db.session.scalar(select(Rubric).order_by(Rubric.id.desc()))
    assert current.criteria[0].title == crit.title
    assert current.criteria[0].levels == levels_before


def test_library_year_is_the_site_year(world, client, post):
    """Published at 01:00 on 1 January in Almaty (20:00 UTC on 31 December): that year."""
    sub_id = _publish(client, post, world)
    db.session.get(Submission, sub_id).published_at = dt.datetime(2026, 12, 31, 20, 0)
    db.session.commit()
    logout(client)
    assert "Бөлшектерді қосу" in client.get("/expertise/library?year=2027").get_data(as_text=True)
    assert "Бөлшектерді қосу" not in client.get("/expertise/library?year=2026").get_data(
        as_text=True
    )
