"""General meetings through HTTP: convening with an agenda, attendance three ways, the quorum
(non-voting participants present but not counted), open votes computed by two thirds, online
ballots with a deadline, the notice job."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import func, select

from core.api import Notification, db
from plugins.governance import services as svc
from plugins.governance.models import AgendaItem, GeneralMeeting, MeetingAttendance, Vote
from plugins.governance.tests.world import NOW, add_meeting, client_for, make_world, meeting_url


def _mark(post, client, w, meeting, users):
    return post(client, meeting_url(w, meeting, "/attendance"), {"present": [u.id for u in users]})


def test_secretary_convenes_with_agenda_and_motions(app, factory, post):
    w = make_world(factory)
    c = client_for(app, w.secretary)
    r = post(
        c,
        "/governance/a/shyn-network/meetings/new",
        {
            "title": "Жылдық жалпы жиналыс",
            "kind": "regular",
            "mode": "in_person",
            "starts_at": "2026-04-10T15:00",
            "place": "Шұңқыркөл мектебі",
            "items-0-title": "Есеп",
            "items-1-title": "Жоспар",
            "items-1-motion": "2026 жылдың жоспарын бекіту",
            "items-1-ballot": "open",
        },
    )
    assert r.status_code == 302
    meeting = db.session.scalar(select(GeneralMeeting))
    assert meeting.starts_at == dt.datetime(2026, 4, 10, 10, 0)  # 15:00 in Almaty, stored UTC
    assert [i.title for i in meeting.items] == ["Есеп", "Жоспар"]
    assert meeting.items[1].motion == "2026 жылдың жоспарын бекіту"
    assert len(meeting.checkin_code) == 6


def test_bad_meeting_form_keeps_what_was_typed(app, factory, post):
    w = make_world(factory)
    c = client_for(app, w.secretary)
    r = post(
        c,
        "/governance/a/shyn-network/meetings/new",
        {
            "title": "Кезектен тыс жиналыс",
            "kind": "extraordinary",
            "mode": "online",
            "starts_at": "not a date",
            "link": "ftp://x",
            "items-0-motion": "Мәтін бар, тақырып жоқ",
            "items-1-title": "Онлайн дауыс",
            "items-1-motion": "Ұсыныс",
            "items-1-ballot": "online",
        },
        headers={"Accept-Language": "kk"},
    )
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Кезектен тыс жиналыс" in html and "Мәтін бар, тақырып жоқ" in html
    assert html.count('class="error"') >= 4
    assert "Сілтеме https:// деп басталуы керек" in html
    assert "Мәселенің атауын жазыңыз." in html and "Онлайн дауыс беруге соңғы мерзім керек." in html
    assert db.session.scalar(select(func.count(GeneralMeeting.id))) == 0


def test_members_cannot_convene_and_outsiders_see_nothing(app, factory, post):
    w = make_world(factory)
    m = add_meeting(w)
    member = client_for(app, w.members[0])
    assert member.get("/governance/a/shyn-network/meetings/new").status_code == 403
    assert post(member, meeting_url(w, m, "/open")).status_code == 403
    outsider = client_for(app, w.outsider)
    assert outsider.get(meeting_url(w, m)).status_code == 403
    assert app.test_client().get(meeting_url(w, m)).status_code in (302, 401)
    other = factory.association(slug="other")
    db.session.commit()
    assert client_for(app, w.secretary).get(
        f"/governance/a/{other.slug}/meetings/{m.id}"
    ).status_code in (403, 404)


def test_quorum_counts_only_voting_members(app, factory, post):
    w = make_world(factory)  # 6 voting members and one non-voting participant
    m = add_meeting(w)
    sec = client_for(app, w.secretary)
    _mark(post, sec, w, m, [w.leader, w.secretary, w.members[0], w.participant])
    q = svc.quorum_of(db.session.get(GeneralMeeting, m.id))
    assert (q.present, q.present_voting, q.voting, q.needed, q.reached) == (4, 3, 6, 4, False)
    html = sec.get(meeting_url(w, m)).get_data(as_text=True)
    assert "3 / 6" in html or "3 of 6" in html or "3" in html
    # the participant alone more would not help; one more voting member does
    client_for(app, w.members[1])
    mem = client_for(app, w.members[1])
    r = post(mem, meeting_url(w, m, "/checkin"), {"code": m.checkin_code.lower()})
    assert r.status_code == 302
    db.session.expire_all()
    q = svc.quorum_of(db.session.get(GeneralMeeting, m.id))
    assert (q.present_voting, q.reached) == (4, True)
    assert post(sec, meeting_url(w, m, "/open")).status_code == 302
    db.session.expire_all()
    m = db.session.get(GeneralMeeting, m.id)
    assert (m.state, m.quorum_present, m.quorum_voting, m.quorum_reached) == ("open", 4, 6, True)


def test_wrong_code_is_refused(app, factory, post):
    w = make_world(factory)
    m = add_meeting(w)
    mem = client_for(app, w.members[0])
    r = post(mem, meeting_url(w, m, "/checkin"), {"code": "WRONG1"}, follow_redirects=True)
    assert "code" in r.get_data(as_text=True).lower() or "код" in r.get_data(as_text=True)
    assert svc.quorum_of(db.session.get(GeneralMeeting, m.id)).present == 0


def test_online_members_confirm_while_open(app, factory, post):
    w = make_world(factory)
    m = add_meeting(w)
    mem = client_for(app, w.members[2])
    post(mem, meeting_url(w, m, "/online"))
    assert svc.quorum_of(db.session.get(GeneralMeeting, m.id)).present == 0  # not open yet
    post(client_for(app, w.secretary), meeting_url(w, m, "/open"))
    post(mem, meeting_url(w, m, "/online"))
    db.session.expire_all()
    att = db.session.get(GeneralMeeting, m.id).attendance
    assert [(a.user_id, a.how) for a in att] == [(w.members[2].id, "online")]


def _run_vote(app, post, w, m, votes):
    sec = client_for(app, w.secretary)
    item = db.session.get(GeneralMeeting, m.id).items[1]
    assert post(sec, f"/governance/a/shyn-network/items/{item.id}/start").status_code == 302
    for user, choice in votes:
        post(
            client_for(app, user),
            f"/governance/a/shyn-network/items/{item.id}/vote",
            {"choice": choice},
        )
    assert post(sec, f"/governance/a/shyn-network/items/{item.id}/stop").status_code == 302
    db.session.expire_all()
    return db.session.get(AgendaItem, item.id)


def test_two_thirds_of_those_present_is_computed(app, factory, post):
    w = make_world(factory)
    m = add_meeting(w)
    sec = client_for(app, w.secretary)
    present = [w.leader, w.secretary, w.members[0], w.members[1], w.participant]
    _mark(post, sec, w, m, present)
    post(sec, meeting_url(w, m, "/open"))
    item = _run_vote(
        app,
        post,
        w,
        m,
        [
            (w.leader, "for"),
            (w.secretary, "for"),
            (w.members[0], "for"),
            (w.members[1], "against"),
            (w.participant, "for"),
            (w.members[3], "for"),
        ],
    )
    # the participant and the absent member could not vote: 3 for of 4 present >= 2/3
    assert (item.votes_for, item.votes_against, item.votes_abstain) == (3, 1, 0)
    assert item.present_voting == 4 and item.passed is True
    assert db.session.scalar(select(func.count(Vote.id)).where(Vote.item_id == item.id)) == 4


def test_short_of_two_thirds_is_not_adopted(app, factory, post):
    w = make_world(factory)
    m = add_meeting(w)
    sec = client_for(app, w.secretary)
    _mark(post, sec, w, m, [w.leader, w.secretary, w.members[0], w.members[1]])
    post(sec, meeting_url(w, m, "/open"))
    item = _run_vote(
        app,
        post,
        w,
        m,
        [(w.leader, "for"), (w.secretary, "for"), (w.members[0], "abstain")],
    )
    # 2 of 4 present vote for: abstaining and not voting count as not for
    assert (item.votes_for, item.present_voting, item.passed) == (2, 4, False)
    html = sec.get(meeting_url(w, m)).get_data(as_text=True)
    assert "item-" in html


def test_each_member_votes_once(app, factory, post):
    w = make_world(factory)
    m = add_meeting(w)
    sec = client_for(app, w.secretary)
    _mark(post, sec, w, m, [w.leader, w.secretary])
    post(sec, meeting_url(w, m, "/open"))
    item = db.session.get(GeneralMeeting, m.id).items[1]
    post(sec, f"/governance/a/shyn-network/items/{item.id}/start")
    lead = client_for(app, w.leader)
    post(lead, f"/governance/a/shyn-network/items/{item.id}/vote", {"choice": "for"})
    post(lead, f"/governance/a/shyn-network/items/{item.id}/vote", {"choice": "against"})
    r = post(lead, f"/governance/a/shyn-network/items/{item.id}/vote", {"choice": "nonsense"})
    assert r.status_code == 302
    assert svc.vote_counts(item) == {"for": 1, "against": 0, "abstain": 0}


def test_online_ballot_until_the_deadline(app, factory, post):
    w = make_world(factory)
    deadline = NOW + dt.timedelta(days=3)
    m = add_meeting(w, ballot="online", deadline=deadline)
    item = db.session.get(GeneralMeeting, m.id).items[1]
    url = f"/governance/a/shyn-network/items/{item.id}/vote"
    with time_machine.travel(NOW, tick=False):
        for u in (w.members[0], w.members[1], w.leader):
            post(client_for(app, u), url, {"choice": "for"})
        post(client_for(app, w.participant), url, {"choice": "for"})
    with time_machine.travel(deadline + dt.timedelta(minutes=1), tick=False):
        post(client_for(app, w.members[2]), url, {"choice": "for"})  # too late
        assert svc.close_due_ballots(deadline + dt.timedelta(minutes=1)) == 1
    db.session.expire_all()
    item = db.session.get(AgendaItem, item.id)
    assert (item.vote_state, item.votes_for, item.present_voting, item.passed) == (
        "closed",
        3,
        3,
        True,
    )
    assert svc.close_due_ballots(deadline + dt.timedelta(minutes=2)) == 0


def test_notice_job_sends_once_notice_days_before(app, factory):
    w = make_world(factory)
    m = add_meeting(w, starts_at=NOW + dt.timedelta(days=20))
    assert svc.send_notices(NOW) == 0  # 20 days ahead, notice 14 days before
    later = NOW + dt.timedelta(days=7)
    assert svc.send_notices(later) == 1
    assert svc.send_notices(later) == 0
    notes = db.session.scalars(
        select(Notification).where(Notification.kind == "governance.notice")
    ).all()
    assert len(notes) == 7  # every member, the participant included
    assert "Мәселе 1" in notes[0].body and "Жалпы жиналыс" in notes[0].title
    assert db.session.get(GeneralMeeting, m.id).notice_sent_at == later


def test_only_members_check_in(app, factory, post):
    w = make_world(factory)
    m = add_meeting(w)
    admin = factory.user(is_site_admin=True)
    db.session.commit()
    c = client_for(app, admin)
    assert c.get(meeting_url(w, m)).status_code == 200  # an administrator may look
    r = post(c, meeting_url(w, m, "/checkin"), {"code": m.checkin_code}, follow_redirects=True)
    assert "Тек қауымдастық мүшелері тіркеле алады." in r.get_data(as_text=True)
    assert svc.quorum_of(db.session.get(GeneralMeeting, m.id)).present == 0


def test_meeting_page_stays_small_in_a_large_association(app, factory, post):
    w = make_world(factory, members=300)
    m = add_meeting(w)
    for u in w.voting[:250]:
        db.session.add(MeetingAttendance(meeting_id=m.id, user_id=u.id))
    db.session.commit()
    sec = client_for(app, w.secretary)
    for client in (sec, client_for(app, w.members[0])):
        html = client.get(meeting_url(w, m)).get_data()
        assert len(html) < 60_000, len(html)
    # the secretary finds an unmarked member by name and marks them
    found = sec.get(meeting_url(w, m) + "?q=мұғалім 299").get_data(as_text=True)
    target = w.members[299]
    assert f'value="{target.id}"' in found
    post(sec, meeting_url(w, m, "/attendance"), {"present": [target.id]})
    assert svc.quorum_of(db.session.get(GeneralMeeting, m.id)).present == 251
    page3 = sec.get(meeting_url(w, m) + "?page=3").get_data(as_text=True)
    assert "Мұғалім" in page3


def test_secretary_corrects_attendance_before_opening(app, factory, post):
    w = make_world(factory)
    m = add_meeting(w)
    sec = client_for(app, w.secretary)
    _mark(post, sec, w, m, [w.members[0], w.members[1]])
    url = meeting_url(w, m, f"/attendance/{w.members[1].id}/remove")
    assert post(client_for(app, w.members[0]), url).status_code == 403
    post(sec, url)
    assert svc.quorum_of(db.session.get(GeneralMeeting, m.id)).present == 1
    post(sec, meeting_url(w, m, "/open"))
    post(sec, meeting_url(w, m, f"/attendance/{w.members[0].id}/remove"))
    db.session.expire_all()
    assert svc.quorum_of(db.session.get(GeneralMeeting, m.id)).present == 1  # recorded: kept


def test_a_meeting_realises_a_row_of_the_activity_plan(app, factory, post):
    """The meeting form offers the rows of this school year's plan; the plan links the
    meeting to its row, as done once the meeting is closed."""
    from core.models import Plan, PlanRow
    from core.services import plans

    w = make_world(factory)
    plan = Plan(association_id=w.association.id, year=plans.current_year())
    db.session.add(plan)
    db.session.flush()
    row = PlanRow(plan_id=plan.id, number=4, topic="Жалпы жиналыс", form="general_meeting")
    db.session.add(row)
    db.session.commit()
    c = client_for(app, w.secretary)
    page = c.get("/governance/a/shyn-network/meetings/new").get_data(as_text=True)
    assert f'<option value="{row.id}">4. Жалпы жиналыс' in page
    r = post(
        c,
        "/governance/a/shyn-network/meetings/new",
        {
            "title": "Жылдық жалпы жиналыс",
            "kind": "regular",
            "mode": "online",
            "starts_at": "2026-04-10T15:00",
            "link": "https://meet.example.kz/a",
            "items-0-title": "Есеп",
            "plan_row": str(row.id),
        },
    )
    assert r.status_code == 302
    meeting = db.session.scalar(select(GeneralMeeting))
    assert meeting.plan_row_id == row.id
    bad = post(
        c,
        "/governance/a/shyn-network/meetings/new",
        {
            "title": "Басқа",
            "kind": "regular",
            "mode": "online",
            "starts_at": "2026-04-10T15:00",
            "link": "https://meet.example.kz/a",
            "items-0-title": "Есеп",
            "plan_row": "999999",
        },
    )
    assert bad.status_code == 200  # not a row of this association's plan: a field error
    plan_page = c.get(f"/a/shyn-network/plan/{plan.year}").get_data(as_text=True)
    assert meeting_url(w, meeting, "") in plan_page
