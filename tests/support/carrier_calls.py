"""Signed track, subscribe, intercept and cancel requests for every mock carrier (docs/carriers/<slug>.md).

Independent of both packages: signatures are computed here with hashlib. ``client`` is anything
with Flask's test-client ``post(path, data=, content_type=, headers=)``; see :class:`HttpClient`
for one over a real socket.
"""

from __future__ import annotations

import base64
import hashlib
import json
from abc import ABC, abstractmethod
from typing import Any, Optional
from urllib.parse import urlencode

import requests

FORM = "application/x-www-form-urlencoded; charset=utf-8"


def _b64md5(text: str) -> str:
    return base64.b64encode(hashlib.md5(text.encode("utf-8")).digest()).decode("ascii")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Carrier(ABC):
    """Builds a carrier's signed track and intercept requests (docs/carriers/<slug>.md)."""

    slug: str
    waybill: str
    time_field: str  # a key of every scan record
    code_field: str  # the scan-code key
    codes: dict[str, str]  # neutral outcome -> the carrier's code in the answer
    #: Refusals answered without their code, by the text that tells them apart instead (YTO's
    #: duplicate, in the public ``{"statusCode": 1, "statusMessage"}`` envelope).
    uncoded: dict[str, str] = {}

    def __init__(
        self,
        client: Any,
        key: Optional[str] = None,
        secret: Optional[str] = None,
        waybill: Optional[str] = None,
    ) -> None:
        self.client = client
        self.key = key or f"{self.slug}-demo"
        self.secret = secret or f"{self.slug}-demo-secret"
        if waybill is not None:
            self.waybill = waybill

    def mark(self, outcome: str) -> str:
        """What identifies ``outcome`` in the carrier's answer: its code, or its text if uncoded."""
        return self.uncoded.get(outcome, self.codes[outcome])

    @abstractmethod
    def track(self) -> Any:
        """Send a signed track request for ``waybill``."""

    @abstractmethod
    def subscribe(self) -> Any:
        """Send a signed request to have ``waybill``'s scans pushed."""

    @abstractmethod
    def intercept(self, request_id: str = "r-1") -> Any:
        """Send a signed (return) intercept request for ``waybill`` (with ``request_id`` where the
        carrier takes one)."""

    def cancel(self, request_id: str = "r-1") -> Any:
        """Withdraw the intercept of ``request_id``; ``None`` for a carrier with no cancel API (J&T)."""
        return None

    @abstractmethod
    def scans(self, answer: Any) -> list[dict[str, Any]]:
        """The scan records of a decoded track answer."""


class Zto(Carrier):
    slug, waybill, time_field, code_field = "zto", "73123456789012", "scanDate", "scanType"
    codes = {
        "already_signed": "E23101",
        "out_for_delivery": "E23120",
        "duplicate": "E23121",
        "not_found": "E23102",
        "not_supported": "E23139",
        "other": "E23124",
        "bad_signature": "S211",
        "rate_limited": "S221",
        "unavailable": "S203",
        "missing_field": "S208",
        "not_found_error": "E23102",
    }

    def _post(self, api: str, body: dict[str, Any]) -> Any:
        raw = _compact(body)
        return self.client.post(
            f"/zto/{api}",
            data=raw.encode("utf-8"),
            content_type="application/json",
            headers={"x-appKey": self.key, "x-dataDigest": _b64md5(raw + self.secret)},
        )

    def track(self) -> Any:
        return self._post("zto.merchant.waybill.track.query", {"billCode": self.waybill})

    def subscribe(self) -> Any:
        return self._post("zto.merchant.waybill.track.subsrcibe", {"billCode": self.waybill})  # sic

    def intercept(self, request_id: str = "r-1") -> Any:
        return self._post(
            "thirdcenter.createIntercept",
            {
                "billCode": self.waybill,
                "requestId": request_id,
                "thirdBizNo": request_id,
                "destinationType": 2,
            },
        )

    def cancel(self, request_id: str = "r-1") -> Any:
        return self._post("thirdcenter.cancelIntercept", {"billCode": self.waybill, "thirdBizNo": request_id})

    def scans(self, answer: Any) -> list[dict[str, Any]]:
        return answer["result"]  # type: ignore[no-any-return]


class Yto(Carrier):
    slug, waybill, time_field, code_field = "yto", "YT1234567890123", "upload_Time", "infoContent"
    codes = {
        "already_signed": "2001",
        "out_for_delivery": "2002",
        "duplicate": "2003",
        "not_found": "2004",
        "not_supported": "2005",
        "other": "2099",
        "bad_signature": "401",  # {"success": false, "code": 401, "reason": …} (public shape)
        "rate_limited": "S05",
        "unavailable": "S06",
        "missing_field": "S02",
        "not_found_error": "2004",
    }
    uncoded = {"duplicate": "已有有效拦截件，不能重复发起拦截"}

    def _post(self, method: str, param: dict[str, Any]) -> Any:
        text = _compact(param)
        form = {
            "timestamp": "1736128800000",
            "param": text,
            "format": "JSON",
            "sign": _b64md5(text + method + "v1" + self.secret),
        }
        return self.client.post(
            f"/yto/open/{method}/v1/{self.key}/{self.key}", data=urlencode(form), content_type=FORM
        )

    def track(self) -> Any:
        return self._post("track_query_adapter", {"NUMBER": self.waybill})

    def subscribe(self) -> Any:
        inner = _compact({"clientId": self.key, "waybillNo": self.waybill})
        return self._post(
            "subscribe_adapter", {"client_id": self.key, "logistics_interface": inner, "msg_type": "online"}
        )

    def intercept(self, request_id: str = "r-1") -> Any:
        return self._post("wanted_report_adapter", {"waybillNo": self.waybill, "wantedDesc": "退回"})

    def cancel(self, request_id: str = "r-1") -> Any:
        return self._post("wanted_cancel_adapter", {"waybillNo": self.waybill, "dealRemark": "误操作"})

    def scans(self, answer: Any) -> list[dict[str, Any]]:
        return answer  # type: ignore[no-any-return]


