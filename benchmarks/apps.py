"""The same small application in each framework, bare, with its own session, and with ours.

Used by ``views.py`` (called in this process through ``calling.py``) and ``e2e.py`` (served on
127.0.0.1).  Every application has the same routes, each a view that does one
thing with the session and answers ``ok``:

* ``/read``: read the counter, the state's last key (after its lists);
* ``/rw``: read the counter and write it back plus one;
* ``/new``: write a key the state does not have;
* ``/many``: read five keys;
* ``/iter``: go through every key and value;
* ``/fill?state=NAME``: store the whole state ``NAME`` (to mint a cookie).

The bare application answers every route with ``ok`` and never touches a session:
the session's cost is a request to the session's application minus the same
request to the bare one.  ``SINK`` keeps what the last view read, for the checks.
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

SECRET = "cookiesession-bench-" + "0123456789abcdef" * 4
COOKIE_NAME = "session"
COUNTER = "counter"
NEW_KEY = "last_seen"
NEW_VALUE = 1700000123
MANY_KEYS = ("user_id", "username", "email", "login_count", COUNTER)
VIEWS = ("read", "rw", "new", "many", "iter")
FRAMEWORKS = ("pyramid", "flask", "starlette", "django")
KINDS = ("bare", "theirs", "ours")
#: Frameworks whose views are also timed with the floor (``floor_session.py``).
FLOOR_FRAMEWORKS = ("pyramid",)
#: What each framework's own session is (Django's default engine keeps sessions in
#: a database: its cookie-based engine is the like-for-like peer).
PEER_NAMES = {
    "pyramid": "pyramid.session",
    "flask": "Flask's SecureCookieSession",
    "starlette": "Starlette's SessionMiddleware",
    "django": "Django's signed_cookies engine",
}

SINK: dict[str, Any] = {}


def _states() -> dict[str, dict[str, Any]]:
    rnd = random.Random(20240601)
    medium: dict[str, Any] = {
        "user_id": 42,
        "username": "alice.example",
        "email": "alice@example.com",
        "display_name": "Alice Example",
        "roles": ["editor", "viewer", "billing"],
        "login_count": 1234,
        "last_login": 1699999000,
        "last_path": "/account/settings/notifications",
        "recent_ids": [rnd.randrange(100000, 999999) for _ in range(20)],
        "prefs": {"theme": "dark", "lang": "en-US", "tz": "Europe/Berlin", "page_size": 50, "beta": True},
        "_csrft_": f"{rnd.getrandbits(160):040x}",
        COUNTER: 7,
    }
    large = {key: value for key, value in medium.items() if key != COUNTER}
    words = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
    large["cart"] = [
        {"sku": f"{rnd.getrandbits(48):012x}", "qty": rnd.randrange(1, 5), "name": rnd.choice(words)}
        for _ in range(28)
    ]
    large["history"] = [f"/{rnd.choice(words)}/{rnd.randrange(10000)}" for _ in range(20)]
    large[COUNTER] = 7
    return {"tiny": {"user_id": 42, COUNTER: 7}, "medium": medium, "large": large}


STATES = _states()


# -- the views, on any mapping -----------------------------------------------------------------


def _read(session: Any) -> None:
    SINK["value"] = session[COUNTER]


def _rw(session: Any) -> None:
    value = session[COUNTER]
    session[COUNTER] = value + 1
    SINK["value"] = value


def _new(session: Any) -> None:
    session[NEW_KEY] = NEW_VALUE


def _many(session: Any) -> None:
    SINK["value"] = [session.get(key) for key in MANY_KEYS]


def _iter(session: Any) -> None:
    SINK["value"] = sum(1 for _key, _value in session.items())


ACTIONS: dict[str, Callable[[Any], None]] = {
    "read": _read,
    "rw": _rw,
    "new": _new,
    "many": _many,
    "iter": _iter,
}


def _fill(session: Any, state: str) -> None:
    session.update(STATES[state])


# -- Pyramid -----------------------------------------------------------------------------------


def pyramid_app(kind: str) -> Any:
    from pyramid.config import Configurator
    from pyramid.response import Response

    factory: Any = None
    if kind == "theirs":
        from pyramid.session import SignedCookieSessionFactory as Theirs

        factory = Theirs(SECRET)
    elif kind == "ours":
        from cookiesession import SignedCookieSessionFactory as Ours

        factory = Ours(SECRET)
    elif kind == "floor":
        from floor_session import FloorSession

        factory = FloorSession
    config = Configurator(session_factory=factory)

    def route(name: str, action: Callable[[Any], None] | None) -> None:
        def view(request: Any) -> Any:
            if action is not None:
                action(request.session)
            return Response("ok")

        config.add_route(name, "/" + name)
        config.add_view(view, route_name=name)

    for name in VIEWS:
        route(name, None if kind == "bare" else ACTIONS[name])

    def fill(request: Any) -> Any:
        _fill(request.session, request.params["state"])
        return Response("ok")

    config.add_route("fill", "/fill")
    config.add_view(fill, route_name="fill")
    return config.make_wsgi_app()


# -- Flask -------------------------------------------------------------------------------------


def flask_app(kind: str) -> Any:
    import flask

    app = flask.Flask(f"bench_{kind}")
    if kind != "bare":  # without a secret key Flask gives its null session
        app.secret_key = SECRET
    if kind == "ours":
        from cookiesession.flask import CookieSessionInterface

        app.session_interface = CookieSessionInterface()

    def route(name: str, action: Callable[[Any], None] | None) -> None:
        def view() -> str:
            if action is not None:
                action(flask.session)
            return "ok"

        app.add_url_rule("/" + name, name, view)

    for name in VIEWS:
        route(name, None if kind == "bare" else ACTIONS[name])

    def fill() -> str:
        _fill(flask.session, flask.request.args["state"])
        return "ok"

    app.add_url_rule("/fill", "fill", fill)
    return app


# -- Starlette ---------------------------------------------------------------------------------


def starlette_app(kind: str) -> Any:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    middleware = []
    if kind == "theirs":
        from starlette.middleware.sessions import SessionMiddleware as Theirs

        middleware.append(Middleware(Theirs, secret_key=SECRET))
    elif kind == "ours":
        from cookiesession.starlette import SessionMiddleware as Ours

        middleware.append(Middleware(Ours, secret_key=SECRET))

    def endpoint(action: Callable[[Any], None] | None) -> Any:
        async def view(request: Any) -> Any:
            if action is not None:
                action(request.session)
            return PlainTextResponse("ok")

        return view

    async def fill(request: Any) -> Any:
        _fill(request.session, request.query_params["state"])
        return PlainTextResponse("ok")

    routes = [Route("/" + name, endpoint(None if kind == "bare" else ACTIONS[name])) for name in VIEWS]
    routes.append(Route("/fill", fill))
    return Starlette(routes=routes, middleware=middleware)


# -- Django ------------------------------------------------------------------------------------

DJANGO_ENGINES = {
    "theirs": "django.contrib.sessions.backends.signed_cookies",
    "ours": "cookiesession.django",
}


def _django_view(action: Callable[[Any], None] | None) -> Any:
    from django.http import HttpResponse

    def view(request: Any) -> Any:
        if action is not None:
            action(request.session)
        return HttpResponse("ok")

    return view


def _django_fill(request: Any) -> Any:
    from django.http import HttpResponse

    _fill(request.session, request.GET["state"])
    return HttpResponse("ok")


def _django_urls() -> list[Any]:
    from django.urls import path

    urls = [path(name, _django_view(ACTIONS[name])) for name in VIEWS]
    # The bare views live under bare/ (Django picks its URLs per process, not per handler).
    urls += [path("bare/" + name, _django_view(None)) for name in VIEWS]
    urls.append(path("fill", _django_fill))
    return urls


urlpatterns: list[Any] = []  # ROOT_URLCONF


def _django_setup() -> None:
    from django.conf import settings

    if settings.configured:
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="django-" + SECRET,
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["cookiesession.django"],
        MIDDLEWARE=[],
        SESSION_ENGINE=DJANGO_ENGINES["ours"],
        COOKIESESSION={"secret": SECRET},
        SESSION_COOKIE_NAME=COOKIE_NAME,
        USE_TZ=True,
    )
    import django

    django.setup()
    urlpatterns[:] = _django_urls()


def django_app(kind: str) -> Any:
    """A WSGI handler with Django's SessionMiddleware and the kind's engine (bare:
    no middleware at all; see ``path_for``)."""
    _django_setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    if kind == "bare":
        with override_settings(MIDDLEWARE=[]):
            return WSGIHandler()
    with override_settings(
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
        SESSION_ENGINE=DJANGO_ENGINES[kind],
    ):
        return WSGIHandler()


def path_for(framework: str, kind: str, view: str) -> str:
    """The path of ``view`` in that application."""
    if framework == "django" and kind == "bare":
        return "/bare/" + view
    return "/" + view


BUILDERS: dict[str, Callable[[str], Any]] = {
    "pyramid": pyramid_app,
    "flask": flask_app,
    "starlette": starlette_app,
    "django": django_app,
}


def set_cookie_of(headers: list[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name == "set-cookie" and value.strip().startswith(COOKIE_NAME + "="):
            return value.strip()
    return None


def state_json_length(state: str) -> int:
    return len(json.dumps(STATES[state]))
