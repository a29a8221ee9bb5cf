"""``TONEARM_TRUSTED_PROXIES``: forwarded headers believed from trusted peers only — the
``Secure`` cookie and the own origin behind TLS, the login limit's client address, the
access log — and ignored from anyone else."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.accounts import PASSWORD, make_user
from tonearm.app import create_app
from tonearm.settings import Settings
from tonearm.web.proxies import forwarded_client, forwarded_scheme, is_trusted

LOOPBACK = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128")]
PROXIES = [ipaddress.ip_network("10.0.0.0/24")]
LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
  __typename ... on LoginRateLimited { retryAfterSeconds } } }"""
PUBLIC = "https://music.example.org"


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("10.0.0.5", ["198.51.100.7"], "198.51.100.7"),
        # A client's own X-Forwarded-For is on the left: the proxy appended what it saw.
        ("10.0.0.5", ["1.2.3.4, 198.51.100.7"], "198.51.100.7"),
        ("10.0.0.5", ["1.2.3.4", "198.51.100.7, 10.0.0.9"], "198.51.100.7"),
        ("10.0.0.5", ["10.0.0.8, 10.0.0.9"], "10.0.0.8"),  # every hop trusted
        ("10.0.0.5", ["not-an-ip, 198.51.100.7"], "198.51.100.7"),
        ("10.0.0.5", ["198.51.100.7, garbage"], "10.0.0.5"),  # the hop that passed it on
        ("10.0.0.5", ["198.51.100.7, 10.0.0.9, junk"], "10.0.0.5"),
        ("10.0.0.5", [" , "], "10.0.0.5"),
        ("10.0.0.5", ["2001:db8::1"], "2001:db8::1"),
        ("203.0.113.9", ["198.51.100.7"], "203.0.113.9"),  # an untrusted peer is the client
        ("::ffff:10.0.0.5", ["198.51.100.7"], "198.51.100.7"),  # IPv4 on a dual-stack socket
    ],
)
def test_the_client_is_the_right_most_untrusted_hop(
    peer: str, forwarded: list[str], client: str
) -> None:
    assert forwarded_client(peer, forwarded, PROXIES) == client


@pytest.mark.parametrize(
    ("values", "scheme"),
    [
        (["https"], "https"),
        (["HTTP"], "http"),
        (["http, https"], "https"),
        (["https", "http"], "http"),
        (["wss"], "https"),
        (["gopher"], None),
        ([""], None),
        ([], None),
    ],
)
def test_the_scheme_is_the_nearest_proxys(values: list[str], scheme: str | None) -> None:
    assert forwarded_scheme(values) == scheme


def test_nothing_is_trusted_without_networks() -> None:
    assert not is_trusted("127.0.0.1", [])
    assert not is_trusted("localhost", LOOPBACK)
    assert is_trusted("::1", LOOPBACK)


def test_the_setting_defaults_to_loopback_and_takes_networks(
    make_settings: Callable[..., Settings],
) -> None:
    assert make_settings().trusted_proxy_networks() == LOOPBACK
    assert make_settings(trusted_proxies="").trusted_proxy_networks() == []
    assert make_settings(trusted_proxies=" 10.0.0.0/24, 192.0.2.1 ").trusted_proxy_networks() == [
        ipaddress.ip_network("10.0.0.0/24"),
        ipaddress.ip_network("192.0.2.1/32"),
    ]


@pytest.mark.parametrize("value", ["nginx.local", "10.0.0.0/33", "*"])
def test_a_setting_that_is_not_an_address_is_refused(
    make_settings: Callable[..., Settings], value: str
) -> None:
    with pytest.raises(ValidationError, match="is not an IP address or network"):
        make_settings(trusted_proxies=value)


@pytest.fixture
def build_app(
    make_settings: Callable[..., Settings], database_url_for_test: str, media_root: Path
) -> Callable[..., FastAPI]:
    def build(**overrides: Any) -> FastAPI:
        settings = make_settings(
            database_url=database_url_for_test, media_root=media_root, **overrides
        )
        return create_app(settings)

    return build


@pytest.fixture
async def listener(engine: AsyncEngine) -> None:
    await make_user(engine, "listener")


def client_from(app: FastAPI, peer: str) -> httpx.AsyncClient:
    """A client whose connection comes from ``peer``, addressed to the public name over HTTP
    (as nginx's proxy_pass is)."""
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://music.example.org")


async def login(
    client: httpx.AsyncClient,
    *,
    password: str = PASSWORD,
    username: str = "listener",
    **headers: str,
) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"u": username, "p": password}},
        headers={"Origin": PUBLIC, **headers},
    )


@pytest.fixture
def behind_tls(build_app: Callable[..., FastAPI]) -> FastAPI:
    return build_app(trusted_proxies="10.0.0.0/24")


