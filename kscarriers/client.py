"""The Client: one interface over every configured carrier. The only module that sends requests."""

from __future__ import annotations

import logging
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)
from urllib.parse import urlsplit

from attrs import evolve

from ._idempotency import Intent, KeyLedger, StateChange, once_per_key, send_once
from ._inference import intercept_from_tracking, relabel_returns
from ._logging import CallLog
from ._retry import Retrier, RetryBudget
from .carriers import CarrierAdapter, check_phone_tail
from .config import ClientConfig, concurrency_problem
from .errors import (
    CarrierError,
    ConfigurationError,
    KsCarriersError,
    NotFoundError,
    ResponseFormatError,
    TransportError,
    UnsupportedOperationError,
    ValidationError,
    scrub_secret,
)
from .models import (
    Address,
    InterceptKind,
    InterceptRequest,
    InterceptResult,
    InterceptStatus,
    Operation,
    PushAck,
    PushEvent,
    PushMessage,
    PushReply,
    SubscribeResult,
    TrackResult,
)
from .registry import CarrierRegistry, default_registry, normalise_waybill
from .rules.eligibility import EligibilityReport, check_eligibility
from .rules.facts import Merchant, Order, Refund
from .transport import DEFAULT_POOL_SIZE, HttpRequest, HttpResponse, RequestsTransport, Transport

__all__ = ["Client"]

log = logging.getLogger("kscarriers.client")

_MAX_ID = 64

T = TypeVar("T")


