"""Session semantics as Pyramid's sessions have them, plus the deliberate differences
(invalidate, ``|=``, error types), without any framework."""

from __future__ import annotations

import base64
import gc
import json
import re
import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from cookiesession import (
    BaseCookieSessionFactory,
    ConfigurationError,
    JSONSerializer,
    PickleSerializer,
    SessionNotSerializable,
    SessionTooLarge,
    SignedCookieSessionFactory,
    UnstorableSession,
)
from cookiesession._json import MAX_DEPTH
from cookiesession.signing import MAX_TOKEN_LENGTH
from tests.session_harness import (
    NOW,
    OTHER_SECRET,
    SECRET,
    FakeClock,
    FakeRequest,
    cookie_value,
    mint,
    payload_of,
    signed,
    signed_state,
    stored_state,
)


def _factory(clock: FakeClock, **options: Any) -> Any:
    return SignedCookieSessionFactory(SECRET, clock=clock, vary=False, **options)


def _cookie(state: Any, accessed: float, created: float) -> str:
    """The Cookie header Pyramid sends for ``[accessed, created, state]``."""
    return "session=" + signed_state(state, accessed, created)


def _payload(response_cookies: list[str]) -> Any:
    assert len(response_cookies) == 1
    return payload_of(cookie_value(response_cookies[0]))


# -- construction and timestamps ------------------------------------------------------


def test_new_session_attributes(clock: FakeClock) -> None:
    request = FakeRequest()
    session = _factory(clock)(request)
    assert (session.new, session.created, session.renewed, session.accessed) == (True, NOW, NOW, NOW)
    assert type(session.created) is float
    assert stored_state(session) == {}
    assert request.respond().set_cookies() == []


def test_loaded_session_attributes(clock: FakeClock) -> None:
    request = FakeRequest(_cookie({"a": 1}, 1_699_999_990, 1_699_999_000))
    session = _factory(clock)(request)
    assert (session.new, session.created, session.renewed, session.accessed) == (
        False,
        1_699_999_000.0,
        1_699_999_990.0,
        1_699_999_990.0,
    )
    assert (type(session.created), type(session.renewed)) == (float, float)
    assert stored_state(session) == {"a": 1}


def test_cookies_mapping_is_used_without_environ(clock: FakeClock) -> None:
    class CookiesOnly:
        def __init__(self, cookies: dict[str, str]) -> None:
            self.cookies = cookies

    value = signed_state({"k": "v"}, NOW - 5, NOW - 5)
    assert stored_state(_factory(clock)(CookiesOnly({"session": value}))) == {"k": "v"}
    assert _factory(clock)(object()).new is True  # neither environ nor cookies: a new session


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda s: s.get("a"), id="get"),
        pytest.param(lambda s: s["a"], id="getitem"),
        pytest.param(lambda s: list(s.items()), id="items"),
        pytest.param(lambda s: list(s.values()), id="values"),
        pytest.param(lambda s: list(s.keys()), id="keys"),
        pytest.param(lambda s: "a" in s, id="contains"),
        pytest.param(len, id="len"),
        pytest.param(bool, id="bool"),
        pytest.param(lambda s: list(iter(s)), id="iter"),
        pytest.param(lambda s: list(reversed(s)), id="reversed"),
        pytest.param(lambda s: s.copy(), id="copy"),
        pytest.param(lambda s: s.peek_flash(), id="peek_flash"),
        pytest.param(lambda s: s.get_csrf_token(), id="get_csrf_token-existing"),
    ],
)
def test_access_methods_update_accessed_and_write_nothing(
    clock: FakeClock, operation: Callable[[Any], object]
) -> None:
    request = FakeRequest(_cookie({"a": 1, "_csrft_": "t"}, int(NOW) - 100, NOW - 100))
    session = _factory(clock, reissue_time=None)(request)
    clock.advance(30.7)
    operation(session)
    assert session.accessed == int(NOW + 30.7)
    assert type(session.accessed) is int
    assert request.respond().set_cookies() == []


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda s: s.__setitem__("b", 2), id="setitem"),
        pytest.param(lambda s: s.__delitem__("a"), id="delitem"),
        pytest.param(lambda s: s.clear(), id="clear"),
        pytest.param(lambda s: s.update({}), id="update-nothing"),
        pytest.param(lambda s: s.setdefault("a", 5), id="setdefault-existing"),
        pytest.param(lambda s: s.pop("missing", None), id="pop-missing"),
        pytest.param(lambda s: s.popitem(), id="popitem"),
        pytest.param(lambda s: s.flash("m"), id="flash"),
        pytest.param(lambda s: s.flash("dup", allow_duplicate=False), id="flash-duplicate-refused"),
        pytest.param(lambda s: s.pop_flash("empty-queue"), id="pop_flash-empty"),
        pytest.param(lambda s: s.new_csrf_token(), id="new_csrf_token"),
        pytest.param(lambda s: s.get_csrf_token(), id="get_csrf_token-missing"),
    ],
)
def test_modification_methods_always_write(clock: FakeClock, operation: Callable[[Any], object]) -> None:
    request = FakeRequest(_cookie({"a": 1, "_f_": ["dup"]}, int(NOW) - 100, NOW - 100))
    session = _factory(clock, reissue_time=None)(request)
    clock.advance(30.7)
    operation(session)
    payload = _payload(request.respond().set_cookies())
    assert payload[:2] == [int(NOW + 30.7), NOW - 100]
    assert payload[2] == stored_state(session)


