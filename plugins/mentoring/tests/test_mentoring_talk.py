"""Messages inside a pair, a young specialist's request for a mentor, monthly pulse checks with
the coordinator's flags, and the author's edits and deletions with their history."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import func, select

from core.extensions import db
from core.models import Notification
from plugins.mentoring import services as svc
from plugins.mentoring.models import (
    Change,
    Goal,
    Meeting,
    MentorRequest,
    Message,
    Observation,
    Pair,
    Pulse,
)
from plugins.mentoring.tests.world import (
    add_mentor,
    add_novice,
    add_pair,
    client_for,
    make_world,
    programme_url,
)

NOW = dt.datetime(2026, 10, 20, 5, 0, tzinfo=dt.UTC)


def kinds_of(user, kind):
    return db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    ).all()


def _world(factory):
    w = make_world(factory)
    mentor_user, mentor = add_mentor(factory, w, "Гүлжан Мұсина", capacity=2)
    novice_user, novice = add_novice(factory, w, "Ақбота Жұмабаева")
    pair = add_pair(mentor, novice)
    return w, mentor_user, novice_user, pair


# --- messages ---------------------------------------------------------------------------------


def test_messages_are_private_to_the_pair_and_coordinators(app, factory, login, post):
    w, mentor_user, novice_user, pair = _world(factory)
    other_user, other_novice = add_novice(factory, w, "Басқа жас маман")
    mentor2_user, mentor2 = add_mentor(factory, w, "Басқа тәлімгер")
    add_pair(mentor2, other_novice)
    url = f"/mentoring/pairs/{pair.id}/messages"
    novice = client_for(app, login, novice_user)
    assert post(novice, url, {"body": "Сәлеметсіз бе! Сейсенбі ыңғайлы ма?"}).status_code == 302
    bad = post(novice, url, {"body": "   "})
    assert bad.status_code == 200 and "Бұл өріс" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Message.id))) == 1
    note = kinds_of(mentor_user, "mentoring.message")
    assert len(note) == 1 and "Ақбота Жұмабаева" in note[0].title
    assert not kinds_of(novice_user, "mentoring.message")

    mentor = client_for(app, login, mentor_user)
    assert "Сейсенбі ыңғайлы ма?" in mentor.get(url).get_data(as_text=True)
    coord = client_for(app, login, w.coordinator)
    assert "Сейсенбі ыңғайлы ма?" in coord.get(url).get_data(as_text=True)
    assert post(coord, url, {"body": "Мен де оқып отырмын"}).status_code == 302
    assert len(kinds_of(novice_user, "mentoring.message")) == 1  # a coordinator: both told
    assert len(kinds_of(mentor_user, "mentoring.message")) == 2

    for outsider in (w.outsider_member, other_user, mentor2_user):
        client = client_for(app, login, outsider)
        assert client.get(url).status_code == 403
        assert post(client, url, {"body": "Бөтен"}).status_code == 403
    assert db.session.scalar(select(func.count(Message.id))) == 2


# --- a request for a mentor -------------------------------------------------------------------


def test_novice_asks_coordinator_declines_with_reason_then_confirms(app, factory, login, post):
    w = make_world(factory)
    m1_user, m1 = add_mentor(factory, w, "Гүлжан Мұсина", capacity=1)
    m2_user, m2 = add_mentor(factory, w, "Ерлан Сапаров", capacity=1)
    n_user, n = add_novice(factory, w, "Ақбота Жұмабаева")
    novice = client_for(app, login, n_user)
    assert "Осы тәлімгерді сұрау" in novice.get(programme_url(w, "mentors")).get_data(as_text=True)
    ask = programme_url(w, f"ask/{m1.id}")
    assert post(novice, ask, {"note": "Бір мектепте жұмыс істейміз"}).status_code == 302
    # no duplicate open request, not even for another mentor
    assert post(novice, ask, {"note": ""}).status_code == 302
    assert post(novice, programme_url(w, f"ask/{m2.id}"), {}).status_code == 302
    assert db.session.scalar(select(func.count(MentorRequest.id))) == 1
    assert "Сіздің бір өтінішіңіз" in novice.get(programme_url(w, "mentors")).get_data(as_text=True)
    assert kinds_of(w.coordinator, "mentoring.request")
    req = db.session.scalar(select(MentorRequest))

    # only a coordinator decides; an outsider or the mentor cannot
    for user in (w.outsider_member, m1_user, n_user):
        client = client_for(app, login, user)
        assert client.get(programme_url(w, "requests")).status_code == 403
        assert post(client, programme_url(w, f"requests/{req.id}/confirm")).status_code == 403

    coord = client_for(app, login, w.coordinator)
    page = coord.get(programme_url(w, "requests")).get_data(as_text=True)
    assert "Бір мектепте жұмыс істейміз" in page
    bad = post(coord, programme_url(w, f"requests/{req.id}/decline"), {"reason": ""})
    assert bad.status_code == 200 and "Бұл өріс" in bad.get_data(as_text=True)
    db.session.refresh(req)
    assert req.status == "open"
    reason = "Гүлжан апайдың орны толды, басқа тәлімгерді таңдаңыз"
    assert (
        post(coord, programme_url(w, f"requests/{req.id}/decline"), {"reason": reason}).status_code
        == 302
    )
    db.session.refresh(req)
    assert req.status == "declined" and req.reason == reason
    told = kinds_of(n_user, "mentoring.request")
    assert len(told) == 1 and told[0].body == reason
    assert reason in novice.get(programme_url(w, "mentors")).get_data(as_text=True)
    # decided once: a second decision is refused
    post(coord, programme_url(w, f"requests/{req.id}/confirm"))
    db.session.refresh(req)
    assert req.status == "declined"

    # a new request for the other mentor, confirmed: the pair is proposed the usual way
    assert post(novice, programme_url(w, f"ask/{m2.id}"), {}).status_code == 302
    req2 = db.session.scalar(select(MentorRequest).where(MentorRequest.status == "open"))
    assert post(coord, programme_url(w, f"requests/{req2.id}/confirm")).status_code == 302
    db.session.refresh(req2)
    pair = db.session.get(Pair, req2.pair_id)
    assert req2.status == "confirmed" and pair.state == "proposed"
    assert pair.mentor_id == m2.id and pair.novice_id == n.id
    assert kinds_of(m2_user, "mentoring.proposal")
    assert len(kinds_of(n_user, "mentoring.request")) == 2
    # with a pair under way the young specialist asks no more
    assert post(novice, programme_url(w, f"ask/{m1.id}"), {}).status_code == 302
    assert db.session.scalar(select(func.count(MentorRequest.id))) == 2


def test_a_withdrawn_request_frees_the_novice_and_others_cannot_withdraw(app, factory, login, post):
    w = make_world(factory)
    _m_user, m = add_mentor(factory, w, "Гүлжан Мұсина")
    n_user, _n = add_novice(factory, w, "Ақбота Жұмабаева")
    other_user, _o = add_novice(factory, w, "Басқа жас маман")
    novice = client_for(app, login, n_user)
    post(novice, programme_url(w, f"ask/{m.id}"), {})
    req = db.session.scalar(select(MentorRequest))
    other = client_for(app, login, other_user)
    assert post(other, programme_url(w, f"requests/{req.id}/withdraw")).status_code == 403
    assert post(novice, programme_url(w, f"requests/{req.id}/withdraw")).status_code == 302
    db.session.refresh(req)
    assert req.status == "withdrawn"
    assert post(novice, programme_url(w, f"ask/{m.id}"), {}).status_code == 302
    assert db.session.scalar(select(func.count(MentorRequest.id))) == 2


# --- pulse checks -----------------------------------------------------------------------------


def test_pulse_asked_once_a_month_answered_and_flags(app, factory, login, post):
    w, mentor_user, novice_user, pair = _world(factory)
    # 23:30 UTC on 31 October is already 1 November in Astana: the November check
    late = dt.datetime(2026, 10, 31, 23, 30)
    assert svc.ask_pulse(late) == 2
    assert svc.ask_pulse(late + dt.timedelta(hours=5)) == 0  # once per site month
    rows = db.session.scalars(select(Pulse)).all()
    assert {r.month for r in rows} == {"2026-11"} and len(rows) == 2
    assert len(kinds_of(novice_user, "mentoring.pulse")) == 1

    with time_machine.travel(dt.datetime(2026, 11, 3, 6, 0, tzinfo=dt.UTC), tick=False):
        novice = client_for(app, login, novice_user)
        page = novice.get(f"/mentoring/pairs/{pair.id}").get_data(as_text=True)
        assert 'id="pulse"' in page
        mine = db.session.scalar(select(Pulse).where(Pulse.user_id == novice_user.id))
        url = f"/mentoring/pairs/{pair.id}/pulse/{mine.id}"
        bad = post(novice, url, {"score": "9", "comment": "Жақсы"})
        assert bad.status_code == 200 and "Жақсы</textarea>" in bad.get_data(as_text=True)
        mentor = client_for(app, login, mentor_user)
        assert post(mentor, url, {"score": "5"}).status_code == 403  # not hers to answer
        assert post(novice, url, {"score": "2", "comment": "Кездесулер сирек"}).status_code == 302
        db.session.refresh(mine)
        assert mine.score == 2 and mine.comment == "Кездесулер сирек"
        assert post(novice, url, {"score": "5"}).status_code == 403  # answered once
        db.session.add(
            Meeting(pair_id=pair.id, held_on=dt.date(2026, 11, 2), duration_minutes=45, topic="Іс")
        )
        db.session.commit()

    def flags(at):
        db.session.expire_all()
        pairs = svc.pairs_of(w.programme)
        return {(f.pair.id, f.rule): f.text for f in svc.struggling(w.programme, pairs, at)}

    found = flags(dt.datetime(2026, 11, 5, 6, 0))
    assert set(found) == {(pair.id, "low_score")}
    assert "2" in found[(pair.id, "low_score")]
    # the mentor has not answered for a week: flagged too, with the days
    found = flags(dt.datetime(2026, 11, 8, 6, 0))
    assert (pair.id, "no_answer") in found and "Гүлжан Мұсина" in found[(pair.id, "no_answer")]
    # four weeks after the last meeting
    found = flags(dt.datetime(2026, 12, 1, 6, 0))
    assert (pair.id, "no_meeting") in found and "02.11.2026" in found[(pair.id, "no_meeting")]

    with time_machine.travel(dt.datetime(2026, 11, 8, 6, 0, tzinfo=dt.UTC), tick=False):
        coord = client_for(app, login, w.coordinator)
        page = coord.get(programme_url(w)).get_data(as_text=True)
        assert "flag-low_score" in page and "flag-no_answer" in page
        member = client_for(app, login, w.outsider_member)
        assert "flag-low_score" not in member.get(programme_url(w)).get_data(as_text=True)


# --- edits, deletions and their history -------------------------------------------------------


def test_author_edits_and_deletes_with_history(app, factory, login, post):
    w, mentor_user, novice_user, pair = _world(factory)
    meeting = Meeting(
        pair_id=pair.id,
        held_on=dt.date(2026, 10, 5),
        duration_minutes=45,
        topic="Бағалау",
        author_id=mentor_user.id,
    )
    goal = Goal(pair_id=pair.id, title="БЖБ", target_date=dt.date(2026, 12, 1))
    goal.author_id = novice_user.id
    obs = Observation(
        pair_id=pair.id,
        observed="novice",
        lesson_date=dt.date(2026, 10, 6),
        lesson_topic="Бөлшектер",
        focus="assessment",
        went_well="Мақсат анық",
        to_improve="Кері байланыс",
        author_id=mentor_user.id,
    )
    db.session.add_all([meeting, goal, obs])
    db.session.commit()
    base = f"/mentoring/pairs/{pair.id}"
    with time_machine.travel(NOW, tick=False):
        mentor = client_for(app, login, mentor_user)
        novice = client_for(app, login, novice_user)
        # not the author: refused
        assert novice.get(f"{base}/meetings/{meeting.id}/edit").status_code == 403
        assert post(novice, f"{base}/meetings/{meeting.id}/delete").status_code == 403
        assert post(mentor, f"{base}/goals/{goal.id}/delete").status_code == 403
        assert post(novice, f"{base}/observations/{obs.id}/delete").status_code == 403
        # the author edits the meeting; a date before the pair began is refused
        data = {"held_on": "2026-09-01", "duration_minutes": "60", "topic": "Бағалау 2"}
        bad = post(mentor, f"{base}/meetings/{meeting.id}/edit", data)
        assert bad.status_code == 200 and 'value="Бағалау 2"' in bad.get_data(as_text=True)
        data["held_on"] = "2026-10-06"
        assert post(mentor, f"{base}/meetings/{meeting.id}/edit", data).status_code == 302
        db.session.refresh(meeting)
        assert meeting.topic == "Бағалау 2" and meeting.duration_minutes == 60
        # the goal's author edits it
        gdata = {"title": "БЖБ спецификациясы", "need": "assessment", "target_date": "2026-12-10"}
        assert post(novice, f"{base}/goals/{goal.id}/edit", gdata).status_code == 302
        # the observation's author deletes it: soft, logged
        assert post(mentor, f"{base}/observations/{obs.id}/delete").status_code == 302
        assert post(mentor, f"{base}/meetings/{meeting.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Observation, obs.id).deleted_at is not None  # kept, hidden
    p = db.session.get(Pair, pair.id)
    assert p.observations == [] and p.meetings == []
    assert svc.meeting_hours(p) == 0
    changes = db.session.scalars(select(Change).order_by(Change.id)).all()
    assert [(c.kind, c.action) for c in changes] == [
        ("meeting", "edit"),
        ("goal", "edit"),
        ("observation", "delete"),
        ("meeting", "delete"),
    ]
    edit = svc.change_fields(changes[0])
    assert edit["topic"] == ["Бағалау", "Бағалау 2"] and edit["held_on"] == [
        "05.10.2026",
        "06.10.2026",
    ]
    with time_machine.travel(NOW, tick=False):
        coord = client_for(app, login, w.coordinator)
        page = coord.get(f"{base}/history").get_data(as_text=True)
        assert "Бағалау 2" in page and "Бөлшектер" in page and "Гүлжан Мұсина" in page
        assert client_for(app, login, w.outsider_member).get(f"{base}/history").status_code == 403
        # a deleted entry cannot be edited again
        assert mentor.get(f"{base}/observations/{obs.id}/edit").status_code == 404