async def test_behind_a_trusted_tls_proxy_the_session_cookie_is_secure(
    behind_tls: FastAPI, listener: None
) -> None:
    async with client_from(behind_tls, "10.0.0.5") as client:
        response = await login(
            client, **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
        )

    assert response.status_code == 200
    assert response.json() == {"data": {"login": {"__typename": "User"}}}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("tonearm_session=")
    assert "; Secure" in cookie


async def test_the_public_https_origin_passes_the_csrf_check_without_cors_origins(
    behind_tls: FastAPI, listener: None
) -> None:
    # Without X-Forwarded-Proto tonearm's own origin is http://…, and https://… is foreign.
    async with client_from(behind_tls, "10.0.0.5") as client:
        plain = await login(client)
        forwarded = await login(client, **{"X-Forwarded-Proto": "https"})

    assert plain.json()["errors"][0]["extensions"] == {"code": "CSRF_REJECTED"}
    assert forwarded.json() == {"data": {"login": {"__typename": "User"}}}
    assert "; Secure" in forwarded.headers["set-cookie"]


async def test_an_untrusted_peer_cannot_claim_https(
    build_app: Callable[..., FastAPI], listener: None
) -> None:
    app = build_app(trusted_proxies="10.0.0.0/24")
    async with client_from(app, "203.0.113.9") as client:
        response = await login(
            client,
            Origin="http://music.example.org",
            **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"},
        )

    assert response.json() == {"data": {"login": {"__typename": "User"}}}
    assert "Secure" not in response.headers["set-cookie"]


async def test_with_no_trusted_proxies_loopback_headers_are_ignored_too(
    build_app: Callable[..., FastAPI], listener: None
) -> None:
    app = build_app(trusted_proxies="")
    async with client_from(app, "127.0.0.1") as client:
        response = await login(
            client, Origin="http://music.example.org", **{"X-Forwarded-Proto": "https"}
        )

    assert response.json() == {"data": {"login": {"__typename": "User"}}}
    assert "Secure" not in response.headers["set-cookie"]


async def test_the_login_limit_counts_the_forwarded_client_address(
    behind_tls: FastAPI, listener: None
) -> None:
    headers = {"X-Forwarded-Proto": "https"}
    async with client_from(behind_tls, "10.0.0.5") as client:
        for number in range(10):
            await login(
                client,
                username=f"user{number}",
                password="wrong password!",
                **headers,
                **{"X-Forwarded-For": "198.51.100.7"},
            )
        limited = await login(client, **headers, **{"X-Forwarded-For": "198.51.100.7"})
        # Another client behind the same proxy is not locked out with the first.
        other = await login(client, **headers, **{"X-Forwarded-For": "198.51.100.8"})

    assert limited.json()["data"]["login"]["__typename"] == "LoginRateLimited"
    assert other.json() == {"data": {"login": {"__typename": "User"}}}


async def test_an_untrusted_peer_cannot_dodge_the_login_limit_with_forged_addresses(
    behind_tls: FastAPI, listener: None
) -> None:
    async with client_from(behind_tls, "203.0.113.9") as client:
        for number in range(10):
            await login(
                client,
                username=f"user{number}",
                password="wrong password!",
                Origin="http://music.example.org",
                **{"X-Forwarded-For": f"198.51.100.{number}"},
            )
        limited = await login(
            client, Origin="http://music.example.org", **{"X-Forwarded-For": "192.0.2.1"}
        )

    assert limited.json()["data"]["login"]["__typename"] == "LoginRateLimited"


async def test_the_access_log_names_the_forwarded_client(
    behind_tls: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    async with client_from(behind_tls, "10.0.0.5") as client:
        with caplog.at_level(logging.INFO, logger="tonearm.access"):
            response = await client.get("/healthz", headers={"X-Forwarded-For": "198.51.100.7"})

    assert response.status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "tonearm.access"]
    assert len(lines) == 1
    assert lines[0].startswith('198.51.100.7 "GET /healthz" 200 ')


async def test_a_named_instance_says_so_on_every_response(
    build_app: Callable[..., FastAPI],
) -> None:
    app = build_app(instance_name="replica-a")
    async with client_from(app, "127.0.0.1") as client:
        health = await client.get("/healthz")
        missing = await client.get("/api/tracks/00000000-0000-0000-0000-000000000000/stream")

    assert health.headers["x-tonearm-instance"] == "replica-a"
    assert missing.status_code == 401
    assert missing.headers["x-tonearm-instance"] == "replica-a"


async def test_an_unnamed_instance_sends_no_instance_header(
    build_app: Callable[..., FastAPI],
) -> None:
    async with client_from(build_app(), "127.0.0.1") as client:
        health = await client.get("/healthz")

    assert "x-tonearm-instance" not in health.headers
