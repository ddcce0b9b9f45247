"""The floor inside Pyramid's views: a session factory doing only the raw primitives.

``FloorSession`` reads and writes ``pyramid.session``'s cookie with ``peers.Floor``
(``json``, HMAC-SHA512 through ``hmac.new``, the ``base64`` module and
``compare_digest``) and nothing else: the cookie found by splitting the header, no
checks of the times beyond the idle timeout, no ``Vary``, no cookie attributes
but a path.  Like Pyramid's default ``reissue_time=0`` it writes the cookie back
whenever the view used the session.  It is not a session anyone should use: it
shows what the least work a Pyramid-compatible cookie needs costs inside the
same views, beside ``pyramid.session`` and ours (``views.py``'s floor column).
"""

from __future__ import annotations

import time
from typing import Any

from apps import COOKIE_NAME, SECRET
from peers import Floor

_WIRE = Floor()
_WIRE.key = b"pyramid.session." + SECRET.encode("ascii")  # the apps' secret, with Pyramid's salt
_PREFIX = COOKIE_NAME + "="


class FloorSession(dict):  # type: ignore[type-arg]
    """``factory(request)``: the session of a Pyramid request, as in ``request.session``."""

    def __init__(self, request: Any) -> None:
        header = request.environ.get("HTTP_COOKIE", "")
        value = header.partition(_PREFIX)[2].partition(";")[0]
        try:
            created, state = _WIRE._decode(value)
        except ValueError:  # no cookie, or one that does not verify
            created, state = time.time(), {}
        super().__init__(state)
        self.created = created
        self.used = False
        request.add_response_callback(self._respond)

    def __getitem__(self, key: str) -> Any:
        self.used = True
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        self.used = True
        return dict.get(self, key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self.used = True
        dict.__setitem__(self, key, value)

    def items(self) -> Any:
        self.used = True
        return dict.items(self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.used = True
        dict.update(self, *args, **kwargs)

    def _respond(self, request: Any, response: Any) -> None:
        if self.used:
            token = _WIRE._encode(int(time.time()), self.created, dict(self))
            response.headerlist.append(("Set-Cookie", f"{_PREFIX}{token}; Path=/"))
