"""Telling whether a value a session handed out was changed in place, without encoding the state.

A session that hands out a list or a dict (``session['cart']``) must save a change
made inside it (``detect_nested_changes``).  It keeps, for each such value, a
snapshot taken as it was handed out, and at the response takes another: the same
bytes mean the same value.

The snapshot is ``marshal.dumps(value, 2)``, written by C code a few times faster
than ``json.dumps``.  It holds exactly the types a JSON state is made of, and
nothing else: it refuses subclasses (an ``Enum`` of ``str``, say) and every other
type, and it writes ``True`` and ``1``, ``1`` and ``1.0``, and a dict's keys in
their order, each in its own way.  So equal snapshots mean ``json.dumps`` writes
the value the same (the converse may fail, as for a tuple put where a list was:
then the cookie is written, with the same content).  Format 2 is the last before
marshal began to note whether an object is shared or a string interned, which can
change while the value does not.  A value it cannot write, or nests too deeply,
has no snapshot, and the session then compares its whole state through its
serializer, as before snapshots.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable
from typing import Any

__all__ = ["changed", "snapshot"]

_FORMAT = 2


def snapshot(value: Any) -> bytes | None:
    """``value``'s snapshot, or None when it cannot have one."""
    try:
        return marshal.dumps(value, _FORMAT)
    except ValueError:  # a type marshal does not write, or nesting past its limit
        return None


def changed(watched: Iterable[tuple[Any, bytes]]) -> bool | None:
    """Whether any value of ``watched`` (pairs of a value and its snapshot when handed
    out) differs from its snapshot now; None when one can no longer be written."""
    for value, before in watched:
        now = snapshot(value)
        if now is None:
            return None
        if now != before:
            return True
    return False
