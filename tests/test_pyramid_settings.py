"""config.include('cookiesession.pyramid'): the session factory from .ini settings, in a real Pyramid app."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cookiesession import ConfigurationError, SecretTooShortWarning, SignedCookieSessionFactory
from cookiesession.loading import Limits
from cookiesession.session import CookieSession
from tests.conftest import require
from tests.session_harness import OTHER_SECRET, SECRET, cookie_value, mint


def _require_pyramid() -> None:
    require(importlib.util.find_spec("pyramid") is not None, "Pyramid")
    require(importlib.util.find_spec("webtest") is not None, "WebTest")


def _factory(**settings: Any) -> type[CookieSession]:
    _require_pyramid()
    from cookiesession.pyramid import session_factory_from_settings

    return session_factory_from_settings({"cookiesession.secret": SECRET, **settings})


def make_app(**settings: Any) -> Any:
    _require_pyramid()
    from pyramid.config import Configurator
    from pyramid.request import Request
    from pyramid.response import Response

    def count(request: Request) -> Response:
        request.session["n"] = request.session.get("n", 0) + 1
        return Response(str(request.session["n"]))

    with Configurator(settings={"cookiesession.secret": SECRET, **settings}) as config:
        config.include("cookiesession.pyramid")
        config.add_route("count", "/count")
        config.add_view(count, route_name="count")
        return config.make_wsgi_app()


def test_include_sets_the_session_factory() -> None:
    import webtest

    client = webtest.TestApp(make_app(**{"cookiesession.cookie_name": "sid"}))
    first = client.get("/count")
    assert first.text == "1"
    cookie = cookie_value(first.headers["Set-Cookie"])
    assert first.headers["Set-Cookie"].startswith("sid=") is True
    client.reset()
    assert client.get("/count", headers={"Cookie": f"sid={cookie}"}).text == "2"


def test_ini_strings_are_coerced() -> None:
    factory = _factory(
        **{
            "cookiesession.max_age": "3600",
            "cookiesession.path": "/app",
            "cookiesession.domain": "example.com",
            "cookiesession.secure": "true",
            "cookiesession.httponly": "yes",
            "cookiesession.samesite": "Strict",
            "cookiesession.set_on_exception": "false",
            "cookiesession.timeout": "none",
            "cookiesession.reissue_time": "60",
            "cookiesession.absolute_timeout": " 86400 ",
            "cookiesession.partitioned": "on",
            "cookiesession.vary": "off",
            "cookiesession.detect_nested_changes": "0",
        }
    )
    assert (factory._limits, factory._reissue_after) == (Limits(timeout=None, absolute_timeout=86400), 60)
    assert (factory._set_on_exception, factory._vary, factory._detect_nested_changes) == (False, False, False)
    assert factory._cookie.max_age == 3600
    assert factory._cookie.delete_cookie() == (
        "session=; Domain=example.com; Max-Age=0; Path=/app; expires=Wed, 31-Dec-97 23:59:59 GMT; "
        "secure; HttpOnly; SameSite=Strict; Partitioned"
    )


def test_none_words_and_empty_values() -> None:
    factory = _factory(
        **{
            "cookiesession.path": "none",
            "cookiesession.domain": "",
            "cookiesession.samesite": "",
            "cookiesession.max_age": "None",
        }
    )
    assert factory._cookie.delete_cookie() == "session=; Max-Age=0; expires=Wed, 31-Dec-97 23:59:59 GMT"
    assert factory._cookie.max_age is None


def test_samesite_none_means_the_attribute() -> None:
    factory = _factory(**{"cookiesession.samesite": "None", "cookiesession.secure": "true"})
    assert factory._cookie.delete_cookie().endswith("; secure; SameSite=None") is True


def test_hashalg_salt_and_fallback_secrets_interoperate() -> None:
    old = SignedCookieSessionFactory(OTHER_SECRET, salt="app.", hashalg="sha256")
    token = mint(old, {"n": 7})
    factory = _factory(
        **{
            "cookiesession.salt": "app.",
            "cookiesession.hashalg": "sha256",
            # As an .ini file gives a multi-line value: one secret a line.
            "cookiesession.fallback_secrets": f"\n  {'unrelated-secret-' * 4}\n  {OTHER_SECRET}\n",
        }
    )
    read = factory.from_cookie_value(token)
    assert dict(read.items()) == {"n": 7}
    assert read.set_cookie_header() is not None  # re-issued under the primary secret


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "cookiesession.secret is required"),
        ({"cookiesession.secret": "   "}, "cookiesession.secret is required"),
        ({"cookiesession.secure": "ture"}, "cookiesession.secure='ture' is not a boolean"),
        ({"cookiesession.timeout": "20m"}, "cookiesession.timeout='20m' is not a whole number"),
        ({"cookiesession.max_age": "-1"}, "cookiesession.max_age='-1' is negative"),
        ({"cookiesession.timout": "60"}, "unknown setting 'cookiesession.timout'"),
        ({"cookiesession.samesite": "sometimes"}, "cookiesession.samesite='sometimes': SameSite must be"),
        ({"cookiesession.hashalg": "md4-nope"}, "cookiesession.hashalg: unsupported hash type 'md4-nope'"),
        ({"cookiesession.cookie_name": "a b"}, "cookiesession.cookie_name='a b' contains characters"),
        ({"cookiesession.partitioned": "true"}, "cookiesession.partitioned=True needs secure=True"),
        (
            {"cookiesession.fallback_secrets": [OTHER_SECRET, ""]},
            "cookiesession.fallback_secrets[1] is empty",
        ),
        ({"cookiesession.max_age": "10" * 9}, "cookiesession.max_age=101010101010101010 is too long"),
        # Two bad settings: each is named for its own error, whichever the factory reports.
        (
            {"cookiesession.samesite": "none", "cookiesession.hashalg": "md4-nope"},
            "cookiesession.hashalg: unsupported hash type 'md4-nope'",
        ),
        (
            {"cookiesession.secret": 12345, "cookiesession.timeout": "10"},
            "cookiesession.secret must be a str or bytes, not int",
        ),
    ],
)
def test_a_bad_setting_stops_the_app_at_start_up(settings: dict[str, str], message: str) -> None:
    _require_pyramid()
    from pyramid.config import Configurator

    base = {} if "cookiesession.secret" in settings or not settings else {"cookiesession.secret": SECRET}
    config = Configurator(settings={**base, **settings})
    with pytest.raises(ConfigurationError) as raised:
        config.include("cookiesession.pyramid")
    assert str(raised.value).startswith(message) is True
    assert SECRET not in str(raised.value)


def test_other_settings_are_ignored() -> None:
    factory = _factory(**{"pyramid.reload_templates": "true", "sqlalchemy.url": "sqlite://"})
    assert factory._cookie.name == "session"


def test_isession_is_declared() -> None:
    _require_pyramid()
    import webtest
    from pyramid.config import Configurator
    from pyramid.interfaces import ISession
    from pyramid.request import Request
    from pyramid.response import Response
    from zope.interface.verify import verifyObject

    results: list[bool] = []

    def view(request: Request) -> Response:
        results.append(verifyObject(ISession, request.session))
        return Response("ok")

    with Configurator(settings={"cookiesession.secret": SECRET}) as config:
        config.include("cookiesession.pyramid")
        config.add_route("home", "/")
        config.add_view(view, route_name="home")
        app = config.make_wsgi_app()
    webtest.TestApp(app).get("/")
    assert results == [True]


def test_encrypt_true_uses_the_encrypted_factory() -> None:
    _require_pyramid()
    require(importlib.util.find_spec("cryptography") is not None, "cryptography")
    from cookiesession import EncryptedCookieSessionFactory

    factory = _factory(**{"cookiesession.encrypt": "true", "cookiesession.timeout": "600"})
    token = mint(factory, {"secret-state": "hidden"})
    same = EncryptedCookieSessionFactory(SECRET)
    assert dict(same.from_cookie_value(token).items()) == {"secret-state": "hidden"}
    signed = _factory()
    assert dict(signed.from_cookie_value(token).items()) == {}


def test_compress_true_compresses_and_reads_plain_cookies() -> None:
    state = {"ids": list(range(200))}
    packed, plain = _factory(**{"cookiesession.compress": "true"}), _factory()
    token = mint(packed, state)
    assert (len(token) < len(mint(plain, state)), dict(packed.from_cookie_value(mint(plain, state)))) == (
        True,
        state,
    )


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_no_cookie_header_makes_a_pyramid_app_fail(header: str) -> None:
    from webob import Request as WebObRequest

    app = _APPS.setdefault("app", make_app())
    request = WebObRequest.blank("/count")
    request.environ["HTTP_COOKIE"] = header
    response = request.get_response(app)
    assert (response.status_int, response.text) == (200, "1")


_APPS: dict[str, Any] = {}


def test_python_values_in_settings_are_taken_as_they_are() -> None:
    factory = _factory(
        **{
            "cookiesession.secret": SECRET.encode(),
            "cookiesession.secure": True,
            "cookiesession.timeout": 300,
            "cookiesession.path": None,
            "cookiesession.samesite": None,
            "cookiesession.fallback_secrets": ["another-secret-" * 5],
        }
    )
    assert (factory._limits.timeout, factory._cookie.delete_cookie()) == (
        300,
        "session=; Max-Age=0; expires=Wed, 31-Dec-97 23:59:59 GMT; secure",
    )
    with pytest.raises(ConfigurationError, match=r"cookiesession.cookie_name must be text, not int"):
        _factory(**{"cookiesession.cookie_name": 5})


def test_a_failure_of_settings_together_is_reported_with_the_factory_message() -> None:
    from cookiesession.pyramid import _naming_the_setting

    def make(secret: object, **options: Any) -> type[CookieSession]:
        if len(options) > 1:
            raise ConfigurationError("these two do not go together")
        return _factory()

    message = _naming_the_setting("these two do not go together", make, SECRET, {"a": 1, "b": 2})
    assert message == "cookiesession.* settings: these two do not go together"


def _ini_settings(tmp_path: Any, text: str) -> dict[str, Any]:
    # With the parser `pserve` reads a config file with (PasteDeploy's, which Pyramid installs).
    from paste.deploy.loadwsgi import NicerConfigParser

    path = tmp_path / "app.ini"
    path.write_text(text, encoding="utf-8")
    parser = NicerConfigParser(str(path))
    parser.read(str(path))
    return dict(parser.items("app:main"))


def test_the_documented_ini_example_loads_as_written(tmp_path: Any) -> None:
    _require_pyramid()
    from cookiesession.pyramid import session_factory_from_settings

    page = Path(__file__).resolve().parent.parent / "docs" / "getting-started" / "pyramid.md"
    section = page.read_text(encoding="utf-8").split("## The factory from your settings", 1)[1]
    block = section.split("```ini\n", 1)[1].split("```", 1)[0]
    assert "cookiesession.fallback_secrets" in block
    with pytest.warns(SecretTooShortWarning):  # its placeholder secret is short
        factory = session_factory_from_settings(_ini_settings(tmp_path, block))
    with pytest.warns(SecretTooShortWarning):  # the example's placeholder is short
        fallback = SignedCookieSessionFactory("the-previous-secret")
    read = factory.from_cookie_value(mint(fallback, {"user": "bob"}))
    assert (dict(read), factory._limits.timeout, "; secure" in factory._cookie.delete_cookie()) == (
        {"user": "bob"},
        1800,
        True,
    )


def test_a_comment_after_a_value_is_refused_without_quoting_the_value(tmp_path: Any) -> None:
    # PasteDeploy keeps "  # required" in the value: the secret would silently be
    # "a-long-random-string  # required", and each word of a commented fallback_secrets
    # line ('#', 'a', ...) a secret anyone can sign with.
    _require_pyramid()
    from cookiesession.pyramid import session_factory_from_settings

    for line in (
        "cookiesession.secret = a-long-random-string  # required",
        "cookiesession.fallback_secrets =   # older secrets\n    old-one",
        "cookiesession.timeout = 1800 ; seconds",
    ):
        name = line.split(" =", 1)[0]
        secret = "" if name == "cookiesession.secret" else f"cookiesession.secret = {SECRET}\n"
        with pytest.raises(ConfigurationError) as raised:
            session_factory_from_settings(_ini_settings(tmp_path, f"[app:main]\n{secret}{line}\n"))
        message = str(raised.value)
        assert message.startswith(f"{name} looks like it holds an .ini comment") is True
        assert [word for word in ("required", "a-long", "older", "seconds") if word in message] == []


def test_read_also_takes_readers_from_settings_made_in_python() -> None:
    require(all(importlib.util.find_spec(m) is not None for m in ("starlette", "httpx")), "Starlette")
    from cookiesession import readers
    from tests.session_harness import STARLETTE_SECRET, starlette_cookie

    factory = _factory(**{"cookiesession.read_also": [readers.starlette(STARLETTE_SECRET)]})
    migrated = factory.from_cookie_header(f"session={starlette_cookie({'user': 'alice'})}")
    assert migrated.copy() == {"user": "alice"}
    with pytest.raises(ConfigurationError) as raised:
        _factory(**{"cookiesession.read_also": "flask"})
    assert str(raised.value).startswith("cookiesession.read_also takes readers from cookiesession.readers")
