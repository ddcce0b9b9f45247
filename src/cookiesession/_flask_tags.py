"""Flask's tagged values inside Pyramid's payload: the serializer the Flask adapter
(:mod:`cookiesession.flask`) stores its sessions with, so that the tuples, bytes,
datetimes, UUIDs and ``Markup`` Flask's own session keeps come back as they went in.
"""

from __future__ import annotations

from typing import Any

from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface

from ._json import MAX_DEPTH
from .serializers import ValueTaggingSerializer

__all__ = ["TaggedStateSerializer"]

# The values no tag of Flask's own matches (TagMarkup looks for __html__, which a
# str subclass may have: hence exact types).
_PLAIN = frozenset({str, int, float, bool, type(None)})
_FLASK_TAGS = frozenset(type(tag) for tag in TaggedJSONSerializer().order)


class TaggedStateSerializer(ValueTaggingSerializer):
    """Pyramid's payload, ``[accessed, created, state]`` in JSON as ``json.dumps``
    writes it, with each of the state's values tagged as Flask's session tags it.

    ``tagger``: a ``flask.json.tag.TaggedJSONSerializer`` (default: the one
    Flask's own session uses, with any tags the app registered on it).  Pass one
    to a factory (``serializer=TaggedStateSerializer()``) to get Flask's values
    from an explicit factory too.

    While the tagger has only Flask's own tags, the values no tag changes (plain
    scalars, and lists and dicts of them at any depth) are passed as they are,
    and a payload in which no string starts with a space holds no tag (each of
    Flask's tag keys does) and is not walked: asking each of Flask's eight tags
    about every value, in Python, cost more than the rest of a request's session
    work together (writing a 2.4 KB state holding a list of 28 small dicts took
    95 µs that way, 35 µs this way).
    """

    __slots__ = ("_checked", "tagger")

    def __init__(self, tagger: TaggedJSONSerializer | None = None) -> None:
        self.tagger = SecureCookieSessionInterface.serializer if tagger is None else tagger
        # (number of tags seen, whether they are all Flask's own): an app may
        # register tags of its own at any time, and a registration adds to `order`.
        self._checked: tuple[int, bool] = (-1, False)

    def __repr__(self) -> str:
        return "TaggedStateSerializer()"

    def _only_flask_tags(self) -> bool:
        order = self.tagger.order
        seen, verdict = self._checked
        if seen != len(order):
            tagger = self.tagger
            verdict = (
                type(tagger).tag is TaggedJSONSerializer.tag  # not a subclass's own tagging
                and type(tagger).untag is TaggedJSONSerializer.untag
                and all(type(tag) in _FLASK_TAGS for tag in order)
                and all(key.startswith(" ") for key in tagger.tags)
            )
            self._checked = (len(order), verdict)
        return verdict

    def tag(self, value: Any) -> Any:
        """``value`` as Flask's tagged JSON (a tuple becomes ``{" t": [...]}``...).

        Raises:
            SessionNotSerializable: a value tagged JSON cannot carry (see the codec).
        """
        if self._only_flask_tags() and self._tags_nothing(value):
            return value
        return self.tagger.tag(value)

    def _tags_nothing(self, value: Any) -> bool:
        """Whether Flask's own tags give ``value`` back as it is: plain scalars, and
        lists and dicts of them at any depth, but for a dict of one key that is a
        tag's key (Flask tags that dict).  Walked without recursion, and given up
        (False: Flask's tagger decides, and says why) past ``MAX_DEPTH`` levels, so
        a value that contains itself ends the walk at once."""
        tag_keys = self.tagger.tags
        pending = [(value, 0)]
        while pending:
            item, depth = pending.pop()
            kind = type(item)
            if kind in _PLAIN:
                continue
            if kind is list:
                children: Any = item
            elif kind is dict:
                if len(item) == 1 and next(iter(item)) in tag_keys:
                    return False
                children = item.values()
            else:
                return False
            # Containers of scalars only, the usual case, are checked in one step.
            if not _PLAIN.issuperset(map(type, children)):
                if depth == MAX_DEPTH:
                    return False
                pending.extend((child, depth + 1) for child in children)
        return True

    def may_hold_tags(self, payload: bytes) -> bool:
        """Whether ``payload`` may hold one of Flask's tags: each tag key starts with a
        space, which a JSON string spells ``'" '`` or with a ``\\u`` escape (a tag
        of the app's own turns this check off)."""
        return b'" ' in payload or b"\\u" in payload or not self._only_flask_tags()

    def untag(self, value: Any) -> Any:
        """A value of Flask's tagged JSON back as the object it was.

        Raises:
            ValueError: a tag that does not parse (the cookie is then refused).
        """
        # Inner values first, then the object itself, as Flask reads its tags.  A value
        # whose tag does not parse (written by another program holding the secret)
        # raises, and the session loader then starts a fresh session.
        if type(value) is dict:
            untag = self.untag
            return self.tagger.untag({key: untag(item) for key, item in value.items()})
        if type(value) is list:
            return [self.untag(item) for item in value]
        return value
