"""What every mock carrier must do, checked once for each slug the registry lists.

The carriers come from :func:`mockserver.carriers.carrier_slugs` (never a list kept here). Each
carrier's specifics come from its own modules (``codes`` for its refusal and fault codes, ``wire``
for its push builders; both found through its :class:`MockCarrier`) or from its signed caller in
``tests/support/carrier_calls.py`` (how to call it, which answer field holds the scans). A carrier
the registry lists but the caller harness does not know fails here instead of being skipped.
"""

from __future__ import annotations

import importlib
import json
from datetime import datetime, timedelta, timezone
from types import ModuleType
from typing import Any, Optional

import pytest
from carrier_calls import CARRIERS, Carrier
from mockfakes import FixedDecider
from mockpushkit import Sent

from mockserver.carriers import carrier_slugs, get_carrier
from mockserver.deciders import Decision, Fault
from mockserver.world import Account, FailReason, InterceptStatus, Scan, ScanKind
from mockserver.world.geo import Site

CHINA = timezone(timedelta(hours=8))


class Contract:
    """One carrier under test: its signed caller, its ``codes`` and ``wire`` modules, the admin API."""

    def __init__(self, slug: str, client: Any, app: Any) -> None:
        if slug not in CARRIERS:
            pytest.fail(f"carrier {slug!r} is registered but tests/support/carrier_calls.py has no caller")
        self.slug = slug
        self.client = client
        self.app = app
        self.caller: Carrier = CARRIERS[slug](client)
        carrier = get_carrier(slug)
        self.wire: ModuleType = importlib.import_module(carrier.pushes.__name__)  # type: ignore[attr-defined]
        self.codes: ModuleType = importlib.import_module(carrier.pushes.__name__.rsplit(".", 1)[0] + ".codes")  # type: ignore[attr-defined]

    def as_(self, key: str, secret: str) -> Carrier:
        return CARRIERS[self.slug](self.client, key=key, secret=secret)

    def parcel(self, stage: str) -> dict[str, Any]:
        answer = self.client.post(
            "/__admin/parcels",
            json={
                "carrier": self.slug,
                "app_key": self.caller.key,
                "waybill": self.caller.waybill,
                "stage": stage,
            },
        )
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["parcel"]  # type: ignore[no-any-return]

    def account(self, key: str, secret: str, **extra: Any) -> None:
        answer = self.client.post(
            "/__admin/accounts", json={"carrier": self.slug, "app_key": key, "app_secret": secret, **extra}
        )
        assert answer.status_code in (200, 201), answer.get_json()

    def intercepts(self) -> list[dict[str, Any]]:
        return self.client.get("/__admin/intercepts").get_json()["intercepts"]  # type: ignore[no-any-return]

    def journal(self) -> list[dict[str, Any]]:
        return self.client.get("/__admin/requests").get_json()["requests"]  # type: ignore[no-any-return]

    def decide(self, **fields: Any) -> FixedDecider:
        decider = FixedDecider(Decision(name=fields.pop("name", "fixed"), **fields))
        self.app.extensions["mockserver"].decider = decider
        return decider

    def fail(self, reason: FailReason) -> tuple[str, str]:
        return self.codes.FAIL_CODES[reason]  # type: ignore[no-any-return]

    def fault(self, fault: Fault) -> tuple[str, str]:
        return self.codes.FAULT_CODES[fault]  # type: ignore[no-any-return]


@pytest.fixture(params=carrier_slugs())
def c(request: pytest.FixtureRequest, mock_client: Any, mock_app: Any) -> Contract:
    return Contract(request.param, mock_client, mock_app)


def _texts(response: Any) -> set[str]:
    """The top-level values of a JSON answer (or the element texts of an XML one), as strings."""
    body = response.get_data(as_text=True)
    try:
        answer = json.loads(body)
    except ValueError:
        return {part.split("<", 1)[0] for part in body.split(">")[1:]}
    assert isinstance(answer, dict), answer
    return {str(value) for value in answer.values() if not isinstance(value, (dict, list))}


def refused(response: Any, code: str, message: Optional[str] = None) -> None:
    """``response`` is HTTP 200 and carries ``code`` (and ``message``) in the carrier's envelope."""
    assert response.status_code == 200, response.get_data(as_text=True)
    texts = _texts(response)
    assert code in texts, texts
    if message is not None:
        assert message in texts, texts


def _time(value: Any) -> datetime:
    if isinstance(value, int):
        return datetime.fromtimestamp(value / 1000, CHINA)
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)


# -- the harness ---------------------------------------------------------------------------------


def test_the_caller_harness_knows_every_registered_carrier() -> None:
    assert set(carrier_slugs()) <= set(CARRIERS)


def test_codes_and_wire_are_the_carriers_own(c: Contract) -> None:
    assert c.codes.SLUG == c.slug and c.codes.is_valid_waybill(c.caller.waybill)
    assert get_carrier(c.slug).pushes is c.wire
    assert set(c.codes.FAIL_CODES) == set(FailReason) and set(c.codes.FAULT_CODES) == set(Fault)


