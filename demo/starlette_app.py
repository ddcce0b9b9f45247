"""The Starlette app: reads and writes the cookie the other apps read and write.

``request.session`` is the session that Pyramid's ``request.session`` is over
there, from the same factory: :class:`cookiesession.asgi.SessionMiddleware`,
asked for the board's factory of the moment on every request.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from cookiesession import check_csrf_token
from cookiesession.asgi import Scope, SessionMiddleware, cookie_header
from cookiesession.session import CookieSession

from .board import COOKIE_NAME, USER_KEY, Board
from .pages import FAVICON, FAVICON_TYPE, error_page, escape, page
from .panels import Demo, add_to_cart, shop_page, shown

__all__ = ["make_app"]


class BoardSessionMiddleware(SessionMiddleware):
    """The ASGI middleware, with the factory the board holds when each request comes in."""

    __slots__ = ("board",)

    def __init__(self, app: Any, board: Board) -> None:
        super().__init__(app, board.factory)
        self.board = board

    async def open_session(self, scope: Scope) -> CookieSession:
        # The factory of this moment (rotation and the encryption switch replace it),
        # used for this request only: the middleware, shared by all, is left as it is.
        return await self.board.factory.from_cookie_header_async(cookie_header(scope))


def make_app(demo: Demo) -> Any:
    """The ASGI app."""
    site, sites, board = demo.sites.starlette, demo.sites, demo.board

    async def home(request: Request) -> HTMLResponse:
        session: CookieSession = request.scope["session"]  # set by BoardSessionMiddleware
        token = session.get_csrf_token()
        field = f'<input type="hidden" name="csrf_token" value="{escape(token)}">'
        view = shown(session, request.cookies.get(COOKIE_NAME), field)
        # The board's checks load the cookie again (the revocation store may be Redis):
        # off the event loop.
        text = await run_in_threadpool(shop_page, board, demo.recorder, site, sites, view)
        return HTMLResponse(text)

    async def cart(request: Request) -> Response:
        # A urlencoded form, parsed here (Starlette's form parser needs python-multipart).
        form = parse_qs((await request.body()).decode("latin-1"))
        if not check_csrf_token(request.session, next(iter(form.get("csrf_token", ())), None)):
            raise HTTPException(400, "The form's CSRF token did not match the session.")
        add_to_cart(request.session, site)
        return RedirectResponse("/", status_code=303)

    async def whoami(request: Request) -> JSONResponse:
        refusal = await run_in_threadpool(board.refusal, request.cookies.get(COOKIE_NAME))
        return JSONResponse(
            {"framework": "Starlette", "user": request.session.get(USER_KEY), "refusal": refusal}
        )

    async def favicon(request: Request) -> Response:
        return Response(FAVICON, media_type=FAVICON_TYPE, headers={"Cache-Control": "max-age=86400"})

    async def http_error(request: Request, exc: Exception) -> HTMLResponse:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status in (404, 405):
            allowed = (exc.headers or {}).get("Allow", "") if isinstance(exc, HTTPException) else ""
            text = error_page(status, request.url.path, site=site, sites=sites, allowed=allowed)
            headers = {"Allow": allowed} if allowed else None
            return HTMLResponse(text, status_code=status, headers=headers)
        detail = exc.detail if isinstance(exc, HTTPException) else "Server error"
        body = f'<p class="notice" role="alert">{escape(str(detail))}</p><p><a href="/">Back</a></p>'
        return HTMLResponse(page("Refused", body, site=site, sites=sites), status_code=status)

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/cart", cart, methods=["POST"]),
            Route("/whoami", whoami),
            Route("/favicon.ico", favicon),
        ],
        exception_handlers={HTTPException: http_error},
    )
    return BoardSessionMiddleware(app, board)
