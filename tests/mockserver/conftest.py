"""Shared fixtures for mockserver tests: a signing ZTO caller over the Flask test client."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Optional, Union

import pytest

ZTO_KEY = "zto-demo"
ZTO_SECRET = "zto-demo-secret"

API_TRACK = "zto.merchant.waybill.track.query"
API_SUBSCRIBE = "zto.merchant.waybill.track.subsrcibe"
API_INTERCEPT = "thirdcenter.createIntercept"
API_CANCEL = "thirdcenter.cancelIntercept"
API_STATUS = "thirdcenter.queryInterceptAndReturnStatus"


def sign(body: bytes, secret: str) -> str:
    """base64 of the raw md5 digest of body + secret (independent of mockserver's helper)."""
    return base64.b64encode(hashlib.md5(body + secret.encode("utf-8")).digest()).decode()


class ZtoCaller:
    """Posts signed ZOP requests to the app under test."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def post(
        self,
        api: str,
        body: Union[dict[str, Any], bytes],
        *,
        app_key: str = ZTO_KEY,
        secret: str = ZTO_SECRET,
        digest: Optional[str] = None,
        key_header: str = "x-appKey",
    ) -> Any:
        raw = (
            body
            if isinstance(body, bytes)
            else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        )
        headers = {
            key_header: app_key,
            "x-dataDigest": digest or sign(raw, secret),
            "Content-Type": "application/json; charset=utf-8",
        }
        return self.client.post(f"/zto/{api}", data=raw, headers=headers)

    def call(self, api: str, body: Union[dict[str, Any], bytes], **kwargs: Any) -> dict[str, Any]:
        response = self.post(api, body, **kwargs)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()  # type: ignore[no-any-return]

    def intercept(
        self, waybill: str, request_id: str, destination_type: int = 2, **extra: Any
    ) -> dict[str, Any]:
        body = {
            "billCode": waybill,
            "requestId": request_id,
            "thirdBizNo": request_id,
            "destinationType": destination_type,
            **extra,
        }
        return self.call(API_INTERCEPT, body)


@pytest.fixture
def zto(mock_client: Any) -> ZtoCaller:
    return ZtoCaller(mock_client)


@pytest.fixture
def make_parcel(mock_client: Any) -> Any:
    """Create a parcel through the admin API at a stage; returns the admin answer's parcel."""

    def make(waybill: str, stage: str, **extra: Any) -> dict[str, Any]:
        answer = mock_client.post(
            "/__admin/parcels",
            json={"carrier": "zto", "app_key": ZTO_KEY, "waybill": waybill, "stage": stage, **extra},
        )
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["parcel"]  # type: ignore[no-any-return]

    return make
