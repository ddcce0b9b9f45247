"""CSRF token checking for frameworks that have no CSRF machinery of their own.

The token is the one :meth:`CookieSession.get_csrf_token` stores (Pyramid's
``_csrft_`` key), so a form rendered by a Pyramid app can be checked by a
Starlette, FastAPI, Flask or bare WSGI app that shares the cookie.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from ._flash_csrf import CSRF_KEY

__all__ = ["check_csrf_token"]


def _as_bytes(value: object) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return value.encode("latin-1")
        except UnicodeEncodeError:
            return None  # no token we issue has such a character: it cannot match
    return None


def check_csrf_token(session: Mapping[str, Any], supplied_token: str | bytes | None) -> bool:
    """True when ``supplied_token`` equals the session's CSRF token.

    The comparison takes the same time wherever the two tokens differ
    (:func:`hmac.compare_digest`), so a forger learns nothing from timing.  A
    session without a token, an empty or missing supplied token, and a supplied
    token that is not latin-1 text are all simply ``False``; nothing here raises.
    Reading the token does not create one: call ``session.get_csrf_token()`` when
    rendering the form.
    """
    expected = _as_bytes(session.get(CSRF_KEY))
    supplied = _as_bytes(supplied_token)
    if not expected or supplied is None:
        return False
    return hmac.compare_digest(expected, supplied)
