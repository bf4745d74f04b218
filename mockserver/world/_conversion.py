"""Converters and JSON serialisation shared by the attrs value classes of :mod:`mockserver.world`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from types import MappingProxyType
from typing import Any, Optional

from attrs import asdict

from mockserver.clock import ensure_aware

__all__ = ["aware", "optional_aware", "plain"]


def aware(value: datetime) -> datetime:
    return ensure_aware(value)


def optional_aware(value: Optional[datetime]) -> Optional[datetime]:
    return ensure_aware(value) if value is not None else None


def _jsonable(instance: Any, attribute: Any, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, MappingProxyType):
        return dict(value)
    return value


def plain(instance: Any) -> dict[str, Any]:
    """An attrs value as JSON-ready data: datetimes as ISO 8601, enums as their values."""
    return asdict(instance, value_serializer=_jsonable)
