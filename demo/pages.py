"""The demo's HTML: one page layout, plain string templates, everything escaped.

No template engine: the pages are small, and ``html.escape`` on every value that
came from a user or a cookie is all the safety they need.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from html import escape
from string import Template
from typing import Any

__all__ = ["escape", "iso", "page", "pretty_json"]

_LAYOUT = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title - cookiesession demo</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
         color: #1d232a; background: #fbfbfa; }
  header { display: flex; gap: 1.2rem; align-items: baseline; border-bottom: 2px solid #d9dde3;
           padding-bottom: .6rem; margin-bottom: 1.4rem; }
  header strong { margin-right: auto; }
  a { color: #1f5fbf; }
  .app { font-size: .8rem; padding: .1rem .5rem; border-radius: .6rem; background: $badge; color: #fff; }
  .flash { padding: .6rem .9rem; border-radius: .4rem; margin: .4rem 0; background: #e4f4e7;
           border: 1px solid #9fd3aa; }
  .flash.error { background: #fbe7e6; border-color: #eba8a3; }
  form { margin: 1rem 0; }
  input[type=text] { font: inherit; padding: .3rem .5rem; }
  button { font: inherit; padding: .3rem .9rem; cursor: pointer; }
  pre { background: #f0f2f5; padding: .8rem 1rem; border-radius: .4rem; overflow-x: auto; }
  dt { font-weight: 600; } dd { margin: 0 0 .6rem 0; }
  .muted { color: #5c6570; font-size: .9rem; }
</style>
</head>
<body>
<header><strong>cookiesession demo</strong>$nav<span class="app">$app</span></header>
<main>
<h1>$title</h1>
$body
</main>
</body>
</html>
""")


def page(title: str, body: str, *, app: str, nav: list[tuple[str, str]], badge: str = "#3b7a57") -> str:
    """A whole page.  ``body`` is HTML already escaped; ``title`` and ``nav`` are text."""
    links = "".join(f'<a href="{escape(url)}">{escape(label)}</a>' for label, url in nav)
    return _LAYOUT.substitute(title=escape(title), body=body, nav=links, app=escape(app), badge=badge)


def pretty_json(value: Any) -> str:
    """``value`` as indented JSON, escaped for a ``<pre>`` block."""
    return escape(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


def iso(epoch: float) -> str:
    """A POSIX time as an ISO-8601 UTC time, to the second."""
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")
