"""The demo's controls, in the Pyramid app: rotate the key, switch signed/encrypted, replay a cookie.

Rotating changes the board, and the request's session (made by the factory of
before) is written as usual; the next request's cookie is verified by a fallback
key and re-issued under the new one, by the library, on every app.

Switching the format cannot work that way (no factory reads the other format),
so the switch converts this browser's cookie itself, and these views never load
``request.session``: Pyramid would otherwise write the old format back on the
same response.  For the same reason Pyramid's CSRF check is off for them; the
format switch checks the token itself, on the session it loads.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response

from cookiesession import check_csrf_token

from .board import COOKIE_NAME, USER_KEY
from .pages import Site, escape
from .panels import cookie_section, notice
from .pyramid_app import REPLAY_COOKIE, csrf_field, demo_of, html

__all__ = ["PAGES", "UNCHECKED_POSTS"]


def keys_page(request: Request) -> Response:
    demo = demo_of(request)
    board = demo.board
    session = request.session
    cookie = request.cookies.get(COOKIE_NAME)
    user = session.get(USER_KEY)
    who = (
        f'<p>Signed in as <strong id="user">{escape(str(user))}</strong>.</p>'
        if user is not None
        else '<p>No one is signed in (<a href="/">sign in</a> to see the session survive).</p>'
    )
    current = board.current_key
    fallbacks = "".join(
        f"<li><strong>{key.label}</strong>: <code>{escape(key.secret)}</code></li>"
        for key in board.fallback_keys
    )
    sizes = board.sizes(dict(session.items()))
    fmt = "encrypted" if board.encrypted else "signed"
    other = "signed" if board.encrypted else "encrypted"
    field = csrf_field(request)
    flashes = "".join(f'<p class="flash" role="status">{escape(str(m))}</p>' for m in session.pop_flash())
    body = f"""{notice(board, cookie)}{flashes}{who}
<section aria-labelledby="keys-title"><h2 id="keys-title">Keys</h2>
<p>Current key <strong id="current-key">{current.label}</strong>
(<span class="demo-only">demo only</span>, shown so the commands below work):
<code id="current-secret">{escape(current.secret)}</code></p>
<p>Fallback keys (still verify; a cookie they verify is re-issued under the current key):</p>
<ul id="fallbacks">{fallbacks or "<li class=muted>(none yet)</li>"}</ul>
<form method="post" action="/rotate">{field}<button type="submit" id="rotate">Rotate the key</button></form>
</section>
<section aria-labelledby="format-title"><h2 id="format-title">Format</h2>
<p>Cookies are <strong id="format">{fmt}</strong> now. Your session would take
<span id="size-signed">{sizes["signed"]}</span> characters signed and
<span id="size-encrypted">{sizes["encrypted"]}</span> encrypted.</p>
<form method="post" action="/format">{field}
<input type="hidden" name="encrypted" value="{"no" if board.encrypted else "yes"}">
<button type="submit" id="switch-format">Switch to {other}</button></form>
<p class="muted">The switch converts your browser's cookie; other browsers get a fresh session,
since no factory reads the other format. (To change format without that, a factory's
<code>read_also</code> reads old cookies and re-issues them.)</p></section>
{cookie_section(board, demo.recorder, cookie)}"""
    return html(request, "Keys and format", body)


def rotate(request: Request) -> Response:
    board = demo_of(request).board
    before = board.current_key
    new = board.rotate()
    request.session.flash(
        f"Rotated: {new.label} signs from now on, {before.label} became a fallback. This response "
        f"still wrote your cookie under {before.label}; the page now re-issues it under {new.label}."
    )
    return HTTPSeeOther(location="/keys")


def switch_format(request: Request) -> Response:
    board = demo_of(request).board
    cookie = request.cookies.get(COOKIE_NAME)
    before = board.factory
    old = before.from_cookie_value(cookie)
    if not check_csrf_token(old, request.POST.get("csrf_token")):
        body = """<p class="notice" role="alert">The form's CSRF token did not match the session.</p>
<p><a href="/keys">Back</a></p>"""
        return html(request, "Form refused", body, status=400)
    response = HTTPSeeOther(location="/keys")
    before = board.set_encrypted(request.POST.get("encrypted") == "yes")
    if board.factory is before:
        return response
    # The same session (its id, so a sign-out still revokes every copy) in the new format.
    converted = board.factory.from_cookie_value(None)
    converted.update(dict(old.items()))
    converted.created = old.created
    header = converted.set_cookie_header()
    if header is not None:
        response.headers.add("Set-Cookie", header)
    return response


def replay(request: Request) -> Response:
    # No session loaded, no CSRF check: the browser only gets back a cookie it held.
    response = HTTPSeeOther(location="/replayed")
    ended = request.cookies.get(REPLAY_COOKIE)
    if ended:
        response.set_cookie(COOKIE_NAME, ended, httponly=True, samesite="Lax", path="/")
    return response


def replayed(request: Request) -> Response:
    # Does not load the session either: the replayed cookie stays in the browser, so
    # that each app can be visited with it too.
    demo = demo_of(request)
    cookie = request.cookies.get(COOKIE_NAME)
    if not cookie:
        return html(request, "Replay", '<p>There is no cookie to replay. <a href="/">Home</a></p>')
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda site: (site, _ask(site, cookie)), demo.sites.all()))
    rows = "".join(_row(site, answer) for site, answer in answers)
    body = f"""{notice(demo.board, cookie)}
<p>Your browser holds the cookie it had before signing out again. Each app was asked who it
belongs to:</p>
<table id="replay-results"><thead><tr><th>App</th><th>Answer</th></tr></thead><tbody>{rows}</tbody></table>
<p class="muted">Open any app from the bar above: it refuses the cookie and puts a fresh session in
its place (replay again to try the next one).</p>"""
    return html(request, "Replaying an old cookie", body)


def _ask(site: Site, cookie: str) -> dict[str, Any]:
    """The app's /whoami answer for a request carrying ``cookie``."""
    # The demo's own http://127.0.0.1 addresses, never a user's.
    ask = urllib.request.Request(site.url + "whoami", headers={"Cookie": f"{COOKIE_NAME}={cookie}"})  # noqa: S310
    try:
        with urllib.request.urlopen(ask, timeout=10) as answer:  # noqa: S310 - the demo's own loopback URL
            found: dict[str, Any] = json.load(answer)
            return found
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return {"error": str(exc)}


def _row(site: Site, answer: dict[str, Any]) -> str:
    if "error" in answer:
        verdict = f'<span class="refused">no answer ({escape(str(answer["error"]))})</span>'
    elif answer.get("user") is None:
        why = "revoked" if answer.get("refusal") == "revoked" else "did not verify"
        verdict = f'<span class="refused">refused ({why}): no one is signed in</span>'
    else:
        verdict = f'<span class="accepted">signed in as {escape(str(answer["user"]))}</span>'
    return f'<tr id="replay-{site.key}"><td>{escape(site.framework)}</td><td>{verdict}</td></tr>'


PAGES = (
    ("keys", "/keys", keys_page, "GET"),
    ("rotate", "/rotate", rotate, "POST"),
    ("replayed", "/replayed", replayed, "GET"),
)
UNCHECKED_POSTS = (
    ("format", "/format", switch_format),
    ("replay", "/replay", replay),
)
