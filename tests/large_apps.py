"""One small app per framework that stores a given state in its session and reads it back,
for the round-trip tests of large sessions (``test_large_sessions_frameworks``).

Each :class:`Client` keeps its framework's own test client (and so its cookie jar):
``put(state)`` makes a request whose view replaces the session's state with
``state`` and returns the response's ``Set-Cookie`` values; ``read()`` makes a
request whose view returns the session's state as the application sees it (the
objects themselves, handed over in-process, so that every type can be compared).
Import only after ``require(...)`` found the framework.
"""

from __future__ import annotations

from typing import Any

from cookiesession import EncryptedCookieSessionFactory, RichJSONSerializer, SignedCookieSessionFactory
from tests.session_harness import SECRET


class Client:
    """What a framework's app saw and sent; see the module's docstring."""

    def __init__(self) -> None:
        self.given: dict[str, Any] = {}
        self.seen: dict[str, Any] | None = None

    def put(self, state: dict[str, Any]) -> list[str]:
        self.given = state
        return self._request("/put")

    def read(self) -> dict[str, Any] | None:
        self.seen = None
        self._request("/read")
        return self.seen

    def _request(self, path: str) -> list[str]:
        raise NotImplementedError

    # The views' bodies, the same in every framework.
    def store(self, session: Any) -> None:
        session.clear()
        session.update(self.given)

    def look(self, session: Any) -> None:
        self.seen = dict(session.items())


def factory(serializer: str, compress: bool, max_cookies: int, encrypt: bool = False) -> Any:
    make = EncryptedCookieSessionFactory if encrypt else SignedCookieSessionFactory
    chosen = RichJSONSerializer() if serializer == "rich" else None
    return make(SECRET, serializer=chosen, compress=compress, max_cookies=max_cookies)


class PyramidClient(Client):
    def __init__(self, session_factory: Any) -> None:
        super().__init__()
        import webtest
        from pyramid.config import Configurator
        from pyramid.response import Response

        config = Configurator()
        config.set_session_factory(session_factory)
        for name, body in (("put", self.store), ("read", self.look)):
            config.add_route(name, f"/{name}")
            config.add_view(_pyramid_view(body, Response), route_name=name)
        self.app = webtest.TestApp(config.make_wsgi_app())

    def _request(self, path: str) -> list[str]:
        return list(self.app.get(path).headers.getall("Set-Cookie"))


def _pyramid_view(body: Any, response: Any) -> Any:
    def view(request: Any) -> Any:
        body(request.session)
        return response("ok")

    return view


class WSGIClient(Client):
    def __init__(self, session_factory: Any) -> None:
        super().__init__()
        import webtest

        from cookiesession.wsgi import SessionMiddleware, get_session

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            body = self.store if environ["PATH_INFO"] == "/put" else self.look
            body(get_session(environ))
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]

        self.app = webtest.TestApp(SessionMiddleware(app, session_factory))

    def _request(self, path: str) -> list[str]:
        return list(self.app.get(path).headers.getall("Set-Cookie"))


class StarletteClient(Client):
    """Starlette behind ``cookiesession.asgi``'s middleware (a factory), or with
    ``dropin`` behind ``cookiesession.starlette``'s (Starlette's parameters)."""

    def __init__(self, options: dict[str, Any], *, dropin: bool) -> None:
        super().__init__()
        from starlette.applications import Starlette
        from starlette.middleware import Middleware
        from starlette.requests import Request
        from starlette.responses import PlainTextResponse
        from starlette.routing import Route
        from starlette.testclient import TestClient

        async def put(request: Request) -> PlainTextResponse:
            self.store(request.session)
            return PlainTextResponse("ok")

        async def read(request: Request) -> PlainTextResponse:
            self.look(request.session)
            return PlainTextResponse("ok")

        if dropin:
            from cookiesession.starlette import SessionMiddleware as DropIn

            serializer = RichJSONSerializer() if options["serializer"] == "rich" else None
            middleware = Middleware(
                DropIn,
                secret_key=SECRET,
                serializer=serializer,
                compress=options["compress"],
                max_cookies=options["max_cookies"],
            )
        else:
            from cookiesession.asgi import SessionMiddleware

            middleware = Middleware(SessionMiddleware, session_factory=factory(**options))
        routes = [Route("/put", put), Route("/read", read)]
        self.client = TestClient(Starlette(routes=routes, middleware=[middleware]))

    def _request(self, path: str) -> list[str]:
        return self.client.get(path).headers.get_list("set-cookie")  # type: ignore[no-any-return]


class FlaskClient(Client):
    """Flask with ``CookieSessionInterface()`` configured by its ``COOKIESESSION_*`` keys."""

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__()
        from flask import Flask, session

        from cookiesession.flask import CookieSessionInterface

        app = Flask(__name__)
        app.config.update(
            SECRET_KEY=SECRET,
            COOKIESESSION_SERIALIZER="rich" if options["serializer"] == "rich" else "flask",
            COOKIESESSION_COMPRESS=options["compress"],
            COOKIESESSION_MAX_COOKIES=options["max_cookies"],
        )
        app.session_interface = CookieSessionInterface()

        @app.get("/put")
        def put() -> str:
            self.store(session)
            return "ok"

        @app.get("/read")
        def read() -> str:
            self.look(session)
            return "ok"

        self.client = app.test_client()

    def _request(self, path: str) -> list[str]:
        return self.client.get(path).headers.getlist("Set-Cookie")


#: The Django views' client: Django's URL conf names views by module path.
django_client: Client | None = None


def django_put(request: Any) -> Any:
    from django.http import HttpResponse

    assert django_client is not None
    django_client.store(request.session)
    return HttpResponse("ok")


def django_read(request: Any) -> Any:
    from django.http import HttpResponse

    assert django_client is not None
    django_client.look(request.session)
    return HttpResponse("ok")


def _django_urls() -> list[Any]:
    from django.urls import path

    return [path("put", django_put), path("read", django_read)]


class DjangoClient(Client):
    """Django's test client, ``cookiesession.django`` as the engine and its middleware;
    ``COOKIESESSION`` from the options."""

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__()
        from django.test import Client as TestClient

        self.settings = {
            "ROOT_URLCONF": __name__,
            "MIDDLEWARE": ["cookiesession.django.middleware.SessionMiddleware"],
            "COOKIESESSION": {
                "secret": SECRET,
                "serializer": RichJSONSerializer() if options["serializer"] == "rich" else None,
                "compress": options["compress"],
                "max_cookies": options["max_cookies"],
            },
        }
        self.client = TestClient()

    def _request(self, path: str) -> list[str]:
        from django.test import override_settings

        global django_client
        django_client = self
        with override_settings(**self.settings):
            response = self.client.get(path)
        return [morsel.OutputString() for morsel in response.cookies.values()]


def __getattr__(name: str) -> Any:
    # Django reads `urlpatterns` of the ROOT_URLCONF module; built on first use, so
    # that importing this module does not need Django.
    if name == "urlpatterns":
        return _django_urls()
    raise AttributeError(name)
