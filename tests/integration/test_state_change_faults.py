"""State-changing calls under every fault the mock can inject: typed, never wrong, never duplicated.

Every :class:`~mockserver.deciders.Fault` (an error in the carrier's own envelope), every
:class:`~mockserver.deciders.Breakage` (the carrier's real answer damaged on the wire, after the
carrier acted) and the raw HTML pages a gateway answers (:class:`~mockserver.deciders.RawResponse`)
is injected into the intercept and the cancel of every carrier, on the first attempt only and on
every attempt. What the SDK answers is held to what happened at the mock:

- a definite refusal gives its typed error (a bad signature is an ``AuthenticationError`` …)
  and nothing changed at the carrier;
- an answer that cannot be read, after a request that may have landed, is
  ``OutcomeUnknownError``, or a result settled by the carrier (a ZTO resend or status query);
- a result is never wrong: the mock's intercept is in the state the result says;
- nothing is ever an untyped exception, and the mock never holds two intercepts for a waybill.

The same idempotency key then resumes an unknown intercept to its true state.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple, Type

import pytest
from attrs import frozen
from ksmock import WAYBILLS, make_parcel, sdk_config

from kscarriers import (
    AuthenticationError,
    CarrierError,
    Client,
    IdempotencyError,
    InterceptFailure,
    InterceptResult,
    InterceptStatus,
    KsCarriersError,
    NotFoundError,
    Operation,
    OutcomeUnknownError,
    RateLimitError,
    UnsupportedOperationError,
    default_registry,
)
from kscarriers.testing import WSGITransport
from mockserver.deciders import Breakage, Decision, DecisionRequest, Fault, RawResponse
from mockserver.deciders import Operation as MockOperation
from mockserver.services import get_services

CARRIERS = default_registry.slugs()

_MAINTENANCE_PAGE = "<!DOCTYPE html><html><body><h1>系统维护中</h1></body></html>"


def _gateway_page(status: int) -> str:
    """What an nginx in front of a carrier answers (no DOCTYPE, unlike the maintenance page)."""
    return f"<html>\r\n<head><title>{status}</title></head>\r\n<body><center>nginx</center></body>\r\n</html>"


def _html(status: int, **headers: str) -> Decision:
    page = _MAINTENANCE_PAGE if status == 200 else _gateway_page(status)
    return Decision(
        name=f"html-{status}",
        response=RawResponse(status=status, body=page, content_type="text/html", headers=headers),
    )


#: Every injectable fault, by name: the decision, and whether the carrier acts before the fault
#: (a breakage damages the answer of a request that was carried out).
FAULTS: Dict[str, Tuple[Decision, bool]] = {
    **{f"fault-{f.value.lower()}": (Decision(name=f.value, fault=f), False) for f in Fault},
    **{f"break-{b.value}": (Decision(name=b.value, breakage=b), True) for b in Breakage},
    "break-json-labelled-html": (
        Decision(name="json-as-html", breakage=Breakage.WRONG_CONTENT_TYPE, content_type="text/html"),
        True,
    ),
    "html-200": (_html(200), False),
    "html-403": (_html(403), False),
    "html-429": (_html(429, **{"Retry-After": "1"}), False),
    **{f"html-{status}": (_html(status), False) for status in (500, 502, 503, 504)},
}

#: Faults that refuse the request before the carrier acts, and the typed answer each must give.
#: A rate limit is retried, so injected once it ends in the normal result.
DEFINITE: Dict[str, Tuple[Type[KsCarriersError], ...]] = {
    "fault-bad_signature": (AuthenticationError,),
    "html-403": (AuthenticationError,),
    "fault-rate_limited": (RateLimitError,),
    "html-429": (RateLimitError,),
    "fault-missing_field": (CarrierError,),
    "fault-not_found": (NotFoundError,),  # or a FAILED waybill_not_found result
}
RETRIED = {"fault-rate_limited", "html-429"}


class Injected:
    """A Decider that answers one operation with ``decision``, ``times`` times (None: always)."""

    def __init__(self, decision: Decision, operation: MockOperation, times: Optional[int]) -> None:
        self.decision = decision
        self.operation = operation
        self.times = times

    def decide(self, request: DecisionRequest) -> Optional[Decision]:
        if request.operation is not self.operation or self.times == 0:
            return None
        if self.times is not None:
            self.times -= 1
        return self.decision


def intercepts_at_mock(admin: Any, carrier: str, waybill: str) -> List[str]:
    """The states of the mock's intercepts of ``waybill``, oldest first."""
    records = admin.get(f"/__admin/intercepts?carrier={carrier}").get_json()["intercepts"]
    return [r["status"] for r in records if r["waybill"] == waybill]


def requests_at_mock(admin: Any, carrier: str, operation: str, waybill: str) -> int:
    query = f"carrier={carrier}&operation={operation}&waybill={waybill}"
    return int(admin.get(f"/__admin/requests/count?{query}").get_json()["count"])


