"""The parts every app's page shows, whatever the framework: the user and the cart,
the notice for a refused cookie, and the cookie itself.

Each app hands over plain values (the user, the cart, the cookie its request
carried, the hidden CSRF field of its own framework), so the four apps show the
same session the same way.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from .board import USER_KEY, Board
from .pages import Site, Sites, escape, page
from .recorder import Recorder

__all__ = [
    "CART_LIMIT",
    "ITEMS",
    "Demo",
    "Shown",
    "add_to_cart",
    "cookie_section",
    "notice",
    "shop_page",
    "shown",
    "user_and_cart",
]

# What each app puts in the cart: proof that each one writes the shared session.
ITEMS = {
    "pyramid": "a Pyramid paperweight",
    "starlette": "a Starlette star",
    "flask": "a Flask flask",
    "django": "a Django pony",
}
CART_LIMIT = 8  # the oldest item goes first: a cookie holds about 4 KB
SHA512_DIGEST = 64  # the signature in front of a signed cookie's payload

_NOTICES = {
    "bad": "Your cookie did not verify; you have a fresh session.",
    "revoked": "Your cookie was signed out (its session is revoked everywhere); you have a fresh session.",
}


@dataclass(frozen=True)
class Demo:
    """What every app is given: the shared board, the header recorder, and where each app is."""

    board: Board
    recorder: Recorder
    sites: Sites


@dataclass(frozen=True)
class Shown:
    """What a page shows of the request's session, in plain values."""

    user: str | None
    cart: list[str]
    cookie: str | None  # the session cookie the request carried
    csrf_field: str  # the framework's own hidden form field, already HTML


def shown(session: Mapping[str, Any], cookie: str | None, csrf_field: str) -> Shown:
    user = session.get(USER_KEY)
    cart = session.get("cart")
    return Shown(
        None if user is None else str(user),
        [str(item) for item in cart] if isinstance(cart, list) else [],
        cookie,
        csrf_field,
    )


def add_to_cart(session: MutableMapping[str, Any], site: Site) -> None:
    """Write to the session: assigned whole, which every framework's session notices."""
    cart = session.get("cart")
    cart = list(cart) if isinstance(cart, list) else []
    session["cart"] = [*cart, ITEMS[site.key]][-CART_LIMIT:]


def notice(board: Board, cookie: str | None) -> str:
    """A visible notice when the browser's cookie was refused."""
    refusal = board.refusal(cookie)
    if refusal is None:
        return ""
    return f'<p class="notice" id="notice" role="alert">{escape(_NOTICES[refusal])}</p>'


def user_and_cart(site: Site, sites: Sites, view: Shown) -> str:
    if view.user is None:
        who = f"""<p>No one is signed in. <a href="{escape(sites.pyramid.url)}">Sign in on the
Pyramid app</a>; every app then sees you.</p>"""
    else:
        who = f'<p>Signed in as <strong id="user">{escape(view.user)}</strong>.</p>'
    items = "".join(f"<li>{escape(item)}</li>" for item in view.cart) or "<li class=muted>(empty)</li>"
    return f"""{who}
<section aria-labelledby="cart-title">
<h2 id="cart-title">Cart (<span id="cart-size">{len(view.cart)}</span>)</h2>
<ol id="cart">{items}</ol>
<form method="post" action="/cart">{view.csrf_field}
<button type="submit" id="add">Add {escape(ITEMS[site.key])}</button></form>
<p class="muted">Every app adds its own item to the same cart, in the same cookie.</p></section>"""


def cookie_section(board: Board, recorder: Recorder, cookie: str | None) -> str:
    """The cookie the browser sent: its format, the key that verifies it, its bytes,
    the ``Set-Cookie`` that set it, and the command line that decodes it."""
    if not cookie:
        return """<section><h2>Your cookie</h2><p id="cookie-none">Your browser sent no session cookie
with this request.</p></section>"""
    found = board.key_of(cookie)
    if found is None:
        verified = '<span class="refused">verified by no key the demo knows</span>'
    else:
        key, encrypted = found
        role = "the current key" if key == board.current_key else "a fallback key since a rotation"
        verified = (
            f'{"encrypted" if encrypted else "signed"} with <strong id="cookie-key">{key.label}</strong> '
            f"({role})"
        )
    header = recorder.header_for(cookie)
    command = board.decode_command(cookie)
    set_cookie = (
        f'<pre id="set-cookie">Set-Cookie: {escape(header)}</pre>'
        if header
        else "<p class=muted>(set before the demo started, or by hand)</p>"
    )
    decode = (
        f"""<p>Decode it yourself (<span class="demo-only">demo only</span>: never put a real secret
on a command line):</p><pre id="decode-command">{escape(command)}</pre>"""
        if command
        else ""
    )
    return f"""<section aria-labelledby="cookie-title"><h2 id="cookie-title">Your cookie</h2>
<p>The <code>session</code> cookie your browser sent (<span id="cookie-size">{len(cookie)}</span>
characters), {verified}:</p>
<pre id="cookie-value">{escape(cookie)}</pre>
{_inside(cookie, found)}
<p>The <code>Set-Cookie</code> header of the response that gave it to your browser:</p>
{set_cookie}
{decode}</section>"""


def _inside(cookie: str, found: tuple[Any, bool] | None) -> str:
    if found is None:
        return ""
    if found[1]:
        return """<p id="cookie-inside">Encrypted: without the key, the value says nothing of what the
session holds (AES-GCM; it is also authenticated, so it cannot be edited).</p>"""
    try:
        raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
    except (binascii.Error, ValueError):
        return ""
    payload = raw[SHA512_DIGEST:].decode("utf-8", "replace")
    return f"""<p>Signed, not encrypted: anyone holding it can read it. Base64-decoded, after the
64-byte signature, it is plain JSON, <code>[accessed, created, state]</code>:</p>
<pre id="cookie-inside">{escape(payload)}</pre>"""


def shop_page(board: Board, recorder: Recorder, site: Site, sites: Sites, view: Shown) -> str:
    """The home page of the Starlette, Flask and Django apps."""
    body = f"""{notice(board, view.cookie)}
{user_and_cart(site, sites, view)}
{cookie_section(board, recorder, view.cookie)}
<p class="muted">This page was served by {escape(site.framework)} on its own port; browsers send a
host's cookies to every port of it, and every app verifies them with the same key.</p>"""
    return page(site.framework, body, site=site, sites=sites)