def test_the_carriers_codes_are_the_documented_ones(c: Contract) -> None:
    # The suite reads refusal and fault codes from the carrier's own codes module; this holds that
    # module to the codes the harness took from docs/carriers/<slug>.md, independently.
    documented = c.caller.codes
    for reason in (
        FailReason.ALREADY_SIGNED,
        FailReason.OUT_FOR_DELIVERY,
        FailReason.DUPLICATE,
        FailReason.NOT_FOUND,
        FailReason.NOT_SUPPORTED,
        FailReason.OTHER,
    ):
        assert c.fail(reason)[0] == documented[reason.value.lower()], reason
    for fault, key in (
        (Fault.BAD_SIGNATURE, "bad_signature"),
        (Fault.RATE_LIMITED, "rate_limited"),
        (Fault.UNAVAILABLE, "unavailable"),
        (Fault.MISSING_FIELD, "missing_field"),
        (Fault.NOT_FOUND, "not_found_error"),
    ):
        assert c.fault(fault)[0] == documented[key], fault


# -- track ---------------------------------------------------------------------------------------


def test_track_answers_the_scans_that_happened_in_order_in_china_time(c: Contract) -> None:
    made = c.parcel("signed")
    answer = c.caller.track()
    assert answer.status_code == 200
    scans = c.caller.scans(answer.get_json())
    route = [step for step in made["route"] if step["visible"]]
    assert len(scans) == len(route)
    shown = [_time(scan[c.caller.time_field]) for scan in scans]
    assert shown == [datetime.fromisoformat(step["time"]) for step in route]
    assert shown == sorted(shown)


def test_a_bad_signature_is_refused_in_the_carriers_envelope(c: Contract) -> None:
    c.parcel("in_transit")
    refused(c.as_(c.caller.key, "not-the-secret").track(), c.fault(Fault.BAD_SIGNATURE)[0])
    assert c.journal()[-1]["operation"] == "track"


def test_every_request_is_journalled_with_its_account_operation_and_waybill(c: Contract) -> None:
    c.caller.track()
    c.caller.intercept()
    entries = c.journal()[-2:]
    assert [(e["account"], e["operation"], e["waybill"]) for e in entries] == [
        (c.caller.key, "track", c.caller.waybill),
        (c.caller.key, "intercept", c.caller.waybill),
    ]
    assert all(e["decided_by"] == "default" for e in entries)


def test_unexpected_exception_becomes_the_system_error_and_is_journalled(c: Contract) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    c.app.extensions["mockserver"].simulator.trace = explode
    code, message = c.fault(Fault.SYSTEM_ERROR)
    refused(c.caller.track(), code, message)
    entry = c.journal()[-1]
    assert (entry["error"], entry["operation"]) == (f"RuntimeError: disk on fire -> {code}", "track")


# -- subscribe -----------------------------------------------------------------------------------


def test_subscribe_is_accepted_and_stored_for_the_account(c: Contract) -> None:
    answer = c.caller.subscribe()
    assert answer.status_code == 200
    assert not _texts(answer) & {code for code, _ in c.codes.FAULT_CODES.values()}, answer.get_json()
    stored = c.app.extensions["mockserver"].store.list_subscriptions(c.slug, c.caller.key)
    assert [s.waybill for s in stored] == [c.caller.waybill]
    assert c.journal()[-1]["operation"] == "subscribe"


# -- intercept -----------------------------------------------------------------------------------


def test_intercept_is_accepted_pending_then_succeeds_on_the_clock(c: Contract, mock_clock: Any) -> None:
    c.parcel("in_transit")
    assert c.caller.intercept().status_code == 200
    assert [i["status"] for i in c.intercepts()] == ["PENDING"]
    mock_clock.advance(7 * 24 * 3600)
    assert [i["status"] for i in c.intercepts()] == ["SUCCEEDED"]


def test_intercept_after_signing_is_refused_as_already_signed(c: Contract) -> None:
    c.parcel("signed")
    refused(c.caller.intercept(), *c.fail(FailReason.ALREADY_SIGNED))
    assert c.intercepts() == []


def test_intercept_while_out_for_delivery_is_refused(c: Contract) -> None:
    c.parcel("out_for_delivery")
    refused(c.caller.intercept(), *c.fail(FailReason.OUT_FOR_DELIVERY))


def test_a_second_intercept_while_one_is_pending_is_refused_as_a_duplicate(c: Contract) -> None:
    c.parcel("picked_up")
    assert c.caller.intercept("r-1").status_code == 200
    refused(c.caller.intercept("r-2"), c.caller.mark("duplicate"), c.fail(FailReason.DUPLICATE)[1])
    assert [i["status"] for i in c.intercepts()] == ["PENDING"]


