"""A minimal stand-in for Pyramid's request, for driving a session without a framework.

The session core needs only ``environ['HTTP_COOKIE']``, ``add_response_callback`` and
``exception``; this object has exactly those, and :meth:`FakeRequest.respond` runs the
callbacks the way Pyramid's router does (first in, first out) on a bare response.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any


class FakeResponse:
    def __init__(self) -> None:
        self.headerlist: list[tuple[str, str]] = []

    def set_cookies(self) -> list[str]:
        return [value for name, value in self.headerlist if name == "Set-Cookie"]


class FakeRequest:
    def __init__(self, cookie_header: str | None = None) -> None:
        self.environ: dict[str, str] = {}
        if cookie_header is not None:
            self.environ["HTTP_COOKIE"] = cookie_header
        self.exception: BaseException | None = None
        self.callbacks: list[Callable[[Any, Any], None]] = []

    def add_response_callback(self, callback: Callable[[Any, Any], None]) -> None:
        self.callbacks.append(callback)

    def respond(self) -> FakeResponse:
        response = FakeResponse()
        for callback in self.callbacks:
            callback(self, response)
        return response


def cookie_value(set_cookie: str) -> str:
    """The value of a ``Set-Cookie`` header (the part between ``=`` and the first ``;``)."""
    return set_cookie.split(";", 1)[0].split("=", 1)[1]


def payload_of(token: str, digest_size: int = 64) -> Any:
    """The JSON payload of a signed token, without checking the signature (for assertions)."""
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return json.loads(raw[digest_size:])


def stored_state(session: Any) -> dict[str, Any]:
    """The session's state as a plain dict, read without counting as an access or
    handing its values out (a state not parsed yet is parsed first)."""
    session._materialize()
    return dict(dict.items(session))
