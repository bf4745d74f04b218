"""AdapterBase: what every built-in adapter shares (configuration, clock, repr, unsupported ops)."""

from __future__ import annotations

import time
from typing import Callable, ClassVar, NoReturn

from ..config import CarrierConfig
from ..errors import UnsupportedOperationError
from ..models import Operation

__all__ = ["AdapterBase", "epoch_ms"]


def epoch_ms() -> int:
    """Now, in epoch milliseconds (carriers' ``timestamp`` fields)."""
    return int(time.time() * 1000)


class AdapterBase:
    """Holds the carrier configuration and an injectable millisecond clock.

    Subclasses set ``name`` and implement the :class:`~kscarriers.carriers.CarrierAdapter`
    protocol; the secret stays out of ``repr``.
    """

    name: ClassVar[str]

    def __init__(self, config: CarrierConfig, *, now_ms: Callable[[], int] = epoch_ms) -> None:
        self._config = config
        self._now_ms = now_ms

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._config.base_url!r})"

    def _unsupported(self, operation: Operation) -> NoReturn:
        raise UnsupportedOperationError(carrier=self.name, operation=operation.value)
