"""The demo's HTML: one page layout for every app, plain string templates, everything escaped.

No template engine: the pages are small, and ``html.escape`` on every value that
came from a user or a cookie is all the safety they need.  No script either: every
control is a form, so the pages work (and are tested) as plain documents.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from string import Template
from typing import Any

__all__ = [
    "FAVICON",
    "FAVICON_TYPE",
    "Site",
    "Sites",
    "error_page",
    "escape",
    "iso",
    "page",
    "pretty_json",
]


@dataclass(frozen=True)
class Site:
    """One of the demo's apps: its framework, the server running it, its colour and address."""

    key: str  # "pyramid", "starlette", "flask", "django"
    framework: str
    server: str
    colour: str
    url: str  # ends in '/'


@dataclass(frozen=True)
class Sites:
    pyramid: Site
    starlette: Site
    flask: Site
    django: Site

    def all(self) -> tuple[Site, ...]:
        return (self.pyramid, self.starlette, self.flask, self.django)

    @classmethod
    def on(cls, host: str, ports: dict[str, int]) -> Sites:
        def site(key: str, framework: str, server: str, colour: str) -> Site:
            return Site(key, framework, server, colour, f"http://{host}:{ports[key]}/")

        return cls(
            site("pyramid", "Pyramid", "waitress", "#3b7a57"),
            site("starlette", "Starlette", "uvicorn", "#6b4fbb"),
            site("flask", "Flask", "waitress", "#1f5f8b"),
            site("django", "Django", "waitress", "#0c4b33"),
        )


# A cookie, in the badge colours; served as SVG (every current browser takes it).
FAVICON = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<circle cx="16" cy="16" r="14" fill="#c8904a"/>
<circle cx="11" cy="11" r="2.4" fill="#4a2f16"/><circle cx="20" cy="9" r="2" fill="#4a2f16"/>
<circle cx="21" cy="19" r="2.6" fill="#4a2f16"/><circle cx="12" cy="21" r="2.2" fill="#4a2f16"/>
</svg>
"""
FAVICON_TYPE = "image/svg+xml"

_LAYOUT = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title - $framework - cookiesession demo</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<style>
  *, *::before, *::after { box-sizing: border-box; }
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 0 auto; padding: 0 1rem 2rem;
         color: #1d232a; background: #fbfbfa; overflow-wrap: anywhere; }
  header { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center;
           border-bottom: 2px solid #d9dde3; padding: .8rem 0 .6rem; margin-bottom: 1rem; }
  header .brand { font-weight: 700; margin-right: auto; }
  nav { display: flex; flex-wrap: wrap; gap: .2rem .9rem; width: 100%; order: 3; }
  nav a.here { font-weight: 700; text-decoration: none; color: inherit; }
  a { color: #1f5fbf; }
  .badge { font-size: .9rem; font-weight: 600; padding: .15rem .7rem; border-radius: 1rem;
           background: $colour; color: #fff; white-space: nowrap; }
  .flash, .notice { padding: .6rem .9rem; border-radius: .4rem; margin: .6rem 0; background: #e4f4e7;
           border: 1px solid #9fd3aa; }
  .flash.error, .notice { background: #fbe7e6; border-color: #eba8a3; }
  section { border: 1px solid #e1e4e8; border-radius: .5rem; padding: .2rem 1rem .6rem; margin: 1rem 0;
            background: #fff; }
  h1 { font-size: 1.6rem; margin: .6rem 0; } h2 { font-size: 1.15rem; }
  form { margin: .6rem 0; display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
  form.inline { display: inline-flex; margin: .2rem .4rem .2rem 0; }
  input[type=text] { font: inherit; padding: .3rem .5rem; max-width: 100%; }
  button { font: inherit; padding: .3rem .9rem; cursor: pointer; }
  pre, code { font-size: .85rem; }
  pre { background: #f0f2f5; padding: .7rem .9rem; border-radius: .4rem; white-space: pre-wrap;
        word-break: break-all; margin: .4rem 0; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e1e4e8; vertical-align: top; }
  td:first-child { white-space: nowrap; }
  dt { font-weight: 600; } dd { margin: 0 0 .6rem 0; }
  .muted { color: #5c6570; font-size: .9rem; }
  .demo-only { color: #8a1c12; font-weight: 700; }
  .refused { color: #8a1c12; font-weight: 600; } .accepted { color: #1d6b35; font-weight: 600; }
</style>
</head>
<body>
<header><span class="brand">cookiesession demo</span>
<span class="badge" id="served-by" title="the framework that served this page">$framework · $server</span>
<nav aria-label="the demo's apps">$nav</nav></header>
<main>
<h1>$title</h1>
$body
</main>
</body>
</html>
""")


def page(title: str, body: str, *, site: Site, sites: Sites) -> str:
    """A whole page served by ``site``.  ``body`` is HTML already escaped; ``title`` is text."""
    links = []
    for other in sites.all():
        here = ' class="here" aria-current="page"' if other is site else ""
        links.append(f'<a href="{escape(other.url)}"{here}>{escape(other.framework)}</a>')
    links.append(f'<a href="{escape(sites.pyramid.url)}session">Session</a>')
    links.append(f'<a href="{escape(sites.pyramid.url)}keys">Keys &amp; format</a>')
    return _LAYOUT.substitute(
        title=escape(title),
        body=body,
        nav="".join(links),
        framework=escape(site.framework),
        server=escape(site.server),
        colour=site.colour,
    )


_ERRORS = {
    404: ("Not found", "There is no page at this address."),
    405: ("Method not allowed", "This address does not answer that method"),
}


def error_page(status: int, path: str, *, site: Site, sites: Sites, allowed: str = "") -> str:
    """The styled page for a 404 or a 405 (``allowed``: the methods the address takes)."""
    title, text = _ERRORS[status]
    if status == 405 and allowed:
        text += f" ({escape(allowed)} only: it is a form's target, not a page)"
    body = f"""<p class="notice" role="alert"><strong>{status}.</strong> {text}
<code>{escape(path)}</code></p>
<p><a href="{escape(site.url)}">Back to the {escape(site.framework)} app's home page</a></p>"""
    return page(title, body, site=site, sites=sites)


def pretty_json(value: Any) -> str:
    """``value`` as indented JSON, escaped for a ``<pre>`` block."""
    return escape(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


def iso(epoch: float) -> str:
    """A POSIX time as an ISO-8601 UTC time, to the second."""
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")
