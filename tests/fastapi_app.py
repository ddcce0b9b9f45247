"""A FastAPI app for the adapter tests.

Kept apart, and without ``from __future__ import annotations``, because FastAPI reads
the endpoints' annotations at run time and must find ``Request`` in this module.
Import it only after ``require(...)`` has checked that FastAPI is installed.
"""

from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse

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


def make_dropin_app(middleware: Any, **options: Any) -> FastAPI:
    """The endpoints of ``tests/test_starlette_dropin.py`` as a FastAPI app, behind
    ``middleware`` (Starlette's own ``SessionMiddleware`` or ours) built with ``options``."""
    app = FastAPI()
    app.add_middleware(middleware, **options)

    @app.get("/login/{user}")
    async def login(request: Request, user: str) -> JSONResponse:
        request.session["user"] = user
        return JSONResponse(request.session)

    @app.get("/read")
    async def read(request: Request) -> JSONResponse:
        return JSONResponse(request.session)

    @app.get("/touch")
    def touch(request: Request) -> str:
        request.session  # noqa: B018 - asking for the session is what is tested
        return "touched"

    @app.get("/nothing")
    async def nothing() -> str:
        return "untouched"

    @app.get("/logout")
    async def logout(request: Request) -> str:
        request.session.clear()
        return "bye"

    @app.get("/forget")
    async def forget(request: Request) -> str:
        request.session.pop("user", None)
        return "forgotten"

    @app.get("/cart/{item}")
    async def cart(request: Request, item: str) -> JSONResponse:
        items = request.session.get("cart")
        if items is None:
            request.session["cart"] = [item]
        else:
            items.append(item)  # a change inside a value, with no assignment
        return JSONResponse(request.session)

    @app.get("/big")
    async def big(request: Request) -> str:
        request.session["big"] = "x" * 5000
        return "stored"

    @app.websocket("/ws")
    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(websocket.session)
        await websocket.close()

    return app
