"""Named QA presets: small functions that build the stubs for common carrier misbehaviour.

Every preset takes the same keyword options, which narrow or tune the stub it builds:

* match filters: ``carrier``, ``operation``, ``waybill``, ``waybill_pattern``, ``account``,
  ``push_kind``;
* stub options: ``id``, ``name``, ``lifetime`` (a :class:`Lifetime`, ``"once"``,
  ``"permanent"`` or an int count), ``probability``, ``priority``, ``scenario``,
  ``required_state``, ``new_state``.

``flaky`` builds a sequence of stubs and takes only the match filters plus ``id``
(prefix of the stub ids), ``name``, ``priority`` and ``scenario``.

A scenario file refers to a preset by name, see :data:`PRESETS`::

    {"preset": "intercept_rejected", "args": {"reason": "already_signed"},
     "match": {"carrier": "zto"}}
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from ._fields import is_number
from .errors import ScenarioFileError
from .matchers import Match
from .outcomes import (
    CarrierErrorOutcome,
    HttpFaultOutcome,
    InterceptOutcome,
    Outcome,
    TrackOutcome,
    outcome_from_dict,
)
from .push_outcome import PushOutcome
from .stubs import STARTED, Lifetime, Stub, new_stub_id

MATCH_OPTIONS = ("carrier", "operation", "waybill", "waybill_pattern", "account", "push_kind")
STUB_OPTIONS = (
    "id",
    "name",
    "lifetime",
    "probability",
    "priority",
    "scenario",
    "required_state",
    "new_state",
)
_FLAKY_OPTIONS = (*MATCH_OPTIONS, "id", "name", "priority", "scenario")


def _lifetime(value: Any) -> Lifetime:
    if isinstance(value, Lifetime):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Lifetime.times(value)
    return Lifetime.from_dict(value)


def _check_options(options: Mapping[str, Any], allowed: Sequence[str], preset: str) -> None:
    for key in options:
        if key not in allowed:
            raise ScenarioFileError(
                path=key,
                message=f"not an option of preset {preset!r} (expected one of {', '.join(allowed)})",
            )


def _stub(outcome: Outcome, options: Mapping[str, Any], preset: str) -> Stub:
    _check_options(options, (*MATCH_OPTIONS, *STUB_OPTIONS), preset)
    criteria = {key: options[key] for key in MATCH_OPTIONS if options.get(key) is not None}
    if "operation" not in criteria and len(outcome.OPERATIONS) == 1:
        # Spell out the only operation the outcome answers, so dumps and explanations show it.
        (criteria["operation"],) = outcome.OPERATIONS
    match = Match(**criteria)
    kwargs = {key: options[key] for key in STUB_OPTIONS if options.get(key) is not None}
    if "lifetime" in kwargs:
        kwargs["lifetime"] = _lifetime(kwargs["lifetime"])
    kwargs.setdefault("name", preset)
    return Stub(match=match, outcome=outcome, **kwargs)


def _renamed(exc: ScenarioFileError, renames: Mapping[str, str]) -> ScenarioFileError:
    # Outcome errors name outcome fields; a preset caller knows only the argument names.
    head, dot, tail = exc.path.partition(".")
    path = renames.get(head, head) + dot + tail
    return ScenarioFileError(path=path, message=exc.message)


def intercept_succeeds(**options: Any) -> Stub:
    """The intercept is accepted and succeeds at once."""
    return _stub(InterceptOutcome(result="succeed"), options, "intercept_succeeds")


def intercept_rejected(reason: str, message: Optional[str] = None, **options: Any) -> Stub:
    """The intercept fails at once.

    Args:
        reason: One of ``already_signed``, ``out_for_delivery``, ``duplicate``,
            ``not_found``, ``not_supported``, ``other``.
        message: Carrier message text to use instead of the usual one.
    """
    outcome = InterceptOutcome(result="fail", reason=reason, message=message)
    return _stub(outcome, options, "intercept_rejected")


def intercept_pending(**options: Any) -> Stub:
    """The intercept is accepted and stays pending for good."""
    return _stub(InterceptOutcome(result="pending"), options, "intercept_pending")


def late_result(
    delay_seconds: float, result: str = "succeed", reason: Optional[str] = None, **options: Any
) -> Stub:
    """The intercept stays pending, then resolves after ``delay_seconds`` (server clock).

    Args:
        delay_seconds: Seconds until it resolves.
        result: ``succeed`` or ``fail``.
        reason: The failure reason when ``result`` is ``fail``.
    """
    try:
        outcome = InterceptOutcome(result="pending", then=result, reason=reason, delay_seconds=delay_seconds)
    except ScenarioFileError as exc:
        raise _renamed(exc, {"then": "result"}) from None
    return _stub(outcome, options, "late_result")


def missing_fields(fields: Sequence[str], **options: Any) -> Stub:
    """Tracking scans lack ``fields`` (carrier wire keys, dotted for nested ones)."""
    return _stub(TrackOutcome(mutation="missing_fields", fields=fields), options, "missing_fields")


def null_values(fields: Sequence[str], **options: Any) -> Stub:
    """Tracking scans carry null in ``fields``."""
    return _stub(TrackOutcome(mutation="null_values", fields=fields), options, "null_values")


def empty_trace(**options: Any) -> Stub:
    """Tracking answers successfully with no scans at all."""
    return _stub(TrackOutcome(mutation="empty_trace"), options, "empty_trace")


def unknown_scan_codes(**options: Any) -> Stub:
    """Tracking scans use scan codes the SDK does not know."""
    return _stub(TrackOutcome(mutation="unknown_scan_codes"), options, "unknown_scan_codes")


def out_of_order_scans(**options: Any) -> Stub:
    """Tracking scans come back out of time order."""
    return _stub(TrackOutcome(mutation="out_of_order"), options, "out_of_order_scans")


def duplicate_scans(**options: Any) -> Stub:
    """Tracking scans are repeated."""
    return _stub(TrackOutcome(mutation="duplicate_scans"), options, "duplicate_scans")


def carrier_error(
    kind: str, field: Optional[str] = None, message: Optional[str] = None, **options: Any
) -> Stub:
    """The carrier answers with an error in its own envelope.

    Args:
        kind: ``bad_signature``, ``rate_limited`` (quota/QPS), ``unavailable``,
            ``missing_field`` or ``not_found``.
        field: For ``missing_field``, the wire field named as missing.
        message: Carrier message text to use instead of the usual one.
    """
    try:
        outcome = CarrierErrorOutcome(kind=kind, field_name=field, message=message)
    except ScenarioFileError as exc:
        raise _renamed(exc, {}) from None
    return _stub(outcome, options, "carrier_error")


def outage(status: int = 503, retry_after: Optional[int] = None, **options: Any) -> Stub:
    """Every matching request gets an HTTP error status (500, 502, 503 ...)."""
    outcome = HttpFaultOutcome(kind="status", status=status, retry_after=retry_after)
    return _stub(outcome, options, "outage")


def rate_limited(retry_after: int = 1, **options: Any) -> Stub:
    """HTTP 429 with a ``Retry-After`` header.

    For a quota error inside the carrier's envelope use ``carrier_error("rate_limited")``.
    """
    outcome = HttpFaultOutcome(kind="status", status=429, retry_after=retry_after)
    return _stub(outcome, options, "rate_limited")


def slow_response(seconds: float, **options: Any) -> Stub:
    """The answer comes only after ``seconds`` (set it beyond the client's timeout)."""
    try:
        outcome = HttpFaultOutcome(kind="slow", delay_seconds=seconds)
    except ScenarioFileError as exc:
        raise _renamed(exc, {"delay_seconds": "seconds"}) from None
    return _stub(outcome, options, "slow_response")


def connection_reset(**options: Any) -> Stub:
    """The connection is dropped without an answer."""
    return _stub(HttpFaultOutcome(kind="connection_reset"), options, "connection_reset")


def truncated_body(**options: Any) -> Stub:
    """The body is cut off part-way."""
    return _stub(HttpFaultOutcome(kind="truncated_body"), options, "truncated_body")


def malformed_json(**options: Any) -> Stub:
    """The body is not valid JSON."""
    return _stub(HttpFaultOutcome(kind="malformed_json"), options, "malformed_json")


def wrong_content_type(content_type: Optional[str] = None, **options: Any) -> Stub:
    """The body is sent with the wrong ``Content-Type`` (server's choice when None)."""
    outcome = HttpFaultOutcome(kind="wrong_content_type", content_type=content_type)
    return _stub(outcome, options, "wrong_content_type")


def duplicate_push(copies: int = 2, **options: Any) -> Stub:
    """Each push is sent ``copies`` times."""
    return _stub(PushOutcome(copies=copies), options, "duplicate_push")


def never_push(**options: Any) -> Stub:
    """Pushes are dropped."""
    return _stub(PushOutcome(drop=True), options, "never_push")


def late_push(seconds: Union[float, Sequence[float]], **options: Any) -> Stub:
    """Pushes are delayed by ``seconds``, or by a seeded draw from ``[min, max]``."""
    try:
        if is_number(seconds):
            outcome = PushOutcome(delay_seconds=seconds)  # type: ignore[arg-type]
        else:
            outcome = PushOutcome(delay_range=seconds)
    except ScenarioFileError as exc:
        raise _renamed(exc, {"delay_seconds": "seconds", "delay_range": "seconds"}) from None
    return _stub(outcome, options, "late_push")


def out_of_order_pushes(**options: Any) -> Stub:
    """Each push is held back and sent after the next one for the same waybill."""
    return _stub(PushOutcome(out_of_order=True), options, "out_of_order_pushes")


def batched_pushes(size: int = 2, **options: Any) -> Stub:
    """Pushes are sent ``size`` to a request."""
    try:
        outcome = PushOutcome(batch=size)
    except ScenarioFileError as exc:
        raise _renamed(exc, {"batch": "size"}) from None
    return _stub(outcome, options, "batched_pushes")


def bad_signature_push(**options: Any) -> Stub:
    """Pushes are signed with a wrong secret (a receiver that verifies must refuse them)."""
    return _stub(PushOutcome(fault="bad_signature"), options, "bad_signature_push")


def tampered_push(**options: Any) -> Stub:
    """Pushes' signed content is changed after signing (the signature no longer matches)."""
    return _stub(PushOutcome(fault="tampered_body"), options, "tampered_push")


def stale_push(seconds: float = 3600, **options: Any) -> Stub:
    """Pushes carry a timestamp ``seconds`` old (only carriers whose pushes carry one: J&T)."""
    try:
        outcome = PushOutcome(fault="stale_timestamp", stale_seconds=seconds)
    except ScenarioFileError as exc:
        raise _renamed(exc, {"stale_seconds": "seconds"}) from None
    return _stub(outcome, options, "stale_push")


def push_outage(
    mode: str = "unreachable",
    seconds: Optional[float] = None,
    until: Optional[str] = None,
    **options: Any,
) -> Stub:
    """The account's pushes stop for ``seconds`` of its mock clock (or until ``until``), then flow.

    ``mode`` ``unreachable``: every attempt fails as if the receiver were down (retried with
    backoff); ``held``: nothing is sent until the outage ends. Use ``lifetime="once"`` for a
    single outage.
    """
    try:
        outcome = PushOutcome(outage=mode, duration_seconds=seconds, until=until)
    except ScenarioFileError as exc:
        raise _renamed(exc, {"outage": "mode", "duration_seconds": "seconds"}) from None
    return _stub(outcome, options, "push_outage")


def _as_outcome(value: Any, path: str) -> Outcome:
    if isinstance(value, Mapping):
        return outcome_from_dict(dict(value), path)
    return value  # type: ignore[no-any-return]


def flaky(first_fails: int = 1, fault: Any = None, then: Any = None, **options: Any) -> List[Stub]:
    """A stateful sequence: the first ``first_fails`` matching calls fail, later ones do not.

    Built on scenario states: the scenario moves ``Started`` -> ``failed 1`` -> ... ->
    ``recovered``; reset it (``engine.set_state``) to replay.

    Args:
        first_fails: How many calls fail (>= 1).
        fault: The failing outcome (an outcome or its dict); HTTP 503 when None.
        then: Outcome once recovered (an outcome or its dict); when None, later calls
            get the server's normal answer (or whatever other stub matches).

    Returns:
        The stubs, to be added together: ``engine.add(*flaky(2, carrier="zto"))``.
    """
    _check_options(options, _FLAKY_OPTIONS, "flaky")
    if not isinstance(first_fails, int) or isinstance(first_fails, bool) or first_fails < 1:
        raise ScenarioFileError(
            path="first_fails", message=f"must be a whole number >= 1, got {first_fails!r}"
        )
    fault = HttpFaultOutcome(kind="status", status=503) if fault is None else fault
    fault = _as_outcome(fault, "fault")
    base = options.pop("id", None) or new_stub_id()
    name = options.pop("name", None) or "flaky"
    scenario = options.pop("scenario", None) or f"flaky-{base}"
    stubs = []
    for index in range(1, first_fails + 1):
        stubs.append(
            _stub(
                fault,
                dict(
                    options,
                    id=f"{base}-fail-{index}",
                    name=f"{name}: failure {index} of {first_fails}",
                    scenario=scenario,
                    required_state=STARTED if index == 1 else f"failed {index - 1}",
                    new_state="recovered" if index == first_fails else f"failed {index}",
                ),
                "flaky",
            )
        )
    if then is not None:
        recovered = dict(
            options,
            id=f"{base}-recovered",
            name=f"{name}: recovered",
            scenario=scenario,
            required_state="recovered",
        )
        stubs.append(_stub(_as_outcome(then, "then"), recovered, "flaky"))
    return stubs


PresetFunction = Callable[..., Union[Stub, List[Stub]]]

PRESETS: Dict[str, PresetFunction] = {
    function.__name__: function
    for function in (
        intercept_succeeds,
        intercept_rejected,
        intercept_pending,
        late_result,
        missing_fields,
        null_values,
        empty_trace,
        unknown_scan_codes,
        out_of_order_scans,
        duplicate_scans,
        carrier_error,
        outage,
        rate_limited,
        slow_response,
        connection_reset,
        truncated_body,
        malformed_json,
        wrong_content_type,
        duplicate_push,
        never_push,
        late_push,
        out_of_order_pushes,
        batched_pushes,
        bad_signature_push,
        tampered_push,
        stale_push,
        push_outage,
        flaky,
    )
}
"""Every preset by the name a scenario file uses for it."""
