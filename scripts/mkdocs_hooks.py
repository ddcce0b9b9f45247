"""MkDocs hooks for the documentation site (``hooks:`` in mkdocs.yml).

The docstrings name other objects with reStructuredText roles (``:class:`Name```), which
Markdown renders as the role's text followed by code.  The API pages show the name alone,
and ``~a.b.Name`` (reST's "last component only") as ``Name``.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:class|meth|func|mod|attr|exc|data|obj):<code>(~?)([^<]*)</code>")


def _name_only(match: re.Match[str]) -> str:
    short, name = match.groups()
    return f"<code>{name.rsplit('.', 1)[-1] if short else name}</code>"


def on_page_content(html: str, **_: Any) -> str:
    """Each page's HTML with the reST roles dropped (MkDocs calls this)."""
    return _ROLE.sub(_name_only, html)
