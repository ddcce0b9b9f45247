"""Tokens' base64: the same bytes and the same refusals whether pybase64 (the
``fast-base64`` extra) or the standard library's ``binascii`` does the work."""

from __future__ import annotations

import base64
import sys
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cookiesession import BadSignature, _base64
from tests.conftest import require

URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Characters a hostile token may hold besides the alphabet: the standard alphabet's,
# padding, whitespace, a NUL, and text that is not ASCII.
HOSTILE = URLSAFE + "+/= \t\r\n.\x00é\u2603"

Decode = Callable[[str], bytes]


@pytest.fixture(params=["pybase64", "binascii"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each way of doing the base64 work, put in place for ``_base64.encode`` and ``decode``."""
    if request.param == "pybase64":
        require(_base64.using_pybase64(), "pybase64 (the 'fast-base64' extra)")
    else:
        monkeypatch.setattr(_base64, "_urlsafe_encode", _base64._binascii_encode)
        monkeypatch.setattr(_base64, "_urlsafe_decode", _base64._binascii_decode)
    return str(request.param)


def _outcome(decode: Decode, token: str) -> bytes | None:
    try:
        return decode(token)
    except BadSignature:
        return None


def _with_binascii(token: str) -> bytes | None:
    decode = _base64._urlsafe_decode
    _base64._urlsafe_decode = _base64._binascii_decode
    try:
        return _outcome(_base64.decode, token)
    finally:
        _base64._urlsafe_decode = decode


# The fixture's patch holds for every example of a test: nothing to reset between them.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_encode_writes_unpadded_urlsafe_base64_and_decode_reads_it_back(backend: str, raw: bytes) -> None:
    token = _base64.encode(raw)
    assert token == base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    assert _base64.decode(token) == raw


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=HOSTILE, max_size=24))
def test_both_backends_refuse_and_accept_the_same_tokens(token: str) -> None:
    require(_base64.using_pybase64(), "pybase64 (the 'fast-base64' extra)")
    assert _outcome(_base64.decode, token) == _with_binascii(token)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=60), st.integers(min_value=0), st.sampled_from(list(HOSTILE)))
def test_a_valid_token_with_one_character_changed_decodes_alike(raw: bytes, where: int, char: str) -> None:
    require(_base64.using_pybase64(), "pybase64 (the 'fast-base64' extra)")
    token = _base64.encode(raw)
    at = where % len(token)
    for variant in (token[:at] + char + token[at + 1 :], token[:at] + char + token[at:]):
        assert _outcome(_base64.decode, variant) == _with_binascii(variant), variant


@pytest.mark.parametrize(
    "token",
    [
        "QUJD=",  # padding a whole group does not need (binascii's strict mode takes it)
        "QUI=",  # a padded token: never canonical
        "QUI==",
        "QQ==QUJD",  # padding in the middle
        "QUJD\n",
        " QUJD",
        "QU JD",
        "QU    JD",  # whitespace four at a time: a lenient decoder skips it and reads "QUJD"
        "QUJD\r\n\r\n",
        "QUJ+",  # the standard alphabet
        "Q+JD",
        "Q/JD",
        "QUJ",  # 'J' leaves a non-zero bit unused: only 'I' is canonical here
        "Q",  # one character holds no whole byte
        "QUJDé",
        "QUJ\x00",
    ],
)
def test_non_canonical_tokens_are_refused(backend: str, token: str) -> None:
    with pytest.raises(BadSignature, match="malformed token"):
        _base64.decode(token)


def test_the_empty_token_is_the_empty_payload(backend: str) -> None:
    assert _base64.encode(b"") == ""
    assert _base64.decode("") == b""


def test_without_pybase64_the_standard_library_does_the_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pybase64", None)  # what an import then raises: ImportError
    assert _base64._backend() == (_base64._binascii_encode, _base64._binascii_decode)