def test_changed_alone_writes_the_float_renewed_as_accessed(clock: FakeClock) -> None:
    request = FakeRequest(_cookie({"a": 1}, 1_699_999_990, 1_699_999_000.25))
    session = _factory(clock)(request)
    session.changed()
    assert _payload(request.respond().set_cookies()) == [1_699_999_990.0, 1_699_999_000.25, {"a": 1}]


def test_new_session_changed_alone_writes_construction_time(clock: FakeClock) -> None:
    request = FakeRequest()
    session = _factory(clock)(request)
    session.changed()
    assert _payload(request.respond().set_cookies()) == [NOW, NOW, {}]


def test_comparison_and_repr_do_not_touch(clock: FakeClock) -> None:
    # dict's own == and repr, as in Pyramid: no access is recorded, so nothing is re-issued.
    request = FakeRequest(_cookie({"a": 1}, int(NOW) - 100, NOW - 100))
    session = _factory(clock, reissue_time=0)(request)
    before = session.accessed
    clock.advance(50)
    assert (session == {"a": 1}, repr(session)) == (True, "{'a': 1}")
    assert session.accessed == before
    assert request.respond().set_cookies() == []


def test_a_loaded_session_is_a_dict_holding_its_whole_state(clock: FakeClock) -> None:
    # Code that reads a dict's entries directly (json's C encoder, dict(), ** unpacking)
    # sees every key from the start, before any of the session's own methods ran.
    state = {"user": "ann", "cart": [1, 2], "prefs": {"theme": "dark"}}
    session = _factory(clock)(FakeRequest(_cookie(state, int(NOW) - 1, NOW - 1)))
    assert (dict(session), {**session}, json.loads(json.dumps(session))) == (state, state, state)
    assert (dict.__len__(session), dict.get(session, "user")) == (3, "ann")


def test_ior_marks_the_session_changed(clock: FakeClock) -> None:
    # A deliberate difference: Pyramid's |= bypasses its tracking and the write is lost.
    request = FakeRequest(_cookie({"a": 1}, int(NOW) - 1, NOW - 1))
    session = _factory(clock, reissue_time=None)(request)
    session |= {"b": 2}
    assert _payload(request.respond().set_cookies())[2] == {"a": 1, "b": 2}


def test_nested_change_is_saved_without_changed(clock: FakeClock) -> None:
    request = FakeRequest(_cookie({"cart": [1]}, int(NOW) - 1, NOW - 1))
    session = _factory(clock, reissue_time=None)(request)
    session["cart"].append(2)
    assert _payload(request.respond().set_cookies())[2] == {"cart": [1, 2]}


def test_nested_change_detection_can_be_turned_off(clock: FakeClock) -> None:
    request = FakeRequest(_cookie({"cart": [1]}, int(NOW) - 1, NOW - 1))
    session = _factory(clock, reissue_time=None, detect_nested_changes=False)(request)
    session["cart"].append(2)
    assert request.respond().set_cookies() == []


