"""The SDK's view of the mock server in tests: test accounts, waybills and client configs."""

from __future__ import annotations

from typing import Any, Dict, Optional

from kscarriers import CarrierConfig, ClientConfig, Credentials, RetryPolicy

#: One well-formed waybill per carrier (taken from carriers.md examples).
WAYBILLS: Dict[str, str] = {
    "zto": "73100130019486",
    "yto": "YT2600227881409",
    "sto": "777031922725111",
    "jt": "JT2099306666983",
}

MOCK_BASE = "http://mockserver.test"


def test_account(slug: str) -> Dict[str, str]:
    """The test account used for ``slug`` (registered in the mock by ``ks_accounts``)."""
    return {"carrier": slug, "app_key": f"{slug}-it-key", "app_secret": f"{slug}-it-secret-秘"}


test_account.__test__ = False  # type: ignore[attr-defined]


def sdk_config(base: str = MOCK_BASE, *, secrets: Optional[Dict[str, str]] = None) -> ClientConfig:
    """A client config for all four carriers against a mock server at ``base``."""
    carriers = {}
    for slug in WAYBILLS:
        account = test_account(slug)
        secret = (secrets or {}).get(slug, account["app_secret"])
        carriers[slug] = CarrierConfig(
            credentials=Credentials(app_key=account["app_key"], app_secret=secret),
            base_url=f"{base}/{slug}",
        )
    return ClientConfig(carriers=carriers, retry=RetryPolicy(max_attempts=3, initial=0.1, max_wait=1.0))


def make_parcel(admin: Any, carrier: str, stage: str, waybill: Optional[str] = None) -> str:
    """Create a parcel of the test account at ``stage`` through the admin API; its waybill."""
    number = waybill or WAYBILLS[carrier]
    answer = admin.post(
        "/__admin/parcels",
        json={
            "carrier": carrier,
            "app_key": test_account(carrier)["app_key"],
            "waybill": number,
            "stage": stage,
        },
    )
    assert answer.status_code == 201, answer.get_json()
    return number
