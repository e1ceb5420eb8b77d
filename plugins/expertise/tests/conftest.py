"""Fixtures for the expertise tests: an app with only this plugin, and a small association
with a coordinator, an author, a co-author and experts."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from core.extensions import db
from core.models import Role, School, Subject, User
from core.testing import sign_in_as

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def app(make_app):
    """The app with only this plugin (a module overrides it for other settings)."""
    app = make_app(plugins="expertise")
    with app.app_context():
        yield app


@pytest.fixture
def live_app(make_app):
    """The app the browser journeys talk to (a file database shared with the server)."""
    return make_app(plugins="expertise", file_db=True)


@pytest.fixture
def client(app):
    """A test client reading pages in English, so assertions name the English texts."""
    client = app.test_client()
    client.set_cookie("lang", "en")
    return client


@dataclass
class World:
    association: Any
    subject: Any
    coordinator: Any
    author: Any
    coauthor: Any
    expert1: Any
    expert2: Any
    school_expert: Any  # an expert from the author's school: always a conflict
    member: Any


@pytest.fixture
def world(app, factory) -> World:
    return build_world(factory)


#: "password123" hashed cheaply once: scrypt for each of the world's users would dominate the
#: run time of these tests. check_password reads any Werkzeug hash, so logins still work.
_FAST_HASH = generate_password_hash("password123", method="pbkdf2:sha256:1000")


def _user(factory, full_name: str, **kw) -> User:
    factory.n += 1
    user = User(
        email=f"xp{factory.n}@example.kz", full_name=full_name, password_hash=_FAST_HASH, **kw
    )
    db.session.add(user)
    return user


def build_world(factory) -> World:
    region = factory.region()
    subject = Subject(code="math", name_kk="Математика", name_ru="Математика", name_en="Maths")
    school = School(name="№1 мектеп", region_id=region.id)
    other = School(name="№2 мектеп", region_id=region.id)
    db.session.add_all([subject, school, other])
    db.session.commit()
    a = factory.association(slug="kostanay-math", region_id=region.id)
    coordinator = _user(factory, "Coordinator")
    author = _user(factory, "Author", school_id=school.id)
    coauthor = _user(factory, "Coauthor", school_id=other.id)
    e1 = _user(factory, "Expert One", locale="kk")
    e2 = _user(factory, "Expert Two")
    e3 = _user(factory, "School Expert", school_id=school.id)
    member = _user(factory, "Plain Member")
    e1.subjects.append(subject)
    db.session.flush()
    roles = {coordinator: Role.COORDINATOR, e1: Role.EXPERT, e2: Role.EXPERT, e3: Role.EXPERT}
    for user in (coordinator, author, coauthor, e1, e2, e3, member):
        factory.member(a, user, roles.get(user, Role.MEMBER))
    return World(a, subject, coordinator, author, coauthor, e1, e2, e3, member)


def pdf_file(name: str = "plan.pdf", data: bytes = PDF):
    return (io.BytesIO(data), name)


def submission_data(world: World, **over) -> dict:
    data = {
        "title": "Бөлшектерді қосу",
        "material_type": "lesson_plan",
        "subject_id": str(world.subject.id),
        "grade_from": "5",
        "grade_to": "6",
        "language": "kk",
        "abstract": "Сабақ жоспары: ортақ бөлімге келтіру.",
        "keywords": "бөлшек, қосу",
        "coauthors": [str(world.coauthor.id)],
        "files": [pdf_file()],
        "send": "1",
    }
    data.update(over)
    return data


def logout(client) -> None:
    with client.session_transaction() as session:
        for key in ("_user_id", "_fresh", "_id"):
            session.pop(key, None)


def as_user(client, user) -> None:
    """Act as ``user`` on ``client`` (a real session, without the slow login form)."""
    sign_in_as(client, user)


def step(client, post, sub_id: int, action: str, note: str = "", override: str = ""):
    return post(
        client, f"/expertise/s/{sub_id}/step/{action}", {"note": note, "override": override}
    )


def submit(client, post, world: World, **over) -> int:
    """The author submits a material; returns its id."""
    from plugins.expertise.models import Submission

    as_user(client, world.author)
    resp = post(
        client,
        "/expertise/a/kostanay-math/submit",
        submission_data(world, **over),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    return db.session.scalars(db.select(Submission.id).order_by(Submission.id.desc())).first()


def to_review(client, post, world: World, **over) -> int:
    """Submitted, screened and sent to review (round 1), as the coordinator."""
    sub_id = submit(client, post, world, **over)
    as_user(client, world.coordinator)
    assert step(client, post, sub_id, "screen").status_code == 302
    assert step(client, post, sub_id, "accept").status_code == 302
    return sub_id


def assign(client, post, sub_id: int, expert):
    return post(client, f"/expertise/s/{sub_id}/assign", {"expert_id": str(expert.id)})


def accept_invitation(client, post, sub_id: int, expert) -> int:
    from plugins.expertise.models import Assignment

    a = db.session.scalar(
        db.select(Assignment).where(
            Assignment.submission_id == sub_id,
            Assignment.expert_id == expert.id,
            Assignment.status == "invited",
        )
    )
    as_user(client, expert)
    resp = post(client, f"/expertise/assignment/{a.id}/accept", {"reason": ""})
    assert resp.status_code == 302
    return a.id


def review_data(sub_id: int, scores: list[int] | None = None, **over) -> dict:
    from plugins.expertise.models import Submission

    sub = db.session.get(Submission, sub_id)
    criteria = sub.rubric.criteria
    scores = scores if scores is not None else [3] * len(criteria)
    data = {
        "recommendation": "minor_revision",
        "to_author": "Жақсы жоспар, саралауды күшейтіңіз.",
        "confidential": "Confidential: the author copied part of stage 2.",
    }
    for c, s in zip(criteria, scores, strict=True):
        data[f"score_{c.id}"] = str(s)
        data[f"comment_{c.id}"] = f"comment {c.position}"
    data.update(over)
    return data


def write_review(client, post, sub_id: int, expert, **over):
    assignment_id = accept_invitation(client, post, sub_id, expert)
    resp = post(
        client, f"/expertise/assignment/{assignment_id}/review", review_data(sub_id, **over)
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    return assignment_id


def reviewed(client, post, world: World, experts=None, **over) -> int:
    """A submission in review with a review from each expert (default: expert1 and expert2)."""
    sub_id = to_review(client, post, world)
    experts = experts or [world.expert1, world.expert2]
    for e in experts:
        as_user(client, world.coordinator)
        assert assign(client, post, sub_id, e).status_code == 302
    for e in experts:
        write_review(client, post, sub_id, e, **over)
    return sub_id
