"""The Pyramid app: signing in and out, the cart, the session page, and the error pages.

It is the demo's home: the other apps send people here to sign in.  Every form is
CSRF-protected by Pyramid itself (``require_csrf``), with the token that Pyramid
keeps in the session, i.e. in the shared cookie.  The demo's own controls (keys,
format, replay) are in :mod:`demo.pyramid_controls`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator
from pyramid.csrf import get_csrf_token
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response

from cookiesession import revoke_user

from .board import ABSOLUTE_TIMEOUT, COOKIE_NAME, TIMEOUT, USER_KEY
from .pages import FAVICON, FAVICON_TYPE, error_page, escape, iso, page, pretty_json
from .panels import Demo, add_to_cart, cookie_section, notice, shown, user_and_cart

__all__ = ["REPLAY_COOKIE", "html", "make_app"]

_MAX_NAME = 40
#: Where signing out keeps the cookie it ended, for the "replay" button (HttpOnly, this browser only).
REPLAY_COOKIE = "demo_replay"


def demo_of(request: Request) -> Demo:
    demo: Demo = request.registry.settings["demo"]
    return demo


def html(request: Request, title: str, body: str, status: int = 200) -> Response:
    demo = demo_of(request)
    text = page(title, body, site=demo.sites.pyramid, sites=demo.sites)
    return Response(text, status=status, charset="utf-8")


def csrf_field(request: Request) -> str:
    return f'<input type="hidden" name="csrf_token" value="{escape(get_csrf_token(request))}">'


def _flashes(session: Any) -> str:
    # pop_flash: each message is shown once, then gone from the cookie.
    messages = [
        f'<p class="flash error" role="alert">{escape(str(m))}</p>' for m in session.pop_flash("error")
    ]
    messages += [f'<p class="flash" role="status">{escape(str(m))}</p>' for m in session.pop_flash()]
    return "".join(messages)


def home(request: Request) -> Response:
    demo = demo_of(request)
    session = request.session
    cookie = request.cookies.get(COOKIE_NAME)
    field = csrf_field(request)
    view = shown(session, cookie, field)
    if view.user is None:
        account = f"""<form method="post" action="/login">{field}
  <label>Name <input type="text" name="username" maxlength="{_MAX_NAME}" required autofocus></label>
  <button type="submit">Sign in</button></form>"""
    else:
        account = f"""<form method="post" action="/logout">{field}
  <button type="submit">Sign out</button></form>
<form method="post" action="/logout-everywhere">{field}
  <button type="submit" id="sign-out-everywhere">Sign out of all my devices</button></form>"""
    site = demo.sites.pyramid
    body = f"""{notice(demo.board, cookie)}{_flashes(session)}
{user_and_cart(site, demo.sites, view)}
{account}
<p class="muted">Everything here lives in one cookie; the server keeps nothing but the ids of
signed-out sessions. Open the other apps from the bar above: they read and write the same cookie.
<a href="/keys">Rotate the key or switch to encryption</a>, or
<a href="/session">see what the session holds</a>.</p>
{cookie_section(demo.board, demo.recorder, cookie)}"""
    return html(request, "Pyramid", body)


def login(request: Request) -> Response:
    # Pyramid has already checked the CSRF token (require_csrf=True).
    session = request.session
    name = request.POST.get("username", "").strip()
    if not name or len(name) > _MAX_NAME:
        # Once, however often it is posted without the page being shown (each message
        # would otherwise add to the cookie until it no longer fits).
        session.flash(f"Please enter a name of 1 to {_MAX_NAME} characters.", "error", allow_duplicate=False)
        return HTTPSeeOther(location="/")
    # Against session fixation: a new session id (the old one revoked) before it
    # carries a user, and a new CSRF token too.
    session.regenerate()
    session.new_csrf_token()
    session[USER_KEY] = name
    session.flash(f"Welcome, {name}! You are signed in.")
    return HTTPSeeOther(location="/")


def logout(request: Request) -> Response:
    response = HTTPSeeOther(location="/signed-out")
    ended = request.cookies.get(COOKIE_NAME)
    if ended:
        # Kept only so that the demo can replay it: a real app keeps no copy.
        response.set_cookie(REPLAY_COOKIE, ended, httponly=True, samesite="Lax", path="/")
    # invalidate() deletes the cookie and records its id as revoked in the shared store.
    request.session.invalidate()
    return response


def logout_everywhere(request: Request) -> Response:
    # Every session of this user created before now is refused, on every app: the
    # other browsers' cookies, and this one's (which logout() also deletes).
    user = request.session.get(USER_KEY)
    if user is not None:
        revoke_user(demo_of(request).board.factory, user)
    return logout(request)


def signed_out(request: Request) -> Response:
    # Does not touch the session, so the browser is left without a cookie.
    replay = ""
    if request.cookies.get(REPLAY_COOKIE):
        replay = """<form method="post" action="/replay">
<button type="submit" id="replay">Replay the cookie I had before signing out</button></form>
<p class="muted">Puts the old cookie back into your browser, then asks every app who it belongs to.</p>"""
    body = f"""<p role="status">You are signed out: the response deleted the session cookie, and the
