"""The Pyramid half of the demo: sign in and out, flash messages, a visit counter.

Every form is CSRF-protected by Pyramid itself (``require_csrf``), with the
token that Pyramid keeps in the session, i.e. in the signed cookie.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator
from pyramid.csrf import get_csrf_token
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response

from cookiesession.session import CookieSession

from .pages import escape, iso, page, pretty_json

__all__ = ["make_app"]

_MAX_NAME = 40
_APP = "Pyramid + waitress"


class _Settings:
    """What the pages show about the session factory (read from the factory itself)."""

    def __init__(self, factory: type[CookieSession], other_app_url: str) -> None:
        self.timeout = factory._limits.timeout
        self.absolute_timeout = factory._limits.absolute_timeout
        self.reissue_after = factory._reissue_after  # infinity when reads never renew
        self.cookie_name = factory._cookie.name
        self.other_app_url = other_app_url


def _nav(settings: _Settings) -> list[tuple[str, str]]:
    return [("Home", "/"), ("Session", "/session"), ("Starlette app", settings.other_app_url)]


def _html(request: Request, title: str, body: str, status: int = 200) -> Response:
    settings: _Settings = request.registry.settings["demo"]
    return Response(page(title, body, app=_APP, nav=_nav(settings)), status=status, charset="utf-8")


def _flashes(session: Any) -> str:
    # pop_flash: each message is shown once, then gone from the cookie.
    shown = [f'<p class="flash error" role="alert">{escape(str(m))}</p>' for m in session.pop_flash("error")]
    shown += [f'<p class="flash" role="status">{escape(str(m))}</p>' for m in session.pop_flash()]
    return "".join(shown)


def home(request: Request) -> Response:
    session = request.session
    visits = session.get("visits", 0) + 1
    session["visits"] = visits
    user = session.get("user")
    token = escape(get_csrf_token(request))
    if user is None:
        form = f"""<p>You are not signed in.</p>
<form method="post" action="/login">
  <input type="hidden" name="csrf_token" value="{token}">
  <label>Name <input type="text" name="username" maxlength="{_MAX_NAME}" required autofocus></label>
  <button type="submit">Sign in</button>
</form>"""
    else:
        form = f"""<p>Signed in as <strong id="user">{escape(str(user))}</strong>.</p>
<form method="post" action="/logout">
  <input type="hidden" name="csrf_token" value="{token}">
  <button type="submit">Sign out</button>
</form>"""
    body = f"""{_flashes(session)}
{form}
<p>Visits to this page in this session: <strong id="visits">{visits}</strong></p>
<p class="muted">Everything here lives in one signed cookie; the server stores nothing.
<a href="/session">See what the session holds</a>, or open the
<a href="{escape(request.registry.settings["demo"].other_app_url)}">Starlette app</a>,
which reads the same cookie.</p>"""
    return _html(request, "Home", body)


def login(request: Request) -> Response:
    # Pyramid has already checked the CSRF token (require_csrf=True).
    session = request.session
    name = request.POST.get("username", "").strip()
    if not name or len(name) > _MAX_NAME:
        # Once, however often it is posted without the page being shown (each message
        # would otherwise add to the cookie until it no longer fits).
        session.flash(f"Please enter a name of 1 to {_MAX_NAME} characters.", "error", allow_duplicate=False)
        return HTTPSeeOther(location="/")
    session["user"] = name
    # A new token for the signed-in user: one seen before signing in is not reused.
    session.new_csrf_token()
    session.flash(f"Welcome, {name}! You are signed in.")
    return HTTPSeeOther(location="/")


def logout(request: Request) -> Response:
    # invalidate() deletes the cookie; nothing may be written after it, or a new one is made.
    request.session.invalidate()
    return HTTPSeeOther(location="/signed-out")


def signed_out(request: Request) -> Response:
    # Does not touch the session, so the browser is left without a cookie.
    body = """<p role="status">You are signed out: the response deleted the session cookie.</p>
<p><a href="/">Back to the home page</a> (it starts a new session).</p>"""
    return _html(request, "Signed out", body)


def session_page(request: Request) -> Response:
    settings: _Settings = request.registry.settings["demo"]
    session = request.session
    state = dict(session.items())
    if session.new and not state:
        body = '<p>You have no session yet. <a href="/">Visit the home page</a> to start one.</p>'
        return _html(request, "Your session", body)
    # Reading the session renews it (reissue_time): the cookie this response sends is dated now.
    renews = session.accessed - session.renewed > settings.reissue_after
    issued = session.accessed if renews else session.renewed
    rows = [
        ("created", f"{iso(session.created)} (when you first arrived)"),
        ("cookie issued", f"{iso(issued)}" + (" (renewed by this page)" if renews else "")),
    ]
    if settings.timeout is not None:
        rows.append(
            (
                "expires when idle",
                f'<span id="expires">{iso(issued + settings.timeout)}</span> '
                f"(idle timeout: {settings.timeout} s after the cookie was issued)",
            )
        )
    if settings.absolute_timeout is not None:
        rows.append(
            (
                "expires at the latest",
                f"{iso(session.created + settings.absolute_timeout)} "
                f"(absolute timeout: {settings.absolute_timeout} s after created)",
            )
        )
    rows.append(("now", iso(time.time())))
    cookie = request.cookies.get(settings.cookie_name, "")
    details = "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in rows)
    body = f"""<p>The session's state, read from the <code>{escape(settings.cookie_name)}</code> cookie
({len(cookie)} characters, signed, <code>HttpOnly; SameSite=Lax; Path=/</code>):</p>
<pre id="state">{pretty_json(state)}</pre>
<dl>{details}</dl>
<p class="muted">Decode it yourself with <code>cookiesession decode</code> and the demo's secret.</p>"""
    return _html(request, "Your session", body)


def bad_csrf(exc: BadCSRFToken, request: Request) -> Response:
    body = """<p class="flash error" role="alert">The form's CSRF token did not match: the page was stale,
or the form was not ours.</p><p><a href="/">Back to the home page</a></p>"""
    return _html(request, "Form refused", body, status=400)


def make_app(session_factory: type[CookieSession], *, other_app_url: str) -> Callable[..., Any]:
    """The WSGI app, with its sessions from ``session_factory``."""
    with Configurator(settings={"demo": _Settings(session_factory, other_app_url)}) as config:
        config.set_session_factory(session_factory)
        # Every POST must carry the session's token as `csrf_token` (or X-CSRF-Token).
        config.set_default_csrf_options(require_csrf=True)
        for name, path, view, method in (
            ("home", "/", home, "GET"),
            ("login", "/login", login, "POST"),
            ("logout", "/logout", logout, "POST"),
            ("signed_out", "/signed-out", signed_out, "GET"),
            ("session", "/session", session_page, "GET"),
        ):
            config.add_route(name, path)
            config.add_view(view, route_name=name, request_method=method)
        config.add_exception_view(bad_csrf, context=BadCSRFToken)
        app: Callable[..., Any] = config.make_wsgi_app()
    return app
