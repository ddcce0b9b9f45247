"""The readers of other libraries' cookies never raise, whatever the cookie holds:
bad input is no session."""

from __future__ import annotations

import base64
import hashlib
import hmac

from hypothesis import given, settings
from hypothesis import strategies as st

from cookiesession import readers
from tests.session_harness import NOW, SECRET

READERS: list[readers.Reader] = [
    readers.flask(SECRET),
    readers.starlette(SECRET, max_age=None),
    readers.django(SECRET, max_age=None),
]
# Cookie-ish text: the separators and base64 alphabets the formats use, and anything else.
COOKIE_TEXT = st.text(alphabet=st.sampled_from("AZaz09-_+/=.:!é\x00")) | st.text()


@settings(max_examples=300, deadline=None)
@given(value=COOKIE_TEXT)
def test_no_reader_raises_or_accepts_an_unsigned_value(value: str) -> None:
    assert [reader.read(value, NOW) for reader in READERS] == [None, None, None]


def _starlette_signed(state_json: bytes) -> str:
    # Starlette's format built by hand: base64 JSON, a timestamp of 1, an HMAC-SHA1 keyed
    # as itsdangerous's default key derivation keys it.
    key = hashlib.sha1(b"itsdangerous.Signersigner" + SECRET.encode()).digest()  # noqa: S324 - the format's
    payload = base64.b64encode(state_json) + b"." + base64.urlsafe_b64encode(b"\x01").rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.new(key, payload, hashlib.sha1).digest()).rstrip(b"=")
    return (payload + b"." + signature).decode()


def test_a_signed_value_that_is_not_a_json_object_is_no_session() -> None:
    reader = readers.starlette(SECRET, max_age=None)
    assert [reader.read(_starlette_signed(text), NOW) for text in (b'{"a": 1}', b"[1, 2]", b"{")] == [
        {"a": 1},
        None,
        None,
    ]
