"""The counter app, once for Pyramid (WSGI) and once for Starlette (ASGI).

``GET /count?client=ID``: the session remembers the ``client`` id of its first request and
counts requests; the response echoes both, so a client can tell its session from anyone
else's.  ``GET /plain``: the same work without touching the session (the baseline).
"""

from __future__ import annotations

import os
from typing import Any

from cookiesession import SignedCookieSessionFactory

SECRET_ENV = "LOADTEST_SECRET"


def session_factory() -> Any:
    # A fresh random secret per run, handed down by the runner; never a fixed test key.
    return SignedCookieSessionFactory(os.environ[SECRET_ENV], timeout=1200)


def _count(session: Any, client: str) -> dict[str, Any]:
    if "client" not in session:
        session["client"] = client
    session["n"] = session.get("n", 0) + 1
    return {"client": session["client"], "n": session["n"]}


def pyramid_app() -> Any:
    from pyramid.config import Configurator

    config = Configurator()
    config.set_session_factory(session_factory())
    config.add_route("count", "/count")
    config.add_view(
        lambda request: _count(request.session, request.GET.get("client", "")),
        route_name="count",
        renderer="json",
    )
    config.add_route("plain", "/plain")
    config.add_view(
        lambda request: {"client": request.GET.get("client", ""), "n": 0}, route_name="plain", renderer="json"
    )
    return config.make_wsgi_app()


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from cookiesession.asgi import SessionMiddleware

    async def count(request: Request) -> JSONResponse:
        return JSONResponse(_count(request.session, request.query_params.get("client", "")))

    async def plain(request: Request) -> JSONResponse:
        return JSONResponse({"client": request.query_params.get("client", ""), "n": 0})

    app = Starlette(routes=[Route("/count", count), Route("/plain", plain)])
    return SessionMiddleware(app, session_factory())
