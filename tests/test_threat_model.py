"""The claims of docs/security.md that no other test states: what signing does and does not do."""

from __future__ import annotations

import base64
import importlib.util
import warnings
from typing import Any

import pytest

from cookiesession import (
    BadSignature,
    BaseCookieSessionFactory,
    ConfigurationError,
    PickleSerializer,
    SignedCookieSessionFactory,
)
from cookiesession.factory import make_session_factory
from cookiesession.serializers import JSONSerializer
from cookiesession.signing import Signer
from tests.conftest import require
from tests.session_harness import OTHER_SECRET, SECRET, FakeClock, cookie_value, mint, payload_of

# Rotation moves from OLD_SECRET to NEW_SECRET.
OLD_SECRET = OTHER_SECRET
NEW_SECRET = SECRET


def test_a_signed_cookie_is_readable_without_the_secret(clock: FakeClock) -> None:
    token = mint(SignedCookieSessionFactory(NEW_SECRET, clock=clock), {"email": "ada@example.org"})
    # Signing is not encryption: past the 64-byte signature the state is plain JSON.
    assert payload_of(token)[2] == {"email": "ada@example.org"}


def test_a_copied_cookie_replays_until_it_times_out(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(NEW_SECRET, timeout=600, clock=clock)
    copy = mint(factory, {"user": "ada"})
    session = factory.from_cookie_value(copy)
    session.invalidate()  # logout deletes the browser's cookie; the copy is another matter
    assert session.set_cookie_header() is not None
    clock.advance(599)
    assert dict(factory.from_cookie_value(copy)) == {"user": "ada"}
    clock.advance(2)
    assert dict(factory.from_cookie_value(copy)) == {}


def test_rotation_accepts_the_old_secret_reissues_under_the_new_then_forgets_it(clock: FakeClock) -> None:
    old_cookie = mint(SignedCookieSessionFactory(OLD_SECRET, clock=clock), {"user": "ada"})
    rotating = SignedCookieSessionFactory(NEW_SECRET, fallback_secrets=[OLD_SECRET], clock=clock)
    session = rotating.from_cookie_value(old_cookie)
    assert dict(session) == {"user": "ada"}  # the application reads it...
    header = session.set_cookie_header()  # ...and the response re-issues it
    assert header is not None
    reissued = cookie_value(header)
    assert Signer(NEW_SECRET).unsign(reissued)[1] == 0  # now signed by the new secret
    rotated = SignedCookieSessionFactory(NEW_SECRET, clock=clock)
    assert (dict(rotated.from_cookie_value(old_cookie)), dict(rotated.from_cookie_value(reissued))) == (
        {},
        {"user": "ada"},
    )


class _SpySerializer:
    """JSON, recording every payload that reaches ``loads``."""

    def __init__(self) -> None:
        self.loaded: list[bytes] = []

    def dumps(self, value: Any) -> bytes:
        return JSONSerializer().dumps(value)

    def loads(self, payload: bytes) -> Any:
        self.loaded.append(payload)
        return JSONSerializer().loads(payload)


def test_no_byte_of_an_unverified_cookie_reaches_the_serializer(clock: FakeClock) -> None:
    spy = _SpySerializer()
    factory = make_session_factory(Signer(NEW_SECRET), spy, clock=clock)
    forged_by_old_key = Signer(OLD_SECRET).sign(b'[1, 1, {"admin": true}]')
    unsigned = base64.urlsafe_b64encode(b"\x00" * 64 + b'[1, 1, {"admin": true}]').decode().rstrip("=")
    for token in (forged_by_old_key, unsigned, "garbage", ""):
        assert dict(factory.from_cookie_value(token)) == {}
    assert spy.loaded == []
    payload = f'[{int(clock.now)}, {int(clock.now)}, {{"admin": false}}]'.encode()
    assert dict(factory.from_cookie_value(Signer(NEW_SECRET).sign(payload))) == {"admin": False}
    assert spy.loaded == [payload]


def test_pickle_without_a_signature_is_refused() -> None:
    require(importlib.util.find_spec("pyramid") is not None, "Pyramid")
    import pyramid.session

    class OwnPickle(PickleSerializer):
        pass

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # both are deprecated

        class TheirPickle(pyramid.session.PickleSerializer):  # type: ignore[misc]
            pass

        serializers = [
            PickleSerializer(),
            OwnPickle(),
            pyramid.session.PickleSerializer(),
            TheirPickle(),
        ]
    for serializer in serializers:
        with pytest.raises(ConfigurationError, match="remote code execution"):
            BaseCookieSessionFactory(serializer)


def test_secrets_and_tokens_never_appear_in_reprs_or_errors(clock: FakeClock) -> None:
    signer = Signer(NEW_SECRET, fallback_secrets=[OLD_SECRET])
    factory = SignedCookieSessionFactory(NEW_SECRET, fallback_secrets=[OLD_SECRET], clock=clock)
    forged = Signer(OLD_SECRET + "x").sign(b"[1, 1, {}]")
    with pytest.raises(BadSignature) as info:
        signer.unsign(forged)
    texts = [repr(signer), repr(factory._codec), str(info.value), repr(info.value)]
    leaks = [t for t in texts for needle in (NEW_SECRET, OLD_SECRET, forged) if needle in t]
    assert leaks == []