def test_cancel_withdraws_a_pending_intercept_then_there_is_nothing_to_cancel(
    c: Contract, mock_clock: Any
) -> None:
    c.parcel("in_transit")
    assert c.caller.intercept().status_code == 200
    answer = c.caller.cancel()
    if answer is None:  # no cancel API (J&T): the intercept goes on and resolves as usual
        mock_clock.advance(7 * 24 * 3600)
        assert [i["status"] for i in c.intercepts()] == ["SUCCEEDED"]
        return
    assert answer.status_code == 200
    assert c.fail(FailReason.NO_INTERCEPT)[0] not in _texts(answer), answer.get_data(as_text=True)
    mock_clock.advance(7 * 24 * 3600)
    assert [i["status"] for i in c.intercepts()] == ["CANCELLED"]
    refused(c.caller.cancel(), c.fail(FailReason.NO_INTERCEPT)[0])


def test_intercept_of_a_waybill_never_created_is_refused_as_not_found(c: Contract) -> None:
    c.account("strict", "strict-secret", auto_parcels=False)
    refused(c.as_("strict", "strict-secret").intercept(), *c.fail(FailReason.NOT_FOUND))


# -- Decider -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [Fault.RATE_LIMITED, Fault.UNAVAILABLE, Fault.TIMEOUT, Fault.NOT_FOUND])
def test_a_decider_fault_is_rendered_in_the_carriers_envelope(c: Contract, fault: Fault) -> None:
    decider = c.decide(fault=fault)
    refused(c.caller.track(), *c.fault(fault))
    seen = decider.seen[0]
    assert (seen.carrier, seen.operation.value, seen.app_key, seen.waybill) == (
        c.slug,
        "track",
        c.caller.key,
        c.caller.waybill,
    )


def test_decider_rejection_refuses_an_intercept_without_storing_it(c: Contract) -> None:
    c.parcel("in_transit")
    c.decide(reject=FailReason.OTHER)
    refused(c.caller.intercept(), *c.fail(FailReason.OTHER))
    c.decide(reject=FailReason.DUPLICATE, message="重复")
    uncoded = "duplicate" in c.caller.uncoded  # the answer carries the Decider's text alone
    refused(c.caller.intercept(), "重复" if uncoded else c.fail(FailReason.DUPLICATE)[0], "重复")
    assert c.intercepts() == []


# -- pushes --------------------------------------------------------------------------------------


def _account(c: Contract) -> Account:
    account = c.app.extensions["mockserver"].simulator.account(c.slug, c.caller.key)
    assert isinstance(account, Account)
    return account


def _scan(kind: ScanKind, hour: int) -> Scan:
    site = Site(name="广州番禺区营业部", code="02065", province="广东省", city="广州市")
    return Scan(
        kind=kind, time=datetime(2025, 1, 6, hour, tzinfo=timezone.utc), site=site, description="扫描"
    )


def test_trace_pushes_cover_every_scan_and_name_the_waybill(c: Contract) -> None:
    assert c.wire.build_trace_pushes(_account(c), []) == []
    items = [(c.caller.waybill, _scan(ScanKind.ARRIVE, 1)), (c.caller.waybill, _scan(ScanKind.SIGNED, 2))]
    pushes = c.wire.build_trace_pushes(_account(c), items)
    assert pushes and all(p.kind == "trace" and p.waybills == (c.caller.waybill,) for p in pushes)
    assert all(isinstance(p.body, bytes) and p.headers["Content-Type"] for p in pushes)
    assert c.wire.build_trace_pushes(_account(c), items) == pushes  # the same bytes when rebuilt


def test_an_intercept_push_is_one_signed_request(c: Contract, mock_clock: Any) -> None:
    c.parcel("in_transit")
    assert c.caller.intercept().status_code == 200
    record = c.app.extensions["mockserver"].simulator.latest_intercept(_account(c), c.caller.waybill)
    assert record is not None and record.status is InterceptStatus.PENDING
    push = c.wire.build_intercept_push(_account(c), record)
    assert (push.kind, push.waybills) == ("intercept", (c.caller.waybill,))
    assert c.caller.secret.encode("utf-8") not in push.body


def test_pushes_are_signed_with_the_accounts_secret_and_no_other(c: Contract) -> None:
    c.parcel("in_transit")
    assert c.caller.intercept().status_code == 200
    account = _account(c)
    record = c.app.extensions["mockserver"].simulator.latest_intercept(account, c.caller.waybill)
    items = [(c.caller.waybill, _scan(ScanKind.ARRIVE, 1)), (c.caller.waybill, _scan(ScanKind.SIGNED, 2))]
    pushes = [*c.wire.build_trace_pushes(account, items), c.wire.build_intercept_push(account, record)]
    for push in pushes:
        received = Sent("http://subscriber.test/push", push.headers, push.body)
        assert received.verifies(c.slug, c.caller.secret), push
        assert not received.verifies(c.slug, c.caller.secret + "x"), push


@pytest.mark.parametrize(
    ("status", "body"), [(500, b'{"success":true,"status":true,"code":"1"}'), (200, b"ok")]
)
def test_a_failed_or_unreadable_answer_is_no_push_ack(c: Contract, status: int, body: bytes) -> None:
    assert c.wire.is_push_ack(status, body) is False
