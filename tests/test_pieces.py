"""max_cookies=N: a session too large for one cookie, in pieces signed (or sealed) as one token."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from cookiesession import (
    BaseCookieSessionFactory,
    ConfigurationError,
    EncryptedCookieSessionFactory,
    JSONSerializer,
    SessionTooLarge,
    SignedCookieSessionFactory,
)
from cookiesession._pieces import MAX_COOKIES, MAX_HEADER
from cookiesession.signing import MAX_TOKEN_LENGTH
from tests.conftest import require
from tests.session_harness import (
    SECRET,
    FakeClock,
    FakeRequest,
    cookie_header,
    cookie_value,
    mint,
    names,
    noise,
    stored_state,
    written,
)

HAVE_CRYPTO = importlib.util.find_spec("cryptography") is not None


def _make(kind: str, clock: FakeClock, **options: Any) -> Any:
    if kind == "encrypted":
        require(HAVE_CRYPTO, "cryptography")
        return EncryptedCookieSessionFactory(SECRET, clock=clock, **options)
    return SignedCookieSessionFactory(SECRET, clock=clock, **options)


KINDS = pytest.mark.parametrize("kind", ["signed", "encrypted"])


@KINDS
def test_a_large_session_is_stored_in_pieces_and_read_back(clock: FakeClock, kind: str) -> None:
    factory = _make(kind, clock, max_cookies=3)
    state = {"big": noise(9000)}
    cookies = written(factory, state)
    assert names(cookies) == ["session", "session.1", "session.2"]
    assert max(len(each) for each in cookies) <= MAX_HEADER
    assert cookie_value(cookies[0]).startswith("~3~")
    session = factory.from_cookie_header(cookie_header(cookies))
    assert (session.new, stored_state(session)) == (False, state)


def test_a_session_that_fits_one_cookie_is_written_as_without_pieces(clock: FakeClock) -> None:
    one = SignedCookieSessionFactory(SECRET, clock=clock)
    several = SignedCookieSessionFactory(SECRET, clock=clock, max_cookies=4)
    state = {"user": "alice", "pad": noise(2900)}
    single = one.from_cookie_header(None)
    single.update(state)
    assert written(several, state) == [single.set_cookie_header()]


@pytest.mark.parametrize(
    "attributes",
    [
        {},
        {"max_age": 3600, "domain": "example.com", "secure": True, "httponly": True, "samesite": "Strict"},
        {"path": "/" + "p" * 300, "domain": "d" * 200 + ".example.com", "max_age": 10**9},
        {"cookie_name": "__Host-" + "n" * 60, "secure": True, "partitioned": True, "samesite": "None"},
    ],
)
def test_every_set_cookie_holds_at_most_4096_bytes_with_its_attributes(
    clock: FakeClock, attributes: dict[str, Any]
) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, max_cookies=MAX_COOKIES, **attributes)
    for size in (3000, 4000, 4100, 8000, 20000):
        cookies = written(factory, {"big": noise(size)})
        assert [len(each) <= MAX_HEADER for each in cookies] == [True] * len(cookies)
        session = factory.from_cookie_header(cookie_header(cookies))
        assert stored_state(session) == {"big": noise(size)}


def test_the_longest_single_cookie_value_is_still_one_cookie(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, max_cookies=2)
    # A token of exactly 4064 characters, as test_session's limit test makes.
    one = SignedCookieSessionFactory(SECRET, clock=clock)
    filler = next(n for n in range(2800, 3100) if len(mint(one, {"k": "x" * n})) == MAX_TOKEN_LENGTH)
    assert len(written(factory, {"k": "x" * filler})) == 1
    assert names(written(factory, {"k": "x" * (filler + 1)})) == ["session", "session.1"]


def test_a_shrinking_session_deletes_the_pieces_it_no_longer_needs(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, max_cookies=4)
    four = written(factory, {"big": noise(11000)})
    assert len(four) == 4
    two = written(factory, {"big": noise(5000)}, cookie_header(four))
    assert names(two) == ["session", "session.1", "session.2", "session.3"]
    assert ["Max-Age=0" in each for each in two] == [False, False, True, True]
    one = written(factory, {"small": 1}, cookie_header(two))
    assert (names(one), ["Max-Age=0" in each for each in one]) == (["session", "session.1"], [False, True])
    assert stored_state(factory.from_cookie_header(cookie_header(one))) == {"small": 1}


def test_ending_a_session_deletes_every_piece(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, max_cookies=3)
    session = factory.from_cookie_header(cookie_header(written(factory, {"big": noise(9000)})))
    session.invalidate()
    deleted = session.set_cookie_headers()
    assert (names(deleted), ["Max-Age=0" in each for each in deleted]) == (
        ["session", "session.1", "session.2"],
        [True, True, True],
    )


def test_a_pyramid_style_request_gets_every_piece(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, max_cookies=3)
    request = FakeRequest()
    factory(request)["big"] = noise(5000)
    cookies = request.respond().set_cookies()
    request = FakeRequest(cookie_header(cookies))
    assert (names(cookies), factory(request)["big"]) == (["session", "session.1"], noise(5000))


def test_too_large_names_the_size_the_limit_and_the_setting_that_fits(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, max_cookies=2, compress=True)
    session = factory.from_cookie_header(None)
    session["big"] = noise(20000)
    with pytest.raises(SessionTooLarge) as caught:
        session.set_cookie_headers()
    assert str(caught.value) == (
        "Cookie value is too long to store (15624 bytes): max_cookies=2 cookies hold at most 8127 "
        "characters (each Set-Cookie, name and attributes included, at most 4096 bytes); "
        "max_cookies=4 would store it"
    )


def test_too_large_for_one_cookie_suggests_compression_when_that_fits(clock: FakeClock) -> None:
    session = SignedCookieSessionFactory(SECRET, clock=clock).from_cookie_header(None)
    session["cart"] = ["the same item"] * 400
    with pytest.raises(SessionTooLarge) as caught:
        session.set_cookie_header()
    message = str(caught.value)
    assert message.startswith("Cookie value is too long to store (")
    assert ("holds at most 4064 characters" in message, "compress=True would store it (" in message) == (
        True,
        True,
    )


def test_too_large_even_for_ten_cookies_says_to_store_less(clock: FakeClock) -> None:
    session = SignedCookieSessionFactory(SECRET, clock=clock, compress=True).from_cookie_header(None)
    session["big"] = noise(100000)
    with pytest.raises(SessionTooLarge) as caught:
        session.set_cookie_header()
    assert str(caught.value).endswith("; store less in the session")


def test_the_base_factory_suggests_no_setting_it_refuses(clock: FakeClock) -> None:
    factory = BaseCookieSessionFactory(JSONSerializer(), clock=clock)
    session = factory.from_cookie_header(None)
    session["cart"] = ["the same item"] * 400
    with pytest.raises(SessionTooLarge) as caught:
        session.set_cookie_header()
    assert str(caught.value).endswith("; store less in the session")


@pytest.mark.parametrize("value", [0, -1, MAX_COOKIES + 1])
def test_max_cookies_out_of_range_is_refused_at_start_up(value: int) -> None:
    with pytest.raises(ConfigurationError, match=r"^max_cookies=-?\d+ is out of range"):
        SignedCookieSessionFactory(SECRET, max_cookies=value)


@pytest.mark.parametrize("value", [True, 2.0, "2", None])
def test_max_cookies_of_another_type_is_refused(value: Any) -> None:
    with pytest.raises(TypeError, match=r"^max_cookies must be a whole number"):
        SignedCookieSessionFactory(SECRET, max_cookies=value)


def test_the_base_factory_refuses_pieces() -> None:
    with pytest.raises(ConfigurationError, match=r"^max_cookies applies to signed and encrypted cookies"):
        BaseCookieSessionFactory(JSONSerializer(), max_cookies=2)


def test_set_cookie_header_cannot_answer_for_several_cookies(clock: FakeClock) -> None:
    session = SignedCookieSessionFactory(SECRET, clock=clock, max_cookies=2).from_cookie_header(None)
    session["a"] = 1
    with pytest.raises(TypeError, match="use set_cookie_headers"):
        session.set_cookie_header()


def test_a_factory_without_pieces_refuses_a_cookie_in_pieces(clock: FakeClock) -> None:
    cookies = written(SignedCookieSessionFactory(SECRET, clock=clock, max_cookies=3), {"big": noise(9000)})
    one = SignedCookieSessionFactory(SECRET, clock=clock)
    session = one.from_cookie_header(cookie_header(cookies))
    assert (session.new, stored_state(session)) == (True, {})


def test_pieces_are_read_from_a_cookies_mapping_as_flask_gives_them(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, max_cookies=3)
    cookies = dict(each.split(";", 1)[0].split("=", 1) for each in written(factory, {"big": noise(7000)}))
    session = factory.from_cookie_value(cookies["session"], cookies)
    assert stored_state(session) == {"big": noise(7000)}
    # Without the other cookies to look at, the first alone is no session.
    assert factory.from_cookie_value(cookies["session"]).new is True


def test_whole_token_joins_the_pieces_for_a_framework_that_reads_them_itself(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, max_cookies=3)
    cookies = dict(each.split(";", 1)[0].split("=", 1) for each in written(factory, {"big": noise(9000)}))
    token, carried = factory.whole_token(cookies)
    assert (carried, stored_state(factory.from_cookie_value(token))) == (3, {"big": noise(9000)})
    assert factory.whole_token({"session": "plain"}) == ("plain", 1)
    assert factory.whole_token({}) == (None, 1)


def test_token_pieces_cut_a_token_for_a_framework_that_writes_them_itself(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, max_cookies=3)
    token = "A" * 7000
    pieces = factory.token_pieces(token, lambda index: 4000) or []
    assert (len(pieces), pieces[0][:3], "".join(pieces)[3:]) == (2, "~2~", token)
    assert factory.token_pieces("short", lambda index: 4000) == ["short"]
    assert factory.token_pieces("A" * 20000, lambda index: 4000) is None


@pytest.mark.parametrize("attributes", [{}, {"max_age": 1209600, "secure": True, "httponly": True}])
def test_the_cookie_header_sent_back_is_within_the_documented_total(
    clock: FakeClock, attributes: dict[str, Any]
) -> None:
    # k cookies make a Cookie header of at most k * (4096 - A) + 2 * (k - 1) bytes,
    # A being the length of the cookie's attributes (docs/large-sessions.md).
    factory = SignedCookieSessionFactory(SECRET, clock=clock, max_cookies=MAX_COOKIES, **attributes)
    (small,) = written(factory, {"a": 1})
    attribute_length = len(small) - len(small.split(";", 1)[0])
    totals = []
    for size in (5000, 9000, 20000):
        cookies = written(factory, {"big": noise(size)})
        k = len(cookies)
        totals.append(len(cookie_header(cookies)) <= k * (MAX_HEADER - attribute_length) + 2 * (k - 1))
    assert totals == [True, True, True]
