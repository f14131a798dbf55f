"""Security at the edge: rate limits on login and webhooks (429 with Retry-After, shared through
Redis), client addresses and webhook signatures behind a proxy, secure cookies, and production
refusing to start on defaulted secrets."""

from __future__ import annotations

import pytest
import redis
from click.testing import CliRunner

from contactcenter.config import (
    SIMULATOR_ACCOUNT_SID,
    SIMULATOR_AUTH_TOKEN,
    ConfigError,
    check_production,
    load_settings,
    production_problems,
)
from tests.support.factories import PASSWORD, carrier_params, gen_agent, sign
from web.ratelimit import Limit, ProcessLimiter, RateLimiter


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return settings.with_overrides(
        login_attempts_per_ip=5,
        login_failures_per_account=3,
        login_window_s=600,
        webhooks_per_ip_per_minute=4,
        ivr_flow="",
    )


def _login(client, username, password, ip="10.0.0.1", **headers):  # type: ignore[no-untyped-def]
    return client.post(
        "/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": ip}, headers=headers
    )


def test_login_attempts_from_one_address_are_limited(client, db):
    gen_agent(db, "alice")
    for n in range(5):
        assert _login(client, f"nobody{n}", "wrong").status_code == 401
    refused = _login(client, "alice", PASSWORD)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
    assert _login(client, "alice", PASSWORD, ip="10.0.0.2").status_code == 302  # another address


def test_failed_logins_for_one_account_are_limited_from_any_address(client, db):
    gen_agent(db, "alice")
    gen_agent(db, "bob")
    for n in range(3):
        assert _login(client, "alice", "guess", ip=f"10.1.0.{n}").status_code == 401
    refused = _login(client, "Alice", PASSWORD, ip="10.2.0.1")  # even the right password waits
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert _login(client, "bob", PASSWORD, ip="10.2.0.1").status_code == 302


def test_successful_logins_do_not_count_against_the_account(client, db):
    gen_agent(db, "alice")
    for n in range(4):
        assert _login(client, "alice", PASSWORD, ip=f"10.3.0.{n}").status_code == 302


def _hook(client, ip="10.9.0.1", **headers):  # type: ignore[no-untyped-def]
    params = carrier_params()
    headers = {"X-Twilio-Signature": sign("http://localhost/hooks/voice", params), **headers}
    return client.post("/hooks/voice", data=params, headers=headers, environ_base={"REMOTE_ADDR": ip})


def test_webhooks_from_one_address_are_limited(client, db):
    for _ in range(4):
        assert _hook(client).status_code == 200
    refused = _hook(client)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert _hook(client, ip="10.9.0.2").status_code == 200


def test_forwarded_for_is_ignored_without_trusted_proxies(client, db):
    for n in range(4):
        _hook(client, **{"X-Forwarded-For": f"192.0.2.{n}"})
    assert _hook(client, **{"X-Forwarded-For": "192.0.2.99"}).status_code == 429


def test_limits_are_shared_by_every_process(runtime, redis_client):
    limit = Limit("shared", 2, 60)
    one, two = RateLimiter(redis_client), RateLimiter(redis.Redis.from_url(runtime.settings.redis_url))
    assert one.hit(limit, "x").allowed and two.hit(limit, "x").allowed
    assert not one.hit(limit, "x").allowed


class _Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_webhook_limit_is_counted_in_the_process_and_ends_with_its_window():
    ticks = _Ticks()
    limiter, limit = ProcessLimiter(monotonic=ticks), Limit("webhooks-ip", 2, 60)
    assert limiter.hit(limit, "10.0.0.1").allowed and limiter.hit(limit, "10.0.0.1").allowed
    refused = limiter.hit(limit, "10.0.0.1")
    assert not refused.allowed and refused.retry_after_s == 20  # the window is [960, 1020)
    assert limiter.hit(limit, "10.0.0.2").allowed
    ticks.now = 1020.0
    assert limiter.hit(limit, "10.0.0.1").allowed


def test_process_limiter_memory_is_bounded_under_a_flood_from_many_addresses():
    limiter, limit = ProcessLimiter(max_keys=3, monotonic=_Ticks()), Limit("webhooks-ip", 2, 60)
    verdicts = [limiter.hit(limit, f"10.0.{n}.1") for n in range(10)]
    assert len(limiter._counts) == 4  # three addresses and the count the newcomers share
    assert [v.allowed for v in verdicts] == [True] * 5 + [False] * 5


