"""End to end in headless Chromium: the demo's sign-in, flash, cookie attributes and CSRF.

The promises the demo shows across its four apps (revocation, rotation, encryption,
layout, error pages) are in test_browser_demo.py; the fixtures in browser_harness.py.
A failing test leaves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from cookiesession._base64 import decode as b64decode
from cookiesession._base64 import encode as b64encode
from tests.browser_harness import (
    ROOT,
    Demo,
    browser,
    demo,
    has,
    page,
    put_cookie,
    session_cookie,
    sign_in,
)
from tests.conftest import require
from tests.served import free_port
from tests.session_harness import SECRET

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["browser", "demo", "page"]  # fixtures

pytestmark = pytest.mark.browser

SHA512_DIGEST = 64


def test_sign_in(page: Page, demo: Demo) -> None:
    page.goto(demo.pyramid)
    assert page.locator("#user").count() == 0
    sign_in(page, demo, "Ada <Lovelace>")
    assert page.inner_text("#user") == "Ada <Lovelace>"  # shown as text: escaped, not markup
    assert page.url == demo.pyramid


def test_a_flash_message_shows_exactly_once(page: Page, demo: Demo) -> None:
    sign_in(page, demo)
    assert page.locator(".flash").all_inner_texts() == ["Welcome, alice! You are signed in."]
    page.reload()
    assert page.locator(".flash").count() == 0
    assert page.inner_text("#user") == "alice"


def test_the_cart_survives_navigation(page: Page, demo: Demo) -> None:
    page.goto(demo.pyramid)
    assert page.inner_text("#cart-size") == "0"
    page.click("#add")
    page.click("#add")
    assert page.inner_text("#cart-size") == "2"
    page.goto(demo.pyramid + "session")
    assert '"a Pyramid paperweight"' in page.inner_text("#state")
    page.goto(demo.starlette)
    page.goto(demo.pyramid)
    assert page.inner_text("#cart-size") == "2"


def test_the_cookie_carries_httponly_samesite_lax_and_path(page: Page, demo: Demo) -> None:
    sign_in(page, demo)
    cookie = session_cookie(page.context)
    assert cookie is not None
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Lax", "/")
    assert (cookie["domain"], cookie["secure"]) == ("127.0.0.1", False)
    # HttpOnly: the page's own scripts cannot see it.
    assert page.evaluate("document.cookie") == ""


def test_editing_the_cookie_signs_the_user_out(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "alice")
    cookie = session_cookie(page.context)
    assert cookie is not None
    raw = b64decode(cookie["value"])
    payload = raw[SHA512_DIGEST:]
    assert b'"user": "alice"' in payload
    # Keep the signature, claim to be someone else.
    forged = b64encode(raw[:SHA512_DIGEST] + payload.replace(b'"alice"', b'"admin"'))
    put_cookie(page.context, demo, forged)
    assert session_cookie(page.context) == {**cookie, "value": forged}
    page.goto(demo.starlette)
    assert page.locator("#user").count() == 0
    page.goto(demo.pyramid)
    assert (page.locator("#user").count(), page.inner_text("#cart-size")) == (0, "0")


def test_signing_out_removes_the_cookie(page: Page, demo: Demo) -> None:
    sign_in(page, demo)
    assert session_cookie(page.context) is not None
    page.click("button:has-text('Sign out')")
    page.wait_for_url(demo.pyramid + "signed-out")
    assert session_cookie(page.context) is None
    page.goto(demo.starlette)
    assert page.locator("#user").count() == 0


def test_the_second_app_sees_the_signed_in_user(page: Page, demo: Demo) -> None:
    page.goto(demo.starlette)
    assert page.locator("#user").count() == 0
    sign_in(page, demo, "grace")
    page.click("#add")
    page.click("nav a:has-text('Starlette')")
    page.wait_for_url(demo.starlette)
    assert (page.inner_text("#user"), page.inner_text("#cart-size")) == ("grace", "1")


def test_a_form_without_the_session_csrf_token_is_refused(page: Page, demo: Demo) -> None:
    page.goto(demo.pyramid)
    page.eval_on_selector("form[action='/login'] input[name=csrf_token]", "el => { el.value = 'forged' }")
    page.fill("input[name=username]", "mallory")
    with page.expect_response(demo.pyramid + "login") as answer:
        page.click("button:has-text('Sign in')")
    assert answer.value.status == 400
    assert page.inner_text("h1") == "Form refused"
    page.goto(demo.pyramid)
    assert page.locator("#user").count() == 0


def test_a_sign_in_refused_again_and_again_keeps_one_message(demo: Demo) -> None:
    # A client that does not follow the redirect (so the page never shows the
    # message) posts a bad name over and over: one message in the cookie, no 500.
    import http.client
    from urllib.parse import urlencode, urlsplit

    host = urlsplit(demo.pyramid)
    connection = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port, timeout=10)
    connection.request("GET", "/")
    first = connection.getresponse()
    page = first.read().decode()
    cookie = first.getheader("Set-Cookie", "").split(";", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    body = urlencode({"csrf_token": token.group(1), "username": " "})
    statuses, lengths = set(), []
    for _ in range(70):
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/login", body=body, headers=headers)
        answer = connection.getresponse()
        answer.read()
        statuses.add(answer.status)
        cookie = (answer.getheader("Set-Cookie") or cookie).split(";", 1)[0]
        lengths.append(len(cookie))
    connection.close()
    assert (statuses, max(lengths) - min(lengths) < 100) == ({303}, True)


def _other_free_ports() -> list[str]:
    return ["--port", str(free_port()), "--flask-port", str(free_port()), "--django-port", str(free_port())]


def test_a_busy_port_for_the_starlette_app_is_one_line_and_exit_1() -> None:
    require(has("uvicorn") and has("waitress"), "uvicorn and waitress")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "demo", "--asgi-port", str(busy), *_other_free_ports()],
            cwd=ROOT,
            env={**os.environ, "COOKIESESSION_DEMO_SECRET": SECRET},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert (done.returncode, done.stdout, done.stderr.count("\n")) == (1, "", 1)
    assert done.stderr.startswith(f"demo: cannot listen on 127.0.0.1:{busy}: ") is True
