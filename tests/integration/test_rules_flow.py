"""The refund-intercept flow end to end: kscarriers.rules -> Client -> WSGITransport -> mockserver."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, List

import pytest

from kscarriers import CarrierConfig, Client, ClientConfig, Credentials
from kscarriers.models import TrackingStatus
from kscarriers.rules import (
    BuyerAddress,
    ItemCategory,
    Merchant,
    Order,
    OrderStatus,
    OutcomeStatus,
    Parcel,
    Refund,
    RefundType,
    run_refund_intercept,
)
from kscarriers.testing import WSGITransport

APP_KEY, APP_SECRET = "rules-flow-key", "rules-flow-secret"
WAYBILL = "73100000000001"


@pytest.fixture
def mockserver_config() -> Dict[str, Any]:
    # Intercepts resolve two minutes after they are accepted, on the mock's manual clock.
    return {"CLOCK": "manual", "TESTING": True, "RESULT_DELAY_SECONDS": 120}


@pytest.fixture
def admin(mock_client: Any) -> Any:
    answer = mock_client.post(
        "/__admin/accounts", json={"carrier": "zto", "app_key": APP_KEY, "app_secret": APP_SECRET}
    )
    assert answer.status_code in (200, 201), answer.json
    return mock_client


@pytest.fixture
def client(mock_app: Any, admin: Any) -> Client:
    config = ClientConfig(
        carriers={
            "zto": CarrierConfig(
                credentials=Credentials(app_key=APP_KEY, app_secret=APP_SECRET),
                base_url="http://mockserver.test/zto",
            )
        }
    )
    return Client(config, transport=WSGITransport(mock_app), sleep=lambda seconds: None)


class MockTime:
    """The flow's clock and sleep, both driven by the mock server's manual clock."""

    def __init__(self, admin: Any) -> None:
        self.admin = admin
        self.slept: List[float] = []

    def now(self) -> datetime:
        return datetime.fromisoformat(self.admin.get("/__admin/clock").json["time"])

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        answer = self.admin.post("/__admin/clock/advance", json={"seconds": seconds})
        assert answer.status_code == 200, answer.json


def add_parcel(admin: Any, stage: str) -> None:
    answer = admin.post(
        "/__admin/parcels",
        json={"carrier": "zto", "app_key": APP_KEY, "waybill": WAYBILL, "stage": stage},
    )
    assert answer.status_code == 201, answer.json


def journal(admin: Any) -> List[Dict[str, Any]]:
    answer = admin.get(f"/__admin/requests?carrier=zto&waybill={WAYBILL}")
    return answer.json["requests"]  # type: ignore[no-any-return]


def facts(time: MockTime, **merchant_overrides: Any) -> Dict[str, Any]:
    paid = time.now() - timedelta(days=2)
    order = Order(
        order_id="O-e2e",
        status=OrderStatus.SHIPPED,
        amount_paid_fen=19_900,
        paid_at=paid,
        shipped_at=paid + timedelta(hours=3),
        item_categories=[ItemCategory.GENERAL],
        parcels=[Parcel(carrier="zto", waybill=WAYBILL)],
        buyer_address=BuyerAddress(province="陕西省", city="西安市"),
    )
    merchant_fields: Dict[str, Any] = dict(intercept_agreement_signed=True, e_waybill_carriers={"zto"})
    merchant_fields.update(merchant_overrides)
    return dict(
        order=order,
        merchant=Merchant(**merchant_fields),
        refund=Refund(
            refund_id="R-e2e",
            type=RefundType.REFUND_ONLY,
            requested_after_shipment=True,
            amount_fen=19_900,
        ),
        clock=time.now,
        sleep=time.sleep,
        poll_interval=timedelta(seconds=30),
        deadline=timedelta(minutes=10),
    )


def test_eligible_order_is_intercepted_and_refund_auto_approvable(client: Client, admin: Any) -> None:
    add_parcel(admin, "in_transit")
    time = MockTime(admin)
    outcome = run_refund_intercept(client, **facts(time))
    assert outcome.status is OutcomeStatus.SUCCEEDED, outcome.timeline
    assert outcome.refund_auto_approvable
    assert outcome.intercept is not None and outcome.intercept.request_id == "refund-R-e2e"
    assert sum(time.slept) >= 120, "the mock resolves the intercept after its result delay"
    operations = [entry["operation"] for entry in journal(admin)]
    assert operations[0] == "track"
    assert operations.count("intercept") == 1


def test_ineligible_order_makes_no_carrier_request(client: Client, admin: Any) -> None:
    add_parcel(admin, "in_transit")
    time = MockTime(admin)
    outcome = run_refund_intercept(client, **facts(time, intercept_agreement_signed=False))
    assert outcome.status is OutcomeStatus.INELIGIBLE
    assert not outcome.refund_auto_approvable
    assert journal(admin) == []
    assert time.slept == []


def test_signed_parcel_is_found_by_tracking_and_not_intercepted(client: Client, admin: Any) -> None:
    add_parcel(admin, "signed")
    outcome = run_refund_intercept(client, **facts(MockTime(admin)))
    assert outcome.status is OutcomeStatus.INELIGIBLE
    assert "already signed" in outcome.reason
    assert [entry["operation"] for entry in journal(admin)] == ["track"]


def test_same_refund_twice_sends_the_same_key(client: Client, admin: Any) -> None:
    add_parcel(admin, "in_transit")
    time = MockTime(admin)
    first = run_refund_intercept(client, **facts(time))
    second = run_refund_intercept(client, **facts(time))
    assert first.refund_auto_approvable and second.refund_auto_approvable
    assert first.intercept is not None and second.intercept is not None
    assert first.intercept.carrier_reference == second.intercept.carrier_reference
    assert client.track(WAYBILL, carrier="zto").status is not TrackingStatus.DELIVERED
