"""STO code tables: scan types and action codes to statuses, error codes to errors and failures.

Sources: shared/carriers.md §4 (STO help centre scan list, public integrations). STO publishes no
error catalogue: every error and intercept code here is *modelled* (docs/carriers/sto.md).
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Tuple

from ...models import InterceptFailure, InterceptStatus, TrackingStatus, TrackingSubStatus
from .. import CodeBook

S = TrackingStatus
U = TrackingSubStatus

_PICKUP = (S.PICKED_UP, U.PICKED_UP)
_DEPART = (S.IN_TRANSIT, U.DEPARTED_FACILITY)
_ARRIVE = (S.IN_TRANSIT, U.ARRIVED_AT_FACILITY)
_FORWARD = (S.IN_TRANSIT, U.FORWARDED)
_TRANSIT = (S.IN_TRANSIT, U.IN_TRANSIT_OTHER)
_OUT = (S.OUT_FOR_DELIVERY, U.OUT_FOR_DELIVERY)
_STATION = (S.OUT_FOR_DELIVERY, U.AT_PICKUP_POINT)
_TAKEN_OUT = (S.OUT_FOR_DELIVERY, U.TAKEN_OUT_OF_PICKUP_POINT)
_SIGNED = (S.DELIVERED, U.SIGNED_BY_RECIPIENT)
_PROXY = (S.DELIVERED, U.SIGNED_BY_PROXY)
_RETURNING = (S.RETURNING, U.RETURN_TO_SENDER)
_PROBLEM = (S.EXCEPTION, U.EXCEPTION_OTHER)
_HELD = (S.EXCEPTION, U.HELD)
_INFO = (S.INFO_RECEIVED, U.INFO_RECEIVED)

#: ``scanType`` of the track query and the trace push (Chinese, carriers.md §4.4).
SCAN_TYPES: Dict[str, Tuple[TrackingStatus, TrackingSubStatus]] = {
    "收件": _PICKUP,
    "发件": _DEPART,
    "到件": _ARRIVE,
    "派件": _OUT,
    "第三方代派": _OUT,
    "柜机代收": _STATION,
    "驿站代收": _STATION,
    # The courier takes the parcel back out of the locker to deliver it again or return it
    # (STO help centre via OLTS sto.csv); the recipient's collection is a 签收 of its own.
    "快件取出": _TAKEN_OUT,
    # Out of the station's stock: to the recipient or back to the courier, the scan does not say
    # which; only a 签收 is a delivery (docs/status-codes.md, "Where the sources disagree").
    "驿站出库": _TAKEN_OUT,
    "问题件": _PROBLEM,
    "退回件": _RETURNING,
    "改地址件": _FORWARD,
    "转邮": _FORWARD,
    "转同行": _FORWARD,
    "签收": _SIGNED,
    # Deprecated by STO, still found in old data and old push handlers.
    "留仓件": _HELD,
    "代取快递": _PROXY,
    "派件入柜": _STATION,
    "第三方代收": _STATION,
    # International shipments report Action Codes instead of Chinese scan types (STO help
    # centre, as OLTS sto.csv lists them with an ``intl:`` prefix the wire does not carry).
    "PU_PICKUP_SUCCESS": _PICKUP,
    "SC_ORDER_PAY_SUCCESS": _INFO,
    "MOT_TRANSIT": _TRANSIT,
    "SC_INBOUND_SUCCESS": _ARRIVE,
    "SC_ORDER_WEIGHT": _TRANSIT,
    "SC_ORDER_PACKET_SUCCESS": _TRANSIT,
    "SC_ORDER_PACKET_OUT": _TRANSIT,
    "LH_DEPART": _DEPART,
    "LH_ARRIVE": _ARRIVE,
    "CC_START": _TRANSIT,
    "CC_IM_START": _TRANSIT,
    "CC_IM_SUCCESS": _TRANSIT,
    "CC_IM_FAILURE": _HELD,
    "GOT": _FORWARD,
}

#: Scan types that are deprecated (kept so that old histories still normalise).
DEPRECATED_SCAN_TYPES: FrozenSet[str] = frozenset({"留仓件", "代取快递", "派件入柜", "第三方代收"})

#: Words in ``signoffPeople`` that show somebody other than the recipient signed.
PROXY_SIGNER_WORDS = ("代收", "代签", "驿站", "快递柜", "丰巢", "门卫", "前台", "物业")

#: Intercept create/cancel refusal codes (modelled) to normalised failures.
INTERCEPT_FAILURES: Dict[str, InterceptFailure] = {
    "I101": InterceptFailure.ALREADY_SIGNED,
    "I102": InterceptFailure.OUT_FOR_DELIVERY,
    "I103": InterceptFailure.DUPLICATE_REQUEST,
    "I104": InterceptFailure.WAYBILL_NOT_FOUND,
    "I105": InterceptFailure.NOT_SUPPORTED,
    "I106": InterceptFailure.NO_INTERCEPT_TO_CANCEL,
    "I199": InterceptFailure.CARRIER_REJECTED_OTHER,
}

#: Prefix of intercept refusal codes: an unlisted ``I…`` code is still a refusal (OTHER).
INTERCEPT_CODE_PREFIX = "I"

#: Envelope codes (modelled) by the error they become. ``needRetry: true`` forces a retry too.
AUTH_CODES: FrozenSet[str] = frozenset({"S01", "S03"})
RATE_LIMIT_CODES: FrozenSet[str] = frozenset({"S05"})
SERVER_CODES: FrozenSet[str] = frozenset({"S06"})
NOT_FOUND_CODES: FrozenSet[str] = frozenset({"I104"})
#: Codes that refuse the request itself (a required field is empty or malformed; modelled): a
#: plain CarrierError, not retried.
REQUEST_ERROR_CODES: FrozenSet[str] = frozenset({"S02"})

#: ``status`` of the intercept answer and of the INTERCEPT_RESULT_PUSH (modelled).
INTERCEPT_STATES: Dict[str, InterceptStatus] = {
    "PENDING": InterceptStatus.PENDING,
    "SUCCESS": InterceptStatus.SUCCEEDED,
    "FAILED": InterceptStatus.FAILED,
    "CANCELLED": InterceptStatus.CANCELLED,
}

#: ``interceptForAct`` of INTERCEPT_CREATE_STANDARD, for a return and for a change of address
#: alike (the latter adds ``receiver*`` fields; syships/php-express ``LogisticApplication.php``).
ACT_DEFAULT = "DEFAULT"

#: The tables above as the SDK's docs and refusal handling read them.
CODE_BOOK = CodeBook(
    scan_tables={"": SCAN_TYPES},
    intercept_failures=INTERCEPT_FAILURES,
    intercept_states=INTERCEPT_STATES,
)
