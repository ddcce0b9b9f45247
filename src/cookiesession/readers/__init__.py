"""Readers of other libraries' session cookies, for a switch that logs nobody out.

Pass them to a factory's ``read_also=[...]``: when a request brings no valid
cookiesession cookie, each reader in turn looks for its library's cookie, checks
its signature and expiry as that library does, and the state it holds is stored
in cookiesession's format with this response (the old cookie is deleted when its
name differs from ours).  The other library need not be installed: every reader
is standard library only, but for ``pyramid_nacl``, which decrypts with PyNaCl
(the ``cookiesession[nacl]`` extra).

A reader is any object with ``cookie_name`` (the cookie it reads), ``path`` and
``domain`` (where the old cookie was set, to delete it), and
``read(value, now) -> dict | None``, which never raises.
"""

from __future__ import annotations

from ._base import Reader
from ._django import django
from ._flask import flask
from ._pyramid_nacl import pyramid_nacl
from ._starlette import starlette

__all__ = ["Reader", "django", "flask", "pyramid_nacl", "starlette"]
