"""ZTO on the wire: answer envelopes, scan rendering and the signed push builders.

Answers are ``{"result", "message", "status", "statusCode"}`` with HTTP 200, success
``SYS000``/``成功`` (docs/carriers/zto.md); the codes they carry are in
:mod:`mockserver.carriers.zto.codes`.

Pushes are form posts ``data_digest, company_id, data, msg_type, token`` (in that order, ``token``
empty, ``data_digest = base64(md5(data + app_secret))``), one event per request, as the real push
log of ``YangLiCon/docs`` shows them; a locker drop-off pushes INBOUND and HANDOVERSCAN_SIGNED, a
collection from a locker DEPARTURE_SIGNED. An acknowledgement is HTTP 200 with ``"status": true``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from flask import Response

from mockserver.carriers.codec import (
    b64_md5,
    china_time,
    compact_json,
    epoch_ms,
    form_push,
    json_object_answer,
    json_response,
)
from mockserver.carriers.exchange import CarrierFault
from mockserver.carriers.zto.codes import (
    FAIL_CODES,
    INTERCEPT_STATUS,
    PUSH_ACTIONS,
    SCAN_TYPES,
    STATION_COMPANIES,
    STATION_PUSH_ACTIONS,
)
from mockserver.pushes import PushRequest
from mockserver.world import Account, InterceptRecord, InterceptStatus, Place, Scan, ScanKind, Site
from mockserver.world.geo import city_for
from mockserver.world.itineraries import is_locker

__all__ = [
    "build_intercept_push",
    "build_trace_pushes",
    "intercept_push_form",
    "intercept_status_result",
    "is_push_ack",
    "ok_response",
    "push_actions",
    "render_envelope",
    "render_scan",
    "trace_push_data",
    "trace_push_form",
]

#: Actions of a parcel at a locker or station: no ``facilityCode`` and no courier (real log).
_STATION_ACTIONS = frozenset({"INBOUND", "HANDOVERSCAN_SIGNED", "DEPARTURE_SIGNED"})
#: Actions whose real pushes name the station's operator (``comName``/``comCode``) when known.
_COMPANY_ACTIONS = frozenset({"INBOUND", "DEPARTURE_SIGNED"})
_SIGNER_ACTIONS = frozenset({"SIGNED", "RETURN_SIGNED"})
#: Scans where a courier or a station meets the parcel: they carry ``facilityContactPhone``.
_CONTACT_KINDS = frozenset(
    {ScanKind.PICKUP, ScanKind.OUT_FOR_DELIVERY, ScanKind.PROBLEM, ScanKind.LOCKER_IN}
    | {ScanKind.SIGNED, ScanKind.RETURNED}
)
#: Scans at the delivering end, whose real pushes carry the district (``dist``).
_DISTRICT_KINDS = frozenset(
    {ScanKind.OUT_FOR_DELIVERY, ScanKind.PROBLEM, ScanKind.LOCKER_IN, ScanKind.SIGNED}
)
_STREETS = ("人民路", "解放路", "中山路", "建设路", "文化路", "新华路", "和平路", "长江路")


def render_envelope(fault: CarrierFault) -> Response:
    """A failure answer: ``result`` null, ``status`` false, the fault's code and message."""
    return json_response(
        {"result": None, "message": fault.message, "status": False, "statusCode": fault.code},
        status=fault.http_status,
    )


def ok_response(result: Any) -> Response:
    """A success answer around ``result``."""
    return json_response({"result": result, "message": "成功", "status": True, "statusCode": "SYS000"})


def render_scan(waybill: str, scan: Scan) -> dict[str, Any]:
    """One entry of the track ``result`` array (docs/carriers/zto.md, modelled item 1)."""
    item: dict[str, Any] = {
        "billCode": waybill,
        "scanType": SCAN_TYPES[scan.kind],
        "scanDate": epoch_ms(scan.time),
        "scanSite": {
            "name": scan.site.name,
            "code": scan.site.code,
            "city": scan.site.city,
            "prov": scan.site.province,
        },
        "desc": scan.description,
    }
    if scan.kind in (ScanKind.SIGNED, ScanKind.RETURNED):
        item["signMan"] = scan.signer or ""
    if scan.next_site is not None:
        item["preOrNextSite"] = {
            "name": scan.next_site.name,
            "city": scan.next_site.city,
            "prov": scan.next_site.province,
        }
    return item


def intercept_status_result(record: InterceptRecord) -> dict[str, Any]:
    """The ``queryInterceptAndReturnStatus`` result object (also the intercept push ``data``)."""
    status, name = INTERCEPT_STATUS[record.status]
    failed = record.status is InterceptStatus.FAILED and record.fail_reason is not None
    code, reason = FAIL_CODES[record.fail_reason] if failed else (None, None)  # type: ignore[index]
    return {
        "billCode": record.waybill,
        "serviceCode": record.external_ref,
        "status": status,
        "statusName": name,
        "failCode": code,
        "failReason": reason,
        "updateTime": china_time(record.updated_at),
    }