def inject(mock_app: Any, decision: Decision, operation: MockOperation, times: Optional[int]) -> None:
    get_services(mock_app).decider = Injected(decision, operation, times)


def outcome_of(call: Callable[[], InterceptResult]) -> Any:
    """The result, or the kscarriers error; anything else fails the test (an untyped exception)."""
    try:
        return call()
    except KsCarriersError as exc:
        return exc


def check_definite(name: str, outcome: Any, *, once: bool, expected: InterceptStatus) -> None:
    """A definite refusal: its typed error (or, once and retried, the normal result)."""
    if once and name in RETRIED:
        assert isinstance(outcome, InterceptResult) and outcome.status is expected, outcome
        return
    if name == "fault-not_found" and isinstance(outcome, InterceptResult):
        assert outcome.failure is InterceptFailure.WAYBILL_NOT_FOUND, outcome
        return
    assert isinstance(outcome, DEFINITE[name]), repr(outcome)
    assert not isinstance(outcome, OutcomeUnknownError), repr(outcome)
    if name == "fault-missing_field":  # the carrier's own code, not a parse failure or a 5xx
        assert type(outcome) is CarrierError, repr(outcome)


@pytest.fixture(params=CARRIERS)
def carrier(request: Any) -> str:
    return str(request.param)


@pytest.fixture(params=["once", "always"])
def times(request: Any) -> Optional[int]:
    return 1 if request.param == "once" else None


@pytest.fixture(params=sorted(FAULTS))
def name(request: Any) -> str:
    """The name of the fault injected (a key of FAULTS)."""
    return str(request.param)


@pytest.fixture
def waybill(ks_accounts: Any, carrier: str) -> str:
    return make_parcel(ks_accounts, carrier, "in_transit")


@frozen
class Case:
    """One fault injected into one carrier's parcel, once or on every attempt."""

    carrier: str
    waybill: str
    name: str
    times: Optional[int]

    @property
    def decision(self) -> Decision:
        return FAULTS[self.name][0]

    @property
    def acted(self) -> bool:
        """Whether the carrier carries the request out before the fault (a breakage)."""
        return FAULTS[self.name][1]


@pytest.fixture
def case(carrier: str, waybill: str, times: Optional[int], name: str) -> Case:
    return Case(carrier=carrier, waybill=waybill, name=name, times=times)


def test_intercept_under_a_fault_is_typed_true_and_never_duplicated(
    ks_client: Client, ks_accounts: Any, mock_app: Any, case: Case
) -> None:
    carrier, waybill, name, acted = case.carrier, case.waybill, case.name, case.acted
    inject(mock_app, case.decision, MockOperation.INTERCEPT, case.times)

    outcome = outcome_of(lambda: ks_client.intercept(waybill, reason="refund"))

    at_mock = intercepts_at_mock(ks_accounts, carrier, waybill)
    assert len(at_mock) <= 1, f"the SDK created {len(at_mock)} intercepts"
    if not ks_client.adapter(carrier).intercept_takes_request_id:
        # Without a request id the carrier cannot tell a resend: one that may have landed is
        # never resent (a definite refusal may be).
        sent = requests_at_mock(ks_accounts, carrier, "intercept", waybill)
        assert sent == 1 or name in RETRIED, f"{sent} intercept requests"
    if name in DEFINITE:
        check_definite(name, outcome, once=case.times is not None, expected=InterceptStatus.PENDING)
    elif isinstance(outcome, InterceptResult):
        assert outcome.status is InterceptStatus.PENDING, outcome
    else:
        assert isinstance(outcome, OutcomeUnknownError), repr(outcome)
        assert outcome.request_id and outcome.operation == "intercept"
    if isinstance(outcome, InterceptResult):
        assert at_mock == (["PENDING"] if outcome.failure is None else []), (outcome, at_mock)
    elif not isinstance(outcome, OutcomeUnknownError):
        assert at_mock == [], f"{outcome!r} although the carrier holds an intercept"
    if acted:
        assert at_mock == ["PENDING"]  # the intercept was made whatever the SDK was told

    if isinstance(outcome, OutcomeUnknownError):
        # Resuming with the key the error hands back gives the truth, and no second intercept.
        inject(mock_app, case.decision, MockOperation.INTERCEPT, 0)
        resumed = ks_client.intercept(waybill, reason="refund", idempotency_key=outcome.request_id)
        assert resumed.status is InterceptStatus.PENDING, resumed
        assert intercepts_at_mock(ks_accounts, carrier, waybill) == ["PENDING"]


