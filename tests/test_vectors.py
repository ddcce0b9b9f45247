"""The five golden vectors made with real Pyramid 2.1 / WebOb 1.8.11, reproduced byte for byte.

The vectors live in ``tests/data/pyramid-vectors.json``, a copy of
``shared/reference/pyramid-vectors.json`` kept in the repository so that it is
self-contained; :func:`test_repository_copy_matches_the_reference` keeps the two equal.
"""

from __future__ import annotations

import calendar
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from cookiesession import SecretTooShortWarning, SignedCookieSessionFactory
from cookiesession.signing import Signer, derive_hmac_key
from tests.conftest import FakeClock
from tests.session_harness import FakeRequest

REPO_COPY = Path(__file__).parent / "data" / "pyramid-vectors.json"
REFERENCE = Path(__file__).parents[2] / "shared/reference/pyramid-vectors.json"
VECTORS: list[dict[str, Any]] = json.loads(REPO_COPY.read_text(encoding="utf-8"))["vectors"]
IDS = [f"v{i}-{v['hashalg']}" for i, v in enumerate(VECTORS, 1)]

# Vector 5's `expires` came from WebOb's datetime.utcnow(), which the generator froze
# separately from time.time(); the session dates `expires` at response time, so the
# clock is moved to that instant just before the response is made.
WEBOB_UTCNOW_OF_VECTOR_5 = calendar.timegm((2030, 1, 2, 3, 4, 5, 0, 0, 0))


def _factory(vector: dict[str, Any], clock: FakeClock) -> Any:
    with warnings.catch_warnings():
        # The vectors' secrets are short on purpose (they came from Pyramid's docs style);
        # the warning is tested elsewhere.
        warnings.simplefilter("ignore", SecretTooShortWarning)
        return SignedCookieSessionFactory(
            vector["secret"],
            cookie_name=vector["cookie_name"],
            hashalg=vector["hashalg"],
            salt=vector["salt"],
            vary=False,
            clock=clock,
            **vector["factory_kwargs"],
        )


def test_repository_copy_matches_the_reference() -> None:
    if not REFERENCE.exists():
        pytest.skip("../shared/reference is not beside this checkout")
    assert json.loads(REPO_COPY.read_text(encoding="utf-8")) == json.loads(
        REFERENCE.read_text(encoding="utf-8")
    )


def test_there_are_five_vectors() -> None:
    assert len(VECTORS) == 5


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_hmac_key(vector: dict[str, Any]) -> None:
    assert derive_hmac_key(vector["secret"], vector["salt"]).hex() == vector["hmac_key_hex"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_signature_and_token(vector: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecretTooShortWarning)
        signer = Signer(vector["secret"], vector["salt"], vector["hashalg"])
    payload = vector["payload_json"].encode()
    assert (signer.digest_size, signer.signature(payload).hex()) == (
        vector["digest_size"],
        vector["signature_hex"],
    )
    assert signer.sign(payload) == vector["cookie_value"]
    assert signer.unsign(vector["cookie_value"]) == (payload, 0)


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_vector_byte_for_byte(vector: dict[str, Any]) -> None:
    clock = FakeClock(vector["time_time_returned"])
    factory = _factory(vector, clock)
    incoming = vector["incoming_cookie_value"]
    request = FakeRequest(None if incoming is None else f"{vector['cookie_name']}={incoming}")
    session = factory(request)

    decoded = vector["incoming_decoded"]
    if decoded is None:
        assert (session.new, dict(session)) == (True, {})
    else:
        assert (session.new, session.renewed, session.created, dict(session)) == (
            False,
            decoded["accessed"],
            decoded["created"],
            decoded["state"],
        )

    for key, value in vector["writes"]:
        session[key] = value
    assert (session.accessed, session.created, dict(session)) == (
        vector["accessed"],
        vector["created"],
        vector["state"],
    )

    if vector["factory_kwargs"].get("max_age") is not None:
        clock.now = WEBOB_UTCNOW_OF_VECTOR_5
    response = request.respond()
    assert response.headerlist == [("Set-Cookie", vector["set_cookie_header"])]
    assert response.headerlist[0][1].split(";")[0] == f"{vector['cookie_name']}={vector['cookie_value']}"


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_issued_cookie_decodes_to_the_vector_state(vector: dict[str, Any]) -> None:
    clock = FakeClock(vector["time_time_returned"] + 5)
    factory = _factory(vector, clock)
    session = factory(FakeRequest(f"{vector['cookie_name']}={vector['cookie_value']}"))
    assert (session.new, session.renewed, session.created, dict(session)) == (
        False,
        vector["accessed"],
        vector["created"],
        vector["state"],
    )


def test_vector_5_with_vary_keeps_the_same_set_cookie() -> None:
    vector = VECTORS[4]
    clock = FakeClock(vector["time_time_returned"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecretTooShortWarning)
        factory = SignedCookieSessionFactory(
            vector["secret"], hashalg=vector["hashalg"], clock=clock, **vector["factory_kwargs"]
        )
    request = FakeRequest()
    session = factory(request)
    for key, value in vector["writes"]:
        session[key] = value
    clock.now = WEBOB_UTCNOW_OF_VECTOR_5
    response = request.respond()
    assert response.set_cookies() == [vector["set_cookie_header"]]
    assert ("Vary", "Cookie") in response.headerlist
