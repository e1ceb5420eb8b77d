"""The route-permission walk: request every GET route as five kinds of visitor and fail on any
200 that the route's declared access level does not allow.

Every GET endpoint in ``app.url_map`` must be classified with the *minimum* access it needs:

``public``
    anyone, also anonymous visitors;
``login``
    any logged-in user;
``member``
    a member of the association in the URL (the walk's association);
``manager``
    the association's leader (or coordinator);
``admin``
    a site administrator.

The walk requests each route as ``anonymous``, ``outsider`` (logged in, member of nothing),
``member``, ``leader`` and ``admin`` (a site administrator who is *not* a member), and reports:

* an endpoint missing from the table (so a new route cannot go unclassified) or a table entry
  for an endpoint that does not exist;
* a 200 for a visitor below the route's level;
* any 5xx;
* unless the entry says ``reachable=False``: the lowest visitor the level allows not getting
  the page (200, or a redirect that is not to the login page). This catches a table that is
  too strict and, more importantly, URL arguments that 404 for everyone and would make the
  walk pass without proving anything.

Use from a plugin's tests (only the plugin's own endpoints are walked)::

    import pytest
    from core.extensions import db
    from core.testing_routes import Access, assert_route_permissions, seed_world
    from plugins.forum.models import Topic

    @pytest.fixture
    def app(make_app):
        app = make_app(plugins="forum")
        with app.app_context():
            yield app

    def test_forum_routes_check_permissions(app, factory):
        world = seed_world(factory)             # association, outsider, member, leader, admin
        topic = Topic(association_id=world.association.id, title="Сәлем", author=world.member)
        db.session.add(topic)
        db.session.commit()
        assert_route_permissions(
            app,
            world,
            {
                "forum.index": "public",            # a site-wide list
                "forum.association_topics": "member",
                "forum.topic": "member",
                "forum.new_topic": "member",
                "forum.settings": "manager",
                "forum.archive": Access("member", reachable=False),  # empty archive: 404
            },
            url_args={"forum.topic": lambda w: {"slug": w.association.slug, "topic_id": topic.id}},
            only=lambda endpoint: endpoint.startswith("forum."),
        )

URL arguments: ``slug`` is the walk's association and ``user_id`` the member, by default; give
others per argument name with ``arg_defaults={"event_id": lambda w: event.id}`` or per endpoint
with ``url_args`` (a dict or a function of the world; extra keys become query arguments).

The edge walk (:func:`assert_no_server_errors`; ``assert_route_permissions`` runs it too unless
given ``edges=False``): every selected GET route again, as ``anonymous`` and ``admin``, with
each integer URL argument replaced by ``2**31`` (one past ``MAX_ID``) and by ``-1``, and with
query strings full of huge, negative, out-of-range and garbage values (:data:`EDGE_QUERIES`:
``page``, ``month``, ``year``, ``date``, ``since``, ``until``, ``grade``, ``subject``,
``association``, ``region``, ``author``, ``board``, ...). Any 5xx fails; so does a route
whose arguments cannot be built (it is reported, never skipped). The result counts the
requests made per endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, url_for
from werkzeug.routing import IntegerConverter

from core.testing import do_login

LEVELS = ("public", "login", "member", "manager", "admin")
PERSONAS = ("anonymous", "outsider", "member", "leader", "admin")

#: The visitors each level lets see the page (the first is the lowest).
ALLOWED: dict[str, tuple[str, ...]] = {
    "public": PERSONAS,
    "login": ("outsider", "member", "leader", "admin"),
    "member": ("member", "leader", "admin"),
    "manager": ("leader", "admin"),
    "admin": ("admin",),
}


@dataclass(frozen=True)
class Access:
    """A table entry: the minimum ``level``; ``reachable=False`` when even an allowed visitor
    cannot get a 200 with the walk's data (say, a page that needs a pending invitation)."""

    level: str
    reachable: bool = True

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"unknown access level {self.level!r}; use one of {LEVELS}")


@dataclass
class World:
    """The seeded data the walk uses; put extra objects for URL arguments in ``objects``."""

    association: Any
    outsider: Any
    member: Any
    leader: Any
    admin: Any
    objects: dict[str, Any] = field(default_factory=dict)

    def user(self, persona: str) -> Any:
        return None if persona == "anonymous" else getattr(self, persona)


def seed_world(factory, **association_fields: Any) -> World:
    """A region, an association in it, and the five visitors (``factory`` from core.testing)."""
    region = factory.region()
    association = factory.association(region_id=region.id, **association_fields)
    leader = factory.member(association, factory.user(full_name="Жетекші Leader"), role="leader")
    member = factory.member(association, factory.user(full_name="Мүше Member"), role="member")
    return World(
        association=association,
        outsider=factory.user(full_name="Бөгде Outsider", region_id=region.id),
        member=member,
        leader=leader,
        admin=factory.user(full_name="Әкімші Admin", is_site_admin=True),
        objects={"region": region},
    )


