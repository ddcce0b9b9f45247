"""A FastAPI app for the adapter tests.

Kept apart, and without ``from __future__ import annotations``, because FastAPI reads
the endpoints' annotations at run time and must find ``Request`` in this module.
Import it only after ``require(...)`` has checked that FastAPI is installed.
"""

from typing import Any

from fastapi import FastAPI, Request

from cookiesession.asgi import SessionMiddleware
from cookiesession.session import CookieSession


def make_app(factory: type[CookieSession]) -> FastAPI:
    app = FastAPI()
    app.add_middleware(SessionMiddleware, session_factory=factory)

    @app.get("/count")
    def count(request: Request) -> int:  # a sync endpoint: FastAPI runs it in a thread
        n: int = request.session.get("n", 0) + 1
        request.session["n"] = n
        return n

    @app.get("/nothing")
    async def nothing() -> str:
        return "untouched"

    @app.get("/read")
    async def read(request: Request) -> dict[str, Any]:
        return dict(request.session)

    @app.get("/fill/{size}")
    def fill(request: Request, size: int) -> str:
        request.session["user"] = "ann"
        request.session["filler"] = "x" * size
        return "ok"

    @app.get("/object")
    def whole_object(request: Request) -> Any:
        # The session object itself, serialized by FastAPI.
        return request.session

    @app.get("/touch/{who}")
    async def touch(request: Request, who: str) -> list[str]:
        trail: list[str] = [*request.session.get("trail", []), who]
        request.session["trail"] = trail
        return trail

    return app
