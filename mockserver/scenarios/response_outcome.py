"""The response outcome: a literal HTTP answer (status, headers, body), as record and replay saves it."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Dict, FrozenSet, Mapping

from attrs import field, frozen

from ._fields import Fields, describe, fail
from .errors import ScenarioFileError
from .matchers import OPERATIONS

_ANSWERED_OPERATIONS = frozenset(op for op in OPERATIONS if op != "push")


def _headers(value: Any) -> Dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        fail("headers", f"expected an object of header names to strings, got {describe(value)}")
    for name, item in value.items():
        if not isinstance(name, str) or not name or not isinstance(item, str):
            fail(f"headers.{name}", f"expected a string value, got {describe(item)}")
        if "\n" in name or "\r" in name or "\n" in item or "\r" in item:
            fail(f"headers.{name}", "a header cannot contain a line break")
    return dict(value)


@frozen(kw_only=True)
class ResponseOutcome:
    """Answer with exactly this, without the carrier looking at the request any further.

    ``body`` is the text sent; a JSON value that is not a string (an object or an array) is
    sent as compact JSON, so a recorded carrier answer stays readable in the file. A
    ``Content-Type`` in ``headers`` wins over the default ``application/json; charset=utf-8``.

    Args:
        status: HTTP status, 100-599.
        headers: Extra response headers.
        body: The body: a string sent as is, or any other JSON value sent as JSON.
    """

    TYPE: ClassVar[str] = "response"
    OPERATIONS: ClassVar[FrozenSet[str]] = _ANSWERED_OPERATIONS

    status: int = 200
    headers: Dict[str, str] = field(factory=dict, converter=_headers, hash=False)
    body: Any = field(default="", hash=False)

    def __attrs_post_init__(self) -> None:
        if (
            not isinstance(self.status, int)
            or isinstance(self.status, bool)
            or not (100 <= self.status <= 599)
        ):
            fail("status", f"must be an HTTP status 100-599, got {self.status!r}")
        try:
            json.dumps(self.body)
        except (TypeError, ValueError):
            fail("body", f"must be a string or a JSON value, got {describe(self.body)}")

    @property
    def text(self) -> str:
        """The body as sent on the wire."""
        if isinstance(self.body, str):
            return self.body
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":"))

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` to send (from ``headers``, else JSON)."""
        for name, value in self.headers.items():
            if name.lower() == "content-type":
                return value
        return "application/json; charset=utf-8"

    def extra_headers(self) -> Dict[str, str]:
        """``headers`` without ``Content-Type`` (sent separately)."""
        return {k: v for k, v in self.headers.items() if k.lower() != "content-type"}

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        data: Dict[str, Any] = {"type": self.TYPE, "status": self.status}
        if self.headers:
            data["headers"] = dict(self.headers)
        data["body"] = self.body
        return data

    @classmethod
    def from_dict(cls, data: Any, path: str = "outcome") -> ResponseOutcome:
        """Build from a JSON object; errors name ``path`` and the field."""
        fields = Fields(data, path, ("type", "status", "headers", "body"))
        try:
            return cls(
                status=fields.integer("status", 200),
                headers=fields.raw("headers", None),
                body=fields.raw("body", ""),
            )
        except ScenarioFileError as exc:
            raise exc.within(path) from None
