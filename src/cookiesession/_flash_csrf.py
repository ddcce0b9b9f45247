"""Pyramid's flash messages and CSRF token, on any session dict.

They live in the state under Pyramid's own keys (``_f_<queue>`` and
``_csrft_``), so flashed messages and tokens cross between Pyramid and
cookiesession apps that share the cookie.  The methods use only the dict's own
methods, so the session's change tracking sees them as it sees the application.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["CSRF_KEY", "FLASH_PREFIX", "FlashAndCsrf"]

CSRF_KEY = "_csrft_"
FLASH_PREFIX = "_f_"


class FlashAndCsrf(dict[str, Any]):
    """A dict with ``flash``, ``pop_flash``, ``peek_flash``, ``new_csrf_token`` and
    ``get_csrf_token``, as ``pyramid.interfaces.ISession`` describes them."""

    __slots__ = ()

    def flash(self, msg: Any, queue: str = "", allow_duplicate: bool = True) -> None:
        """Add a message to a flash queue, for the next page to show.

        Args:
            msg: the message (any value the serializer can store).
            queue: the queue's name; ``""`` is the default queue.
            allow_duplicate: False to leave the queue alone when it holds ``msg`` already.
        """
        storage = self.setdefault(FLASH_PREFIX + queue, [])
        if allow_duplicate or msg not in storage:
            storage.append(msg)

    def pop_flash(self, queue: str = "") -> list[Any]:
        """Remove and return the messages of flash queue ``queue`` (``[]`` when empty)."""
        return self.pop(FLASH_PREFIX + queue, [])  # type: ignore[no-any-return]

    def peek_flash(self, queue: str = "") -> list[Any]:
        """The messages of flash queue ``queue``, left in place (``[]`` when empty)."""
        return self.get(FLASH_PREFIX + queue, [])  # type: ignore[no-any-return]

    def new_csrf_token(self) -> str:
        """Make, store and return a new CSRF token (40 hexadecimal digits, 160 random bits)."""
        token = os.urandom(20).hex()
        self[CSRF_KEY] = token
        return token

    def get_csrf_token(self) -> str:
        """The session's CSRF token, made (as by :meth:`new_csrf_token`) if it has none.
        Check a submitted one with :func:`cookiesession.check_csrf_token`."""
        token = self.get(CSRF_KEY, None)
        if token is None:
            token = self.new_csrf_token()
        return token
