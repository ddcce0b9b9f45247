"""Real Pyramid apps driven by WebTest, with browsers (cookie jars) that move between them.

A "fleet" is several app instances behind one host name: every user keeps one cookie
jar, and each request may be served by any instance.  WebTest's ``TestApp`` keeps its
jar in ``.cookiejar``, so a request as a given user swaps that user's jar in.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from http import cookiejar
from typing import Any

HAVE_PYRAMID = all(importlib.util.find_spec(m) is not None for m in ("pyramid", "webob", "webtest"))
if HAVE_PYRAMID:
    import webtest
    from pyramid.config import Configurator
    from pyramid.request import Request
    from pyramid.response import Response

View = Callable[[Any], Any]


def pyramid_app(factory: Any, views: dict[str, View], *, https: bool = False) -> Any:
    """A WebTest app of a real Pyramid app with session ``factory``, one route per view."""
    config = Configurator()
    config.set_session_factory(factory)
    for name, view in views.items():
        config.add_route(name, f"/{name}")
        config.add_view(view, route_name=name)
    extra = {"wsgi.url_scheme": "https", "HTTP_HOST": "localhost:443"} if https else None
    return webtest.TestApp(config.make_wsgi_app(), extra_environ=extra)


def login(request: Request) -> Response:
    request.session["user"] = request.params["user"]
    return Response("ok")


def whoami(request: Request) -> Response:
    """A read-only view: the signed-in user ("" if none) and the session's ``created``."""
    session = request.session
    return Response(json.dumps({"user": session.get("user", ""), "created": session.created}))


ACCOUNT_VIEWS: dict[str, View] = {"login": login, "whoami": whoami}


class User:
    """One browser: a cookie jar that goes with it from instance to instance."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.jar = cookiejar.CookieJar(policy=webtest.app.CookiePolicy())

    def get(self, app: Any, path: str, **kwargs: Any) -> Any:
        app.cookiejar = self.jar
        return app.get(path, **kwargs)

    def cookie(self, name: str = "session") -> str | None:
        values = [c.value for c in self.jar if c.name == name]
        return values[-1] if values else None

    def whoami(self, app: Any) -> dict[str, Any]:
        return json.loads(self.get(app, "/whoami").text)  # type: ignore[no-any-return]