# -- reissue ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reissue_time", "read_after", "written"),
    [
        (0, 0.9, False),  # same whole second as the cookie's accessed
        (0, 1.0, True),
        (10, 10.9, False),  # int(now) - renewed == 10 is not > 10
        (10, 11.0, True),
        (None, 100_000, False),
    ],
)
def test_reissue_of_a_loaded_cookie(
    clock: FakeClock, reissue_time: int | None, read_after: float, written: bool
) -> None:
    clock.now = 1000.0 + read_after
    request = FakeRequest(_cookie({"a": 1}, 1000, 900.25))
    session = _factory(clock, reissue_time=reissue_time, timeout=None)(request)
    assert session["a"] == 1
    cookies = request.respond().set_cookies()
    assert len(cookies) == int(written)
    if written:  # the same data, a fresh accessed, the original created
        assert _payload(cookies) == [int(clock.now), 900.25, {"a": 1}]


@pytest.mark.parametrize(("read_at", "written"), [(1000.9, False), (1001.0, True)])
def test_reissue_of_a_new_session_crossing_a_second(clock: FakeClock, read_at: float, written: bool) -> None:
    clock.now = 1000.5
    request = FakeRequest()
    session = _factory(clock)(request)
    clock.now = read_at
    assert session.get("x") is None
    cookies = request.respond().set_cookies()
    assert len(cookies) == int(written)
    if written:
        assert _payload(cookies) == [1001, 1000.5, {}]


# -- timeout ---------------------------------------------------------------------------


@pytest.mark.parametrize(("idle", "expired"), [(1200, False), (1200.001, True)])
def test_idle_timeout(clock: FakeClock, idle: float, expired: bool) -> None:
    clock.now = 5000 + idle
    session = _factory(clock, timeout=1200)(FakeRequest(_cookie({"a": 1}, 5000, 100.5)))
    # Expired or not, the session is not new and keeps its created (Pyramid's rule).
    assert (session.new, session.created, stored_state(session)) == (
        False,
        100.5,
        {} if expired else {"a": 1},
    )


def test_timeout_none_never_expires(clock: FakeClock) -> None:
    clock.now = 5000 + 10**9
    session = _factory(clock, timeout=None)(FakeRequest(_cookie({"a": 1}, 5000, 100.5)))
    assert stored_state(session) == {"a": 1}


def test_future_timestamps_within_the_clock_skew_count_as_now(clock: FakeClock) -> None:
    session = _factory(clock)(FakeRequest(_cookie({"a": 1}, NOW + 300, NOW + 300)))
    assert (session.new, session.renewed, session.created, stored_state(session)) == (
        False,
        NOW,
        NOW,
        {"a": 1},
    )


def test_future_timestamps_beyond_the_clock_skew_are_refused(clock: FakeClock) -> None:
    session = _factory(clock)(FakeRequest(_cookie({"a": 1}, NOW + 10**6, NOW + 10**6)))
    assert (session.new, stored_state(session)) == (True, {})


def test_absolute_timeout(clock: FakeClock) -> None:
    factory = _factory(clock, timeout=None, absolute_timeout=3600)
    clock.now = 1000.0 + 3600
    assert factory(FakeRequest(_cookie({"a": 1}, 4000, 1000.0))).new is False
    clock.now = 1000.0 + 3600.5
    session = factory(FakeRequest(_cookie({"a": 1}, 4000, 1000.0)))
    assert (session.new, session.created, stored_state(session)) == (True, 4600.5, {})


# -- flash ------------------------------------------------------------------------------


def test_flash_queues(clock: FakeClock) -> None:
    request = FakeRequest()
    session = _factory(clock)(request)
    session.flash("one")
    session.flash("one")
    session.flash("once", allow_duplicate=False)
    session.flash("once", allow_duplicate=False)
    session.flash({"level": "error"}, queue="errors")
    assert stored_state(session) == {"_f_": ["one", "one", "once"], "_f_errors": [{"level": "error"}]}
    peeked = session.peek_flash("errors")
    peeked.append("live reference")
    assert session.peek_flash("errors") == [{"level": "error"}, "live reference"]
    assert session.peek_flash("nothing") == []
    assert session.pop_flash() == ["one", "one", "once"]
    assert session.pop_flash() == []
    assert stored_state(session) == {"_f_errors": [{"level": "error"}, "live reference"]}
    assert _payload(request.respond().set_cookies())[2] == {
        "_f_errors": [{"level": "error"}, "live reference"]
    }


def test_flash_queue_must_be_a_str(clock: FakeClock) -> None:
    session = _factory(clock)(FakeRequest())
    with pytest.raises(TypeError):
        session.flash("m", queue=1)


# -- CSRF --------------------------------------------------------------------------------