ArgsFor = Mapping[str, Any] | Callable[[World], Mapping[str, Any]]

DEFAULT_ARGS: dict[str, Callable[[World], Any]] = {
    "slug": lambda w: w.association.slug,
    "user_id": lambda w: w.member.id,
}


@dataclass
class WalkResult:
    statuses: dict[str, dict[str, int]]  # endpoint -> persona -> status
    problems: list[str]


def _entry(value: str | Access) -> Access:
    return value if isinstance(value, Access) else Access(value)


def _url(app: Flask, endpoint: str, rule, world: World, url_args, arg_defaults) -> str:
    given = url_args.get(endpoint)
    values: dict[str, Any] = dict(given(world) if callable(given) else (given or {}))
    for arg in rule.arguments:
        if arg in values:
            continue
        if arg not in arg_defaults:
            raise LookupError(
                f"{endpoint}: no value for URL argument {arg!r}; "
                f"pass url_args={{{endpoint!r}: ...}} or arg_defaults={{{arg!r}: ...}}"
            )
        values[arg] = arg_defaults[arg](world)
    with app.test_request_context():
        return url_for(endpoint, **values)


def _ok_for(status: int, location: str) -> bool:
    return status == 200 or (300 <= status < 400 and "/login" not in location)


def _get_rules(app: Flask, only: Callable[[str], bool] | None) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    for rule in app.url_map.iter_rules():
        static = rule.endpoint == "static" or rule.endpoint.endswith(".static")  # public files
        if static or "GET" not in (rule.methods or ()):
            continue
        if only is not None and not only(rule.endpoint):
            continue
        rules.setdefault(rule.endpoint, rule)
    return rules


def walk_routes(
    app: Flask,
    world: World,
    expected: Mapping[str, str | Access],
    *,
    url_args: Mapping[str, ArgsFor] | None = None,
    arg_defaults: Mapping[str, Callable[[World], Any]] | None = None,
    only: Callable[[str], bool] | None = None,
    password: str = "password123",
) -> WalkResult:
    """Walk every GET route (those ``only`` selects) as each visitor; see the module doc."""
    url_args = dict(url_args or {})
    defaults = {**DEFAULT_ARGS, **(arg_defaults or {})}
    problems: list[str] = []
    rules = _get_rules(app, only)
    for endpoint in sorted(set(rules) - set(expected)):
        problems.append(f"{endpoint} ({rules[endpoint].rule}): not in the table; classify it")
    for endpoint in sorted(set(expected) - set(rules)):
        if only is None or only(endpoint):
            problems.append(f"{endpoint}: in the table but no such GET route")

    clients: dict[str, Any] = {}

    def client_for(persona: str):
        if persona not in clients:  # log in lazily: password hashing is slow on purpose
            client = app.test_client()
            user = world.user(persona)
            if user is not None:
                do_login(client, user, password)
            clients[persona] = client
        return clients[persona]

    statuses: dict[str, dict[str, int]] = {}
    for endpoint in sorted(set(rules) & set(expected)):
        access = _entry(expected[endpoint])
        try:
            url = _url(app, endpoint, rules[endpoint], world, url_args, defaults)
        except LookupError as exc:
            problems.append(str(exc))
            continue
        allowed = ALLOWED[access.level]
        row: dict[str, int] = {}
        locations: dict[str, str] = {}
        for persona in PERSONAS:
            resp = client_for(persona).get(url)
            row[persona] = resp.status_code
            locations[persona] = resp.headers.get("Location", "")
            resp.close()
            if resp.status_code >= 500:
                problems.append(f"{endpoint} {url}: {resp.status_code} for {persona}")
            elif resp.status_code == 200 and persona not in allowed:
                problems.append(
                    f"{endpoint} {url}: 200 for {persona}, but the table says {access.level!r}"
                )
        lowest = allowed[0]
        if access.reachable and not _ok_for(row[lowest], locations[lowest]):
            problems.append(
                f"{endpoint} {url}: {row[lowest]} for {lowest}, who should reach an "
                f"{access.level!r} page (fix the URL arguments, the table, or mark it "
                "Access(..., reachable=False))"
            )
        statuses[endpoint] = row
    return WalkResult(statuses=statuses, problems=problems)


HUGE = str(2**70)

#: Query strings the edge walk adds to every route: values past 64 bits, negative, out of the
#: years a date may have, and garbage. A list or filter must ignore a bad value, not fail.
EDGE_QUERIES: tuple[dict[str, str], ...] = (
    {"page": HUGE},
    {"page": "-1", "month": "9999-12", "year": "9999", "date": "0001-01-01", "q": "a"},
    {
        "page": "0",
        "month": "1-1",
        "year": "-1",
        "date": "9999-12-31",
        "since": "0001-01-01",
        "until": "9999-12-31",
        "q": "a",
    },
    {
        **{
            k: HUGE
            for k in ("grade", "subject", "association", "region", "author", "board", "quote")
        },
        "q": "a",
    },
    {
        **{
            k: "x\u202e\x00"
            for k in ("page", "month", "year", "date", "until", "grade", "subject", "region")
        },
        "association": "-1",
        "author": "-1",
        "board": "0",
        "q": "a",
    },
)
EDGE_PERSONAS = ("anonymous", "admin")


