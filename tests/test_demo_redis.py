"""The demo with ``$REDIS_URL``: its apps share a real redis-server for revoked sessions.

Plain HTTP, no browser: sign in on the Pyramid app, sign out, and the cookie from
before signing out is refused by every app, with the record in Redis.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import pytest

from tests.browser_harness import APPS, Demo, demo_fixture
from tests.redis_harness import RedisServer, running_server

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    yield from running_server()


@pytest.fixture(scope="module")
def demo(server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    yield from demo_fixture(tmp_path_factory, redis_url=server.url)


class _Browser:
    """Just enough of one: one session cookie, carried from response to request."""

    def __init__(self, base: str) -> None:
        address = urlsplit(base)
        self.connection = http.client.HTTPConnection(
            address.hostname or "127.0.0.1", address.port, timeout=10
        )
        self.cookie = ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> str:
        headers = {"Cookie": f"session={self.cookie}"} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        answer = self.connection.getresponse()
        text = answer.read().decode()
        for header in answer.headers.get_all("Set-Cookie") or ():
            if header.startswith("session="):
                self.cookie = header.split(";", 1)[0].removeprefix("session=")
        return text

    def csrf_token(self, page: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None
        return found.group(1)


def _whoami(url: str, cookie: str) -> dict[str, object]:
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=10)
    connection.request("GET", "/whoami", headers={"Cookie": f"session={cookie}"})
    answer: dict[str, object] = json.loads(connection.getresponse().read())
    connection.close()
    return answer


def test_a_cookie_from_before_signing_out_is_refused_by_every_app_with_redis(
    demo: Demo, server: RedisServer
) -> None:
    browser = _Browser(demo.pyramid)
    page = browser.request("GET", "/")
    browser.request("POST", "/login", {"csrf_token": browser.csrf_token(page), "username": "ada"})
    page = browser.request("GET", "/")
    signed_in = browser.cookie
    assert {app: _whoami(demo.urls[app], signed_in)["user"] for app in APPS} == dict.fromkeys(APPS, "ada")
    keys_before = len(server.client().keys("*"))
    browser.request("POST", "/logout", {"csrf_token": browser.csrf_token(page)})
    answers = {app: _whoami(demo.urls[app], signed_in) for app in APPS}
    assert {app: (a["user"], a["refusal"]) for app, a in answers.items()} == dict.fromkeys(
        APPS, (None, "revoked")
    )
    assert len(server.client().keys("*")) == keys_before + 1
    assert "revoked sessions are kept in Redis (from $REDIS_URL)" in demo.log.read_text()
