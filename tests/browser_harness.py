"""Shared by the browser tests: the demo in a subprocess, one headless Chromium per module,
a fresh page per test that leaves a screenshot when the test fails.

The demo runs as ``python -m demo`` on free loopback ports; Debian's Chromium
(/usr/bin/chromium) is driven by Playwright, which never downloads a browser here.
A test module imports the fixtures it uses (``demo``, ``browser``, ``page``).
"""

from __future__ import annotations

import importlib.util
import os
import re
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

from tests.conftest import require
from tests.served import free_port, stop_process
from tests.session_harness import SECRET

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

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
APPS = ("pyramid", "starlette", "flask", "django")
PORT_OPTIONS = {
    "pyramid": "--port",
    "starlette": "--asgi-port",
    "flask": "--flask-port",
    "django": "--django-port",
}


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - a loopback http URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@dataclass(frozen=True)
class Demo:
    urls: dict[str, str]  # each app's base URL, ending in '/'
    log: Path

    @property
    def pyramid(self) -> str:
        return self.urls["pyramid"]

    @property
    def starlette(self) -> str:
        return self.urls["starlette"]

    @property
    def flask(self) -> str:
        return self.urls["flask"]

    @property
    def django(self) -> str:
        return self.urls["django"]


def demo_fixture(tmp_path_factory: pytest.TempPathFactory, redis_url: str | None = None) -> Iterator[Demo]:
    """The body of a module-scoped fixture: the running demo, its revoked sessions in
    memory, or in Redis at ``redis_url``."""
    for module in ("pyramid", "waitress", "starlette", "uvicorn", "flask", "django", "cryptography"):
        require(has(module), module)
    ports = {app: free_port() for app in APPS}
    log = tmp_path_factory.mktemp("demo") / "demo.log"
    env = {**os.environ, "COOKIESESSION_DEMO_SECRET": SECRET}
    env.pop("REDIS_URL", None)
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    arguments = [word for app in APPS for word in (PORT_OPTIONS[app], str(ports[app]))]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "demo", *arguments],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    demo = Demo({app: f"http://127.0.0.1:{ports[app]}/" for app in APPS}, log)
    try:
        deadline = time.monotonic() + 30
        while not all(_answers(url + "favicon.ico") for url in demo.urls.values()):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the demo did not start (exit code {proc.poll()}):\n{log.read_text()}")
            time.sleep(0.1)
        yield demo
    finally:
        stop_process(proc)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The running demo, its revoked sessions in memory: one per test module."""
    yield from demo_fixture(tmp_path_factory)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module."""
    require(has("playwright"), "Playwright for Python")
    require(os.access(CHROMIUM, os.X_OK), f"Chromium at {CHROMIUM} (Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def screenshot_on_failure(request: pytest.FixtureRequest, tab: Page, suffix: str = "") -> None:
    """A full-page screenshot of ``tab`` in test-artifacts/ (gitignored) if the test failed."""
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name + (f"-{suffix}" if suffix else ""))
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a fresh context (its own cookie jar); a screenshot if the test failed.
    What its console reports as errors is kept: see :func:`console_errors`."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    _CONSOLE_ERRORS[id(tab)] = errors
    try:
        yield tab
    finally:
        screenshot_on_failure(request, tab)
        _CONSOLE_ERRORS.pop(id(tab), None)
        context.close()


_CONSOLE_ERRORS: dict[int, list[str]] = {}


def console_errors(tab: Page) -> list[str]:
    """The errors the page's console showed so far (messages, and uncaught script errors)."""
    return list(_CONSOLE_ERRORS.get(id(tab), ()))


def sign_in(page: Page, demo: Demo, name: str = "alice") -> None:
    page.goto(demo.pyramid)
    page.fill("input[name=username]", name)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("#user")


def session_cookie(context: BrowserContext) -> dict[str, Any] | None:
    found = [dict(c) for c in context.cookies() if c.get("name") == "session"]
    assert len(found) <= 1
    return found[0] if found else None


def put_cookie(context: BrowserContext, demo: Demo, value: str) -> None:
    """Set the session cookie in the browser's jar by hand (for every port of 127.0.0.1)."""
    context.add_cookies(
        [{"name": "session", "value": value, "url": demo.pyramid, "httpOnly": True, "sameSite": "Lax"}]
    )