def test_csrf_tokens(clock: FakeClock) -> None:
    session = _factory(clock)(FakeRequest())
    token = session.get_csrf_token()
    assert re.fullmatch(r"[0-9a-f]{40}", token) is not None
    assert (session.get_csrf_token(), session["_csrft_"]) == (token, token)
    fresh = session.new_csrf_token()
    assert (re.fullmatch(r"[0-9a-f]{40}", fresh) is not None, fresh != token) == (True, True)
    assert session.get_csrf_token() == fresh


def test_get_csrf_token_keeps_a_stored_empty_token(clock: FakeClock) -> None:
    # Only None (missing) makes a new token; '' is returned as stored, as in Pyramid.
    session = _factory(clock)(FakeRequest(_cookie({"_csrft_": ""}, int(NOW), NOW)))
    assert session.get_csrf_token() == ""
    session["_csrft_"] = None
    assert len(session.get_csrf_token()) == 40


# -- invalidate (a deliberate difference) -------------------------------------------------


def test_invalidate_deletes_the_cookie(clock: FakeClock) -> None:
    request = FakeRequest(_cookie({"user": "alice"}, int(NOW) - 10, NOW - 10))
    session = _factory(clock, domain="example.com", path="/app", secure=True, httponly=True)(request)
    session.invalidate()
    assert stored_state(session) == {}
    assert request.respond().set_cookies() == [
        "session=; Domain=example.com; Max-Age=0; Path=/app; expires=Wed, 31-Dec-97 23:59:59 GMT; "
        "secure; HttpOnly; SameSite=Lax"
    ]


def test_write_after_invalidate_starts_a_new_session(clock: FakeClock) -> None:
    request = FakeRequest(_cookie({"user": "alice"}, int(NOW) - 10, NOW - 100))
    session = _factory(clock)(request)
    clock.advance(3.25)
    session.invalidate()
    session["user"] = "bob"
    assert session.created == NOW + 3.25
    assert _payload(request.respond().set_cookies()) == [int(NOW + 3.25), NOW + 3.25, {"user": "bob"}]


# -- set_on_exception --------------------------------------------------------------------


@pytest.mark.parametrize(("set_on_exception", "cookies"), [(True, 1), (False, 0)])
def test_set_on_exception(clock: FakeClock, set_on_exception: bool, cookies: int) -> None:
    request = FakeRequest()
    session = _factory(clock, set_on_exception=set_on_exception)(request)
    session["a"] = 1
    request.exception = RuntimeError("the view failed")
    assert len(request.respond().set_cookies()) == cookies


def test_set_on_exception_false_still_writes_without_exception(clock: FakeClock) -> None:
    request = FakeRequest()
    session = _factory(clock, set_on_exception=False)(request)
    session["a"] = 1
    assert len(request.respond().set_cookies()) == 1


# -- what a cookie cannot carry ------------------------------------------------------------


def _payload_length(created: float, filler: int) -> int:
    return len(json.dumps([int(NOW), created, {"k": "x" * filler}]))


