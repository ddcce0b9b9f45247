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

__all__ = ["IMMUTABLE", "Watched", "snapshot"]

_FORMAT = 2

#: Types whose values cannot change in place: handing one out cannot hide a change.
IMMUTABLE = frozenset({str, int, float, bool, type(None), bytes})


def snapshot(value: Any) -> bytes | None:
    """``value``'s snapshot, or None when it cannot have one."""
    try:
        return marshal.dumps(value, _FORMAT)
    except ValueError:  # a type marshal does not write, or nesting past its limit
        return None


class Watched:
    """The mutable values a session handed out, with their snapshots from then."""

    __slots__ = ("_ids", "_snapshots")

    def __init__(self) -> None:
        self._ids: set[int] = set()  # of the values watched, each kept alive in _snapshots
        self._snapshots: list[tuple[Any, bytes]] = []  # a value, or a tuple of values

    def add(self, value: Any) -> bool:
        """Watch ``value`` (again: its first snapshot holds); False if it has no snapshot."""
        if id(value) in self._ids:
            return True
        before = snapshot(value)
        if before is None:
            return False
        self._ids.add(id(value))
        self._snapshots.append((value, before))
        return True

    def add_all(self, values: Iterable[Any]) -> bool:
        """:meth:`add` each mutable one of ``values``, in one snapshot (one call into
        marshal, not one per value); False if one has no snapshot."""
        ids = self._ids
        new = tuple(value for value in values if type(value) not in IMMUTABLE and id(value) not in ids)
        if not new:
            return True
        before = snapshot(new)
        if before is None:
            return False
        ids.update(map(id, new))
        self._snapshots.append((new, before))
        return True

    def changed(self) -> bool | None:
        """Whether a value watched differs from its snapshot now; None when one can no
        longer be written (it now holds something marshal does not write)."""
        for value, before in self._snapshots:
            now = snapshot(value)
            if now is None:
                return None
            if now != before:
                return True
        return False
