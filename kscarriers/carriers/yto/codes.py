"""YTO code tables: infoContent scan codes to statuses, intercept and envelope codes to errors.

Sources: shared/carriers.md §3 (scan codes from O1/R1). Everything about errors, intercept
answers and pushes is *modelled* (docs/carriers/yto.md, "Modelled where the public record is
silent"), kept here so that it is easy to correct once YTO's real values are known.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Tuple

from ...models import InterceptFailure, InterceptStatus, TrackingStatus, TrackingSubStatus
from .. import CodeBook

S = TrackingStatus
U = TrackingSubStatus

#: ``infoContent`` of a track entry (carriers.md §3.4).
SCAN_CODES: Dict[str, Tuple[TrackingStatus, TrackingSubStatus]] = {
    "GOT": (S.PICKED_UP, U.PICKED_UP),  # 已揽收
    "ARRIVAL": (S.IN_TRANSIT, U.ARRIVED_AT_FACILITY),  # 已收入
    "DEPARTURE": (S.IN_TRANSIT, U.DEPARTED_FACILITY),  # 已发出
    "SENT_SCAN": (S.OUT_FOR_DELIVERY, U.OUT_FOR_DELIVERY),  # 派件
    "INBOUND": (S.OUT_FOR_DELIVERY, U.AT_PICKUP_POINT),  # 自提柜入柜
    "SIGNED": (S.DELIVERED, U.SIGNED_BY_RECIPIENT),  # 签收成功
    "FAILED": (S.FAILED_ATTEMPT, U.FAILED_ATTEMPT_OTHER),  # 签收失败
    "FORWARDING": (S.IN_TRANSIT, U.FORWARDED),  # 转寄
    "TMS_RETURN": (S.RETURNING, U.RETURN_TO_SENDER),  # 退回
    "AIRSEND": (S.IN_TRANSIT, U.DEPARTED_FACILITY),  # 航空发货
    "AIRPICK": (S.IN_TRANSIT, U.ARRIVED_AT_FACILITY),  # 航空提货
    # A public YTO push receiver (Go, addons/express/callback.go; tests/reality/yto/r_status_*):
    "PACKAGE": (S.IN_TRANSIT, U.IN_TRANSIT_OTHER),  # 已打包: bagged at a site after pickup
    "NOT_SEND": (S.EXCEPTION, U.EXCEPTION_OTHER),  # 揽收失败: the pickup failed
}

#: Words in a SIGNED entry's ``processInfo`` that show somebody other than the recipient signed.
#: YTO has no signer field; the signer is named inside the text.
PROXY_SIGNER_WORDS = ("代收", "代签", "驿站", "门卫", "前台", "物业")
#: Words in a SIGNED entry's ``processInfo`` that show the parcel was taken from a locker.
LOCKER_WORDS = ("快递柜", "自提柜", "丰巢", "智能柜")

#: Intercept / change-address / cancel refusal codes (modelled, docs/carriers/yto.md item 3).
INTERCEPT_FAILURES: Dict[str, InterceptFailure] = {
    "2001": InterceptFailure.ALREADY_SIGNED,
    "2002": InterceptFailure.OUT_FOR_DELIVERY,
    "2003": InterceptFailure.DUPLICATE_REQUEST,
    "2004": InterceptFailure.WAYBILL_NOT_FOUND,
    "2005": InterceptFailure.NOT_SUPPORTED,
    "2006": InterceptFailure.NO_INTERCEPT_TO_CANCEL,
    "2099": InterceptFailure.CARRIER_REJECTED_OTHER,
}
#: Any other code with this prefix is still a refusal (CARRIER_REJECTED_OTHER), not an error.
INTERCEPT_FAILURE_PREFIX = "20"

#: Refusals in the ``{"statusCode": 1, "statusMessage": …}`` envelope carry no refusal code:
#: the failure is read from the message. Source: syships/php-express ``LogisticsGateway.php``
#: (``formatResponse``), which met ``{"statusCode":1,"statusMessage":"已有有效拦截件，不能重复发起拦截"}``.
#: A message that matches none is CARRIER_REJECTED_OTHER.
STATUS_REFUSAL_PHRASES: Tuple[Tuple[str, InterceptFailure], ...] = (
    ("已有有效拦截", InterceptFailure.DUPLICATE_REQUEST),
    ("重复", InterceptFailure.DUPLICATE_REQUEST),
)

#: Envelope codes (docs/carriers/yto.md item 2) by the error they become. ``401`` is public
#: (syships/php-express ``LogisticsGateway.php``: ``{"success":false,"code":401,"reason":
#: "请求加密校验失败"}``, a bad signature); the ``S…`` codes are modelled.
AUTH_CODES: FrozenSet[str] = frozenset({"S01", "S03", "401"})
RATE_LIMIT_CODES: FrozenSet[str] = frozenset({"S05"})
SERVER_CODES: FrozenSet[str] = frozenset({"S06"})
NOT_FOUND_CODES: FrozenSet[str] = frozenset({"1001", "2004"})
#: Codes that refuse the request itself (a field is empty or malformed; modelled): a plain
#: CarrierError, not retried.
REQUEST_ERROR_CODES: FrozenSet[str] = frozenset({"S02"})
#: ``code`` / ``statusCode`` values that mean an intercept, change or cancel was accepted.
SUCCESS_CODES: FrozenSet[str] = frozenset({"0", ""})
#: The track query's "no data" answer (carriers.md §3.3): an empty history, not an error.
NO_DATA_CODE = "1001"

#: ``status`` of an INTERCEPT push (modelled, docs/carriers/yto.md item 4); PENDING is never
#: pushed, and is read as such should it come.
INTERCEPT_STATES: Dict[str, InterceptStatus] = {
    "PENDING": InterceptStatus.PENDING,
    "SUCCESS": InterceptStatus.SUCCEEDED,
    "FAILED": InterceptStatus.FAILED,
    "CANCELLED": InterceptStatus.CANCELLED,
}

#: ``type`` form field of a push.
PUSH_TRACE = "TRACE"
PUSH_INTERCEPT = "INTERCEPT"

#: The tables above as the SDK's docs and refusal handling read them.
CODE_BOOK = CodeBook(
    scan_tables={"": SCAN_CODES},
    intercept_failures=INTERCEPT_FAILURES,
    intercept_states=INTERCEPT_STATES,
)
