"""Flask apps for the Flask tests: one app on Flask's own session interface or on ours.

Import it only after ``require(...)`` has checked that Flask is installed (``make_app``
does so itself).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from tests.conftest import require
from tests.session_harness import SECRET

KINDS = ("flask", "ours")

#: What the /flags/<op> view does to the session before it reports the flags.
OPERATIONS: dict[str, Callable[[Any], object]] = {
    "nothing": lambda session: None,
    "read": lambda session: session.get("n"),
    "write": lambda session: session.__setitem__("n", 1),
    "pop-missing": lambda session: session.pop("missing", None),
    "pop": lambda session: session.pop("n", None),
    "permanent": lambda session: setattr(session, "permanent", True),
    "mark": lambda session: setattr(session, "modified", True),
    "setdefault": lambda session: session.setdefault("n", 0),
}


def make_app(kind: str, interface: Any = None, **config: Any) -> Any:
    """A Flask app on Flask's session interface (``kind="flask"``) or ours (``"ours"``),
    or on ``interface`` if given."""
    require(importlib.util.find_spec("flask") is not None, "Flask")
    from flask import Flask, flash, get_flashed_messages, jsonify, request, session
    from flask.sessions import SecureCookieSessionInterface

    from cookiesession.flask import CookieSessionInterface

    app = Flask(__name__)
    app.config.update({"SECRET_KEY": SECRET, **config})
    if interface is None:
        interface = CookieSessionInterface() if kind == "ours" else SecureCookieSessionInterface()
    app.session_interface = interface

    @app.get("/write")
    def write() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.get("/read")
    def read() -> str:
        return str(session.get("n"))

    @app.get("/nothing")
    def nothing() -> str:
        return "untouched"

    @app.get("/permanent/<int:on>")
    def permanent(on: int) -> str:
        session.permanent = bool(on)
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.get("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    @app.get("/flags/<op>")
    def flags(op: str) -> Any:
        # The flags as the view sees them after one operation (reading them through
        # flask.session is itself an access, as Flask documents).
        OPERATIONS[op](session)
        return jsonify({"modified": session.modified, "accessed": session.accessed})

    @app.get("/flash")
    def do_flash() -> str:
        flash("saved", "info")
        flash("careful", "warning")
        return "flashed"

    @app.get("/messages")
    def messages() -> str:
        return repr(get_flashed_messages(with_categories=True))

    @app.get("/cart")
    def cart() -> str:
        # An in-place change, which Flask's session cannot see: documented as needing
        # `modified = True`.
        session.setdefault("cart", []).append(request.args["item"])
        if request.args.get("mark"):
            session.modified = True
        return repr(session["cart"])

    @app.get("/append")
    def append() -> str:
        session["cart"].append(request.args["item"])  # in place, with no `modified = True`
        return repr(session["cart"])

    @app.get("/vary-merged")
    def vary_merged() -> Any:
        response = app.make_response(str(session.get("n")))
        response.vary.add("Accept-Encoding")
        return response

    @app.get("/boom")
    def boom() -> str:
        session["n"] = 99
        raise RuntimeError("boom")

    return app


def attributes(set_cookie: str) -> dict[str, str]:
    """A ``Set-Cookie`` header's attributes, names and values in lower case; ``Expires``
    and ``Max-Age`` are folded into ``lifetime``: ``deleted``, ``persistent`` or
    ``browser-session`` (Werkzeug and WebOb spell the same cookie differently)."""
    found: dict[str, str] = {}
    for part in set_cookie.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        found[name.lower()] = value.lower()
    max_age, expires = found.pop("max-age", None), found.pop("expires", None)
    if max_age == "0":
        found["lifetime"] = "deleted"
    elif max_age is not None or expires is not None:
        found["lifetime"] = "persistent"
    else:
        found["lifetime"] = "browser-session"
    return found


def sent(response: Any) -> list[str]:
    return response.headers.get_all("Set-Cookie")  # type: ignore[no-any-return]


def varies(response: Any) -> list[str]:
    return response.headers.get_all("Vary")  # type: ignore[no-any-return]
