"""The Flask app: ``flask.session`` on the same cookie, read and written.

:class:`cookiesession.flask.CookieSessionInterface` given the board's factory;
the factory changes when the key rotates or the format switches, so the app's
session interface asks the board on every request and keeps one interface per
factory it has seen.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, Response, abort, redirect, request, session
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.exceptions import HTTPException

from cookiesession import check_csrf_token
from cookiesession.flask import CookieSessionInterface
from cookiesession.session import CookieSession

from .board import COOKIE_NAME, USER_KEY, Board
from .pages import FAVICON, FAVICON_TYPE, error_page, escape, page
from .panels import Demo, add_to_cart, shop_page, shown

__all__ = ["make_app"]


class BoardSessionInterface(SessionInterface):
    """Flask's session from the board's factory of the moment."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self._interfaces: dict[type[CookieSession], CookieSessionInterface] = {}
        self._lock = threading.Lock()

    def _interface(self) -> CookieSessionInterface:
        factory = self.board.factory
        with self._lock:
            found = self._interfaces.get(factory)
            if found is None:
                # Few: one per rotation or switch.
                found = self._interfaces[factory] = CookieSessionInterface(factory)
            return found

    def open_session(self, app: Flask, request: Any) -> SessionMixin | None:
        return self._interface().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Any) -> None:
        # Any of them writes a session the way its own class says.
        self._interface().save_session(app, session, response)


def make_app(demo: Demo) -> Flask:
    site, sites, board = demo.sites.flask, demo.sites, demo.board
    app = Flask(__name__)
    app.session_interface = BoardSessionInterface(board)

    @app.get("/")
    def home() -> str:
        token = session.get_csrf_token()  # type: ignore[attr-defined]  # a cookiesession session
        field = f'<input type="hidden" name="csrf_token" value="{escape(token)}">'
        view = shown(session, request.cookies.get(COOKIE_NAME), field)
        return shop_page(board, demo.recorder, site, sites, view)

    @app.post("/cart")
    def cart() -> Any:
        if not check_csrf_token(session, request.form.get("csrf_token")):
            abort(400, "The form's CSRF token did not match the session.")
        add_to_cart(session, site)
        return redirect("/", 303)

    @app.get("/whoami")
    def whoami() -> dict[str, Any]:
        refusal = board.refusal(request.cookies.get(COOKIE_NAME))
        return {"framework": "Flask", "user": session.get(USER_KEY), "refusal": refusal}

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(FAVICON, mimetype=FAVICON_TYPE, headers={"Cache-Control": "max-age=86400"})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int, dict[str, str]]:
        status = exc.code or 500
        if status in (404, 405):
            allowed = ", ".join(getattr(exc, "valid_methods", None) or ())
            headers = {"Allow": allowed} if allowed else {}
            return error_page(status, request.path, site=site, sites=sites, allowed=allowed), status, headers
        body = (
            f'<p class="notice" role="alert">{escape(exc.description or "")}</p><p><a href="/">Back</a></p>'
        )
        return page("Refused", body, site=site, sites=sites), status, {}

    return app
