"""Mentoring over HTTP: programmes, enrolment, ranked mentors, the coordinator's assignment,
the pair lifecycle, plan, meetings, observations and reflections, with privacy boundaries."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import func, select

from core.extensions import db
from core.models import Certificate, Notification
from core.timeutil import site_date, utcnow
from plugins.mentoring import services as svc
from plugins.mentoring.models import (
    Goal,
    Meeting,
    MentorProfile,
    NoviceRequest,
    Observation,
    Pair,
    Programme,
)
from plugins.mentoring.tests.world import (
    add_mentor,
    add_novice,
    add_pair,
    client_for,
    get_in,
    make_world,
    programme_url,
)


def notes_of(user, kind):
    return db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    ).all()


# --- programmes -------------------------------------------------------------------------------


def test_leader_creates_programme_with_rules_members_cannot(app, factory, login, post):
    w = make_world(factory)
    member = client_for(app, login, w.outsider_member)
    assert member.get("/mentoring/a/damu-ma/new").status_code == 403
    assert post(member, "/mentoring/a/damu-ma/new", {"name": "X"}).status_code == 403

    leader = client_for(app, login, w.leader)
    bad = post(
        leader,
        "/mentoring/a/damu-ma/new",
        {
            "name": "",
            "period": "2026-2027",
            "starts_on": "2026-09-01",
            "ends_on": "2026-05-25",
            "min_category": "expert",
            "max_mentees": "3",
            "meetings_per_month": "2",
            "observations_required": "6",
        },
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "This field is required" in page or "Бұл өріс" in page
    assert 'value="2026-2027"' in page  # typed input kept
    assert db.session.scalar(select(func.count(Programme.id))) == 1  # only the world's

    ok = post(
        leader,
        "/mentoring/a/damu-ma/new",
        {
            "name": "Жас маман мектебі",
            "period": "2026-2027",
            "starts_on": "2026-09-01",
            "ends_on": "2027-05-25",
            "min_category": "expert",
            "max_mentees": "3",
            "meetings_per_month": "2",
            "observations_required": "6",
            "enrolment_open": "y",
            "coordinators": str(w.coordinator.id),
        },
    )
    assert ok.status_code == 302
    p = db.session.scalar(select(Programme).where(Programme.name == "Жас маман мектебі"))
    assert (p.min_category, p.max_mentees, p.observations_required, p.enrolment_open) == (
        "expert",
        3,
        6,
        True,
    )
    assert [c.user_id for c in p.coordinators] == [w.coordinator.id]
    # the named coordinator (a plain member of the association) may edit it, others may not
    coord = client_for(app, login, w.coordinator)
    assert coord.get(f"/mentoring/a/damu-ma/{p.id}/edit").status_code == 200
    assert member.get(f"/mentoring/a/damu-ma/{p.id}/edit").status_code == 403
    # the association page shows the tab to members
    assert "/mentoring/a/damu-ma/" in member.get("/a/damu-ma").get_data(as_text=True)
    assert "Жас маман мектебі" in member.get("/mentoring/a/damu-ma/").get_data(as_text=True)


def test_non_member_cannot_see_programmes(app, factory, login):
    w = make_world(factory)
    stranger = client_for(app, login, factory.user())
    assert stranger.get("/mentoring/a/damu-ma/").status_code == 403
    assert stranger.get(programme_url(w)).status_code == 403
    assert "/mentoring/a/damu-ma/" not in stranger.get("/a/damu-ma").get_data(as_text=True)
    assert app.test_client().get(programme_url(w)).status_code == 302  # anonymous: log in


# --- enrolment --------------------------------------------------------------------------------


def mentor_form(w, **kw):
    data = {
        "subjects": str(w.math.id),
        "grades": ["5", "6"],
        "languages": ["kk", "ru"],
        "experience_years": "14",
        "strengths": ["assessment", "critical_thinking"],
        "capacity": "2",
        "availability": "Сейсенбі, 15:00",
    }
    data.update(kw)
    return data


def test_mentor_enrolment_follows_rules_or_needs_approval(app, factory, login, post):
    w = make_world(factory, max_mentees=2)
    expert = factory.member(w.association, factory.user(category="expert", experience_years=14))
    pedagog = factory.member(w.association, factory.user(category="pedagog"))

    c = client_for(app, login, expert)
    too_many = post(c, programme_url(w, "mentor"), mentor_form(w, capacity="5"))
    assert too_many.status_code == 200 and "Сейсенбі, 15:00" in too_many.get_data(as_text=True)
    assert db.session.scalar(select(func.count(MentorProfile.id))) == 0
    assert post(c, programme_url(w, "mentor"), mentor_form(w)).status_code == 302
    profile = db.session.scalar(select(MentorProfile).where(MentorProfile.user_id == expert.id))
    assert profile.status == "approved" and profile.capacity == 2
    assert profile.strengths == "assessment,critical_thinking" and profile.category == "expert"

    c2 = client_for(app, login, pedagog)
    assert post(c2, programme_url(w, "mentor"), mentor_form(w)).status_code == 302
    pending = db.session.scalar(select(MentorProfile).where(MentorProfile.user_id == pedagog.id))
    assert pending.status == "pending"
    assert notes_of(w.coordinator, "mentoring.mentor_approval")
    assert notes_of(w.leader, "mentoring.mentor_approval")

    # only a coordinator decides, by POST
    url = programme_url(w, f"mentors/{pending.id}/approve")
    assert post(c2, url).status_code == 403
    coord = client_for(app, login, w.coordinator)
    assert pedagog.full_name in coord.get(programme_url(w)).get_data(as_text=True)
    assert post(coord, url).status_code == 302
    db.session.refresh(pending)
    assert pending.status == "approved"
    assert notes_of(pedagog, "mentoring.mentor_approval")


def test_enrolment_closed_and_non_members(app, factory, login, post):
    w = make_world(factory)
    w.programme.enrolment_open = False
    db.session.commit()
    member = factory.member(w.association, factory.user(category="expert"))
    c = client_for(app, login, member)
    resp = post(c, programme_url(w, "mentor"), mentor_form(w))
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count(MentorProfile.id))) == 0
    stranger = client_for(app, login, factory.user(category="master"))
    assert post(stranger, programme_url(w, "novice"), {}).status_code == 403


def test_novice_request_then_ranked_mentors_with_reasons(app, factory, login, post):
    w = make_world(factory, min_category="moderator")
    add_mentor(factory, w, "Физик Ұстаз", subject=w.physics, school=w.other_school)
    add_mentor(factory, w, "Математик Ұстаз", strengths="assessment,critical_thinking")
    add_mentor(factory, w, "Күтудегі Ұстаз", status="pending")
    add_mentor(factory, w, "Санаты төмен", category="pedagog")
    full_user, full = add_mentor(factory, w, "Бос орны жоқ")
    _, other_novice = add_novice(factory, w, "Басқа жас маман")
    add_pair(full, other_novice)

    novice = factory.member(
        w.association,
        factory.user(full_name="Ақбота", school_id=w.school.id, district_id=w.district.id),
    )
    c = client_for(app, login, novice)
    bad = post(c, programme_url(w, "novice"), {"subject": str(w.math.id), "diagnostic": ""})
    assert bad.status_code == 200
    assert db.session.scalar(select(func.count(NoviceRequest.id))) == 1
    resp = post(
        c,
        programme_url(w, "novice"),
        {
            "subject": str(w.math.id),
            "grades": ["5"],
            "language": "kk",
            "experience_years": "1",
            "needs": ["assessment", "critical_thinking"],
            "diagnostic": "Ерте бағалау мен сыни ойлауды қалай ұйымдастыру керек",
            "preferences": "Өз мектебімнен",
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/mentors")
    page = get_in(c, programme_url(w, "mentors"), "en").get_data(as_text=True)
    ranked = page[page.index('id="ranked"') :]
    assert ranked.index("Математик Ұстаз") < ranked.index("Физик Ұстаз")
    for hidden in ("Күтудегі Ұстаз", "Санаты төмен", "Бос орны жоқ", "Ақбота"):
        assert hidden not in ranked
    assert "teaches your subject (Mathematics)" in ranked
    assert "works in your school" in ranked
    assert "strong where you need help" in ranked
    # the same page in Kazakh: reasons are translated
    kk = get_in(c, programme_url(w, "mentors"), "kk").get_data(as_text=True)
    assert "сіздің пәніңізді оқытады (Математика)" in kk
    assert "teaches your subject" not in kk


# --- assignment and the lifecycle -------------------------------------------------------------


def test_coordinator_assignment_can_be_edited_then_confirmed(app, factory, login, post):
    w = make_world(factory)
    _, m1 = add_mentor(factory, w, "Ментор Бір", capacity=1)
    _, m2 = add_mentor(factory, w, "Ментор Екі", capacity=1, subject=w.physics)
    n1_user, n1 = add_novice(factory, w, "Жас Бір")
    n2_user, n2 = add_novice(factory, w, "Жас Екі", subject=w.physics)
    _, n3 = add_novice(factory, w, "Жас Үш")

    member = client_for(app, login, w.outsider_member)
    assert member.get(programme_url(w, "assign")).status_code == 403
    assert post(member, programme_url(w, "assign"), {f"n-{n1.id}": m1.id}).status_code == 403
    assert db.session.scalar(select(func.count(Pair.id))) == 0

    coord = client_for(app, login, w.coordinator)
    page = coord.get(programme_url(w, "assign")).get_data(as_text=True)
    # the optimum gives the math mentor to a math novice and the physics mentor to physics
    assert (
        f'<option value="{m2.id}" selected'
        in page.split(f'name="n-{n2.id}"')[1].split("</select>")[0]
    )
    # edit: n1 gets no mentor, n3 gets the math mentor instead; n2 keeps hers
    resp = post(
        coord,
        programme_url(w, "assign"),
        {f"n-{n1.id}": "", f"n-{n2.id}": str(m2.id), f"n-{n3.id}": str(m1.id)},
    )
    assert resp.status_code == 302
    pairs = {(p.novice_id, p.mentor_id, p.state) for p in db.session.scalars(select(Pair))}
    assert pairs == {(n2.id, m2.id, "proposed"), (n3.id, m1.id, "proposed")}
    assert notes_of(n2_user, "mentoring.proposal") and not notes_of(n1_user, "mentoring.proposal")
    # the coordinator's dashboard puts the novice without a mentor first
    dash = coord.get(programme_url(w)).get_data(as_text=True)
    assert dash.index("Жас Бір") < dash.index("Ментор Бір")
    # a full mentor cannot be given a second mentee by a crafted POST
    post(coord, programme_url(w, "assign"), {f"n-{n1.id}": str(m1.id)})
    assert db.session.scalar(select(func.count(Pair.id))) == 2


def test_pair_lifecycle_each_side_accepts_only_for_itself(app, factory, login, post):
    w = make_world(factory)
    mentor_user, m = add_mentor(factory, w, "Ментор")
    novice_user, n = add_novice(factory, w, "Жас маман")
    pair = add_pair(m, n, state="proposed")
    url = f"/mentoring/pairs/{pair.id}/do/"
    novice = client_for(app, login, novice_user)
    mentor = client_for(app, login, mentor_user)
    coord = client_for(app, login, w.coordinator)

    link = f'href="/mentoring/pairs/{pair.id}"'
    assert link in novice.get("/").get_data(as_text=True)  # home: waiting for her answer
    assert link not in coord.get("/").get_data(as_text=True)
    assert post(novice, url + "accept").status_code == 302
    db.session.refresh(pair)
    assert pair.novice_accepted_at and pair.mentor_accepted_at is None
    assert link not in novice.get("/").get_data(as_text=True)
    assert link in mentor.get("/").get_data(as_text=True)
    assert pair.state == "proposed"
    # the novice cannot accept a second time (i.e. for the mentor), nor can the coordinator
    assert post(novice, url + "accept").status_code == 403
    assert post(coord, url + "accept").status_code == 403
    assert post(novice, url + "pause").status_code == 403  # not active yet
    db.session.refresh(pair)
    assert pair.mentor_accepted_at is None
    assert notes_of(mentor_user, "mentoring.pair_update")

    assert post(mentor, url + "accept").status_code == 302
    db.session.refresh(pair)
    assert pair.state == "active" and pair.started_at is not None
    assert post(novice, url + "pause").status_code == 302
    db.session.refresh(pair)
    assert pair.state == "paused"
    assert post(coord, url + "resume").status_code == 302
    db.session.refresh(pair)
    assert pair.state == "active"
    today = site_date().isoformat()  # the pair began today: the log takes no earlier day
    post(
        mentor,
        f"/mentoring/pairs/{pair.id}/meetings",
        meeting_form(duration_minutes="90", held_on=today),
    )
    assert post(novice, url + "complete").status_code == 403  # the mentor or a coordinator
    assert post(mentor, url + "complete").status_code == 302
    db.session.refresh(pair)
    assert pair.state == "completed"
    assert post(mentor, url + "pause").status_code == 403  # completed is final

    cert = db.session.scalar(
        select(Certificate).where(Certificate.source_key == f"mentoring:pair:{pair.id}:mentor")
    )
    assert cert.recipient_id == mentor_user.id and cert.hours == 1.5
    assert svc.mentor_certificate(pair).code == cert.code  # idempotent on its source key
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
    assert cert.code in mentor.get(f"/mentoring/pairs/{pair.id}").get_data(as_text=True)
    # both portfolios count the completed pair; the mentor's with the hours and certificate
    m_csv = mentor.get(f"/u/{mentor_user.id}/portfolio.csv").get_data(as_text=True)
    n_csv = novice.get(f"/u/{novice_user.id}/portfolio.csv").get_data(as_text=True)
    m_rows = [r for r in m_csv.splitlines() if w.programme.name in r]
    n_rows = [r for r in n_csv.splitlines() if w.programme.name in r]
    assert len(m_rows) == 1 and ";1,5;" in m_rows[0] and cert.code in m_rows[0]
    assert len(n_rows) == 1 and cert.code not in n_rows[0]
    assert notes_of(novice_user, "mentoring.pair_update")


def test_decline_and_early_end_return_novice_to_pool(app, factory, login, post):
    w = make_world(factory)
    mentor_user, m = add_mentor(factory, w, "Ментор", capacity=2)
    novice_user, n = add_novice(factory, w, "Жас маман")
    pair = add_pair(m, n, state="active")
    coord = client_for(app, login, w.coordinator)
    mentor = client_for(app, login, mentor_user)
    other = client_for(app, login, w.outsider_member)

    url = f"/mentoring/pairs/{pair.id}/do/end"
    assert post(other, url, {"reason": "x"}).status_code == 403
    no_reason = post(mentor, url, {"reason": ""})
    assert no_reason.status_code == 200
    db.session.refresh(pair)
    assert pair.state == "active"
    assert post(mentor, url, {"reason": "Ауысып кетті / Переезд"}).status_code == 302
    db.session.refresh(pair)
    assert (pair.state, pair.end_reason) == ("ended", "Ауысып кетті / Переезд")
    # back in the pool: offered again by the assignment, with the same mentor free again
    page = coord.get(programme_url(w, "assign")).get_data(as_text=True)
    assert f'name="n-{n.id}"' in page
    post(coord, programme_url(w, "assign"), {f"n-{n.id}": str(m.id)})
    again = db.session.scalar(select(Pair).where(Pair.state == "proposed"))
    assert again.novice_id == n.id
    novice = client_for(app, login, novice_user)
    assert post(novice, f"/mentoring/pairs/{again.id}/do/decline").status_code == 302
    db.session.refresh(again)
    assert again.state == "declined"
    assert f'name="n-{n.id}"' in coord.get(programme_url(w, "assign")).get_data(as_text=True)


# --- plan, meetings, observations, privacy ----------------------------------------------------


def meeting_form(**kw):
    data = {
        "held_on": "2026-10-14",
        "duration_minutes": "45",
        "topic": "Формативті бағалау",
        "notes": "Дескрипторлар талқыланды",
        "next_steps": "Келесі сабаққа критерийлер дайындау",
    }
    data.update(kw)
    return data


def test_plan_meetings_observations_reflection_and_privacy(app, factory, login, post):
    w = make_world(factory)
    mentor_user, m = add_mentor(factory, w, "Ментор")
    novice_user, n = add_novice(factory, w, "Жас маман", needs="assessment,ict")
    pair = add_pair(m, n)
    base = f"/mentoring/pairs/{pair.id}"
    mentor = client_for(app, login, mentor_user)
    novice = client_for(app, login, novice_user)
    coord = client_for(app, login, w.coordinator)
    other = client_for(app, login, w.outsider_member)  # same association, not in the pair

    # a goal linked to one of the novice's needs
    bad_goal = post(mentor, base + "/goals", {"title": "", "need": "ict", "target_date": ""})
    assert bad_goal.status_code == 200 and db.session.scalar(select(func.count(Goal.id))) == 0
    assert (
        post(
            mentor,
            base + "/goals",
            {"title": "Бағалау критерийлері", "need": "assessment", "target_date": "2026-12-20"},
        ).status_code
        == 302
    )
    goal = db.session.scalar(select(Goal))
    assert (goal.need, goal.status) == ("assessment", "planned")
    assert post(novice, f"{base}/goals/{goal.id}", {"status": "in_progress"}).status_code == 302
    db.session.refresh(goal)
    assert goal.status == "in_progress"

    # a meeting, entered by the novice; bad input keeps what was typed
    bad = post(novice, base + "/meetings", meeting_form(duration_minutes="0"))
    assert bad.status_code == 200 and "Дескрипторлар талқыланды" in bad.get_data(as_text=True)
    assert post(novice, base + "/meetings", meeting_form()).status_code == 302
    meeting = db.session.scalar(select(Meeting))
    assert (meeting.author_id, meeting.duration_minutes) == (novice_user.id, 45)

    # the mentor observes the novice's lesson; only the novice reflects
    obs_data = {
        "lesson_date": "2026-10-20",
        "class_name": "5 Ә",
        "lesson_topic": "Жай бөлшектер",
        "focus": ["assessment"],
        "went_well": "Оқу мақсаттары анық",
        "to_improve": "Кері байланыс аз",
        "actions": "Бағдаршам әдісін қолдану",
    }
    assert post(mentor, base + "/observations/new", obs_data).status_code == 302
    obs = db.session.scalar(select(Observation))
    assert obs.observed == "novice" and obs.author_id == mentor_user.id
    assert notes_of(novice_user, "mentoring.observation")
    refl = f"{base}/observations/{obs.id}/reflection"
    assert post(mentor, refl, {"reflection": "x"}).status_code == 403
    assert (
        post(novice, refl, {"reflection": "Кері байланысқа көбірек уақыт бөлемін"}).status_code
        == 302
    )
    db.session.refresh(obs)
    assert obs.reflection.startswith("Кері байланысқа")
    # the novice observing the mentor's lesson records the mentor as observed
    post(novice, base + "/observations/new", dict(obs_data, lesson_topic="Пропорция"))
    back = db.session.scalar(select(Observation).where(Observation.lesson_topic == "Пропорция"))
    assert back.observed == "mentor"

    # privacy: the pair and the coordinators only
    for url in (base, base + "/report", base + "/report.csv"):
        assert other.get(url).status_code == 403, url
        assert coord.get(url).status_code == 200, url
    assert "Кері байланыс аз" in coord.get(base).get_data(as_text=True)
    assert post(other, base + "/meetings", meeting_form()).status_code == 403
    assert (
        post(other, base + "/goals", {"title": "x", "target_date": "2026-12-01"}).status_code == 403
    )
    assert post(other, refl, {"reflection": "x"}).status_code == 403
    # coordinators read but do not write the pair's log
    assert post(coord, base + "/meetings", meeting_form()).status_code == 403
    assert db.session.scalar(select(func.count(Meeting.id))) == 1


# --- reports ----------------------------------------------------------------------------------


def test_programme_and_pair_reports(app, factory, login, post):
    w = make_world(factory)
    mentor_user, m = add_mentor(factory, w, "Ментор", capacity=2)
    _, n1 = add_novice(factory, w, "Жас Бір")
    _, n2 = add_novice(factory, w, "Жас Екі")
    add_novice(factory, w, "Жас Үш (күтуде)")
    p1 = add_pair(m, n1)
    p2 = add_pair(m, n2, state="paused")
    for day, minutes in ((dt.date(2026, 10, 3), 60), (dt.date(2026, 10, 17), 30)):
        db.session.add(Meeting(pair_id=p1.id, held_on=day, duration_minutes=minutes, topic="T"))
    db.session.add(
        Meeting(pair_id=p2.id, held_on=dt.date(2026, 11, 5), duration_minutes=45, topic="T")
    )
    db.session.add(
        Goal(pair_id=p1.id, title="Мерзімі өткен мақсат", target_date=dt.date(2020, 1, 1))
    )
    db.session.add(
        Goal(pair_id=p1.id, title="Орындалған", target_date=dt.date(2020, 1, 1), status="done")
    )
    db.session.add(
        Observation(
            pair_id=p1.id,
            observed="novice",
            lesson_date=dt.date(2026, 10, 9),
            lesson_topic="Сабақ",
            went_well="a",
            to_improve="b",
        )
    )
    db.session.commit()

    member = client_for(app, login, w.outsider_member)
    assert member.get(programme_url(w, "report")).status_code == 403
    assert member.get(programme_url(w, "report.csv")).status_code == 403

    coord = client_for(app, login, w.leader)
    html = get_in(coord, programme_url(w, "report"), "en").get_data(as_text=True)
    assert "Мерзімі өткен мақсат" in html and "Орындалған" not in html
    assert "Жас Үш (күтуде)" in html
    resp = get_in(coord, programme_url(w, "report.csv"), "en")
    assert resp.mimetype == "text/csv"
    text = resp.get_data(as_text=True).lstrip("\ufeff")
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert ["Young specialists", "3"] in rows
    assert ["With a mentor", "2"] in rows and ["Without a mentor", "1"] in rows
    assert ["active", "1"] in rows and ["paused", "1"] in rows
    assert ["2026-10", "2", "1.5"] in rows and ["2026-11", "1", "0.75"] in rows
    expected = str(svc.months_worked(p1, utcnow().date()) * 2)  # 2 meetings a month
    assert ["Ментор", "Жас Бір", "active", "2", "1.5", "1", "2", "1", expected] in rows

    pair_csv = get_in(coord, f"/mentoring/pairs/{p1.id}/report.csv", "en")
    prow = list(
        csv.reader(io.StringIO(pair_csv.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert ["Mentoring hours", "1.5"] in prow
    assert any(r and r[0] == "Мерзімі өткен мақсат" for r in prow)
    assert any(len(r) > 2 and r[2] == "Сабақ" for r in prow)


def test_dashboard_and_report_queries_do_not_grow_with_pairs(app, factory, login, count_queries):
    w = make_world(factory)
    coord = client_for(app, login, w.coordinator)

    def add_pairs(k):
        for i in range(k):
            _, m = add_mentor(factory, w, f"Ментор {factory.n}")
            _, n = add_novice(factory, w, f"Жас {factory.n}")
            pair = add_pair(m, n)
            db.session.add(
                Meeting(
                    pair_id=pair.id,
                    held_on=dt.date(2026, 10, 1 + i),
                    duration_minutes=40,
                    topic="T",
                )
            )
            db.session.add(Goal(pair_id=pair.id, title="G", target_date=dt.date(2020, 1, 1)))
        db.session.commit()

    def queries(url):
        coord.get(url)  # warm caches of the session cookie and catalogs
        with count_queries() as c:
            assert coord.get(url).status_code == 200
        return c.count

    add_pairs(2)
    few = {
        u: queries(u)
        for u in (programme_url(w), programme_url(w, "report"), programme_url(w, "report.csv"))
    }
    add_pairs(6)
    many = {u: queries(u) for u in few}
    assert many == few


def test_user_deleted_removes_enrolments_and_their_pairs(app, factory):
    from plugins.mentoring.plugin import user_deleted

    w = make_world(factory)
    mentor_user, m = add_mentor(factory, w, "Ментор")
    _, n = add_novice(factory, w, "Жас маман")
    pair = add_pair(m, n)
    db.session.add(
        Meeting(pair_id=pair.id, held_on=dt.date(2026, 10, 1), duration_minutes=40, topic="T")
    )
    db.session.commit()
    user_deleted(user=mentor_user)
    user_deleted(user=w.coordinator)
    db.session.commit()
    assert db.session.scalar(select(func.count(MentorProfile.id))) == 0
    assert db.session.scalar(select(func.count(Pair.id))) == 0
    assert db.session.scalar(select(func.count(Meeting.id))) == 0
    assert db.session.scalar(select(func.count(NoviceRequest.id))) == 1  # the novice stays
    db.session.refresh(w.programme)
    assert w.programme.coordinators == []


def test_meetings_expected_follow_the_monthly_rule(app, factory):
    w = make_world(factory)  # 2 meetings a month
    _, m = add_mentor(factory, w, "Ментор", capacity=2)
    _, n1 = add_novice(factory, w, "Жас Бір")
    _, n2 = add_novice(factory, w, "Жас Екі")
    working = add_pair(m, n1)  # started 2026-10-01
    done = add_pair(m, n2, state="completed")
    done.finished_at = dt.datetime(2026, 11, 15)
    db.session.commit()
    figures = svc.programme_figures(w.programme, today=dt.date(2026, 12, 5))
    expected = {r.pair.id: r.expected_meetings for r in figures.pairs}
    assert expected == {working.id: 4, done.id: 2}  # 65 days: 2 months; 45 days: 1 month


def test_completed_pair_is_dated_by_the_site_day(app, factory, login, post):
    """Completed at 03:30 on 2 December in Almaty (22:30 UTC on 1 December): the mentor's
    certificate and both portfolio entries say 2 December."""
    w = make_world(factory)
    mentor_user, mentor = add_mentor(factory, w, "Сәуле Тәжібаева")
    novice_user, novice = add_novice(factory, w, "Асем Жұмабаева")
    pair = add_pair(mentor, novice)
    with time_machine.travel(dt.datetime(2026, 12, 1, 22, 30, tzinfo=dt.UTC), tick=False):
        mentor_client = client_for(app, login, mentor_user)  # signed at the travelled time
        assert post(mentor_client, f"/mentoring/pairs/{pair.id}/do/complete").status_code == 302
    db.session.refresh(pair)
    assert pair.state == "completed"
    cert = db.session.scalar(
        select(Certificate).where(Certificate.source_key == f"mentoring:pair:{pair.id}:mentor")
    )
    assert cert.issued_on == dt.date(2026, 12, 2)
    for who, client in ((mentor_user, mentor_client), (novice_user, None)):
        client = client or client_for(app, login, who)
        rows = client.get(f"/u/{who.id}/portfolio.csv").get_data(as_text=True).splitlines()
        mine = [r for r in rows if w.programme.name in r]
        assert len(mine) == 1 and "2026-12-02" in mine[0] and "2026-12-01" not in mine[0]
