"""The Starlette half of the demo: it reads the cookie the Pyramid app writes.

Same factory, same secret, same cookie: ``request.session`` here is the session
that Pyramid's ``request.session`` is over there.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from cookiesession.asgi import SessionMiddleware
from cookiesession.session import CookieSession

from .pages import escape, page

__all__ = ["make_app"]

_APP = "Starlette + uvicorn"


def make_app(session_factory: type[CookieSession], *, other_app_url: str) -> SessionMiddleware:
    """The ASGI app; ``other_app_url`` is the Pyramid app's address."""
    home_url = escape(other_app_url)
    nav = [("Pyramid app", other_app_url), ("Session", other_app_url.rstrip("/") + "/session")]

    async def home(request: Request) -> HTMLResponse:
        user = request.session.get("user")
        visits = request.session.get("visits", 0)
        if user is None:
            text = f'<p>No one is signed in. <a href="{home_url}">Sign in on the Pyramid app</a>.</p>'
        else:
            text = (
                f'<p>Signed in as <strong id="user">{escape(str(user))}</strong>, '
                f"according to the cookie the Pyramid app signed.</p>"
                f"<p>The Pyramid home page counted "
                f'<strong id="visits">{escape(str(visits))}</strong> visit(s).</p>'
            )
        body = f"""{text}
<p class="muted">This is a different framework, server and port; cookies are shared by every port of
a host, and both apps verify them with the same secret.</p>"""
        return HTMLResponse(page("Starlette", body, app=_APP, nav=nav, badge="#6b4fbb"))

    async def whoami(request: Request) -> JSONResponse:
        return JSONResponse({"user": request.session.get("user")})

    app = Starlette(routes=[Route("/", home), Route("/whoami", whoami)])
    return SessionMiddleware(app, session_factory)
