"""Rate limits kept in Redis: two app instances sharing one Redis server count the login
attempts of one address, and the failed logins of one account, together, as two application
servers behind one nginx must (``QAUYM_RATELIMIT_STORAGE_URI=redis://...``)."""

from __future__ import annotations

import pytest
import redis

from core.extensions import limiter


@pytest.fixture
def two_apps(make_app, redis_server):
    def build(**limits):
        config = {
            "plugins": "none",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": redis_server.url,
            "PROXY_FIX": 1,
            **limits,
        }
        first, second = make_app(**config), make_app(**config)
        redis_server.flush()
        limiter.reset()
        return first, second

    return build


def attempt(app, post, email, addr):
    with app.app_context():
        client = app.test_client()
        headers = {"X-Forwarded-For": addr}
        return post(client, "/login", {"email": email, "password": "wrong"}, headers=headers)


def limiter_keys(redis_server) -> list[bytes]:
    return redis.Redis.from_url(redis_server.url).keys("LIMITS*")


def test_one_address_is_counted_across_both_servers(two_apps, post, redis_server):
    a, b = two_apps(LOGIN_RATE_LIMIT="3 per hour", LOGIN_ACCOUNT_RATE_LIMIT="100 per hour")

    for n, app in enumerate((a, b, a)):
        assert attempt(app, post, f"x{n}@example.kz", "10.2.0.1").status_code == 200

    # The counts live in Redis, not in either process.
    assert limiter_keys(redis_server)
    assert attempt(b, post, "x9@example.kz", "10.2.0.1").status_code == 429
    assert attempt(a, post, "x9@example.kz", "10.2.0.1").status_code == 429
    # Another address still has its whole allowance.
    assert attempt(b, post, "x9@example.kz", "10.2.0.2").status_code == 200


def test_one_account_is_counted_across_both_servers(two_apps, post, redis_server):
    a, b = two_apps(LOGIN_RATE_LIMIT="100 per hour", LOGIN_ACCOUNT_RATE_LIMIT="3 per hour")

    for n, app in enumerate((b, a, b)):
        assert attempt(app, post, "victim@example.kz", f"10.3.0.{n}").status_code == 200

    assert any(b"login-account:victim@example.kz" in k for k in limiter_keys(redis_server))
    assert attempt(a, post, " Victim@Example.KZ", "10.3.0.50").status_code == 429
    assert attempt(b, post, "other@example.kz", "10.3.0.50").status_code == 200