def _filler_for_token_length(length: int) -> int:
    # sha512: 64 signature bytes, and unpadded base64 of n bytes is ceil(4n/3) characters.
    for filler in range(4000):
        n = 64 + _payload_length(NOW, filler)
        if -(-4 * n // 3) == length:
            return filler
    raise AssertionError("no filler gives that length")


def test_the_4064_boundary(clock: FakeClock) -> None:
    filler = _filler_for_token_length(MAX_TOKEN_LENGTH)
    request = FakeRequest()
    session = _factory(clock)(request)
    session["k"] = "x" * filler
    (header,) = request.respond().set_cookies()
    assert len(cookie_value(header)) == MAX_TOKEN_LENGTH
    # ... and such a cookie is read back.
    assert stored_state(_factory(clock)(FakeRequest(header.split(";")[0]))) == {"k": "x" * filler}

    request = FakeRequest()
    session = _factory(clock)(request)
    session["k"] = "x" * (filler + 1)
    with pytest.raises(SessionTooLarge) as caught:
        request.respond()
    message = str(caught.value)
    assert message.startswith("Cookie value is too long to store (4066 bytes)")
    assert ("4064" in message, isinstance(caught.value, ValueError)) == (True, True)
    assert isinstance(caught.value, UnstorableSession) is True


def test_unserializable_value_names_the_key(clock: FakeClock) -> None:
    request = FakeRequest()
    session = _factory(clock)(request)
    session["fine"] = 1
    with pytest.raises(SessionNotSerializable) as caught:
        session["when"] = datetime(2020, 1, 1)  # refused when assigned
    assert "'when'" in str(caught.value)
    assert "datetime" in str(caught.value)
    assert isinstance(caught.value, TypeError) is True
    assert cookie_value(request.respond().set_cookies()[0]) == mint(_factory(clock), {"fine": 1})


def test_unserializable_nested_value_found_by_nested_detection(clock: FakeClock) -> None:
    request = FakeRequest(_cookie({"items": []}, int(NOW), NOW))
    session = _factory(clock, reissue_time=None)(request)
    session["items"].append({1, 2})
    with pytest.raises(SessionNotSerializable) as caught:
        request.respond()
    assert "'items'" in str(caught.value)


def _nested_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def test_values_nested_too_deeply_to_encode_are_reported_as_unstorable(clock: FakeClock) -> None:
    # Deeper than json's C encoder goes on any Python: a RecursionError inside it.
    written = FakeRequest()
    _factory(clock)(written)["deep"] = _nested_list(100_000)
    nested = FakeRequest(_cookie({"items": []}, int(NOW), NOW))
    _factory(clock, reissue_time=None)(nested)["items"].append(_nested_list(100_000))
    for request, key in ((written, "deep"), (nested, "items")):  # a write, then a nested change
        with pytest.raises(SessionNotSerializable) as caught:
            request.respond()
        assert str(caught.value) == (
            f"session[{key!r}] cannot be stored in a cookie: it nests more than "
            f"{MAX_DEPTH} levels of lists and dicts (or contains itself)"
        )
        assert isinstance(caught.value.__cause__, RecursionError) is True


def test_a_state_nested_deeper_than_the_limit_is_refused_when_written(clock: FakeClock) -> None:
    # The state's own dict counts as the first level: MAX_DEPTH levels are written and read
    # back, one more is refused (naming the key), so every state written parses again.
    factory = _factory(clock)
    deepest = factory.from_cookie_value(None)
    deepest["k"] = _nested_list(MAX_DEPTH - 2)
    header = deepest.set_cookie_header()
    assert header is not None
    assert stored_state(factory.from_cookie_value(cookie_value(header))) == {"k": _nested_list(MAX_DEPTH - 2)}
    too_deep = factory.from_cookie_value(None)
    too_deep["k"] = _nested_list(MAX_DEPTH - 1)
    with pytest.raises(SessionNotSerializable) as caught:
        too_deep.set_cookie_header()
    assert str(caught.value) == (
        f"session['k'] cannot be stored in a cookie: it nests more than {MAX_DEPTH} levels of lists and dicts"
    )


# -- serializers --------------------------------------------------------------------------


def test_pickle_serializer_warns_and_round_trips(clock: FakeClock) -> None:
    with pytest.warns(DeprecationWarning, match="PickleSerializer is deprecated"):
        serializer = PickleSerializer()
    factory = _factory(clock, serializer=serializer)
    request = FakeRequest()
    session = factory(request)
    session["when"] = datetime(2020, 1, 2)  # pickle can carry what JSON cannot
    (header,) = request.respond().set_cookies()
    loaded = factory(FakeRequest(header.split(";")[0]))
    assert (loaded.new, stored_state(loaded)) == (False, {"when": datetime(2020, 1, 2)})


def test_pickle_serializer_refuses_bad_bytes() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        serializer = PickleSerializer(protocol=2)
    assert (serializer.protocol, repr(serializer)) == (2, "PickleSerializer(protocol=2)")
    with pytest.raises(ValueError, match="cannot unpickle"):
        serializer.loads(b"not a pickle")


class _Base64JSON:
    """A custom serializer for BaseCookieSessionFactory: JSON in base64, no signing."""

    def dumps(self, appstruct: Any) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(appstruct).encode())

    def loads(self, bstruct: bytes) -> Any:
        return json.loads(base64.urlsafe_b64decode(bstruct))


def test_base_factory_with_a_custom_serializer(clock: FakeClock) -> None:
    factory = BaseCookieSessionFactory(_Base64JSON(), clock=clock, vary=False)
    request = FakeRequest()
    session = factory(request)
    session["a"] = [1, 2]
    (header,) = request.respond().set_cookies()
    # The serializer gets the tuple (accessed, created, state), as in Pyramid.
    assert json.loads(base64.urlsafe_b64decode(cookie_value(header))) == [int(NOW), NOW, {"a": [1, 2]}]
    loaded = factory(FakeRequest(header.split(";")[0]))
    assert (loaded.new, stored_state(loaded)) == (False, {"a": [1, 2]})
    # Bytes it cannot read, and text that is not latin-1, give a new session.
    assert factory(FakeRequest("session=%%%")).new is True
    assert factory(FakeRequest("session=\u2603")).new is True


