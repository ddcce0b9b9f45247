"""End to end in headless Chromium: what the demo promises, on its four apps.

One user across Pyramid, Starlette, Flask and Django, each reading and writing
the cart; sign-out that holds (a replayed cookie is refused everywhere); live key
rotation and format switch that keep the user; the tamper notice; the decode
command line; the 390 px layout, error pages, favicon, and a console without errors.
The board (keys, format) is the demo's, shared by the tests of this module: a
test that changes the format puts it back.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.browser_harness import (
    APPS,
    ROOT,
    Demo,
    browser,
    console_errors,
    demo,
    page,
    put_cookie,
    screenshot_on_failure,
    session_cookie,
    sign_in,
)
from tests.session_harness import SECRET

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = ["browser", "demo", "page"]  # fixtures

pytestmark = pytest.mark.browser

FRAMEWORKS = {"pyramid": "Pyramid", "starlette": "Starlette", "flask": "Flask", "django": "Django"}
ITEMS = {
    "pyramid": "a Pyramid paperweight",
    "starlette": "a Starlette star",
    "flask": "a Flask flask",
    "django": "a Django pony",
}


def _cookie_value(page: Page) -> str:
    cookie = session_cookie(page.context)
    assert cookie is not None
    value: str = cookie["value"]
    return value


def test_every_app_sees_the_user_and_writes_the_cart(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "grace")
    for app in APPS:
        page.goto(demo.urls[app])
        assert page.inner_text("#served-by").split(" ·")[0] == FRAMEWORKS[app]
        assert page.inner_text("#user") == "grace"
        page.click("#add")
        page.wait_for_url(demo.urls[app])
    assert page.locator("#cart li").all_inner_texts() == [ITEMS[app] for app in APPS]
    page.goto(demo.pyramid)
    assert (page.inner_text("#user"), page.inner_text("#cart-size")) == ("grace", "4")


def test_signing_in_starts_a_new_session_and_the_one_before_is_refused(page: Page, demo: Demo) -> None:
    page.goto(demo.pyramid)
    before = _cookie_value(page)
    sign_in(page, demo)
    assert _cookie_value(page) != before
    put_cookie(page.context, demo, before)  # a cookie planted before sign-in (session fixation)
    page.goto(demo.flask)
    assert page.inner_text("#notice").startswith("Your cookie was signed out")


def test_a_cookie_replayed_after_signing_out_is_refused_by_every_app(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "ada")
    page.goto(demo.django)
    page.goto(demo.pyramid)
    old = _cookie_value(page)  # the cookie the sign-out request carries
    page.click("button:has-text('Sign out')")
    page.wait_for_url(demo.pyramid + "signed-out")
    page.click("#replay")
    page.wait_for_url(demo.pyramid + "replayed")
    assert _cookie_value(page) == old
    for app in APPS:
        assert page.inner_text(f"#replay-{app} td:nth-child(2)").startswith("refused (revoked)")
    for app in APPS:  # and in the browser itself, on every app
        put_cookie(page.context, demo, old)
        page.goto(demo.urls[app])
        assert (page.locator("#user").count(), page.inner_text("#notice")) == (
            0,
            "Your cookie was signed out (its session is revoked everywhere); you have a fresh session.",
        )


def test_signing_out_of_all_devices_signs_out_the_other_browser_on_every_app(
    browser: Browser, page: Page, demo: Demo, request: pytest.FixtureRequest
) -> None:
    other_context = browser.new_context()
    other = other_context.new_page()
    try:
        sign_in(other, demo, "marie")  # the other device: signed in first
        stale = _cookie_value(other)
        sign_in(page, demo, "marie")
        page.click("#sign-out-everywhere")
        page.wait_for_url(demo.pyramid + "signed-out")
        assert session_cookie(page.context) is None
        for app in APPS:
            # Put back each time: the app that refuses it sends a fresh cookie in its place.
            put_cookie(other.context, demo, stale)
            other.goto(demo.urls[app])
            assert (other.locator("#user").count(), other.inner_text("#notice")) == (
                0,
                "Your cookie was signed out (its session is revoked everywhere); you have a fresh session.",
            )
        sign_in(other, demo, "marie")  # signing in again starts a session after the sign-out
        other.goto(demo.django)
        assert other.inner_text("#user") == "marie"
    finally:
        screenshot_on_failure(request, other, "other")
        other_context.close()


def test_rotating_the_key_keeps_the_user_and_reissues_the_cookie_under_the_new_key(
    page: Page, demo: Demo
) -> None:
    sign_in(page, demo, "linus")
    page.goto(demo.pyramid + "keys")
    before = page.inner_text("#current-key")
    page.click("#rotate")
    page.wait_for_url(demo.pyramid + "keys")
    after = page.inner_text("#current-key")
    assert after != before
    assert before in page.inner_text("#fallbacks")
    # The rotating response still wrote the cookie under the old key; this page re-issued it.
    assert (page.inner_text("#user"), page.inner_text("#cookie-key")) == ("linus", before)
    for app in APPS:
        page.goto(demo.urls[app])
        assert (page.inner_text("#user"), page.inner_text("#cookie-key")) == ("linus", after)


def test_switching_to_encryption_changes_the_cookie_and_keeps_the_user(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "hedy")
    page.goto(demo.pyramid + "keys")
    assert page.inner_text("#format") == "signed"
    signed = _cookie_value(page)
    assert '"user": "hedy"' in page.inner_text("#cookie-inside")
    sizes = (int(page.inner_text("#size-signed")), int(page.inner_text("#size-encrypted")))
    try:
        page.click("#switch-format")
        page.wait_for_url(demo.pyramid + "keys")
        assert page.inner_text("#format") == "encrypted"
        encrypted = _cookie_value(page)
        assert encrypted != signed
        assert "hedy" not in page.inner_text("#cookie-inside")
        assert page.inner_text("#cookie-inside").startswith("Encrypted")
        for app in APPS:
            page.goto(demo.urls[app])
            assert page.inner_text("#user") == "hedy"
            assert int(page.inner_text("#cookie-size")) > 0
            page.click("#add")
        page.goto(demo.pyramid)
        assert (page.inner_text("#user"), page.inner_text("#cart-size")) == ("hedy", "4")
        assert (min(sizes) > 0) is True
    finally:
        page.goto(demo.pyramid + "keys")
        if page.inner_text("#format") == "encrypted":
            page.click("#switch-format")
            page.wait_for_url(demo.pyramid + "keys")
    assert (page.inner_text("#format"), page.inner_text("#user")) == ("signed", "hedy")


def _tampered(value: str) -> str:
    # One character changed in the middle: the signature (or the GCM tag) no longer matches.
    middle = len(value) // 2
    return value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1 :]


def test_an_edited_cookie_gives_a_visible_notice_and_a_fresh_session_on_every_app(
    page: Page, demo: Demo
) -> None:
    sign_in(page, demo, "eve")
    forged = _tampered(_cookie_value(page))
    for app in APPS:
        put_cookie(page.context, demo, forged)
        page.goto(demo.urls[app])
        assert (page.locator("#user").count(), page.inner_text("#notice")) == (
            0,
            "Your cookie did not verify; you have a fresh session.",
        )


def test_the_decode_command_on_the_page_prints_the_session_page_state(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "barbara")
    page.click("#add")
    page.goto(demo.pyramid + "session")
    state = json.loads(page.inner_text("#state"))
    command = shlex.split(page.inner_text("#decode-command"))
    assert (command[0].split("=", 1)[0], command[1:3]) == (
        "COOKIESESSION_SECRET",
        ["cookiesession", "decode"],
    )
    done = subprocess.run(
        [sys.executable, "-m", "cookiesession", "decode", "--json", *command[3:]],
        env={"COOKIESESSION_SECRET": command[0].split("=", 1)[1], "PATH": ""},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["state"] == state
    page.goto(demo.pyramid + "keys")
    assert page.inner_text("#current-secret") == command[0].split("=", 1)[1]
    assert f"demo: the secret is {SECRET}\n" in demo.log.read_text()  # the first key, at start-up
    # The Set-Cookie shown is the one that gave the browser the cookie the page decodes.  It is
    # compared with this page's own command: the session page's response re-issued the cookie
    # if a second had begun since the one before (reissue_time=0), so the cookie sent here may
    # be a newer one than the command above decodes.
    sent = shlex.split(page.inner_text("#decode-command"))[-1]
    assert page.inner_text("#set-cookie").startswith(f"Set-Cookie: session={sent};")


def _pages(demo: Demo) -> list[str]:
    paths = ["", "session", "keys", "signed-out"]
    return [demo.pyramid + path for path in paths] + [demo.urls[app] for app in APPS[1:]]


def test_every_page_fits_a_390_px_screen(
    browser: Browser, demo: Demo, request: pytest.FixtureRequest
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True
    )
    tab = context.new_page()
    try:
        sign_in(tab, demo, "a-rather-long-name-for-a-narrow-screen")
        tab.click("#add")
        widths = {}
        for url in [*_pages(demo), demo.flask + "nowhere", demo.pyramid + "logout"]:
            tab.goto(url)
            widths[url] = tab.evaluate("document.documentElement.scrollWidth")
        assert widths == dict.fromkeys(widths, 390)
    finally:
        screenshot_on_failure(request, tab)
        context.close()


def test_no_page_logs_a_console_error(page: Page, demo: Demo) -> None:
    sign_in(page, demo)
    for url in _pages(demo):
        page.goto(url)
        page.wait_for_load_state("load")
    page.goto(demo.pyramid + "keys")
    page.click("#rotate")
    page.wait_for_url(demo.pyramid + "keys")
    assert console_errors(page) == []


@pytest.mark.parametrize("app", APPS)
def test_an_unknown_address_gets_a_styled_404(page: Page, demo: Demo, app: str) -> None:
    answer = page.goto(demo.urls[app] + "no/such/page")
    assert answer is not None
    assert (answer.status, page.inner_text("h1"), page.inner_text("#served-by").split(" ·")[0]) == (
        404,
        "Not found",
        FRAMEWORKS[app],
    )


@pytest.mark.parametrize("app", APPS)
def test_opening_a_forms_target_gets_a_styled_405(page: Page, demo: Demo, app: str) -> None:
    path = "logout" if app == "pyramid" else "cart"
    answer = page.goto(demo.urls[app] + path)
    assert answer is not None
    allowed = answer.headers.get("allow", "").split(", ")
    assert (answer.status, "POST" in allowed, "GET" in allowed, page.inner_text("h1")) == (
        405,
        True,
        False,
        "Method not allowed",
    )


def test_every_app_serves_the_favicon(page: Page, demo: Demo) -> None:
    answers = {app: page.request.get(demo.urls[app] + "favicon.ico") for app in APPS}
    types = {app: (a.status, a.headers["content-type"].split(";")[0]) for app, a in answers.items()}
    assert types == dict.fromkeys(APPS, (200, "image/svg+xml"))
    page.goto(demo.pyramid)
    assert page.get_attribute("link[rel=icon]", "href") == "/favicon.ico"
