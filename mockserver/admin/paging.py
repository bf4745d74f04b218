"""Paging of the admin lists: the ``after`` and ``limit`` query parameters and the answer keys.

Every list that grows with the server's state pages the same way as ``GET /__admin/requests``:

- without ``after``: the whole list, as it always was (``limit``: only the newest N);
- with ``after``: the oldest ``limit`` items (default :data:`PAGE_DEFAULT`, at most
  :data:`PAGE_MAX`) whose position is above ``after``; start with ``after=0`` and pass each
  answer's ``next`` until it is ``null``. A position only grows (journal: the entry id; stores:
  see :class:`~mockserver.store.Page`), so a walk sees every item that was there when it
  started exactly once, however many writes happen meanwhile.

Answers carry ``count`` (items in this answer), ``total`` (items matching the filters),
``next`` and ``dropped`` (items a bound removed; ``0`` for a list nothing bounds): always for the
journal and the pushes, and for the other lists whenever ``after`` or ``limit`` is given (without
either their answer is exactly the one of old). A bad ``after`` or ``limit`` is a 400
``invalid_field`` naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Callable, Optional, TypeVar

from flask import request

from mockserver.admin.base import invalid
from mockserver.admin.openapi import query
from mockserver.store import Page

__all__ = [
    "PAGE_DEFAULT",
    "PAGE_MAX",
    "following",
    "newest",
    "page_args",
    "page_params",
    "page_schema",
    "page_size",
    "paged_answer",
    "query_number",
]

_T = TypeVar("_T")

#: Items per page when ``after`` pages through a list, by default and at most.
PAGE_DEFAULT, PAGE_MAX = 100, 1000

#: A whole number in a query string: ``404``, or ``404.0`` as some clients write an integer.
_WHOLE_TEXT = re.compile(r"[0-9]+(?:\.0*)?")


def query_number(value: Any) -> Any:
    """``value`` as an int when it is the text of a whole number, else unchanged."""
    if isinstance(value, str) and _WHOLE_TEXT.fullmatch(value):
        return int(float(value)) if "." in value else int(value)
    return value


def _whole_arg(name: str) -> Optional[int]:
    text = request.args.get(name)
    if text is None:
        return None
    value = query_number(text)
    if not isinstance(value, int):
        raise invalid(name, f"{name} must be a whole number >= 0")
    return value


def page_args() -> tuple[Optional[int], Optional[int]]:
    """``(after, limit)`` from the query string, each ``None`` when absent.

    Raises:
        ApiError: 400 ``invalid_field`` naming ``after`` or ``limit`` if it is not a whole number >= 0.
    """
    limit = _whole_arg("limit")
    return _whole_arg("after"), limit


def page_size(limit: Optional[int]) -> int:
    """How many items a page with this ``limit`` holds."""
    return PAGE_DEFAULT if limit is None else min(limit, PAGE_MAX)


def newest(items: Sequence[_T], limit: Optional[int]) -> Sequence[_T]:
    """The unpaged answer: every item, or (``limit``) only the newest ``limit`` of them."""
    if limit is None:
        return items
    return items[-limit:] if limit else []


def paged_answer(
    key: str,
    items: list[Any],
    *,
    total: int,
    next_after: Optional[int],
    dropped: int = 0,
    always: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """The answer ``{count, total, next, dropped, <key>: items}`` (+ ``extra``).

    A list whose answer had no paging keys before paging came (accounts, parcels, intercepts)
    adds them only when the query has ``after`` or ``limit``, so that an old client's answer is
    unchanged; ``always`` adds them to every answer.
    """
    found = dict(extra)
    if always or "after" in request.args or "limit" in request.args:
        found.update(count=len(items), total=total, next=next_after, dropped=dropped)
    found[key] = items
    return found


def listed(
    whole: Callable[[], Sequence[_T]], cut: Callable[[int, int], Page[_T]]
) -> tuple[list[_T], int, Optional[int]]:
    """``(shown, total, next_after)`` of a list endpoint, from the query's ``after`` and ``limit``.

    Without ``after``: ``whole()``, or its newest ``limit`` items. With it: the page
    ``cut(after, size)`` the store cuts.

    Raises:
        ApiError: 400 naming ``after`` or ``limit`` (see :func:`page_args`).
    """
    after, limit = page_args()
    if after is None:
        items = whole()
        return list(newest(items, limit)), len(items), None
    page = cut(after, page_size(limit))
    return (
        [item for _, item in page.items],
        page.total,
        following([p for p, _ in page.items], after, page.more),
    )


def following(positions: Sequence[int], after: int, more: bool) -> Optional[int]:
    """The ``next`` of a page: the ``after`` of the next one, ``None`` after the last."""
    if not more:
        return None
    return positions[-1] if positions else after


def page_params(what: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``limit`` and ``after`` query parameters of a list of ``what``, for OPENAPI_PATHS."""
    whole = {"type": "integer", "minimum": 0}
    return (
        query(
            "limit",
            f"without after: only the newest N {what}; with after: the page size (default "
            f"{PAGE_DEFAULT}; more than {PAGE_MAX} is served as {PAGE_MAX})",
            schema=whole,
        ),
        query(
            "after",
            f"page through the {what}, oldest first: the ones whose position is above this (start "
            "with 0, then pass the answer's next)",
            schema=whole,
        ),
    )


def page_schema(
    key: str, item: dict[str, Any], dropped: str, *, always: bool = False, **extra: Any
) -> dict[str, Any]:
    """The schema of a paged answer ``{count, total, next, dropped, <key>: [item]}`` (+ ``extra``).

    Without ``always`` the four paging keys are required only when the query pages (see
    :func:`paged_answer`), which a schema of the answer alone cannot say: they are optional.
    """
    whole = {"type": "integer", "minimum": 0}
    paging = ["count", "total", "next", "dropped"] if always else []
    return {
        "type": "object",
        "required": [*paging, key, *extra],
        "properties": {
            "count": {**whole, "description": f"{key} in this answer"},
            "total": {**whole, "description": f"{key} matching the filters, before limit and after"},
            "next": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "with after: the after of the next page (null: this is the last page); "
                "without after: null",
            },
            "dropped": {**whole, "description": dropped},
            key: {"type": "array", "items": item},
            **extra,
        },
    }