def test_base_factory_refuses_pickle() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        serializer = PickleSerializer()
    with pytest.raises(ConfigurationError, match="SignedCookieSessionFactory"):
        BaseCookieSessionFactory(serializer)


def test_json_serializer_repr_and_errors() -> None:
    serializer = JSONSerializer()
    assert (repr(serializer), serializer.loads(serializer.dumps({"a": 1}))) == ("JSONSerializer()", {"a": 1})
    with pytest.raises(ValueError):  # noqa: PT011 - any ValueError is the protocol
        serializer.loads(b"\xff")


# -- the request -----------------------------------------------------------------------------


def test_request_is_held_weakly(clock: FakeClock) -> None:
    request = FakeRequest()
    session = _factory(clock)(request)
    assert session.request is request
    del request
    gc.collect()
    assert session.request is None


def test_request_without_weakref_support_is_held(clock: FakeClock) -> None:
    class Slotted:
        __slots__ = ("environ",)

        def __init__(self) -> None:
            self.environ: dict[str, str] = {}

    request = Slotted()
    session = _factory(clock)(request)
    assert session.request is request


def test_session_without_request(clock: FakeClock) -> None:
    factory = _factory(clock)
    session = factory.from_cookie_value(None)
    assert (session.request, session.new, session.set_cookie_header()) == (None, True, None)
    session["a"] = 1
    header = session.set_cookie_header()
    assert header is not None
    loaded = factory.from_cookie_value(cookie_value(header))
    assert (loaded.new, stored_state(loaded), loaded.set_cookie_header(failed=True)) == (
        False,
        {"a": 1},
        None,
    )


# -- key rotation, the reuse of unchanged payloads, reprs -------------------------------------


def test_cookie_under_a_fallback_secret_is_reissued_under_the_primary(clock: FakeClock) -> None:
    request = FakeRequest("session=" + signed_state({"a": 1}, int(NOW) - 5, NOW - 50, secret=OTHER_SECRET))
    fallbacks = ["an-unrelated-secret-" + "y" * 64, OTHER_SECRET]
    factory = _factory(clock, reissue_time=None, fallback_secrets=fallbacks)
    session = factory(request)
    assert session.new is False
    (header,) = request.respond().set_cookies()
    # Re-signed under the primary secret, same data and timestamps (nothing was accessed).
    assert cookie_value(header) == signed([float(int(NOW) - 5), NOW - 50, {"a": 1}])
    assert stored_state(factory(FakeRequest(header.split(";")[0]))) == {"a": 1}


@pytest.mark.parametrize(
    "payload",
    [
        '[1700000000,1700000000.5,{"a": 1}]',  # compact separators
        '[1700000000, 1700000000.5, {"a":1} ]',  # whitespace before the closing bracket
        '[1700000000, 1700000000.5, {"a": 1}] ',  # trailing whitespace
    ],
)
def test_reissue_of_an_unusual_layout_is_written_canonically(clock: FakeClock, payload: str) -> None:
    request = FakeRequest("session=" + signed(payload))
    session = _factory(clock)(request)
    clock.advance(5)
    expected_state = json.loads(payload)[2]
    assert session.get("zzz") is None  # an access a later second: reissued
    (header,) = request.respond().set_cookies()
    assert cookie_value(header) == signed([int(NOW + 5), 1700000000.5, expected_state])


def test_reprs_show_no_secret(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(
        SECRET, clock=clock, fallback_secrets=["older-" + SECRET], cookie_name="sid"
    )
    base = BaseCookieSessionFactory(_Base64JSON(), clock=clock)
    shown = [repr(factory._codec), repr(factory._cookie), repr(base._codec)]
    assert shown[:2] == [
        "<SessionCodec JSONSerializer() <Signer sha512 with 1 fallback secret(s)>>",
        "<CookieSpec 'sid'>",
    ]
    assert (shown[2].startswith("<SessionCodec <tests.test_session._Base64JSON"), shown[2][-12:]) == (
        True,
        " <unsigned>>",
    )
    assert [SECRET in text for text in shown] == [False, False, False]
