"""The mock's ZTO trace pushes against the 13 real pushes logged in YangLiCon/docs, and the SDK reading both.

The real pushes (tests/reality/zto/m_push_log.json) were sent by ZTO's test environment with a
published test secret; their digests say how the form is signed, their fields which keys each
action carries. The mock's pushes of comparable parcels (signed by hand, collected from a locker) must carry,
for every action the log shows, the keys every logged push of that action has and no key no
logged push of it has, all as strings; and the SDK must accept and classify them.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Set
from urllib.parse import parse_qsl, urlencode

import pytest
from ksmock import test_account

from kscarriers import CarrierConfig, Client, ClientConfig, Credentials, PushKind, TrackingStatus
from kscarriers.models import TrackingSubStatus
from mockserver.carriers.zto.wire import build_trace_pushes
from mockserver.world import Account, Stage
from mockserver.world.itineraries import plan_stage_route

SAMPLE = json.loads(
    (Path(__file__).resolve().parents[1] / "reality" / "zto" / "m_push_log.json").read_text("utf-8")
)
LOGGED: List[Dict[str, str]] = [entry["form"] for entry in SAMPLE["pushes"]]
#: Comparable parcels: one delivered by a courier, one whose route ends in a locker (as the log's
#: test waybill, pushed through both endings).
WAYBILLS = ("73100130010001", "73100130010003")
WHEN = datetime(2025, 5, 22, 7, 0, tzinfo=timezone.utc)


def _mock_pushes(app_key: str, app_secret: str) -> List[Any]:
    account = Account(carrier="zto", app_key=app_key, app_secret=app_secret, epoch=WHEN)
    pushes: List[Any] = []
    for waybill in WAYBILLS:
        _, _, route = plan_stage_route("zto", waybill, Stage.SIGNED, now=WHEN)
        pushes += build_trace_pushes(account, [(waybill, scan) for scan in route])
    return pushes


def _form(body: bytes) -> Dict[str, str]:
    return dict(parse_qsl(body.decode("ascii"), keep_blank_values=True))


def _keys_by_action(datas: List[Dict[str, Any]]) -> Dict[str, List[Set[str]]]:
    found: Dict[str, List[Set[str]]] = {}
    for data in datas:
        found.setdefault(data["action"], []).append(set(data))
    return found


def test_every_logged_digest_is_md5_of_the_decoded_data_and_the_published_secret() -> None:
    assert len(LOGGED) == 13
    for form in LOGGED:
        text = (form["data"] + SAMPLE["app_secret"]).encode("utf-8")
        assert base64.b64encode(hashlib.md5(text).digest()).decode() == form["data_digest"]


def test_mock_push_forms_have_the_logged_fields_in_the_logged_order() -> None:
    order = SAMPLE["expect"]["form_fields_in_order"]
    for form in LOGGED:
        assert list(form) == order[: len(form)]
    for push in _mock_pushes("zto-k", "zto-s"):
        assert list(_form(push.body)) == order
        assert push.headers["Content-Type"].startswith("application/x-www-form-urlencoded")


def test_mock_pushes_carry_the_fields_of_the_logged_pushes_action_by_action() -> None:
    real = _keys_by_action([json.loads(form["data"]) for form in LOGGED])
    mock_datas = [json.loads(_form(push.body)["data"]) for push in _mock_pushes("zto-k", "zto-s")]
    mock = _keys_by_action(mock_datas)
    assert set(real) <= set(mock), "the comparable parcels push every logged action"
    for action, real_keys in real.items():
        always, ever = set.intersection(*real_keys), set.union(*real_keys)
        for keys in mock[action]:
            assert always <= keys, (action, sorted(always - keys))
            assert keys <= ever, (action, sorted(keys - ever))
    for data in [json.loads(form["data"]) for form in LOGGED] + mock_datas:
        assert all(isinstance(value, str) for value in data.values())
    # The log leaves unknown fields out (one DISPATCH sends courier ""); the mock always does.
    assert all(value != "" for data in mock_datas for value in data.values())


def test_the_sdk_accepts_every_mock_push_and_reads_the_locker_actions(
    mock_app: Any, ks_client: Client
) -> None:
    account = test_account("zto")
    pushes = _mock_pushes(account["app_key"], account["app_secret"])
    events = [ks_client.parse_push("zto", push.headers, push.body).events for push in pushes]
    assert all(len(one) == 1 and one[0].kind is PushKind.TRACKING for one in events)
    by_action = {event.tracking.raw_code: event.tracking for (event,) in events if event.tracking is not None}
    assert by_action["HANDOVERSCAN_SIGNED"].sub_status is TrackingSubStatus.AT_PICKUP_POINT
    assert by_action["DEPARTURE_SIGNED"].status is TrackingStatus.DELIVERED
    assert by_action["DEPARTURE_SIGNED"].sub_status is TrackingSubStatus.COLLECTED_FROM_LOCKER
    assert len({event.dedupe_key for (event,) in events}) == len(events)


@pytest.mark.parametrize("form", LOGGED, ids=lambda form: json.loads(form["data"])["actionTime"])
def test_the_sdk_accepts_each_logged_push_with_the_published_credentials(form: Dict[str, str]) -> None:
    config = ClientConfig(
        carriers={
            "zto": CarrierConfig(
                credentials=Credentials(app_key=SAMPLE["app_key"], app_secret=SAMPLE["app_secret"]),
                base_url="http://zto.invalid",
            )
        }
    )
    body = urlencode(list(form.items())).encode("ascii")
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    (event,) = Client(config).parse_push("zto", headers, body).events
    assert event.tracking is not None and event.tracking.raw_code == json.loads(form["data"])["action"]
