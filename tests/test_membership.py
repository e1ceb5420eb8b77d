"""Joining (open, by request, by invitation), leaving, roles and the member list."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import (
    Association,
    AuditLog,
    Invitation,
    JoinRequest,
    Membership,
    Notification,
    Role,
)


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


@pytest.fixture
def en(client):
    """English pages, so assertions read the English messages."""
    client.set_cookie("lang", "en")
    return client


def _role(a, user):
    return db.session.scalar(
        select(Membership.role).where(
            Membership.association_id == a.id, Membership.user_id == user.id
        )
    )


def _notes(user, kind):
    return db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    ).all()


def _fresh(a):
    db.session.expire_all()
    return db.session.get(Association, a.id)


# Open -----------------------------------------------------------------------------------------


def test_open_association_join_at_once(en, factory, login, post):
    a = factory.association(slug="club", join_policy="open")
    before = a.last_activity_at
    user = factory.user()
    page = en.get("/a/club").get_data(as_text=True)
    assert "Log in to join" in page
    login(en, user)
    assert "/a/club/join" in en.get("/a/club").get_data(as_text=True)
    resp = post(en, "/a/club/join", follow_redirects=True)
    assert "You are now a member" in resp.get_data(as_text=True)
    assert _role(a, user) == Role.MEMBER.value
    a = _fresh(a)
    assert a.member_count == 1 and a.last_activity_at >= before
    # Joining twice is refused (the button is gone, and a replayed POST is 403).
    assert post(en, "/a/club/join").status_code == 403
    assert _fresh(a).member_count == 1


def test_anonymous_join_goes_to_login(client, factory, post):
    factory.association(slug="club", join_policy="open")
    resp = post(client, "/a/club/join")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


# By request -----------------------------------------------------------------------------------


def _request_setup(factory):
    a = factory.association(slug="net", join_policy="request", name_kk="ШЫҢ желісі")
    leader = factory.member(a, role="leader")
    coordinator = factory.member(a, role="coordinator")
    member = factory.member(a, role="member")
    return a, leader, coordinator, member


def test_request_notifies_leaders_and_coordinators(en, factory, login, post):
    a, leader, coordinator, member = _request_setup(factory)
    applicant = factory.user(full_name="Айгүл Сапарова")
    login(en, applicant)
    page = en.get("/a/net").get_data(as_text=True)
    assert 'name="message"' in page and "Ask to join" in page
    resp = post(en, "/a/net/join", {"message": "Мен математика мұғалімімін"}, follow_redirects=True)
    assert "sent to the leaders" in resp.get_data(as_text=True)
    req = db.session.scalar(select(JoinRequest))
    assert req.user_id == applicant.id and req.message == "Мен математика мұғалімімін"
    assert req.status == "pending" and _role(a, applicant) is None
    for manager in (leader, coordinator):
        (note,) = _notes(manager, "core.join_request")
        assert "Айгүл Сапарова" in note.title and note.url == "/a/net/requests"
        assert "Мен математика мұғалімімін" in note.body
    assert _notes(member, "core.join_request") == []
    page = en.get("/a/net").get_data(as_text=True)
    assert "waiting for a decision" in page
    # A second request while one waits is refused.
    resp = post(en, "/a/net/join", {"message": "again"}, follow_redirects=True)
    assert "already waiting" in resp.get_data(as_text=True)
    assert len(db.session.scalars(select(JoinRequest)).all()) == 1
    # The applicant may withdraw it.
    post(en, "/a/net/join/cancel")
    assert db.session.scalar(select(JoinRequest.status)) == "cancelled"


def test_too_long_request_message_is_kept_with_an_error(en, factory, login, post):
    _request_setup(factory)
    login(en, factory.user())
    text = "Сәлем! " * 200
    resp = post(en, "/a/net/join", {"message": text})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "has-error" in html and text.strip() in html
    assert db.session.scalars(select(JoinRequest)).all() == []


def test_leader_approves_request(en, factory, login, post):
    a, leader, _c, _m = _request_setup(factory)
    applicant = factory.user(full_name="Айгүл")
    db.session.add(JoinRequest(association_id=a.id, user_id=applicant.id, message="Сәлем"))
    db.session.commit()
    req = db.session.scalar(select(JoinRequest))
    login(en, leader)
    page = en.get("/a/net/requests").get_data(as_text=True)
    assert "Айгүл" in page and "Сәлем" in page
    assert 'Join requests <span class="tag warn">1</span>' in page
    resp = post(en, f"/a/net/requests/{req.id}/approve", follow_redirects=True)
    assert "Айгүл is now a member" in resp.get_data(as_text=True)
    assert _role(a, applicant) == "member"
    req = db.session.get(JoinRequest, req.id)
    assert req.status == "approved" and req.decided_by_id == leader.id
    assert _fresh(a).member_count == 4
    (note,) = _notes(applicant, "core.join_decision")
    assert note.url == "/a/net"
    # Deciding twice does nothing more.
    resp = post(en, f"/a/net/requests/{req.id}/approve", follow_redirects=True)
    assert "already been decided" in resp.get_data(as_text=True)
    assert _fresh(a).member_count == 4


def test_coordinator_declines_with_reason(en, factory, login, post):
    a, _l, coordinator, _m = _request_setup(factory)
    applicant = factory.user(locale="en")  # notifications are written in their language
    db.session.add(JoinRequest(association_id=a.id, user_id=applicant.id))
    db.session.commit()
    req = db.session.scalar(select(JoinRequest))
    login(en, coordinator)
    # No reason: the page comes back with the error, nothing decided.
    resp = post(en, f"/a/net/requests/{req.id}/decline", {"reason": "  "})
    assert resp.status_code == 400
    assert "Give a reason" in resp.get_data(as_text=True)
    assert db.session.get(JoinRequest, req.id).status == "pending"
    resp = post(en, f"/a/net/requests/{req.id}/decline", {"reason": "Тек мектеп мұғалімдері"})
    assert resp.status_code == 302
    db.session.expire_all()
    req = db.session.get(JoinRequest, req.id)
    assert req.status == "declined" and req.reason == "Тек мектеп мұғалімдері"
    assert _role(a, applicant) is None
    (note,) = _notes(applicant, "core.join_decision")
    assert "declined" in note.title and note.body == "Тек мектеп мұғалімдері"


def test_members_and_outsiders_cannot_decide(client, factory, login, post):
    a, _l, _c, member = _request_setup(factory)
    other = factory.association(slug="other")
    other_leader = factory.member(other, role="leader")
    applicant = factory.user()
    db.session.add(JoinRequest(association_id=a.id, user_id=applicant.id))
    db.session.commit()
    req = db.session.scalar(select(JoinRequest))
    for user in (member, other_leader):
        login(client, user)
        assert client.get("/a/net/requests").status_code == 403
        assert post(client, f"/a/net/requests/{req.id}/approve").status_code == 403
        assert post(client, f"/a/net/requests/{req.id}/decline", {"reason": "x"}).status_code == 403
        post(client, "/logout")
    # A leader of another association cannot decide it through their own address either.
    login(client, other_leader)
    assert post(client, f"/a/other/requests/{req.id}/approve").status_code == 404
    assert db.session.get(JoinRequest, req.id).status == "pending"
    assert _role(a, applicant) is None


# By invitation --------------------------------------------------------------------------------


def test_invite_only_has_no_join_button(en, factory, login, post):
    factory.association(slug="council", join_policy="invite")
    user = factory.user()
    login(en, user)
    page = en.get("/a/council").get_data(as_text=True)
    assert "invitation only" in page and "/a/council/join" not in page
    resp = post(en, "/a/council/join", follow_redirects=True)
    assert "by invitation only" in resp.get_data(as_text=True).split('class="flash')[1]
    assert db.session.scalars(select(Membership)).all() == []


def test_invitation_accepted_with_role(en, factory, login, post):
    a = factory.association(slug="council", join_policy="invite")
    leader = factory.member(a, role="leader")
    guest = factory.user(email="Guest@Example.kz")
    login(en, leader)
    resp = post(en, "/a/council/invite", {"email": "guest@example.kz", "role": "expert"})
    assert resp.status_code == 302
    inv = db.session.scalar(select(Invitation))
    assert inv.user_id == guest.id and inv.role == "expert" and inv.invited_by_id == leader.id
    (note,) = _notes(guest, "core.invitation")
    assert note.url == "/a/council"
    post(en, "/logout")
    login(en, guest)
    home = en.get("/").get_data(as_text=True)
    assert 'id="invitations"' in home and "/a/council/invitation/accept" in home
    page = en.get("/a/council").get_data(as_text=True)
    assert "/a/council/invitation/accept" in page and "/a/council/invitation/decline" in page
    post(en, "/a/council/invitation/accept")
    assert _role(a, guest) == "expert"
    assert db.session.get(Invitation, inv.id).status == "accepted"
    assert _fresh(a).member_count == 2


def test_invitation_declined(en, factory, login, post):
    a = factory.association(slug="council", join_policy="invite")
    leader = factory.member(a, role="leader")
    guest = factory.user()
    db.session.add(Invitation(association_id=a.id, user_id=guest.id, invited_by_id=leader.id))
    db.session.commit()
    login(en, guest)
    post(en, "/a/council/invitation/decline")
    assert db.session.scalar(select(Invitation.status)) == "declined"
    assert _role(a, guest) is None
    # Another user cannot accept someone else's invitation.
    resp = post(en, "/a/council/invitation/accept", follow_redirects=True)
    assert "no longer open" in resp.get_data(as_text=True)
    assert _role(a, guest) is None


def test_invite_errors_are_shown_on_the_form(en, factory, login, post):
    a = factory.association(slug="council", join_policy="invite")
    coordinator = factory.member(a, role="coordinator")
    member = factory.member(a)
    login(en, coordinator)
    page = en.get("/a/council/invite").get_data(as_text=True)
    role_select = page.split('name="role"')[1].split("</select>")[0]
    assert 'value="expert"' in role_select and 'value="leader"' not in role_select
    resp = post(en, "/a/council/invite", {"email": "nobody@example.kz", "role": "member"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "No registered user has this email" in html and 'value="nobody@example.kz"' in html
    resp = post(en, "/a/council/invite", {"email": member.email, "role": "member"})
    assert "already a member" in resp.get_data(as_text=True)
    # A coordinator cannot hand out the leader role, even with a forged form.
    outsider = factory.user()
    resp = post(en, "/a/council/invite", {"email": outsider.email, "role": "leader"})
    assert resp.status_code == 400
    assert db.session.scalars(select(Invitation)).all() == []
    post(en, "/logout")
    login(en, member)
    assert en.get("/a/council/invite").status_code == 403


# Leaving --------------------------------------------------------------------------------------


def test_member_leaves(en, factory, login, post):
    a = factory.association(slug="net")
    factory.member(a, role="leader")
    member = factory.member(a)
    login(en, member)
    resp = post(en, "/a/net/leave", follow_redirects=True)
    assert "You have left" in resp.get_data(as_text=True)
    assert _role(a, member) is None and _fresh(a).member_count == 1
    assert post(en, "/a/net/leave").status_code == 403  # no longer a member


def test_last_leader_cannot_leave_until_handing_over(en, factory, login, post):
    a = factory.association(slug="net")
    leader = factory.member(a, role="leader")
    deputy = factory.member(a, role="coordinator")
    login(en, leader)
    resp = post(en, "/a/net/leave", follow_redirects=True)
    assert "only leader" in resp.get_data(as_text=True)
    assert _role(a, leader) == "leader" and _fresh(a).member_count == 2
    post(en, f"/a/net/members/{deputy.id}/role", {"role": "leader"})
    assert _role(a, deputy) == "leader"
    post(en, "/a/net/leave")
    assert _role(a, leader) is None and _fresh(a).member_count == 1


# Roles ----------------------------------------------------------------------------------------


def test_leader_changes_role_audited_and_notified(en, factory, login, post):
    a = factory.association(slug="net")
    leader = factory.member(a, role="leader")
    member = factory.member(a, factory.user(locale="en"))
    login(en, leader)
    resp = post(en, f"/a/net/members/{member.id}/role", {"role": "moderator"})
    assert resp.status_code == 302
    assert _role(a, member) == "moderator"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "association.role_change"))
    assert entry.actor_id == leader.id and entry.association_id == a.id
    assert entry.details == {"user_id": member.id, "from": "member", "to": "moderator"}
    (note,) = _notes(member, "core.role_changed")
    assert "moderator" in note.title
    # Same role again: nothing recorded.
    post(en, f"/a/net/members/{member.id}/role", {"role": "moderator"})
    assert len(db.session.scalars(select(AuditLog)).all()) == 1
    # Unknown role: refused.
    post(en, f"/a/net/members/{member.id}/role", {"role": "king"})
    assert _role(a, member) == "moderator"


def test_last_leader_cannot_be_demoted(en, factory, login, post):
    a = factory.association(slug="net")
    leader = factory.member(a, role="leader")
    admin = factory.user(is_site_admin=True)
    login(en, admin)
    resp = post(en, f"/a/net/members/{leader.id}/role", {"role": "member"}, follow_redirects=True)
    assert "last leader" in resp.get_data(as_text=True)
    assert _role(a, leader) == "leader"
    assert db.session.scalars(select(AuditLog)).all() == []
    # With a second leader the demotion goes through (an administrator may do it).
    second = factory.member(a, role="leader")
    post(en, f"/a/net/members/{leader.id}/role", {"role": "member"})
    assert _role(a, leader) == "member" and _role(a, second) == "leader"


def test_only_leaders_and_admins_change_roles(client, factory, login, post):
    a = factory.association(slug="net")
    factory.member(a, role="leader")
    coordinator = factory.member(a, role="coordinator")
    member = factory.member(a)
    for user in (coordinator, member):
        login(client, user)
        assert (
            post(client, f"/a/net/members/{member.id}/role", {"role": "expert"}).status_code == 403
        )
        assert 'action="/a/net/members/' not in client.get("/a/net/members").get_data(as_text=True)
        post(client, "/logout")
    assert _role(a, member) == "member"


# Member list ----------------------------------------------------------------------------------


def test_member_list_visibility_and_filters(en, factory, login, post):
    a = factory.association(slug="net")
    factory.member(a, factory.user(full_name="Әсел Лидерова"), role="leader")
    member = factory.member(a, factory.user(full_name="Бола Мүшеев"))
    factory.member(a, factory.user(full_name="Ержан Сарапшы"), role="expert")
    outsider = factory.user()
    admin = factory.user(is_site_admin=True)

    resp = en.get("/a/net/members")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert 'id="member-count">3<' in en.get("/a/net").get_data(as_text=True)  # count is public

    login(en, outsider)
    assert en.get("/a/net/members").status_code == 403
    assert 'href="/a/net/members"' not in en.get("/a/net").get_data(as_text=True)
    post(en, "/logout")

    login(en, member)

    def table(url):
        return en.get(url).get_data(as_text=True).split('<table class="members stack-table">')[1]

    html = table("/a/net/members")
    # Leaders first, then by role, whatever the alphabet says.
    assert html.index("Әсел Лидерова") < html.index("Ержан Сарапшы") < html.index("Бола Мүшеев")
    assert "leader (chair)" in html and "expert" in html
    html = table("/a/net/members?role=expert")
    assert "Ержан Сарапшы" in html and "Бола Мүшеев" not in html
    html = table("/a/net/members?q=мүшеев")
    assert "Бола Мүшеев" in html and "Ержан Сарапшы" not in html
    post(en, "/logout")

    login(en, admin)
    assert en.get("/a/net/members").status_code == 200