session's id is now revoked, so a copy of the cookie is refused too.</p>
{replay}
<p><a href="/">Back to the home page</a> (it starts a new session).</p>"""
    return html(request, "Signed out", body)


def cart(request: Request) -> Response:
    add_to_cart(request.session, demo_of(request).sites.pyramid)
    return HTTPSeeOther(location="/")


def session_page(request: Request) -> Response:
    demo = demo_of(request)
    session = request.session
    cookie = request.cookies.get(COOKIE_NAME)
    state = dict(session.items())
    if session.new and not state:
        body = f"""{notice(demo.board, cookie)}
<p>You have no session yet. <a href="/">Visit the home page</a> to start one.</p>"""
        return html(request, "Your session", body)
    # Every read renews the session (reissue_time=0): the cookie this response sends is dated now.
    rows = [
        ("created", f"{iso(session.created)} (when this session started: at sign-in, or your first visit)"),
        ("accessed", f"{iso(session.accessed)} (this request)"),
        ("expires when idle", f'<span id="expires">{iso(session.accessed + TIMEOUT)}</span> ({TIMEOUT} s)'),
        ("expires at the latest", f"{iso(session.created + ABSOLUTE_TIMEOUT)} ({ABSOLUTE_TIMEOUT} s)"),
        ("now", iso(time.time())),
    ]
    details = "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in rows)
    body = f"""{notice(demo.board, cookie)}
<p>The session's state, read from the <code>{COOKIE_NAME}</code> cookie (<code>_csrft_</code> is the
CSRF token, <code>_sid_</code> the id that signing out revokes):</p>
<pre id="state">{pretty_json(state)}</pre>
<dl>{details}</dl>
{cookie_section(demo.board, demo.recorder, cookie)}"""
    return html(request, "Your session", body)


def whoami(request: Request) -> Response:
    """Who the cookie belongs to, for the replay page (which asks every app)."""
    cookie = request.cookies.get(COOKIE_NAME)
    answer = {
        "framework": "Pyramid",
        "user": request.session.get(USER_KEY),
        "refusal": demo_of(request).board.refusal(cookie),
    }
    return Response(json.dumps(answer), content_type="application/json", charset="utf-8")


def favicon(request: Request) -> Response:
    return Response(FAVICON, content_type=FAVICON_TYPE, cache_control="max-age=86400")


def not_found(exc: HTTPNotFound, request: Request) -> Response:
    demo = demo_of(request)
    text = error_page(404, request.path, site=demo.sites.pyramid, sites=demo.sites)
    return Response(text, status=404, charset="utf-8")


def method_not_allowed(request: Request) -> Response:
    demo = demo_of(request)
    text = error_page(405, request.path, site=demo.sites.pyramid, sites=demo.sites, allowed="POST")
    return Response(text, status=405, charset="utf-8", headers={"Allow": "POST"})


def bad_csrf(exc: BadCSRFToken, request: Request) -> Response:
    body = """<p class="flash error" role="alert">The form's CSRF token did not match: the page was stale,
or the form was not ours.</p><p><a href="/">Back to the home page</a></p>"""
    return html(request, "Form refused", body, status=400)


_PAGES = (
    ("home", "/", home, "GET"),
    ("login", "/login", login, "POST"),
    ("logout", "/logout", logout, "POST"),
    ("logout_everywhere", "/logout-everywhere", logout_everywhere, "POST"),
    ("signed_out", "/signed-out", signed_out, "GET"),
    ("cart", "/cart", cart, "POST"),
    ("session", "/session", session_page, "GET"),
    ("whoami", "/whoami", whoami, "GET"),
    ("favicon", "/favicon.ico", favicon, "GET"),
)


def make_app(demo: Demo) -> Callable[..., Any]:
    """The WSGI app; its sessions come from the board's factory of the moment."""

    def session_factory(request: Request) -> Any:
        return demo.board.factory(request)

    # Imported here: the controls' module uses this one's helpers.
    from . import pyramid_controls

    with Configurator(settings={"demo": demo}) as config:
        config.set_session_factory(session_factory)
        # Every POST must carry the session's token as `csrf_token` (or X-CSRF-Token).
        config.set_default_csrf_options(require_csrf=True)
        for name, path, view, method in (*_PAGES, *pyramid_controls.PAGES):
            config.add_route(name, path)
            config.add_view(view, route_name=name, request_method=method)
            if method == "POST":  # a form's target, opened as a page: a styled 405
                config.add_view(method_not_allowed, route_name=name, request_method=("GET", "HEAD"))
        for name, path, view in pyramid_controls.UNCHECKED_POSTS:
            config.add_route(name, path)
            # No Pyramid CSRF check: these views must not load the session (see there).
            config.add_view(view, route_name=name, request_method="POST", require_csrf=False)
            config.add_view(method_not_allowed, route_name=name, request_method=("GET", "HEAD"))
        config.add_notfound_view(not_found)
        config.add_exception_view(bad_csrf, context=BadCSRFToken)
        app: Callable[..., Any] = config.make_wsgi_app()
    return app
