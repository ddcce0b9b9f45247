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

from cookiesession.signing import b64decode, b64encode
from tests.conftest import require

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
DEMO_SECRET = "browser-test-demo-secret-" * 4
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
    env = {**os.environ, "COOKIESESSION_DEMO_SECRET": DEMO_SECRET}
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