class Sto(Carrier):
    slug, waybill, time_field, code_field = "sto", "773012345678901", "opTime", "scanType"
    codes = {
        "already_signed": "I101",
        "out_for_delivery": "I102",
        "duplicate": "I103",
        "not_found": "I104",
        "not_supported": "I105",
        "other": "I199",
        "bad_signature": "S01",
        "rate_limited": "S05",
        "unavailable": "S06",
        "missing_field": "S02",
        "not_found_error": "I104",
    }

    def _post(self, api_name: str, to: str, content: dict[str, Any]) -> Any:
        text = _compact(content)
        form = {
            "content": text,
            "data_digest": _b64md5(text + self.secret),
            "api_name": api_name,
            "from_appkey": self.key,
            "from_code": self.key,
            "to_appkey": to,
            "to_code": to,
        }
        return self.client.post("/sto/gateway/link.do", data=urlencode(form), content_type=FORM)

    def track(self) -> Any:
        return self._post(
            "STO_TRACE_QUERY_COMMON", "sto_trace_query", {"order": "asc", "waybillNoList": [self.waybill]}
        )

    def subscribe(self) -> Any:
        return self._post(
            "STO_TRACE_PLATFORM_SUBSCRIBE",
            "sto_trace_platform",
            {"subscribeInfoList": [{"waybillNo": self.waybill}]},
        )

    def intercept(self, request_id: str = "r-1") -> Any:
        return self._post(
            "INTERCEPT_CREATE_STANDARD",
            "reverse-center",
            {"waybillNo": self.waybill, "interceptForAct": "DEFAULT"},
        )

    def cancel(self, request_id: str = "r-1") -> Any:
        return self._post("INTERCEPT_DEL_STANDARD", "reverse-center", {"waybillNo": self.waybill})

    def scans(self, answer: Any) -> list[dict[str, Any]]:
        return answer["data"][self.waybill]  # type: ignore[no-any-return]


class Jt(Carrier):
    slug, waybill, time_field, code_field = "jt", "JT1234567890123", "scanTime", "scanType"
    codes = {
        "already_signed": "173001",
        "out_for_delivery": "173002",
        "duplicate": "173003",
        "not_found": "173004",
        "not_supported": "173005",
        "other": "173099",
        "bad_signature": "145003030",
        "rate_limited": "145003061",
        "unavailable": "145003062",
        "missing_field": "145003050",
        "not_found_error": "173004",
    }

    def _post(self, path: str, biz: dict[str, Any]) -> Any:
        text = _compact(biz)
        return self.client.post(
            f"/jt/webopenplatformapi/api{path}",
            data=urlencode({"bizContent": text}),
            content_type=FORM,
            headers={
                "apiAccount": self.key,
                "digest": _b64md5(text + self.secret),
                "timestamp": "1736128800000",
            },
        )

    def track(self) -> Any:
        return self._post("/logistics/trace", {"billCodes": self.waybill})

    def subscribe(self) -> Any:
        return self._post(
            "/trace/subscribe",
            {"id": self.key, "list": [{"traceNode": "1&2&3", "waybillCode": self.waybill}]},
        )

    def intercept(self, request_id: str = "r-1") -> Any:
        return self._post("/waybill/intercept", {"mailNo": self.waybill, "applyTypeCode": 4})

    def scans(self, answer: Any) -> list[dict[str, Any]]:
        return answer["data"][0]["details"]  # type: ignore[no-any-return]


CARRIERS: dict[str, type[Carrier]] = {"zto": Zto, "yto": Yto, "sto": Sto, "jt": Jt}


class HttpResponse:
    """The bits of a Flask test response the helpers' callers use, from a ``requests`` answer."""

    def __init__(self, answer: requests.Response) -> None:
        self.status_code = answer.status_code
        self.headers = answer.headers
        self.content_type = answer.headers.get("Content-Type", "")
        self._body = answer.content

    def get_data(self, as_text: bool = False) -> Any:
        return self._body.decode("utf-8") if as_text else self._body

    def get_json(self) -> Any:
        return json.loads(self._body)


class HttpClient:
    """A test-client look-alike that sends over HTTP to ``base_url`` with one ``requests`` session."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.timeout = timeout

    def post(
        self, path: str, *, data: Any = None, content_type: str = "", headers: Optional[dict[str, str]] = None
    ) -> HttpResponse:
        sent = {"Content-Type": content_type, **(headers or {})}
        return HttpResponse(
            self.session.post(self.base_url + path, data=data, headers=sent, timeout=self.timeout)
        )
