"""Any cookie whatsoever gives a fresh, empty session and nothing raises out of
``request.session``; a malformed neighbour never breaks a good session cookie.

Everything goes through a real Pyramid request (``Request.blank`` and the router), as
named cases and as hypothesis properties over arbitrary text.
"""

from __future__ import annotations

import importlib.util
import json
import math
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cookiesession import BadSignature, SignedCookieSessionFactory
from cookiesession.signing import Signer
from tests.conftest import require
from tests.session_harness import NOW, OTHER_SECRET, SECRET, FakeClock, signed, signed_state

HAVE_PYRAMID = importlib.util.find_spec("pyramid") is not None
if HAVE_PYRAMID:
    from pyramid.config import Configurator
    from pyramid.request import Request
    from pyramid.response import Response

CLOCK = FakeClock(NOW)
GOOD_STATE = {"user": "alice", "n": 1}
FRESH = {"new": True, "state": {}, "created": NOW}
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOOD = signed_state(GOOD_STATE, accessed=int(NOW) - 10, created=NOW - 100)
LOADED = {"new": False, "state": GOOD_STATE, "created": NOW - 100}


def _report(request: Request) -> Response:
    session = request.session
    return Response(json_body={"new": session.new, "state": dict(session), "created": session.created})


_APP: list[Any] = []


def _app() -> Any:
    require(HAVE_PYRAMID, "Pyramid")
    if not _APP:
        config = Configurator()
        config.set_session_factory(SignedCookieSessionFactory(SECRET, clock=CLOCK))
        config.add_route("report", "/")
        config.add_view(_report, route_name="report")
        _APP.append(config.make_wsgi_app())
    return _APP[0]


def _session_for(cookie_header: str) -> dict[str, Any]:
    request = Request.blank("/")
    request.environ["HTTP_COOKIE"] = cookie_header  # set directly: any text at all, even non-latin-1
    response = request.get_response(_app())
    assert response.status_int == 200
    report: dict[str, Any] = response.json
    return report


BAD_COOKIES: dict[str, str] = {
    "empty": "",
    "100 kB": "A" * 100_000,
    "100 kB of a valid token repeated": GOOD * (100_000 // len(GOOD)),
    "non-ASCII": "s\u00e9ssion\u2603\U0001f600",
    "latin-1 bytes": "\xff\xfe\x00",
    "bad base64 one character": "a",
    "bad base64 junk": "!!!!",
    "bad base64 padding": GOOD + "==",
    "standard alphabet": GOOD.replace("-", "+").replace("_", "/")
    if ("-" in GOOD or "_" in GOOD)
    else GOOD + "+/",
    "non-canonical trailing bits": GOOD[:-1] + chr(ord(GOOD[-1]) + 1) if len(GOOD) % 4 else GOOD + "AB",
    "truncated by one": GOOD[:-1],
    "truncated by ten": GOOD[:-10],
    "truncated to the signature": GOOD[:86],
    "extended by one": GOOD + "A",
    "extended by four": GOOD + "AAAA",
    "signature flipped": ("B" if GOOD[0] == "A" else "A") + GOOD[1:],
    "other secret": signed_state(GOOD_STATE, secret=OTHER_SECRET),
    "other salt": signed([int(NOW), NOW, GOOD_STATE], salt="other.salt."),
    "other hashalg": signed([int(NOW), NOW, GOOD_STATE], hashalg="sha256"),
    "other hashalg same length": signed([int(NOW), NOW, GOOD_STATE], hashalg="sha3_512"),
    "signed non-UTF-8": signed(b"\xff\xfe[1, 2, {}]"),
    "signed non-JSON": signed("not json at all"),
    "signed empty payload": signed(""),
    "signed object": signed('{"a": 1}'),
    "signed object of 3 keys": signed('{"1": 1, "2": 2, "3": {}}'),
    "signed number": signed("5"),
    "signed string": signed('"abc"'),
    "signed null": signed("null"),
    "signed 2 items": signed(f"[{int(NOW)}, {{}}]"),
    "signed 4 items": signed(f"[{int(NOW)}, {NOW}, {{}}, 1]"),
    "signed state list of pairs": signed(f'[{int(NOW)}, {NOW}, [["k", "v"]]]'),
    "signed state string": signed(f'[{int(NOW)}, {NOW}, "ab"]'),
    "signed state number": signed(f"[{int(NOW)}, {NOW}, 5]"),
    "signed state null": signed(f"[{int(NOW)}, {NOW}, null]"),
    "signed state list": signed(f"[{int(NOW)}, {NOW}, [1]]"),
    "signed string accessed": signed(f'["{int(NOW)}", {NOW}, {{}}]'),
    "signed string created": signed(f'[{int(NOW)}, "{NOW}", {{}}]'),
    "signed bool accessed": signed(f"[true, {NOW}, {{}}]"),
    "signed bool created": signed(f"[{int(NOW)}, false, {{}}]"),
    "signed NaN accessed": signed(f"[NaN, {NOW}, {{}}]"),
    "signed NaN created": signed(f"[{int(NOW)}, NaN, {{}}]"),
    "signed Infinity": signed(f"[Infinity, {NOW}, {{}}]"),
    "signed -Infinity created": signed(f"[{int(NOW)}, -Infinity, {{}}]"),
    "signed -Infinity accessed": signed(f"[-Infinity, {NOW}, {{}}]"),
    "signed Infinity created": signed(f"[{int(NOW)}, Infinity, {{}}]"),
    "signed 1e400 (inf)": signed(f"[1e400, {NOW}, {{}}]"),
    "signed 10**400": signed(f"[{10**400}, {NOW}, {{}}]"),
    "signed null timestamps": signed("[null, null, {}]"),
    "signed deep nesting": signed("[" * 5000 + "]" * 5000),
    "signed timed out": signed(f"[{int(NOW) - 1201}, {NOW - 2000}, {{}}]"),
}


@pytest.mark.parametrize("value", list(BAD_COOKIES.values()), ids=list(BAD_COOKIES))
def test_bad_cookie_gives_a_fresh_session(value: str) -> None:
    report = _session_for(f"session={value}")
    if value == BAD_COOKIES["signed timed out"]:  # Pyramid's rule: empty, but neither new nor re-dated
        assert report == {"new": False, "state": {}, "created": NOW - 2000}
    else:
        assert report == FRESH


def test_the_good_cookie_is_good() -> None:
    # The cases above are derived from this cookie, so it must itself be accepted.
    assert _session_for(f"session={GOOD}") == LOADED


NEIGHBOURS: dict[str, str] = {
    "non-UTF-8 octal escape (breaks WebOb)": 'x="\\377"',
    "raw latin-1 byte": "x=\xff\xfe",
    "unterminated quote": 'x="abc',
    "no equals sign": "garbage",
    "empty pairs": ";;; ;",
    "equals only": "==",
    "attribute-like": "Path=/; HttpOnly",
    "non-ASCII name": "\u2603=snow",
    "our name as a suffix": "my_session=zzz",
    "our name inside a value": "x=session",
}


@pytest.mark.parametrize("neighbour", list(NEIGHBOURS.values()), ids=list(NEIGHBOURS))
@pytest.mark.parametrize("before", [True, False], ids=["before", "after"])
def test_malformed_neighbour_does_not_break_the_session(neighbour: str, before: bool) -> None:
    header = f"{neighbour}; session={GOOD}" if before else f"session={GOOD}; {neighbour}"
    assert _session_for(header) == LOADED


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f'session="{GOOD}"', LOADED),  # quoted values are unquoted, as WebOb does
        (f'session = "{GOOD}"', FRESH),  # but "session " is another cookie's name
        (f"session=junk; session={GOOD}", LOADED),  # the last occurrence wins
        (f"session={GOOD}; session=junk", FRESH),
        (f"session={GOOD};session=", FRESH),
        (f"a=1;session={GOOD}", LOADED),
        (f"a=1,session={GOOD}", LOADED),
        (f"  session={GOOD}  ", LOADED),
        (f"Session={GOOD}", FRESH),  # names are case-sensitive
    ],
)
def test_header_layout(header: str, expected: dict[str, Any]) -> None:
    assert _session_for(header) == expected


