"""The Django app: ``request.session`` from the ``cookiesession.django`` engine, on the same cookie.

Django's settings are the process's: :func:`make_app` configures them once (the
demo runs no other Django project).  ``COOKIESESSION`` is the board's live view,
which the engine copies on every request, so a rotation or a format switch
reaches Django with no code here.  Forms use Django's own CSRF protection.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import path

from .board import COOKIE_NAME, TIMEOUT, USER_KEY
from .pages import FAVICON, FAVICON_TYPE, error_page, escape, page
from .panels import Demo, add_to_cart, shop_page, shown

__all__ = ["make_app"]

_demo: Demo | None = None  # set by make_app, before the first request


def _the_demo() -> Demo:
    assert _demo is not None, "make_app() sets the demo up"
    return _demo


def _not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    demo = _the_demo()
    text = error_page(405, request.path, site=demo.sites.django, sites=demo.sites, allowed=allowed)
    response = HttpResponse(text, status=405)
    response["Allow"] = allowed
    return response


def home(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _not_allowed(request, "GET, HEAD")
    demo = _the_demo()
    field = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(get_token(request))}">'
    view = shown(request.session, request.COOKIES.get(COOKIE_NAME), field)
    return HttpResponse(shop_page(demo.board, demo.recorder, demo.sites.django, demo.sites, view))


def cart(request: HttpRequest) -> HttpResponse:
    # Django's CsrfViewMiddleware has checked the form's token already.
    if request.method != "POST":
        return _not_allowed(request, "POST")
    add_to_cart(request.session, _the_demo().sites.django)
    return redirect("/", permanent=False)


def whoami(request: HttpRequest) -> JsonResponse:
    refusal = _the_demo().board.refusal(request.COOKIES.get(COOKIE_NAME))
    return JsonResponse({"framework": "Django", "user": request.session.get(USER_KEY), "refusal": refusal})


def favicon(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(FAVICON, content_type=FAVICON_TYPE)
    response["Cache-Control"] = "max-age=86400"
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    demo = _the_demo()
    return HttpResponse(error_page(404, request.path, site=demo.sites.django, sites=demo.sites), status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    demo = _the_demo()
    body = """<p class="notice" role="alert">The form's CSRF token did not match: the page was stale,
or the form was not ours.</p><p><a href="/">Back</a></p>"""
    return HttpResponse(page("Form refused", body, site=demo.sites.django, sites=demo.sites), status=403)


urlpatterns = [
    path("", home),
    path("cart", cart),
    path("whoami", whoami),
    path("favicon.ico", favicon),
]
handler404 = not_found


def make_app(demo: Demo) -> Any:
    """The WSGI app.  Configures Django's settings for this process."""
    global _demo
    _demo = demo
    import django
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        SECRET_KEY=secrets.token_urlsafe(50),  # Django's own (its CSRF tokens); not the session's
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["cookiesession.django"],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ],
        SESSION_ENGINE="cookiesession.django",
        COOKIESESSION=demo.board.django_options(),
        # The cookie the other apps write: same name, same attributes, same idle timeout.
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_AGE=TIMEOUT,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        CSRF_FAILURE_VIEW=f"{__name__}.csrf_failure",
        USE_TZ=True,
    )
    django.setup()
    return get_wsgi_application()
