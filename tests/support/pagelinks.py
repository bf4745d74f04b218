"""Every ``src`` and ``href`` in an HTML page: what the page makes a browser load or offer."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Any]]) -> None:
        self.links += [value for name, value in attrs if name in ("src", "href") and value]


def links(html: str) -> list[str]:
    """The ``src`` and ``href`` values of ``html``, in document order."""
    parser = _Links()
    parser.feed(html)
    return parser.links