def _push_form(app_key: str, app_secret: str, msg_type: str, data: Mapping[str, Any]) -> dict[str, str]:
    """The push form in the field order of the real log, ``token`` empty (docs/carriers/zto.md)."""
    text = compact_json(data)
    return {
        "data_digest": b64_md5((text + app_secret).encode("utf-8")),
        "company_id": app_key,
        "data": text,
        "msg_type": msg_type,
        "token": "",
    }


def _hashed(text: str, modulo: int) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], 16) % modulo


def _district(site: Site) -> Optional[str]:
    """The district in the site's name (outlets and lockers are named after theirs), else ``None``."""
    city = city_for(Place(province=site.province, city=site.city))
    return next((district for district in city.districts if district in site.name), None)


def _contact_phone(site: Site) -> str:
    """The site's landline (``facilityContactPhone``), stable per site: ``<area code>-<8 digits>``."""
    area = city_for(Place(province=site.province, city=site.city)).area_code
    return f"{area}-{_hashed(site.code + site.name, 90_000_000) + 10_000_000}"


def _station_address(site: Site, district: Optional[str]) -> str:
    """A station's street address (``address`` of INBOUND), stable per site."""
    street = _STREETS[_hashed(site.code, len(_STREETS))]
    return f"{district or ''}{street}{_hashed(site.name, 900) + 100}号"


def _station_company(site: Site) -> Optional[tuple[str, str]]:
    return next(((n, c) for n, c in STATION_COMPANIES.items() if n in site.name), None)


def push_actions(scan: Scan) -> tuple[str, ...]:
    """The ``action`` of each push a scan makes: one, or the locker actions at a locker/station."""
    if is_locker(scan.site) and scan.kind in STATION_PUSH_ACTIONS:
        return STATION_PUSH_ACTIONS[scan.kind]
    return (PUSH_ACTIONS[scan.kind],)


def trace_push_data(waybill: str, scan: Scan, action: str) -> dict[str, str]:
    """A trace push's ``data`` for one scan and action, with only the fields the mock knows.

    Which fields each action carries follows the 13 real pushes of ``YangLiCon/docs``
    (docs/carriers/zto.md, "Trace push"): unknown fields are left out, never sent empty.
    """
    site = scan.site
    station = action in _STATION_ACTIONS
    data: dict[str, str] = {"billCode": waybill, "action": action, "actionTime": china_time(scan.time)}
    if not station:
        data["facilityCode"] = site.code
    data["facilityName"] = site.name
    data["city"] = site.city
    if scan.kind in _CONTACT_KINDS:
        data["facilityContactPhone"] = _contact_phone(site)
    district = _district(site) if scan.kind in _DISTRICT_KINDS else None
    if district:
        data["dist"] = district
    if action == "INBOUND":
        data["address"] = _station_address(site, district)
    if not station and scan.courier:
        data["courier"] = scan.courier
    if not station and scan.courier_phone:
        data["courierPhone"] = scan.courier_phone
    if action == "DEPARTURE_SIGNED":
        data["courierPhone"] = _contact_phone(site)  # the real pushes repeat the station's phone
    if action in _SIGNER_ACTIONS and scan.signer:
        data["expressSigner"] = scan.signer
    if scan.next_site is not None:
        data["nextNodeCode"] = scan.next_site.code
        data["nextNodeName"] = scan.next_site.name
        data["nextCity"] = scan.next_site.city
    company = _station_company(site) if action in _COMPANY_ACTIONS else None
    if company is not None:
        data["comName"], data["comCode"] = company
    if scan.problem_code:
        data["problemCode"] = scan.problem_code
    data["desc"] = f"快件已投递【{site.name}】" if action == "HANDOVERSCAN_SIGNED" else scan.description
    return data


def trace_push_form(
    app_key: str, app_secret: str, waybill: str, scan: Scan, action: Optional[str] = None
) -> dict[str, str]:
    """Form fields of a ZTO trace push (``msg_type=Traces``) for one scan; see ``form_body``.

    ``action`` picks one of the scan's :func:`push_actions` (default: the first).
    """
    data = trace_push_data(waybill, scan, action or push_actions(scan)[0])
    return _push_form(app_key, app_secret, "Traces", data)


def intercept_push_form(app_key: str, app_secret: str, record: InterceptRecord) -> dict[str, str]:
    """Form fields of a (modelled) intercept-result push: ``msg_type=InterceptResult``."""
    return _push_form(app_key, app_secret, "InterceptResult", intercept_status_result(record))


def build_trace_pushes(account: Account, items: Sequence[tuple[str, Scan]]) -> list[PushRequest]:
    """ZTO pushes one event per request (observed on the wire); a locker drop-off makes two."""
    return [
        form_push("trace", waybill, trace_push_form(account.app_key, account.app_secret, waybill, scan, act))
        for waybill, scan in items
        for act in push_actions(scan)
    ]


def build_intercept_push(account: Account, record: InterceptRecord) -> PushRequest:
    """The modelled ``msg_type=InterceptResult`` push."""
    fields = intercept_push_form(account.app_key, account.app_secret, record)
    return form_push("intercept", record.waybill, fields)


def is_push_ack(status: int, body: bytes) -> bool:
    """Whether a subscriber's answer to a push acknowledges it (HTTP 200, ``status: true``)."""
    answer = json_object_answer(status, body)
    return answer is not None and answer.get("status") is True