def test_limiter_lets_requests_through_when_redis_is_away():
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    dead = redis.Redis(port=port, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    assert RateLimiter(dead).hit(Limit("any", 1, 60), "x").allowed


# -- behind a proxy ------------------------------------------------------------------------------


@pytest.fixture
def proxied_app(runtime):  # type: ignore[no-untyped-def]
    from web import create_app

    runtime.settings = runtime.settings.with_overrides(trusted_proxy_hops=1)
    app = create_app(runtime, testing=True, relay_events=False)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_signature_is_checked_over_the_forwarded_scheme_and_host(proxied_app, db):
    client = proxied_app.test_client()
    params = carrier_params()
    public = "https://cc.example.com/hooks/voice"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "cc.example.com", "X-Forwarded-For": "54.1.2.3"}
    ok = client.post("/hooks/voice", data=params, headers={"X-Twilio-Signature": sign(public, params), **forwarded})
    assert ok.status_code == 200
    # Signed for the internal URL instead: refused.
    internal = client.post(
        "/hooks/voice",
        data=params,
        headers={"X-Twilio-Signature": sign("http://localhost/hooks/voice", params), **forwarded},
    )
    assert internal.status_code == 403


def test_forwarded_headers_are_not_believed_without_trusted_proxies(client, db):
    params = carrier_params()
    forged = client.post(
        "/hooks/voice",
        data=params,
        headers={
            "X-Twilio-Signature": sign("https://cc.example.com/hooks/voice", params),
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "cc.example.com",
        },
    )
    assert forged.status_code == 403


def test_signature_is_checked_over_public_base_url_with_a_path_prefix(runtime, db):
    from web import create_app

    runtime.settings = runtime.settings.with_overrides(public_base_url="https://example.org/cc")
    client = create_app(runtime, testing=True, relay_events=False).test_client()
    params = carrier_params()
    resp = client.post(
        "/hooks/voice", data=params, headers={"X-Twilio-Signature": sign("https://example.org/cc/hooks/voice", params)}
    )
    assert resp.status_code == 200


def test_trusted_proxy_gives_each_client_its_own_login_limit(proxied_app, db):
    gen_agent(db, "alice")
    client = proxied_app.test_client()
    for n in range(5):
        _login(client, f"nobody{n}", "wrong", ip="10.0.0.1", **{"X-Forwarded-For": "198.51.100.1"})
    assert _login(client, "someone", "wrong", ip="10.0.0.1", **{"X-Forwarded-For": "198.51.100.1"}).status_code == 429
    assert _login(client, "alice", PASSWORD, ip="10.0.0.1", **{"X-Forwarded-For": "198.51.100.2"}).status_code == 302


# -- cookies and production settings -------------------------------------------------------------


def test_cookies_are_secure_behind_https(runtime, db):
    from web import create_app

    runtime.settings = runtime.settings.with_overrides(public_base_url="https://cc.example.com")
    app = create_app(runtime, testing=True, relay_events=False)
    app.config["WTF_CSRF_ENABLED"] = False
    gen_agent(db, "alice")
    resp = _login(app.test_client(), "alice", PASSWORD)
    cookie = resp.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_HTTPONLY"]


PRODUCTION = {
    "CONTACTCENTER_ENV": "production",
    "CARRIER": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "a1" * 16,
    "TWILIO_AUTH_TOKEN": "f" * 32,
    "PUBLIC_BASE_URL": "https://cc.example.com",
    "SECRET_KEY": "k" * 48,
    "DATABASE_URL": "postgresql://cc@db/cc",
    "REDIS_URL": "redis://redis:6379/0",
}


def test_production_settings_from_the_environment_pass():
    assert production_problems(load_settings(PRODUCTION)) == []


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "changeme"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short-key"}, "at least 32"),
        ({"CARRIER": "simulator", "TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": ""}, "TWILIO_"),
        (
            {
                "CARRIER": "simulator",
                "TWILIO_ACCOUNT_SID": SIMULATOR_ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": SIMULATOR_AUTH_TOKEN,
            },
            "TWILIO_",
        ),
        ({"REDIS_URL": ""}, "REDIS_URL"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
    ],
)
def test_production_refuses_defaulted_secrets_and_embedded_servers(change, problem):
    settings = load_settings({**PRODUCTION, **change})
    with pytest.raises(ConfigError, match=problem):
        check_production(settings)


def test_web_command_refuses_to_start_in_production_with_defaults(monkeypatch):
    from contactcenter.app.cli import main

    for name in ("SECRET_KEY", "TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "REDIS_URL", "DATABASE_URL", "CARRIER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONTACTCENTER_ENV", "production")
    result = CliRunner().invoke(main, ["web", "--port", "1"])
    assert result.exit_code != 0
    assert "refusing to start in production" in result.output and "SECRET_KEY" in result.output


def test_development_needs_no_secrets():
    assert load_settings({}).environment == "development"
    check_production(load_settings({}))  # nothing raised: the demo runs with no servers


def test_settings_never_show_secrets_in_their_repr():
    text = repr(load_settings(PRODUCTION))
    assert "k" * 48 not in text and "f" * 32 not in text
