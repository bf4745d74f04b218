"""AdapterBase: what every built-in adapter shares.

The configuration and an injectable clock, a ``repr`` without the secret, a default for each
optional operation that raises :class:`UnsupportedOperationError` (as karrio's base proxy
does, so an adapter writes only what its carrier offers), and the results every carrier reads
the same way from its answer envelope: subscribed, refused, cancelled.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, FrozenSet, Mapping, NoReturn, Optional, Tuple

from ..config import CarrierConfig
from ..errors import UnsupportedOperationError
from ..models import (
    InterceptFailure,
    InterceptRequest,
    InterceptResult,
    InterceptStatus,
    Operation,
    PushAck,
    PushEvent,
    SubscribeResult,
)
from ..transport import HttpRequest, HttpResponse
from . import CodeBook
from ._codec import epoch_ms
from ._envelope import Envelope, EnvelopeFormat

__all__ = ["AdapterBase"]

#: The adapter methods that carry out each operation (a change of address is an intercept).
METHODS: Mapping[Operation, Tuple[str, ...]] = {
    Operation.TRACK: ("build_track", "parse_track"),
    Operation.SUBSCRIBE: ("build_subscribe", "parse_subscribe"),
    Operation.INTERCEPT: ("build_intercept", "parse_intercept"),
    Operation.CHANGE_ADDRESS: ("build_intercept", "parse_intercept"),
    Operation.CANCEL_INTERCEPT: ("build_cancel_intercept", "parse_cancel_intercept"),
    Operation.INTERCEPT_STATUS: ("build_intercept_status", "parse_intercept_status"),
    Operation.PUSH: ("parse_push", "push_ack"),
}


class AdapterBase:
    """Holds the carrier configuration and an injectable millisecond clock.

    Subclasses set the class attributes of the :class:`~kscarriers.carriers.CarrierAdapter`
    protocol plus ``envelope_format``, implement ``build_track`` / ``parse_track`` and the
    methods of every operation they list in ``operations``; the methods of an operation they
    do not offer raise :class:`UnsupportedOperationError`. Listing an operation without
    implementing its methods is a TypeError when the class is defined.
    """

    name: ClassVar[str]
    #: Where the carrier comes in listings (the status-code doc's columns): lower first, then by
    #: slug. The built-in four rank 1 to 4 (zto, yto, sto, jt), as the mock server's carriers do.
    rank: ClassVar[int] = 100
    operations: ClassVar[FrozenSet[Operation]]
    code_book: ClassVar[CodeBook]
    envelope_format: ClassVar[EnvelopeFormat]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = getattr(cls, "operations", None)
        if declared is None:
            return  # an intermediate base: its subclasses declare what they offer
        unimplemented = sorted(
            {
                op.value
                for op in declared
                for method in METHODS[op]
                if getattr(cls, method, None) is None
                or getattr(cls, method) is getattr(AdapterBase, method, None)
            }
        )
        if unimplemented:
            raise TypeError(
                f"{cls.__name__} lists {', '.join(unimplemented)} in operations but does not implement it"
            )

    def __init__(self, config: CarrierConfig, *, now_ms: Callable[[], int] = epoch_ms) -> None:
        self._config = config
        self._now_ms = now_ms

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._config.base_url!r})"

    def _unsupported(self, operation: Operation) -> NoReturn:
        raise UnsupportedOperationError(carrier=self.name, operation=operation.value)

    # -- operations a carrier may not offer -------------------------------------------------

    def build_subscribe(
        self, waybill: str, *, callback_url: Optional[str], phone_tail: Optional[str] = None
    ) -> HttpRequest:
        """Raises UnsupportedOperationError: the carrier offers no push subscription."""
        self._unsupported(Operation.SUBSCRIBE)

    def parse_subscribe(self, waybill: str, response: HttpResponse) -> SubscribeResult:
        """Raises UnsupportedOperationError: the carrier offers no push subscription."""
        self._unsupported(Operation.SUBSCRIBE)

    def build_intercept(self, request: InterceptRequest) -> HttpRequest:
        """Raises UnsupportedOperationError: the carrier offers no intercept."""
        self._unsupported(Operation.INTERCEPT)

    def parse_intercept(self, request: InterceptRequest, response: HttpResponse) -> InterceptResult:
        """Raises UnsupportedOperationError: the carrier offers no intercept."""
        self._unsupported(Operation.INTERCEPT)

    def build_cancel_intercept(self, waybill: str, *, request_id: str, reason: str) -> HttpRequest:
        """Raises UnsupportedOperationError: the carrier cannot withdraw an intercept."""
        self._unsupported(Operation.CANCEL_INTERCEPT)

    def parse_cancel_intercept(self, waybill: str, response: HttpResponse) -> InterceptResult:
        """Raises UnsupportedOperationError: the carrier cannot withdraw an intercept."""
        self._unsupported(Operation.CANCEL_INTERCEPT)

    def build_intercept_status(self, waybill: str) -> HttpRequest:
        """Raises UnsupportedOperationError: the carrier has no intercept-status API."""
        self._unsupported(Operation.INTERCEPT_STATUS)

    def parse_intercept_status(self, waybill: str, response: HttpResponse) -> InterceptResult:
        """Raises UnsupportedOperationError: the carrier has no intercept-status API."""
        self._unsupported(Operation.INTERCEPT_STATUS)

    def parse_push(self, headers: Mapping[str, str], body: bytes) -> Tuple[PushEvent, ...]:
        """Raises UnsupportedOperationError: the carrier does not push."""
        self._unsupported(Operation.PUSH)

    def push_ack(self, *, ok: bool) -> PushAck:
        """Raises UnsupportedOperationError: the carrier does not push."""
        self._unsupported(Operation.PUSH)

    # -- answers every carrier reads the same way -------------------------------------------

    def _ok(self, response: HttpResponse) -> Envelope:
        """The envelope of a successful answer; a failed one is raised as its typed error."""
        fmt = self.envelope_format
        env = fmt.decode(response)
        if not fmt.is_success(env):
            raise fmt.error_from(env, response)
        return env

    def _subscribed(self, waybill: str, response: HttpResponse) -> SubscribeResult:
        """A successful envelope means subscribed; a failed one is raised."""
        env = self._ok(response)
        return SubscribeResult(
            carrier=self.name,
            waybill=waybill,
            subscribed=True,
            raw_code=self.envelope_format.code_of(env),
            message=self.envelope_format.message_of(env),
        )

    def _is_refusal(self, code: str, env: Envelope) -> bool:
        """Whether a failed envelope's ``code`` refuses an intercept or cancel.

        The default: the code is in the code book's ``intercept_failures``. Carriers that
        number their refusals (ZTO ``E23…``) also count unlisted codes of that shape.
        """
        return code in self.code_book.intercept_failures

    def _refusal(
        self, waybill: str, env: Envelope, response: HttpResponse, *, code: str, request_id: str
    ) -> InterceptResult:
        """A refused intercept or cancel as a FAILED result, never an exception.

        A code that is no refusal (a signature error, a flow limit …) is raised as the
        envelope's typed error instead; a refusal missing from the code book is
        CARRIER_REJECTED_OTHER.
        """
        if not self._is_refusal(code, env):
            raise self.envelope_format.error_from(env, response)
        return InterceptResult(
            carrier=self.name,
            waybill=waybill,
            status=InterceptStatus.FAILED,
            failure=self.code_book.intercept_failures.get(code, InterceptFailure.CARRIER_REJECTED_OTHER),
            raw_code=code,
            message=self.envelope_format.message_of(env),
            request_id=request_id,
        )

    def _cancelled(self, waybill: str, env: Envelope, *, reference: str = "") -> InterceptResult:
        """A withdrawn intercept, from the successful envelope of a cancel."""
        return InterceptResult(
            carrier=self.name,
            waybill=waybill,
            status=InterceptStatus.CANCELLED,
            raw_code=self.envelope_format.code_of(env),
            message=self.envelope_format.message_of(env),
            carrier_reference=reference,
        )
