"""What a stub matches on: the request the server asks about, and the match criteria."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from attrs import field, frozen

from ._fields import Fields, check_choice
from .errors import ScenarioFileError

"""Carrier slugs the mock server speaks."""

OPERATIONS: Tuple[str, ...] = (
    "track",
    "subscribe",
    "intercept",
    "cancel_intercept",
    "intercept_status",
    "push",
)
"""Operations a request can be; ``push`` is the server asking whether to alter a push."""

PUSH_KINDS: Tuple[str, ...] = ("trace", "intercept_result")
"""What a push carries: new scans (``trace``) or an intercept's final result (``intercept_result``)."""


def normalize_waybill(value: Optional[str]) -> Optional[str]:
    """Trim and upper-case a waybill number, as the SDK does (None stays None)."""
    if value is None:
        return None
    return value.strip().upper()


@frozen(kw_only=True)
class ScenarioRequest:
    """One question put to the engine: "how should I answer this?".

    Args:
        carrier: Carrier slug (``zto``, ``yto``, ``sto``, ``jt``).
        operation: One of :data:`OPERATIONS`.
        waybill: Waybill number, if the request is about one (normalised).
        account: The caller's account (app key / customer code), for per-account stubs.
        push_kind: For ``push``: what the push carries, one of :data:`PUSH_KINDS`.
    """

    carrier: str
    operation: str
    waybill: Optional[str] = field(default=None, converter=normalize_waybill)
    account: Optional[str] = None
    push_kind: Optional[str] = None

    def __attrs_post_init__(self) -> None:
        check_choice(self.operation, OPERATIONS, "operation", "operation")
        if self.push_kind is not None:
            check_choice(self.push_kind, PUSH_KINDS, "push kind", "push_kind")

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form, e.g. for the admin API's "explain" answer (``push_kind`` only when set)."""
        data: Dict[str, Any] = {
            "carrier": self.carrier,
            "operation": self.operation,
            "waybill": self.waybill,
            "account": self.account,
        }
        if self.push_kind is not None:
            data["push_kind"] = self.push_kind
        return data

    @classmethod
    def from_dict(cls, data: Any, path: str = "") -> ScenarioRequest:
        """Build from a JSON object; errors name ``path``."""
        fields = Fields(data, path, ("carrier", "operation", "waybill", "account", "push_kind"))
        return cls(
            carrier=fields.string("carrier") or "",
            operation=fields.choice("operation", OPERATIONS, "operation") or "",
            waybill=fields.string("waybill", None),
            account=fields.string("account", None),
            push_kind=fields.choice("push_kind", PUSH_KINDS, "push kind", None),
        )


def _compile(pattern: Optional[str]) -> Optional[re.Pattern[str]]:
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ScenarioFileError(
            path="waybill_pattern", message=f"invalid regular expression {pattern!r}: {exc}"
        ) from None


@frozen(kw_only=True)
class Match:
    """The criteria a stub matches on; every criterion left as None matches anything.

    ``waybill`` is compared after trimming and upper-casing both sides;
    ``waybill_pattern`` is a regular expression searched (``re.search``) in the
    normalised waybill, so anchor it (``^73``) to match a prefix. A request without a
    waybill never matches a stub that names one.

    Args:
        carrier: Carrier slug (the engine checks it against the app's carriers).
        operation: One of :data:`OPERATIONS`.
        waybill: Exact waybill number.
        waybill_pattern: Regular expression for the waybill (not with ``waybill``).
        account: Account the stub is scoped to.
        push_kind: Only pushes of this kind (:data:`PUSH_KINDS`); implies operation ``push``.
    """

    carrier: Optional[str] = None
    operation: Optional[str] = None
    waybill: Optional[str] = field(default=None, converter=normalize_waybill)
    waybill_pattern: Optional[str] = None
    account: Optional[str] = None
    push_kind: Optional[str] = None
    _regex: Optional[re.Pattern[str]] = field(init=False, eq=False, repr=False, default=None)

    def __attrs_post_init__(self) -> None:
        if self.carrier is not None and not isinstance(self.carrier, str):
            raise ScenarioFileError(path="carrier", message="expected a string")
        if self.operation is not None:
            check_choice(self.operation, OPERATIONS, "operation", "operation")
        if self.push_kind is not None:
            check_choice(self.push_kind, PUSH_KINDS, "push kind", "push_kind")
            if self.operation not in (None, "push"):
                raise ScenarioFileError(
                    path="push_kind",
                    message=f"only pushes have a kind: operation must be 'push' (or left out), "
                    f"not {self.operation!r}",
                )
        if self.waybill is not None and self.waybill_pattern is not None:
            raise ScenarioFileError(
                path="waybill_pattern", message="give either waybill or waybill_pattern, not both"
            )
        object.__setattr__(self, "_regex", _compile(self.waybill_pattern))

    def reasons(self, request: ScenarioRequest) -> List[str]:
        """Every criterion ``request`` fails, in words (empty when it matches)."""
        found: List[str] = []
        for name in ("carrier", "operation", "account", "push_kind"):
            wanted = getattr(self, name)
            got = getattr(request, name)
            if wanted is not None and wanted != got:
                found.append(f"{name}: wanted {wanted!r}, got {got!r}")
        if self.waybill is not None and self.waybill != request.waybill:
            found.append(f"waybill: wanted {self.waybill!r}, got {request.waybill!r}")
        if self._regex is not None and (request.waybill is None or not self._regex.search(request.waybill)):
            found.append(f"waybill: {request.waybill!r} does not match pattern {self.waybill_pattern!r}")
        return found

    def matches(self, request: ScenarioRequest) -> Tuple[bool, str]:
        """``(True, "")`` on a match, else ``(False, reason)`` as ``responses`` matchers do."""
        found = self.reasons(request)
        return (not found, "; ".join(found))

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form holding only the criteria that are set."""
        data = {
            "carrier": self.carrier,
            "operation": self.operation,
            "waybill": self.waybill,
            "waybill_pattern": self.waybill_pattern,
            "account": self.account,
            "push_kind": self.push_kind,
        }
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def from_dict(cls, data: Any, path: str = "match") -> Match:
        """Build from a JSON object; errors name ``path`` and the field."""
        fields = Fields(
            data, path, ("carrier", "operation", "waybill", "waybill_pattern", "account", "push_kind")
        )
        kwargs = {
            "carrier": fields.string("carrier", None),
            "operation": fields.choice("operation", OPERATIONS, "operation", None),
            "waybill": fields.string("waybill", None),
            "waybill_pattern": fields.string("waybill_pattern", None),
            "account": fields.string("account", None),
            "push_kind": fields.choice("push_kind", PUSH_KINDS, "push kind", None),
        }
        try:
            return cls(**kwargs)
        except ScenarioFileError as exc:
            raise exc.within(path) from None
