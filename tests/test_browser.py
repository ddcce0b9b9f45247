"""End to end in headless Chromium: the demo (Pyramid + Starlette sharing one cookie).

The demo runs as `python -m demo` in a subprocess on free loopback ports; Debian's
Chromium (/usr/bin/chromium) is driven by Playwright, which never downloads a browser
here.  A failing test leaves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cookiesession._base64 import decode as b64decode
from cookiesession._base64 import encode as b64encode
from tests.conftest import require
from tests.session_harness import SECRET

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHA512_DIGEST = 64


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - a loopback http URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@dataclass(frozen=True)
class Demo:
    pyramid: str  # base URLs, ending in '/'
    starlette: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    for module, what in (
        ("pyramid", "Pyramid"),
        ("waitress", "waitress"),
        ("starlette", "Starlette"),
        ("uvicorn", "uvicorn"),
    ):
        require(_has(module), what)
    port, asgi_port = _free_port(), _free_port()
    log = tmp_path_factory.mktemp("demo") / "demo.log"
    env = {**os.environ, "COOKIESESSION_DEMO_SECRET": SECRET}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "demo", "--port", str(port), "--asgi-port", str(asgi_port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    urls = Demo(f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{asgi_port}/")
    try:
        deadline = time.monotonic() + 30
        while not (_answers(urls.pyramid + "signed-out") and _answers(urls.starlette + "whoami")):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the demo did not start (exit code {proc.poll()}):\n{log.read_text()}")
            time.sleep(0.1)
        yield urls
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require(_has("playwright"), "Playwright for Python")
    require(os.access(CHROMIUM, os.X_OK), f"Chromium at {CHROMIUM} (Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a fresh context (its own cookie jar); a screenshot if the test failed."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
            tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        context.close()


def _sign_in(page: Page, demo: Demo, name: str = "alice") -> None:
    page.goto(demo.pyramid)
    page.fill("input[name=username]", name)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("#user")


def _session_cookie(context: BrowserContext) -> dict[str, Any] | None:
    found = [dict(c) for c in context.cookies() if c.get("name") == "session"]
    assert len(found) <= 1
    return found[0] if found else None


def test_sign_in(page: Page, demo: Demo) -> None:
    page.goto(demo.pyramid)
    assert page.locator("#user").count() == 0
    _sign_in(page, demo, "Ada <Lovelace>")
    assert page.inner_text("#user") == "Ada <Lovelace>"  # shown as text: escaped, not markup
    assert page.url == demo.pyramid


def test_a_flash_message_shows_exactly_once(page: Page, demo: Demo) -> None:
    _sign_in(page, demo)
    assert page.locator(".flash").all_inner_texts() == ["Welcome, alice! You are signed in."]
    page.reload()
    assert page.locator(".flash").count() == 0
    assert page.inner_text("#user") == "alice"


def test_the_counter_survives_navigation(page: Page, demo: Demo) -> None:
    page.goto(demo.pyramid)
    assert page.inner_text("#visits") == "1"
    page.goto(demo.pyramid)
    assert page.inner_text("#visits") == "2"
    page.click("a:has-text('See what the session holds')")
    assert '"visits": 2' in page.inner_text("#state")
    page.goto(demo.starlette)
    page.goto(demo.pyramid)
    assert page.inner_text("#visits") == "3"


def test_the_cookie_carries_httponly_samesite_lax_and_path(page: Page, demo: Demo) -> None:
    _sign_in(page, demo)
    cookie = _session_cookie(page.context)
    assert cookie is not None
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Lax", "/")
    assert (cookie["domain"], cookie["secure"]) == ("127.0.0.1", False)
    # HttpOnly: the page's own scripts cannot see it.
    assert page.evaluate("document.cookie") == ""


def test_editing_the_cookie_signs_the_user_out(page: Page, demo: Demo) -> None:
    _sign_in(page, demo, "alice")
    cookie = _session_cookie(page.context)
    assert cookie is not None
    raw = b64decode(cookie["value"])
    payload = raw[SHA512_DIGEST:]
    assert b'"user": "alice"' in payload
    # Keep the signature, claim to be someone else.
    forged = b64encode(raw[:SHA512_DIGEST] + payload.replace(b'"alice"', b'"admin"'))
    page.context.add_cookies(
        [{"name": "session", "value": forged, "url": demo.pyramid, "httpOnly": True, "sameSite": "Lax"}]
    )
    assert _session_cookie(page.context) == {**cookie, "value": forged}
    page.goto(demo.starlette)
    assert page.locator("#user").count() == 0
    page.goto(demo.pyramid)
    assert (page.locator("#user").count(), page.inner_text("#visits")) == (0, "1")


def test_signing_out_removes_the_cookie(page: Page, demo: Demo) -> None:
    _sign_in(page, demo)
    assert _session_cookie(page.context) is not None
    page.click("button:has-text('Sign out')")
    page.wait_for_url(demo.pyramid + "signed-out")
    assert _session_cookie(page.context) is None
    page.goto(demo.starlette)
    assert page.locator("#user").count() == 0


def test_the_second_app_sees_the_signed_in_user(page: Page, demo: Demo) -> None:
    page.goto(demo.starlette)
    assert page.locator("#user").count() == 0
    _sign_in(page, demo, "grace")
    page.goto(demo.pyramid)  # visits: the first page, the one after signing in, this one
    page.click("a:has-text('Starlette app')")
    page.wait_for_url(demo.starlette)
    assert (page.inner_text("#user"), page.inner_text("#visits")) == ("grace", "3")


def test_a_form_without_the_session_csrf_token_is_refused(page: Page, demo: Demo) -> None:
    page.goto(demo.pyramid)
    page.eval_on_selector("input[name=csrf_token]", "el => { el.value = 'forged' }")
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


def test_a_busy_port_for_the_starlette_app_is_one_line_and_exit_1() -> None:
    require(_has("uvicorn") and _has("waitress"), "uvicorn and waitress")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "demo", "--port", str(_free_port()), "--asgi-port", str(busy)],
            cwd=ROOT,
            env={**os.environ, "COOKIESESSION_DEMO_SECRET": SECRET},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert (done.returncode, done.stdout, done.stderr.count("\n")) == (1, "", 1)
    assert done.stderr.startswith(f"demo: cannot listen on 127.0.0.1:{busy}: ") is True