def test_cancel_under_a_fault_is_typed_true_and_never_wrong(
    ks_client: Client, ks_accounts: Any, mock_app: Any, case: Case
) -> None:
    carrier, waybill, name, acted = case.carrier, case.waybill, case.name, case.acted
    assert ks_client.intercept(waybill, reason="refund").status is InterceptStatus.PENDING
    if not ks_client.supports(carrier, Operation.CANCEL_INTERCEPT):
        with pytest.raises(UnsupportedOperationError):  # J&T: refused before any request
            ks_client.cancel_intercept(waybill)
        return
    inject(mock_app, case.decision, MockOperation.CANCEL_INTERCEPT, case.times)

    outcome = outcome_of(lambda: ks_client.cancel_intercept(waybill))

    at_mock = intercepts_at_mock(ks_accounts, carrier, waybill)
    assert len(at_mock) == 1
    if name in DEFINITE:
        check_definite(name, outcome, once=case.times is not None, expected=InterceptStatus.CANCELLED)
    elif isinstance(outcome, InterceptResult):
        assert outcome.status is InterceptStatus.CANCELLED, outcome
    elif not isinstance(outcome, OutcomeUnknownError):
        # Only a carrier with a status query may answer the fault itself: it asked, and the
        # cancel had not landed (ZTO).
        assert ks_client.supports(carrier, Operation.INTERCEPT_STATUS) and not acted, repr(outcome)
    if isinstance(outcome, InterceptResult):  # CANCELLED, or FAILED: nothing was cancelled
        expected = "CANCELLED" if outcome.status is InterceptStatus.CANCELLED else "PENDING"
        assert at_mock == [expected], (outcome, at_mock)
    elif not isinstance(outcome, OutcomeUnknownError):
        assert at_mock == ["PENDING"], f"{outcome!r} although the carrier cancelled"
    if acted:
        assert at_mock == ["CANCELLED"]


# -- idempotency keys against the mock (issue 10, item 5) ------------------------------------


def test_same_idempotency_key_on_another_waybill_is_refused_before_sending(
    ks_client: Client, ks_accounts: Any, carrier: str
) -> None:
    first = make_parcel(ks_accounts, carrier, "in_transit")
    other = make_parcel(ks_accounts, carrier, "in_transit", WAYBILLS[carrier][:-3] + "000")
    ks_client.intercept(first, reason="refund", idempotency_key="refund-42")
    with pytest.raises(IdempotencyError) as info:
        ks_client.intercept(other, reason="refund", idempotency_key="refund-42")
    assert info.value.differs == ("waybill",) and first in str(info.value) and other in str(info.value)
    assert requests_at_mock(ks_accounts, carrier, "intercept", other) == 0
    assert intercepts_at_mock(ks_accounts, carrier, other) == []


def test_repeated_intercept_with_same_key_returns_first_result(
    ks_client: Client, ks_accounts: Any, carrier: str, waybill: str
) -> None:
    first = ks_client.intercept(waybill, reason="refund", idempotency_key="refund-42")
    again = ks_client.intercept(waybill, reason="refund", idempotency_key="refund-42")
    assert first.status is again.status is InterceptStatus.PENDING, again
    assert again.failure is None and again.request_id == first.request_id == "refund-42"
    assert intercepts_at_mock(ks_accounts, carrier, waybill) == ["PENDING"]
    if not ks_client.supports(carrier, Operation.INTERCEPT_STATUS):
        assert again == first  # the first answer itself: nothing was sent again
        assert requests_at_mock(ks_accounts, carrier, "intercept", waybill) == 1


def test_sto_intercept_answered_with_html_is_outcome_unknown(
    ks_client: Client, ks_accounts: Any, mock_app: Any
) -> None:
    # STO carried the intercept out, then its 2xx answer was a maintenance page (<!DOCTYPE html>).
    waybill = make_parcel(ks_accounts, "sto", "in_transit")
    inject(mock_app, FAULTS["break-wrong_content_type"][0], MockOperation.INTERCEPT, 1)
    with pytest.raises(OutcomeUnknownError) as info:
        ks_client.intercept(waybill, reason="refund", idempotency_key="refund-42")
    assert info.value.request_id == "refund-42" and info.value.carrier == "sto"
    assert intercepts_at_mock(ks_accounts, "sto", waybill) == ["PENDING"]
    resumed = ks_client.intercept(waybill, reason="refund", idempotency_key="refund-42")
    assert resumed.status is InterceptStatus.PENDING
    assert intercepts_at_mock(ks_accounts, "sto", waybill) == ["PENDING"]


def test_a_fresh_client_in_another_process_does_not_know_the_keys(
    mock_app: Any, ks_client: Client, ks_accounts: Any, carrier: str, waybill: str
) -> None:
    # The guarantee is per Client instance: a new one (a restart) meets the carrier's own rules.
    ks_client.intercept(waybill, reason="refund", idempotency_key="refund-42")
    restarted = Client(sdk_config(), transport=WSGITransport(mock_app), sleep=lambda s: None)
    again = restarted.intercept(waybill, reason="refund", idempotency_key="refund-42")
    assert intercepts_at_mock(ks_accounts, carrier, waybill) == ["PENDING"]
    if ks_client.adapter(carrier).intercept_takes_request_id:
        assert again.status is InterceptStatus.PENDING  # ZTO dedupes the requestId itself
    else:
        assert again.failure is InterceptFailure.DUPLICATE_REQUEST