@PROPERTY
@given(st.text(max_size=300))
def test_any_text_as_the_cookie_value(value: str) -> None:
    assert _session_for(f"session={value}") == FRESH


@PROPERTY
@given(st.text(max_size=300))
def test_any_text_as_the_whole_header(header: str) -> None:
    assert _session_for(header) == FRESH


@PROPERTY
@given(st.text(alphabet=st.characters(exclude_characters=";"), max_size=100))
def test_any_neighbour_before_a_good_cookie(neighbour: str) -> None:
    assert _session_for(f"{neighbour}; session={GOOD}") == LOADED


@PROPERTY
@given(st.binary(max_size=200))
def test_any_signed_bytes(payload: bytes) -> None:
    report = _session_for(f"session={signed(payload)}")
    # A few payloads are valid sessions ([accessed, created, {...}]); all others are fresh.
    try:
        triple = json.loads(payload)
    except ValueError:
        triple = None
    if not (isinstance(triple, list) and len(triple) == 3 and isinstance(triple[2], dict)):
        assert report == FRESH


@PROPERTY
@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=5),
        st.lists(st.integers(), max_size=2),
    ),
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
)
def test_any_signed_timestamps(accessed: object, created: object) -> None:
    payload = json.dumps([accessed, created, {"k": 1}])
    report = _session_for(f"session={signed(payload)}")
    # Finite floats, and ints that float() can convert (not bools, not strings), are timestamps.
    numbers = all(
        (type(t) is int and abs(t) <= 2**1023) or (type(t) is float and math.isfinite(t))
        for t in (accessed, created)
    )
    if not numbers:
        assert report == FRESH
        return
    # Dated more than the clock skew allowance (300 s) ahead of this server: refused too.
    ahead = max(float(accessed), float(created)) - time.time()  # type: ignore[arg-type]
    assume(not 290 <= ahead <= 310)  # the real clock moved on while the request ran
    if ahead > 300:
        assert report == FRESH
    else:
        assert report["new"] is False


@pytest.mark.parametrize("token", ["A" * 4065, GOOD + "AAAA" * 1000, "A" * 100_000])
def test_low_level_decoder_refuses_overlong_tokens(token: str) -> None:
    # The session checks the length first; the decoder refuses on its own too.
    with pytest.raises(BadSignature, match="longer than any cookie"):
        Signer(SECRET).unsign(token)
