"""Writing a session's state back from the JSON text it was read from.

A session loaded from a cookie has the payload's text, ``[accessed, created,
{...}]``.  When the state is written back unchanged (a read-only request that
re-issues), or changed only by assigning keys, most of that text is still the
JSON of the state, and copying it is much cheaper than encoding the state again.

``json.dumps`` writes back exactly what ``json.loads`` read from text that
``json.dumps`` wrote (the "canonical" text, which is all that Pyramid and this
library write), so on such text the result is byte for byte the full encode.  On
any other JSON text that verifies (a foreign writer holding the secret) the result
is still the same data: correctness never rests on the canonical layout, only
identical bytes do.  Where a step cannot be proven, :func:`state_json` returns
None and the caller encodes the state in full.
"""

from __future__ import annotations

import re
from collections.abc import Container
from typing import Any

from . import _json

__all__ = ["state_json", "times_json"]

# A quote, JSON whitespace, then a colon: a key written with space before its colon
# (or a string that starts with a colon after whitespace, refused along with it).
_SPACE_BEFORE_COLON = re.compile('"[ \t\n\r]+:')
# A quote and a colon without the space json.dumps writes after it (found with a
# fast search for the two characters: half the time of counting both spellings).
_COLON_WITHOUT_SPACE = re.compile('":(?! )')


def _no_space_before_colon(text: str) -> bool:
    # JSON whitespace is space, tab, newline and return.  json.dumps escapes the last
    # three inside strings and writes spaces only after its separators, so its text
    # has a space right before a colon only where a string holds " :".  When no
    # whitespace character stands before any colon, no key can have one; these
    # searches (memchr-like) cost a fraction of the expression's, which then decides.
    if "\t" not in text and "\n" not in text and "\r" not in text and " :" not in text:
        return True
    return _SPACE_BEFORE_COLON.search(text) is None


def times_json(payload: bytes, start: int, accessed: Any, created: Any, created_is_incoming: bool) -> bytes:
    """``b'[accessed, created, '``, the payload's bytes before its state, as
    ``json.dumps([accessed, created, state])`` begins, for ``payload`` with its
    state at ``start``.

    Writing a float's shortest text is most of that work.  So when ``created``
    is the very float parsed from ``payload`` (``created_is_incoming``), its text
    there is kept.  Numbers and whitespace hold no comma, so the first comma
    ends the first item, and the bytes from it to the state are the second item
    (which parsed into ``created``, so it gives the same float again) between
    the two separators.  It is kept only where both separators are ``", "``, as
    ``json.dumps`` writes them, so that a re-issue writes other layouts anew
    (in the canonical form); on canonical text it is exactly what ``json.dumps``
    writes there.  (Everything before the state is ASCII: a payload that parsed
    into two numbers and a dict has only numbers, separators and whitespace
    there, so its bytes and its text agree up to ``start``.)
    """
    if created_is_incoming and type(accessed) is int:
        comma = payload.find(b",")
        if (
            0 < comma < start - 4
            and payload.startswith(b", ", comma)
            and payload.startswith(b", ", start - 2)
        ):
            return b"[%d%b" % (accessed, payload[comma:start])
    return (_json.dumps([accessed, created])[:-1] + ", ").encode()


def state_json(
    text: str, current: dict[str, Any], assigned: list[Any] | None, incoming: Container[Any]
) -> str | None:
    """The JSON of ``current``, made from ``text``; None where that cannot be done safely.

    ``text`` is a payload that parsed into ``[accessed, created, incoming]``,
    two numbers and a dict.  ``current`` holds the values of the keys in
    ``assigned`` (in the order they were assigned, repeats allowed), which were
    set with plain assignment and nothing else since; the state is ``incoming``
    with those.  Only ``key in incoming`` is asked, for those keys.

    * The state's text is ``text[text.find("{"):-1]``: nothing before the state
      (a bracket, two numbers, commas, whitespace) contains ``{``, and when the
      text ends with ``}]`` that ``}`` closes the state, since only whitespace
      may follow it inside the array.
    * A key that was not in ``incoming`` goes before the state's closing brace:
      exactly where ``json.dumps`` puts a key inserted last.
    * A key that was in ``incoming`` has its value replaced where it stands, as
      assignment keeps a dict key's place.  Its ``"key": `` marker must occur
      exactly once, and the text must hold no backslash and put ``": "`` right
      after every key, at any depth.  Without backslashes a ``"`` never occurs
      inside a string, so quotes open and close strings in turn, and in JSON
      only whitespace may stand between a key and its colon: so no ``"``
      followed by whitespace and a colon means every key's colon follows it
      directly, and every ``":`` followed by a space means ``": "`` follows
      every key.  Each key, at any depth, is then spelled ``"key": `` and one
      way only: the top-level key's place is that single occurrence, and no
      second copy of the key hides under another spelling or at another depth.

    Raises what ``json.dumps`` raises for a value it cannot encode.
    """
    if text[-2:] != "}]":
        return None
    start = text.find("{")
    if assigned is None:
        return text[start:-1]
    added: dict[str, Any] = {}
    replaced: list[tuple[int, int, str]] = []
    keys_are_literal: bool | None = None
    for key in dict.fromkeys(assigned):
        value = dict.__getitem__(current, key)
        if key not in incoming:
            added[key] = value
            continue
        if keys_are_literal is None:
            keys_are_literal = (
                "\\" not in text
                and _COLON_WITHOUT_SPACE.search(text) is None
                and _no_space_before_colon(text)
            )
        if not keys_are_literal:
            return None
        marker = _json.dumps(key) + ": "
        at = text.find(marker, start)
        if at < 0 or text.find(marker, at + 1) >= 0:
            return None
        value_start = at + len(marker)
        value_end = _json.value_end(text, value_start)
        replaced.append((value_start, value_end, _json.dumps(value)))
    closing = len(text) - 2  # the state's closing brace
    pieces = []
    position = start
    for value_start, value_end, value_json in sorted(replaced):
        pieces.append(text[position:value_start])
        pieces.append(value_json)
        position = value_end
    pieces.append(text[position:closing])
    if added:
        if text[start + 1 : closing].strip():  # the object has entries (only whitespace in an empty one)
            pieces.append(", ")
        pieces.append(_json.dumps(added)[1:-1])  # the entries, as json.dumps joins them
    pieces.append("}")
    return "".join(pieces)
