"""Build and sign carrier pushes, as the carriers send them, to test your push receiver.

Built here from the carriers' documented wire formats (docs/carriers/<slug>.md), with
hashlib: independent of the SDK's own parsing, so a receiver test catches a parse bug.
Every carrier signs ``base64(md5(text + secret))`` over the pushed JSON text; where that
text and its digest travel differs:

===== ============================== ================================================
ZTO   form ``data``                  form ``data_digest``, ``company_id``, ``msg_type``
YTO   form ``logistics_interface``   form ``data_digest``, ``clientId``, ``type``
STO   form ``content``               form ``data_digest``, ``to_appkey``, ``api_name``
J&T   form ``bizContent``            headers ``digest``, ``apiAccount``, ``timestamp``
===== ============================== ================================================
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlencode

__all__ = ["build_push", "sample_events"]

FORM = "application/x-www-form-urlencoded; charset=UTF-8"
KINDS = ("trace", "intercept")


def _digest(text: str, secret: str) -> str:
    return base64.b64encode(hashlib.md5((text + secret).encode("utf-8")).digest()).decode("ascii")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _one(carrier: str, events: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    if len(events) != 1:
        raise ValueError(f"a {carrier} push carries exactly one event, got {len(events)}")
    return events[0]


def build_push(
    carrier: str,
    events: Sequence[Mapping[str, Any]],
    *,
    app_key: str,
    app_secret: str,
    kind: str = "trace",
    client_id: Optional[str] = None,
    timestamp_ms: Optional[int] = None,
    signed_with: Optional[str] = None,
) -> Tuple[Dict[str, str], bytes]:
    """The headers and body of a push, signed as ``carrier`` signs it.

    Args:
        carrier: ``zto``, ``yto``, ``sto`` or ``jt``.
        events: the pushed records in the carrier's own JSON shape (see
            :func:`sample_events` for one of each): ZTO, YTO and STO push one record per
            request; J&T batches trace entries ``{"billCode", "details": [...]}`` in one array
            and pushes an intercept result as one object.
        app_key: the account the push is addressed to (ZTO ``company_id``, YTO ``clientId``
            unless ``client_id`` is given, STO ``to_appkey``, J&T ``apiAccount``).
        app_secret: the account's secret; the digest is made with it.
        kind: ``trace`` or ``intercept``.
        client_id: YTO's ``clientId`` when it differs from ``app_key``.
        timestamp_ms: J&T's ``timestamp`` header (default: now).
        signed_with: sign with this secret instead (to test that a receiver refuses it).

    Returns:
        ``(headers, body)``: pass them to your receiver, or to ``Client.parse_push``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if isinstance(events, Mapping):
        events = [events]
    secret = app_secret if signed_with is None else signed_with
    headers = {"Content-Type": FORM}
    if carrier == "zto":
        text = _compact(_one(carrier, events))
        form = {
            "company_id": app_key,
            "msg_type": "Traces" if kind == "trace" else "InterceptResult",
            "data": text,
            "data_digest": _digest(text, secret),
        }
    elif carrier == "yto":
        text = _compact(_one(carrier, events))
        form = {
            "logistics_interface": text,
            "data_digest": _digest(text, secret),
            "type": kind.upper(),
            "clientId": client_id or app_key,
        }
    elif carrier == "sto":
        text = _compact(_one(carrier, events))
        form = {
            "content": text,
            "data_digest": _digest(text, secret),
            "api_name": "STO_TRACE_PLATFORM_PUSH" if kind == "trace" else "INTERCEPT_RESULT_PUSH",
            "from_appkey": "sto_trace_platform",
            "from_code": "sto_trace_platform",
            "to_appkey": app_key,
            "to_code": app_key,
        }
    elif carrier == "jt":
        content: Any = list(events) if kind == "trace" else {"type": "INTERCEPT", **_one(carrier, events)}
        text = _compact(content)
        form = {"bizContent": text}
        stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        headers.update(apiAccount=app_key, digest=_digest(text, secret), timestamp=str(stamp))
    else:
        raise ValueError(f"build_push knows zto, yto, sto and jt, not {carrier!r}")
    return headers, urlencode(list(form.items())).encode("ascii")


def sample_events(
    carrier: str, waybill: str, *, kind: str = "trace", when: str = "2026-03-02 10:15:00"
) -> List[Dict[str, Any]]:
    """One realistic pushed record of ``carrier`` in its own shape: a signed-for delivery
    (``kind="trace"``) or a successful intercept (``kind="intercept"``).

    ``when`` is China time (``yyyy-MM-dd HH:mm:ss``), as the carriers write it. Edit the
    records to test other scans or outcomes (docs/carriers/<slug>.md lists the codes).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    trace = kind == "trace"
    if carrier == "zto":
        if trace:
            return [
                {
                    "billCode": waybill,
                    "action": "SIGNED",
                    "actionTime": when,
                    "desc": "您的快件已签收，签收人：本人",
                    "facilityName": "杭州西湖区文三路",
                    "facilityCode": "57112",
                    "city": "杭州市",
                    "courier": "王师傅",
                    "courierPhone": "",
                    "expressSigner": "本人",
                }
            ]
        return [
            {
                "billCode": waybill,
                "serviceCode": "SC2026030200001",
                "status": "2",
                "statusName": "拦截成功",
                "failCode": None,
                "failReason": None,
                "updateTime": when,
            }
        ]
    if carrier == "yto":
        if trace:
            return [
                {
                    "waybill_No": waybill,
                    "upload_Time": when,
                    "infoContent": "SIGNED",
                    "processInfo": "【杭州市西湖区文三路】 您的快件已签收，签收人：本人",
                    "city": "杭州市",
                    "district": "西湖区",
                }
            ]
        return [
            {
                "waybillNo": waybill,
                "wantedId": "W2026030200001",
                "status": "SUCCESS",
                "failCode": None,
                "failReason": None,
                "updateTime": when,
            }
        ]
    if carrier == "sto":
        if trace:
            return [
                {
                    "waybillNo": waybill,
                    "trace": {
                        "waybillNo": waybill,
                        "opTime": when,
                        "scanType": "签收",
                        "memo": "您的快件已签收，签收人：本人",
                        "opOrgName": "浙江杭州西湖公司",
                        "opOrgCode": "310001",
                        "opOrgProvinceName": "浙江省",
                        "opOrgCityName": "杭州市",
                        "opEmpName": "王师傅",
                        "bizEmpName": "王师傅",
                        "bizEmpPhone": "",
                        "nextOrgName": "",
                        "issueName": "",
                        "signoffPeople": "本人",
                    },
                }
            ]
        return [
            {
                "waybillNo": waybill,
                "interceptId": "I2026030200001",
                "status": "SUCCESS",
                "errorCode": "",
                "errorMsg": "",
                "opTime": when,
            }
        ]
    if carrier == "jt":
        if trace:
            return [
                {
                    "billCode": waybill,
                    "details": [
                        {
                            "scanTime": when,
                            "scanType": "快件签收",
                            "scanTypeCode": "10",
                            "desc": "您的快件已签收，签收人：本人",
                            "scanNetworkName": "杭州西湖网点",
                            "scanNetworkProvince": "浙江省",
                            "scanNetworkCity": "杭州市",
                        }
                    ],
                }
            ]
        return [
            {
                "mailNo": waybill,
                "interceptId": "JI2026030200001",
                "status": "SUCCESS",
                "failCode": None,
                "failReason": None,
                "updateTime": when,
            }
        ]
    raise ValueError(f"sample_events knows zto, yto, sto and jt, not {carrier!r}")