@dataclass
class EdgeResult:
    requests: dict[str, int]  # endpoint -> requests made
    problems: list[str]


def _int_args(rule) -> list[str]:
    return [
        name
        for name, conv in (rule._converters or {}).items()
        if isinstance(conv, IntegerConverter)
    ]


def walk_edges(
    app: Flask,
    world: World,
    *,
    url_args: Mapping[str, ArgsFor] | None = None,
    arg_defaults: Mapping[str, Callable[[World], Any]] | None = None,
    only: Callable[[str], bool] | None = None,
    password: str = "password123",
    personas: Iterable[str] = EDGE_PERSONAS,
) -> EdgeResult:
    """Request every selected GET route with out-of-range ids and query values (see the module
    doc) as each of ``personas``; report any 5xx and any route whose URL cannot be built."""
    url_args = dict(url_args or {})
    defaults = {**DEFAULT_ARGS, **(arg_defaults or {})}
    problems: list[str] = []
    counts: dict[str, int] = {}
    clients = {}
    for persona in personas:
        client = app.test_client()
        user = world.user(persona)
        if user is not None:
            do_login(client, user, password)
        clients[persona] = client
    for endpoint, rule in sorted(_get_rules(app, only).items()):
        given = url_args.get(endpoint)
        values: dict[str, Any] = dict(given(world) if callable(given) else (given or {}))
        try:
            for arg in rule.arguments:
                if arg not in values:
                    if arg not in defaults:
                        raise LookupError(
                            f"{endpoint}: no value for URL argument {arg!r}; the edge walk "
                            f"cannot request it (pass url_args or arg_defaults)"
                        )
                    values[arg] = defaults[arg](world)
        except LookupError as exc:
            problems.append(str(exc))
            continue
        variants: list[dict[str, Any]] = []
        for arg in _int_args(rule):
            for bad in (2**31, -1):  # just past MAX_ID (32-bit id columns)
                variants.append({**values, arg: bad})
        for query in EDGE_QUERIES:
            variants.append({**values, **query})
        with app.test_request_context():
            urls = [url_for(endpoint, **v) for v in variants]
        for url in urls:
            for persona, client in clients.items():
                counts[endpoint] = counts.get(endpoint, 0) + 1
                try:  # the test app propagates exceptions: report them, then go on
                    resp = client.get(url)
                except Exception as exc:  # noqa: BLE001
                    problems.append(f"{endpoint} {url}: raised {exc!r} for {persona}")
                    continue
                status = resp.status_code
                resp.close()
                if status >= 500:
                    problems.append(f"{endpoint} {url}: {status} for {persona}")
    return EdgeResult(requests=counts, problems=problems)


def assert_no_server_errors(app: Flask, world: World, **kwargs: Any) -> EdgeResult:
    """:func:`walk_edges`, failing with every problem listed at once."""
    result = walk_edges(app, world, **kwargs)
    if result.problems:
        raise AssertionError("Edge walk found server errors:\n- " + "\n- ".join(result.problems))
    if not result.requests:
        raise AssertionError("Edge walk requested nothing: check ``only``")
    return result


def assert_route_permissions(
    app: Flask,
    world: World,
    expected: Mapping[str, str | Access],
    *,
    edges: bool = True,
    **kwargs: Any,
) -> WalkResult:
    """:func:`walk_routes`, failing with every problem listed at once; then (unless
    ``edges=False``) :func:`assert_no_server_errors` over the same routes."""
    result = walk_routes(app, world, expected, **kwargs)
    if edges and not result.problems:
        result.problems.extend(walk_edges(app, world, **kwargs).problems)
    if result.problems:
        table = "\n".join(
            f"  {ep}: " + " ".join(f"{p}={s}" for p, s in row.items())
            for ep, row in result.statuses.items()
        )
        raise AssertionError(
            "Route permission walk failed:\n- "
            + "\n- ".join(result.problems)
            + "\nStatuses:\n"
            + table
        )
    return result


def classified(*tables: Mapping[str, str | Access]) -> dict[str, str | Access]:
    """Merge tables (e.g. core's and a plugin's), refusing an endpoint classified twice."""
    out: dict[str, str | Access] = {}
    for table in tables:
        for endpoint, value in table.items():
            if endpoint in out:
                raise ValueError(f"{endpoint} is classified twice")
            out[endpoint] = value
    return out


__all__: Iterable[str] = [
    "ALLOWED",
    "Access",
    "LEVELS",
    "PERSONAS",
    "World",
    "WalkResult",
    "EDGE_QUERIES",
    "EdgeResult",
    "assert_no_server_errors",
    "assert_route_permissions",
    "classified",
    "seed_world",
    "walk_edges",
    "walk_routes",
]
