"""A small Django project for the Django tests: settings made in code, views, URLs.

Import it only after ``require(...)`` found Django, and call :func:`setup` (which
configures the settings once per process, so it coexists with the other test files,
none of which touch Django) before using Django.  The user ``alice`` (password
``PASSWORD``) exists in a throw-away SQLite file.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.contrib import auth, messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from tests.session_harness import SECRET

OURS = "cookiesession.django"
DJANGOS = "django.contrib.sessions.backends.signed_cookies"
ENGINES = (DJANGOS, OURS)
PASSWORD = "correct horse battery staple"
#: COOKIESESSION for every test that does not override it.
DEFAULT_OPTIONS: dict[str, Any] = {"secret": SECRET}


def setup() -> None:
    """Configure Django for these tests (once per process) and create the database."""
    if settings.configured:
        return
    folder = tempfile.mkdtemp(prefix="cookiesession-django-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    settings.configure(
        DEBUG=False,
        SECRET_KEY="django-" + SECRET,
        ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.messages",
            "cookiesession.django",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(Path(folder) / "db.sqlite3")}
        },
        # A fast hasher: the tests log in often, and the hash is not what they test.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MESSAGE_STORAGE="django.contrib.messages.storage.session.SessionStorage",
        SESSION_ENGINE=OURS,
        COOKIESESSION=DEFAULT_OPTIONS,
        USE_TZ=True,
        LOGGING_CONFIG=None,
    )
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    User.objects.create_user("alice", password=PASSWORD)


# -- views -------------------------------------------------------------------------------


def count(request: HttpRequest) -> HttpResponse:
    request.session["n"] = request.session.get("n", 0) + 1
    return HttpResponse(str(request.session["n"]))


async def acount(request: HttpRequest) -> HttpResponse:
    n = await request.session.aget("n", 0) + 1
    await request.session.aset("n", n)
    return HttpResponse(str(n))


def read(request: HttpRequest) -> JsonResponse:
    return JsonResponse(dict(request.session.items()))


def nothing(request: HttpRequest) -> HttpResponse:
    return HttpResponse("untouched")


def put(request: HttpRequest) -> HttpResponse:
    """Store each query parameter, its value parsed as JSON."""
    for key, value in request.GET.items():
        request.session[key] = json.loads(value)
    return HttpResponse("stored")


def login(request: HttpRequest) -> HttpResponse:
    user = auth.authenticate(request, username=request.GET["user"], password=request.GET["password"])
    if user is None:
        return HttpResponse("refused", status=403)
    auth.login(request, user)
    return HttpResponse(user.get_username())


async def alogin(request: HttpRequest) -> HttpResponse:
    user = await auth.aauthenticate(request, username=request.GET["user"], password=request.GET["password"])
    if user is None:
        return HttpResponse("refused", status=403)
    await auth.alogin(request, user)
    return HttpResponse(user.get_username())


def logout(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return HttpResponse("bye")


async def alogout(request: HttpRequest) -> HttpResponse:
    await auth.alogout(request)
    return HttpResponse("bye")


def whoami(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.user.get_username())


def flash(request: HttpRequest) -> HttpResponse:
    messages.info(request, request.GET.get("text", "hello"))
    return HttpResponse("flashed")


def shown(request: HttpRequest) -> JsonResponse:
    return JsonResponse([str(message) for message in messages.get_messages(request)], safe=False)


def touch(request: HttpRequest, who: str) -> JsonResponse:
    """The cross-framework trail: append ``who`` to the session's list."""
    trail = [*request.session.get("trail", []), who]
    request.session["trail"] = trail
    return JsonResponse(trail, safe=False)


def boom(request: HttpRequest) -> HttpResponse:
    request.session["n"] = 1
    raise RuntimeError("the view failed")


urlpatterns = [
    path("count", count),
    path("acount", acount),
    path("read", read),
    path("nothing", nothing),
    path("put", put),
    path("login", login),
    path("alogin", alogin),
    path("logout", logout),
    path("alogout", alogout),
    path("whoami", whoami),
    path("flash", flash),
    path("shown", shown),
    path("touch/<str:who>", touch),
    path("boom", boom),
]