def _check_text(name: str, value: object, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise ValidationError(field=name, reason=f"must be a str, got {type(value).__name__}")
    if required and not value.strip():
        raise ValidationError(field=name, reason="must not be empty")
    try:
        value.encode("utf-8")  # requests are signed over UTF-8 bytes; a lone surrogate has none
    except UnicodeEncodeError as exc:
        raise ValidationError(
            field=name, reason=f"is not valid Unicode text (lone surrogate at {exc.start})"
        ) from None
    return value.strip()


def _with_phone_tail(build: Callable[..., HttpRequest], tail: Optional[str]) -> Callable[[], HttpRequest]:
    """``build()``, or ``build(phone_tail=tail)`` when one was given.

    An adapter written before ``phone_tail`` existed keeps working for calls without one.
    """
    if tail is None:
        return lambda: build()
    return lambda: build(phone_tail=tail)


class _HeaderItems(Protocol):
    """A framework's header object, or a mapping: something with ``items()``."""

    def items(self) -> Iterable[Tuple[Union[str, bytes], Union[str, bytes]]]: ...


#: What ``parse_push`` and ``handle_push`` take as headers.
PushHeaders = Union[
    _HeaderItems,
    Sequence[Tuple[Union[str, bytes], Union[str, bytes]]],
]


def _header_text(value: object, field: str) -> str:
    """A header name or value as text: ``str`` as is, ``bytes`` as latin-1 (as WSGI and ASGI do)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    raise ValidationError(field=field, reason=f"must be a str or bytes, got {type(value).__name__}")


def _header_pairs(headers: object) -> Iterable[object]:
    if isinstance(headers, (list, tuple)):
        return headers
    items = getattr(headers, "items", None)
    if isinstance(headers, (str, bytes, bytearray)) or not callable(items):
        raise ValidationError(
            field="headers",
            reason="must be a mapping, a web framework's header object or a list of (name, value) "
            f"pairs, got {type(headers).__name__}",
        )
    pairs = items()
    try:
        iter(pairs)
    except TypeError:
        raise ValidationError(field="headers", reason="items() must give (name, value) pairs") from None
    return pairs  # type: ignore[no-any-return]


def _push_headers(headers: object) -> Dict[str, str]:
    """A push's headers as a plain dict, whatever container the web framework gave them in.

    Accepted: a mapping; any object whose ``items()`` gives ``(name, value)`` pairs — Werkzeug's
    (Flask) ``EnvironHeaders``/``Headers`` (no ``Mapping``), Django's ``request.headers``,
    Starlette's (FastAPI) ``Headers``, ``email.message.Message``; a list or tuple of pairs (an
    ASGI scope's raw headers). Names and values are ``str`` or ``bytes`` (decoded as latin-1, as
    WSGI and ASGI do). Names are matched without regard to case.

    A name that occurs more than once is kept once, its values joined with ``", "`` in order — what
    a WSGI server already does with repeated header lines (RFC 9110 §5.3) — so the outcome does
    not depend on the framework. A repeated signature header therefore never verifies: two
    J&T ``digest`` lines read as ``"a, b"``, which is not Base64 (SignatureError ``bad_encoding``).
    """
    found: Dict[str, str] = {}
    spelled: Dict[str, str] = {}  # lower-case name -> the spelling seen first
    for pair in _header_pairs(headers):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise ValidationError(field="headers", reason="must hold (name, value) pairs")
        name = _header_text(pair[0], "headers")
        value = _header_text(pair[1], f"headers[{name!r}]")
        key = spelled.setdefault(name.lower(), name)
        found[key] = f"{found[key]}, {value}" if key in found else value
    return found


class Client:
    """Track, subscribe, intercept and receive pushes across ZTO, YTO, STO and J&T.

    Args:
        config: credentials and base URL per carrier, timeouts, retry policy.
        transport: how requests are sent (default: a pooled ``requests`` session). Tests pass
            :class:`kscarriers.testing.WSGITransport` to talk to an app in-process.
        registry: where carrier adapters come from (default: the entry-point registry).
        sleep: how retries wait; inject a recorder in tests so that no real time passes.
        monotonic: clock for the retry policy's total timeout.
        id_factory: makes request ids for state-changing calls (default: uuid4 hex).

    The client remembers the idempotency keys of its intercepts (``config.idempotency``): a
    repeat with a key returns the first answer, and a key reused for another call is an
    :class:`~kscarriers.errors.IdempotencyError`. That memory is this instance's, in process.

    Every request carries ``config.user_agent`` as its ``User-Agent`` header (an adapter that
    sets its own for a carrier keeps it).

    Example::

        client = Client(config)
        result = client.track("73100130019486")          # carrier detected from the number
        print(result.status, result.latest)
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        transport: Optional[Transport] = None,
        registry: Optional[CarrierRegistry] = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: Optional[random.Random] = None,
        id_factory: Optional[Callable[[], str]] = None,
    ) -> None:
        self.config = config
        self._transport: Transport = (
            transport
            if transport is not None
            else RequestsTransport(pool_size=max(DEFAULT_POOL_SIZE, config.concurrency))
        )
        self._registry = registry if registry is not None else default_registry
        self._retrier = Retrier(
            config.retry,
            budget=RetryBudget(config.retry.budget),
            sleep=sleep,
            monotonic=monotonic,
            rng=rng,
        )
        self._monotonic = monotonic
        self._new_id = id_factory or (lambda: uuid.uuid4().hex)
        self._keys = KeyLedger(config.idempotency, monotonic=monotonic)
        self._adapters: Dict[str, CarrierAdapter] = {}

    @classmethod
    def from_env(
        cls,
        environ: Optional[Mapping[str, str]] = None,
        *,
        prefix: str = "KSCARRIERS_",
        **kwargs: Any,
    ) -> Client:
        """A client configured from environment variables (:meth:`ClientConfig.from_env`).

        ``kwargs`` (``transport``, ``registry``, ``sleep``, ...) go to the constructor as they
        are. A configured carrier the registry does not know (``KSCARRIERS_ZOT_APP_KEY``) is an
        error here, not at the first call.

        Raises:
            ConfigurationError: as :meth:`ClientConfig.from_env`, or for an unknown carrier.
        """
        config = ClientConfig.from_env(environ, prefix=prefix)
        registry: CarrierRegistry = kwargs.get("registry") or default_registry
        known = registry.slugs()
        strangers = sorted(set(config.carriers) - set(known))
        if strangers:
            names = ", ".join(f"{prefix}{slug.upper()}_*" for slug in strangers)
            raise ConfigurationError(f"{names}: no such carrier (known: {', '.join(known)})")
        return cls(config, **kwargs)

    def __repr__(self) -> str:
        return f"Client(carriers={sorted(self.config.carriers)!r})"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the transport's connections."""
        close = getattr(self._transport, "close", None)
        if callable(close):
            close()

    # -- carriers ---------------------------------------------------------------------------

    def adapter(self, carrier: str) -> CarrierAdapter:
        """The configured adapter of ``carrier`` (ConfigurationError when not configured)."""
        cached = self._adapters.get(carrier)
        if cached is None:
            cls = self._registry.get(carrier)
            cached = self._adapters[carrier] = cls(self.config.carrier(carrier))
        return cached

    def operations(self, carrier: str) -> FrozenSet[Operation]:
        """The operations ``carrier`` offers (for example J&T has no CANCEL_INTERCEPT)."""
        return self._registry.get(carrier).operations

    def supports(self, carrier: str, operation: Operation) -> bool:
        """Whether ``carrier`` offers ``operation``."""
        return operation in self.operations(carrier)

    def candidates(self, waybill: str) -> Tuple[str, ...]:
        """The carriers this client is configured for whose waybill formats fit ``waybill``.

        Only configured carriers are listed (``kscarriers.candidates()`` answers for every
        registered one). More than one means ``carrier=`` must be given; see docs/waybills.md.
        """
        configured = self.config.carriers
        return tuple(slug for slug in self._registry.candidates(waybill) if slug in configured)

    def detect_carrier(self, waybill: str) -> str:
        """The carrier of ``waybill``, which must be one this client is configured for.

        The number is normalised (full-width digits, label spaces and hyphens) and must fit
        exactly one registered carrier's format, whether or not this client is configured for
        the others: a 12-digit number is refused even by a ZTO-only client, because it may as
        well be STO's (``carrier=`` settles it).

        Raises:
            ValidationError: the number is malformed, matches no carrier, or more than one.
            ConfigurationError: the number belongs to a carrier this client is not configured for.
        """
        slug = self._registry.detect(waybill)
        if slug not in self.config.carriers:
            number = normalise_waybill(waybill)
            raise ConfigurationError(
                f"{number} is a {slug} waybill, but this client has no {slug} configuration", carrier=slug
            )
        return slug

    def _resolve(self, waybill: str, carrier: Optional[str]) -> tuple[str, CarrierAdapter, str]:
        number = normalise_waybill(waybill)
        if carrier is None:
            slug = self.detect_carrier(number)
        else:
            slug = _check_text("carrier", carrier).lower()
            if not self._registry.fits(slug, number):
                raise ValidationError(
                    field="waybill", reason=f"{number!r} is not a valid {slug} waybill number"
                )
        return slug, self.adapter(slug), number

    def _require(self, slug: str, adapter: CarrierAdapter, operation: Operation) -> None:
        if operation not in adapter.operations:
            raise UnsupportedOperationError(carrier=slug, operation=operation.value)

    # -- sending ----------------------------------------------------------------------------

    def _send(self, request: HttpRequest) -> HttpResponse:
        headers = request.headers
        for name in headers:
            if name.lower() == "user-agent":
                break
        else:
            headers = {**headers, "User-Agent": self.config.user_agent}
            if type(request) is HttpRequest:  # what attrs' evolve makes, without its generic walk
                request = HttpRequest(
                    method=request.method, url=request.url, headers=headers, body=request.body
                )
            else:
                request = evolve(request, headers=headers)
        return self._transport.send(request, timeouts=self.config.timeouts)

    def _call_log(
        self, slug: str, operation: str, number: str, *, describe: str = "", key: Optional[str] = None
    ) -> CallLog:
        """What the log records of one call name (see docs/logging.md)."""
        return CallLog(
            describe or f"{slug} {operation} {number}",
            carrier=slug,
            operation=operation,
            waybill=number,
            idempotency_key=key,
            max_attempts=self.config.retry.max_attempts,
            secret=self.config.carrier(slug).credentials.app_secret,
        )

    def _attempt(
        self, call: CallLog, build: Callable[[], HttpRequest], parse: Callable[[HttpResponse], T]
    ) -> Callable[[], T]:
        """One attempt of ``call``: build, send, parse; a DEBUG record of it when DEBUG is on.

        With DEBUG off an attempt costs a counter and an attribute more than the bare call.
        Errors leave with the carrier's secret masked (a carrier may echo it in an error page).
        """
        secret = self.config.carrier(call.carrier).credentials.app_secret if call.carrier else ""

        def parse_masked(response: HttpResponse) -> T:
            try:
                return parse(response)
            except KsCarriersError as exc:
                scrub_secret(exc, secret)
                raise

        def once() -> T:
            call.attempts += 1
            request = call.request = build()
            if not log.isEnabledFor(logging.DEBUG):
                return parse_masked(self._send(request))
            started = self._monotonic()
            response: Optional[HttpResponse] = None
            try:
                response = self._send(request)
                latency = self._monotonic() - started
                result = parse_masked(response)
            except BaseException as exc:
                if response is None:
                    latency = self._monotonic() - started
                call.attempt(response, latency, error=exc)
                raise
            call.attempt(response, latency, result=result)
            return result

        return once

    def _read(
        self,
        call: CallLog,
        build: Callable[[], HttpRequest],
        parse: Callable[[HttpResponse], T],
    ) -> T:
        return self._retrier.call(self._attempt(call, build, parse), describe=call.describe, context=call)

    # -- tracking ---------------------------------------------------------------------------

    def track(
        self, waybill: str, carrier: Optional[str] = None, *, phone_tail: Optional[str] = None
    ) -> TrackResult:
        """A waybill's scans, normalised, oldest first.

        Args:
            phone_tail: the last 4 digits of the sender's or receiver's phone, for carriers that
                ask for them (ZTO ``mobilePhone``); the other carriers ignore it.

        Raises:
            ValidationError: the number is empty, unknown or ambiguous, or ``phone_tail`` is
                not 4 digits.
            PhoneVerificationRequired: the carrier wants ``phone_tail`` (or another one).
            CarrierError: the carrier refused (authentication, not found, …).
            TransportError: no answer after the retry policy ran out.
        """
        tail = check_phone_tail(phone_tail)
        slug, adapter, number = self._resolve(waybill, carrier)
        result = self._read(
            self._call_log(slug, "track", number),
            _with_phone_tail(partial(adapter.build_track, number), tail),
            lambda resp: adapter.parse_track(number, resp),
        )
        return relabel_returns(result)

    def track_many(
        self, waybills: List[str], carrier: Optional[str] = None, *, concurrency: Optional[int] = None
    ) -> List[Union[TrackResult, KsCarriersError]]:
        """Track several waybills, up to ``concurrency`` at a time.

        Each entry of the answer, in the order of ``waybills``, is that waybill's
        :class:`TrackResult` or the error that tracking it raised (a :class:`CarrierError`,
        :class:`ConfigurationError`, :class:`TransportError` or :class:`ValidationError`); one
        waybill's failure does not stop the others. Each waybill is tracked as by :meth:`track`,
        retries included, all sharing the client's retry budget. Any other exception (a fault,
        not an answer) is raised, and the waybills not yet started are not sent.

        Args:
            concurrency: requests in flight at once, 1 to 64 (default ``config.concurrency``,
                8). The default transport grows its connection pool to match.

        Raises:
            ValidationError: ``waybills`` is a string rather than a list, or ``concurrency``
                is not an int from 1 to 64.
        """
        if isinstance(waybills, (str, bytes)) or not isinstance(waybills, Iterable):
            raise ValidationError(field="waybills", reason="must be a list of waybill numbers, not a string")
        problem = None if concurrency is None else concurrency_problem(concurrency)
        if problem is not None:
            raise ValidationError(field="concurrency", reason=problem)
        workers = self.config.concurrency if concurrency is None else concurrency
        numbers = list(waybills)

        def one(number: str) -> Union[TrackResult, KsCarriersError]:
            try:
                return self.track(number, carrier)
            except (CarrierError, ConfigurationError, TransportError, ValidationError) as exc:
                return exc

        workers = min(workers, len(numbers))
        if workers <= 1:
            return [one(number) for number in numbers]
        grow_pool = getattr(self._transport, "grow_pool", None)
        if callable(grow_pool):
            grow_pool(workers)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kscarriers-track") as pool:
            futures = [pool.submit(one, number) for number in numbers]
            try:
                return [future.result() for future in futures]
            except BaseException:
                # A fault, not an answer (a bug, KeyboardInterrupt): start nothing more, raise it.
                for future in futures:
                    future.cancel()
                raise

    def subscribe(
        self,
        waybill: str,
        carrier: Optional[str] = None,
        *,
        callback_url: Optional[str] = None,
        phone_tail: Optional[str] = None,
    ) -> SubscribeResult:
        """Ask the carrier to push this waybill's scans to the account's callback URL.

        ``phone_tail`` is as for :meth:`track`.
        """
        tail = check_phone_tail(phone_tail)
        slug, adapter, number = self._resolve(waybill, carrier)
        self._require(slug, adapter, Operation.SUBSCRIBE)
        if callback_url is not None:
            url = urlsplit(_check_text("callback_url", callback_url))
            if url.scheme not in ("http", "https") or not url.netloc:
                raise ValidationError(field="callback_url", reason="must be an absolute http(s) URL")
        return self._read(
            self._call_log(slug, "subscribe", number),
            _with_phone_tail(partial(adapter.build_subscribe, number, callback_url=callback_url), tail),
            lambda resp: adapter.parse_subscribe(number, resp),
        )

    # -- intercepts -------------------------------------------------------------------------

    def intercept(
        self,
        waybill: str,
        *,
        carrier: Optional[str] = None,
        kind: InterceptKind = InterceptKind.RETURN_TO_SENDER,
        new_address: Optional[Address] = None,
        reason: str,
        idempotency_key: Optional[str] = None,
    ) -> InterceptResult:
        """Ask the carrier to stop a parcel and send it back (or to a new address).

        A refusal (already signed, out for delivery, duplicate …) is returned as a FAILED
        result with the normalised ``failure`` and the carrier's raw code, not raised.

        The request carries ``idempotency_key`` (or a fresh id) on every attempt. Where the
        carrier dedupes by that id (ZTO) retries are free. Elsewhere a failure that may have
        reached the carrier is settled by asking for the intercept's status before any
        resend; if it cannot be settled, :class:`OutcomeUnknownError` is raised.

        A key belongs to one call: this carrier, waybill, kind, reason and new address.
        Calling again with the same key and the same arguments returns the first call's answer
        (a pending one refreshed by the carrier's status query where it has one) and sends no
        new intercept; after :class:`OutcomeUnknownError` it resumes the call. The client
        remembers keys per instance, in process (``ClientConfig.idempotency``).

        Raises:
            IdempotencyError: ``idempotency_key`` was used for another call; nothing is sent.
            OutcomeUnknownError: the request may have landed and that could not be settled.
        """
        slug, adapter, number = self._resolve(waybill, carrier)
        if not isinstance(kind, InterceptKind):
            raise ValidationError(field="kind", reason=f"must be an InterceptKind, got {kind!r}")
        operation = Operation.CHANGE_ADDRESS if kind is InterceptKind.CHANGE_ADDRESS else Operation.INTERCEPT
        self._require(slug, adapter, operation)
        if kind is InterceptKind.CHANGE_ADDRESS and new_address is None:
            raise ValidationError(field="new_address", reason="required to change the address")
        if kind is InterceptKind.RETURN_TO_SENDER and new_address is not None:
            raise ValidationError(field="new_address", reason="only for CHANGE_ADDRESS")
        if new_address is not None:
            if not isinstance(new_address, Address):
                raise ValidationError(
                    field="new_address", reason=f"must be an Address, got {type(new_address).__name__}"
                )
            for part in ("name", "phone", "province", "city", "district", "detail"):
                _check_text(f"new_address.{part}", getattr(new_address, part), required=False)
        request = InterceptRequest(
            waybill=number,
            kind=kind,
            reason=_check_text("reason", reason),
            request_id=self._request_id(idempotency_key),
            new_address=new_address,
        )
        key = request.request_id
        has_status = Operation.INTERCEPT_STATUS in adapter.operations

        def settle() -> Optional[InterceptResult]:
            try:
                return self.intercept_status(number, carrier=slug)
            except NotFoundError:
                return None  # the carrier has no intercept: ours never landed

        def send() -> InterceptResult:
            change = StateChange(carrier=slug, operation="intercept", waybill=number, request_id=key)
            call = self._call_log(slug, "intercept", number, describe=str(change), key=key)
            return send_once(
                self._retrier,
                self._attempt(
                    call,
                    lambda: adapter.build_intercept(request),
                    lambda resp: adapter.parse_intercept(request, resp),
                ),
                change,
                deduped=adapter.intercept_takes_request_id,
                settle=settle if has_status else None,
                context=call,
            )

        def refresh(first: InterceptResult) -> Optional[InterceptResult]:
            try:
                current = self.intercept_status(number, carrier=slug)
            except KsCarriersError as exc:
                log.info("%s intercept %s: status query failed (%s); first answer kept", slug, number, exc)
                return None
            ours = {key, first.carrier_reference} - {""}
            if current.request_id and current.request_id not in ours:
                return None  # the waybill's intercept now is another one than this key's
            return current

        intent = Intent(
            carrier=slug,
            waybill=number,
            kind=kind.value,
            reason=request.reason,
            new_address=new_address,
        )
        return once_per_key(self._keys, key, intent, send, refresh=refresh if has_status else None)

    def cancel_intercept(
        self,
        waybill: str,
        *,
        carrier: Optional[str] = None,
        reason: str = "merchant withdrew the intercept",
        intercept_request_id: Optional[str] = None,
    ) -> InterceptResult:
        """Withdraw a pending intercept.

        Where the carrier identifies the intercept by the id we sent (ZTO ``thirdBizNo``) and
        ``intercept_request_id`` is not given, it is looked up with the intercept status first.

        Raises:
            UnsupportedOperationError: the carrier has no cancel (J&T).
        """
        slug, adapter, number = self._resolve(waybill, carrier)
        self._require(slug, adapter, Operation.CANCEL_INTERCEPT)
        note = _check_text("reason", reason)
        can_query = Operation.INTERCEPT_STATUS in adapter.operations
        ref = intercept_request_id
        if ref is not None:
            ref = _check_text("intercept_request_id", ref)
        if ref is None and can_query:
            ref = self.intercept_status(number, carrier=slug).carrier_reference or None
        ref = ref or ""

        def settle() -> Optional[InterceptResult]:
            status = self.intercept_status(number, carrier=slug)
            return status if status.status is InterceptStatus.CANCELLED else None

        change = StateChange(carrier=slug, operation="cancel_intercept", waybill=number, request_id=ref)
        call = self._call_log(slug, "cancel_intercept", number, describe=str(change))
        return send_once(
            self._retrier,
            self._attempt(
                call,
                lambda: adapter.build_cancel_intercept(number, request_id=ref, reason=note),
                lambda resp: adapter.parse_cancel_intercept(number, resp),
            ),
            change,
            # No carrier dedupes cancels (ZTO's cancel carries no requestId): a resend of a
            # cancel that landed would come back "no intercept in progress".
            deduped=False,
            settle=settle if can_query else None,
            context=call,
        )

    def intercept_status(
        self,
        waybill: str,
        *,
        carrier: Optional[str] = None,
        kind: InterceptKind = InterceptKind.RETURN_TO_SENDER,
    ) -> InterceptResult:
        """The state of the waybill's intercept.

        Carriers with a status API (ZTO) are asked directly; when the carrier has no intercept
        for the waybill, :class:`NotFoundError` is raised. For the others the state is inferred
        from tracking (``raw_status == "derived_from_tracking"``), which is meaningful only
        after an intercept was accepted:

        - return to sender: return scans mean SUCCEEDED, a delivery means FAILED (already
          signed), anything else PENDING;
        - change address (pass ``kind``): a forwarding scan or a delivery means SUCCEEDED,
          anything else PENDING.
        """
        slug, adapter, number = self._resolve(waybill, carrier)
        if Operation.INTERCEPT_STATUS in adapter.operations:
            return self._read(
                self._call_log(slug, "intercept_status", number),
                lambda: adapter.build_intercept_status(number),
                lambda resp: adapter.parse_intercept_status(number, resp),
            )
        return intercept_from_tracking(slug, self.track(number, slug), kind)

    def _request_id(self, key: Optional[str]) -> str:
        if key is None:
            return self._new_id()
        key = _check_text("idempotency_key", key)
        if len(key) > _MAX_ID or not key.isprintable():
            raise ValidationError(
                field="idempotency_key", reason=f"must be printable and at most {_MAX_ID} chars"
            )
        return key

    # -- platform rules ---------------------------------------------------------------------

    def check_intercept(
        self,
        *,
        order: Order,
        merchant: Merchant,
        refund: Refund,
        tracking: Optional[TrackResult] = None,
        fetch_tracking: bool = True,
    ) -> EligibilityReport:
        """Whether the platform lets this refund's parcel be intercepted, with every failed rule.

        When ``tracking`` is not given and the order has exactly one parcel on a configured
        carrier, the parcel is tracked first (``fetch_tracking=False`` to skip that), so the
        report can also predict the carrier's answer (already signed, out for delivery).
        A tracking failure is not fatal: the check then runs on the order facts alone.
        See :func:`kscarriers.rules.check_eligibility`.
        """
        if tracking is None and fetch_tracking and len(order.parcels) == 1:
            parcel = order.parcels[0]
            if parcel.carrier in self.config.carriers:
                try:
                    tracking = self.track(parcel.waybill, parcel.carrier)
                except (CarrierError, TransportError, ValidationError) as exc:
                    log.info("check_intercept: tracking %s failed: %s", parcel.waybill, exc)
        return check_eligibility(order=order, merchant=merchant, refund=refund, tracking=tracking)

    # -- pushes -----------------------------------------------------------------------------

    def parse_push(self, carrier: str, headers: PushHeaders, body: bytes) -> PushMessage:
        """Verify and parse a carrier's push, and give the acknowledgement to send back.

        The signature is checked over the raw ``body`` bytes, in constant time, with the
        configured secret of ``carrier``. Each event has a ``dedupe_key`` that is the same on
        every re-delivery. :meth:`handle_push` wraps this into the HTTP answer to send.

        Args:
            carrier: the carrier slug (typically from the receiver's URL).
            headers: the request's headers as the web framework gives them: Flask's (Werkzeug)
                and Django's ``request.headers``, Starlette's/FastAPI's ``Headers``, a mapping,
                ``email.message.Message``, or a list of ``(name, value)`` pairs; names and values
                ``str`` or ``bytes`` (latin-1). Names are matched without regard to case; a
                repeated name has its values joined with ``", "``, as WSGI servers do.
            body: the raw request body (Flask ``request.get_data()``, Django ``request.body``,
                Starlette ``await request.body()``).

        Raises:
            SignatureError: the push is not signed by the configured account (a repeated
                signature header never verifies).
            ValidationError: ``carrier`` is no registered carrier (``field == "carrier"``),
                ``body`` is not bytes, or a header is neither ``str`` nor ``bytes`` (the error
                names the header).
            ConfigurationError: ``carrier`` is registered but not configured on this client.
            ResponseFormatError: a verified push lacks a field it needs (named).
        """
        slug = _check_text("carrier", carrier).lower()
        adapter = self.adapter(slug)
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise ValidationError(field="body", reason="must be the raw request body as bytes")
        plain = _push_headers(headers)
        events = adapter.parse_push(plain, bytes(body))
        return PushMessage(carrier=slug, events=events, ack=adapter.push_ack(ok=True))

    def handle_push(
        self,
        carrier: str,
        headers: PushHeaders,
        body: bytes,
        on_event: Optional[Callable[[PushEvent], object]] = None,
    ) -> PushReply:
        """Turn a raw push into the exact HTTP answer to send; never raises on push input.

        A view in any web framework is three lines::

            reply = client.handle_push(carrier, request.headers, request.get_data(), on_event=handle)
            return reply.body, reply.status, reply.headers        # Flask

        The answer is:

        * the carrier's acknowledgement once the push verified and ``on_event`` (called once per
          event, in order) returned for every event;
        * **404** when ``carrier`` is not registered or not configured on this client;
        * **400** with the carrier's failure body when the push is refused: a bad or missing
          signature, another account, bad headers, or a verified push the SDK cannot read (that
          one is logged as an error: the carrier's format changed);
        * the carrier's nack (:meth:`push_nack`, so that the carrier delivers it again) when
          ``on_event`` raised, or when reading the push failed unexpectedly. The exception is
          logged with its traceback (logger ``kscarriers.client``) and kept in ``reply.error``.

        It is never a 500. ``on_event`` sees every event of a re-delivered push again: drop
        the ones already handled by ``event.dedupe_key``. Without ``on_event`` the
        acknowledgement comes at once; handle ``reply.message.events`` before sending it.

        Args:
            carrier: as for :meth:`parse_push`.
            headers: as for :meth:`parse_push`.
            body: as for :meth:`parse_push`.
            on_event: called with each :class:`PushEvent`; an exception asks for re-delivery.
        """
        try:
            slug = _check_text("carrier", carrier).lower()
            adapter = self.adapter(slug)
        except (ValidationError, ConfigurationError) as exc:
            log.warning("push refused with 404: %s", exc)
            return PushReply(status=404, headers=_JSON_HEADERS, body=_NO_CARRIER, error=exc)
        try:
            message = self.parse_push(slug, headers, body)
        except KsCarriersError as exc:
            # A signed push the SDK cannot read means the carrier changed its format: say it loudly.
            level = logging.ERROR if isinstance(exc, ResponseFormatError) else logging.WARNING
            log.log(level, "%s push refused with 400: %s", slug, exc)
            return _push_reply(adapter.push_ack(ok=False), status=400, error=exc)
        except Exception as exc:  # a fault in the SDK: let the carrier deliver it again later
            log.exception("reading a %s push failed; asked the carrier to deliver it again", slug)
            return _push_reply(adapter.push_ack(ok=False), error=exc)
        if on_event is not None:
            for event in message.events:
                try:
                    on_event(event)
                except Exception as exc:
                    log.exception(
                        "handling %s push event %s failed; asked the carrier to deliver it again",
                        slug,
                        event.dedupe_key,
                    )
                    return _push_reply(adapter.push_ack(ok=False), message=message, error=exc)
        return _push_reply(message.ack, message=message)

    def push_nack(self, carrier: str) -> PushAck:
        """The answer that asks ``carrier`` to deliver a push again (when processing failed)."""
        return self.adapter(_check_text("carrier", carrier).lower()).push_ack(ok=False)


_JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
_NO_CARRIER = b'{"error":"unknown_carrier","message":"no push receiver for this carrier"}'


def _push_reply(
    ack: PushAck,
    *,
    status: Optional[int] = None,
    message: Optional[PushMessage] = None,
    error: Optional[Exception] = None,
) -> PushReply:
    return PushReply(
        status=ack.status if status is None else status,
        headers={"Content-Type": ack.content_type},
        body=ack.body,
        message=message,
        error=error,
    )
