"""ZTO code tables: scan types and push actions to statuses, E-codes to intercept failures.

Sources: shared/carriers.md §2 (ZOP docs as quoted by public integrations). Values marked
*modelled* are our choice where the public record is silent (docs/carriers/zto.md).
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
_OUT = (S.OUT_FOR_DELIVERY, U.OUT_FOR_DELIVERY)
_STATION = (S.OUT_FOR_DELIVERY, U.AT_PICKUP_POINT)
_TAKEN_OUT = (S.OUT_FOR_DELIVERY, U.TAKEN_OUT_OF_PICKUP_POINT)
_SIGNED = (S.DELIVERED, U.SIGNED_BY_RECIPIENT)
_PROXY = (S.DELIVERED, U.SIGNED_BY_PROXY)
_LOCKER = (S.DELIVERED, U.COLLECTED_FROM_LOCKER)
_RETURNING = (S.RETURNING, U.RETURN_TO_SENDER)
_RETURNED = (S.RETURNED, U.RETURNED_TO_SENDER)
_PROBLEM = (S.EXCEPTION, U.EXCEPTION_OTHER)
_FORWARD = (S.IN_TRANSIT, U.FORWARDED)
_TRANSIT = (S.IN_TRANSIT, U.IN_TRANSIT_OTHER)

#: ``scanType`` of the track query, in its three namespaces (Chinese, locker English, numeric).
SCAN_TYPES: Dict[str, Tuple[TrackingStatus, TrackingSubStatus]] = {
    "收件": _PICKUP,
    "发件": _DEPART,
    "到件": _ARRIVE,
    "派件": _OUT,
    "签收": _SIGNED,
    "第三方签收": _PROXY,
    "退件": _RETURNING,
    "退件签收": _RETURNED,
    "问题件": _PROBLEM,
    "事件": _TRANSIT,
    "转单": _FORWARD,
    "安检": _TRANSIT,
    "ARRIVAL": _STATION,
    "SIGNED": _LOCKER,
    "DELIVERY": _OUT,
    "DEPARTURE": _PROBLEM,
    "1": _PICKUP,
    "2": _DEPART,
    "3": _ARRIVE,
    "4": _OUT,
    "5": _SIGNED,
    "7": _PROXY,
    "8": _RETURNING,
    "9": _FORWARD,
    "44": _STATION,
    # 第三方出站: out of a third-party point, "taken out to deliver again" (OLTS zto.csv), not a
    # delivery (docs/status-codes.md, "Where the sources disagree").
    "45": _TAKEN_OUT,
}

#: ``action`` of the trace push: ZOP's push action table as public ZTO push receivers copy it
#: (a Java ``ZtoTrackObj`` and a PHP handler, docs/carriers/zto.md "Push actions") and the real
#: pushes logged in YangLiCon/docs. ``PROBLEM`` carries the problem type in ``problemCode``.
PUSH_ACTIONS: Dict[str, Tuple[TrackingStatus, TrackingSubStatus]] = {
    "GOT": _PICKUP,
    "DEPARTURE": _DEPART,
    "ARRIVAL": _ARRIVE,
    "DISPATCH": _OUT,
    "SIGNED": _SIGNED,
    "INBOUND": _STATION,
    # 第三方妥投 in ZOP's table, but its real pushes read "快件已投递【station】" and public
    # receivers treat it like INBOUND: at the station, not yet with the recipient (disputed).
    "HANDOVERSCAN_SIGNED": _STATION,
    "DEPARTURE_SIGNED": _LOCKER,
    "RETURN_SCAN": _RETURNING,
    "RETURN_SIGNED": _RETURNED,
    "PROBLEM": _PROBLEM,
}

#: Words in ``signMan`` that show somebody other than the recipient signed.
PROXY_SIGNER_WORDS = ("代收", "代签", "驿站", "快递柜", "丰巢", "门卫", "前台", "物业")

#: Intercept create/cancel E-codes (carriers.md §2.6) to normalised failures.
INTERCEPT_FAILURES: Dict[str, InterceptFailure] = {
    "E23101": InterceptFailure.ALREADY_SIGNED,
    "E23120": InterceptFailure.OUT_FOR_DELIVERY,
    "E23137": InterceptFailure.OUT_FOR_DELIVERY,
    "E23112": InterceptFailure.OUT_FOR_DELIVERY,
    "E23121": InterceptFailure.DUPLICATE_REQUEST,
    "E23127": InterceptFailure.DUPLICATE_REQUEST,
    "E23151": InterceptFailure.DUPLICATE_REQUEST,
    "E23116": InterceptFailure.DUPLICATE_REQUEST,
    "E23157": InterceptFailure.DUPLICATE_REQUEST,
    "E23160": InterceptFailure.DUPLICATE_REQUEST,
    "E23102": InterceptFailure.WAYBILL_NOT_FOUND,
    "E416": InterceptFailure.WAYBILL_NOT_FOUND,
    "E23108": InterceptFailure.NOT_SUPPORTED,
    "E23111": InterceptFailure.NOT_SUPPORTED,
    "E23113": InterceptFailure.NOT_SUPPORTED,
    "E23114": InterceptFailure.NOT_SUPPORTED,
    "E23115": InterceptFailure.NOT_SUPPORTED,
    "E23118": InterceptFailure.NOT_SUPPORTED,
    "E23119": InterceptFailure.NOT_SUPPORTED,
    "E23122": InterceptFailure.NOT_SUPPORTED,
    "E23123": InterceptFailure.NOT_SUPPORTED,
    "E23136": InterceptFailure.NOT_SUPPORTED,
    "E23138": InterceptFailure.NOT_SUPPORTED,
    "E23139": InterceptFailure.NOT_SUPPORTED,
    "E23146": InterceptFailure.NOT_SUPPORTED,
    "E23130": InterceptFailure.NO_INTERCEPT_TO_CANCEL,
    "E23110": InterceptFailure.CARRIER_REJECTED_OTHER,
    # 轨迹异常不允许拦截: refused for the parcel's abnormal trace, not for an unsupported service.
    "E23124": InterceptFailure.CARRIER_REJECTED_OTHER,
    "E23131": InterceptFailure.CARRIER_REJECTED_OTHER,
    "E23135": InterceptFailure.CARRIER_REJECTED_OTHER,
    "E23140": InterceptFailure.CARRIER_REJECTED_OTHER,
    "E23141": InterceptFailure.CARRIER_REJECTED_OTHER,
    "E23144": InterceptFailure.CARRIER_REJECTED_OTHER,
    "E23148": InterceptFailure.CARRIER_REJECTED_OTHER,
    "E23149": InterceptFailure.CARRIER_REJECTED_OTHER,
    "E23150": InterceptFailure.CARRIER_REJECTED_OTHER,
    "E23153": InterceptFailure.CARRIER_REJECTED_OTHER,
    "E23154": InterceptFailure.CARRIER_REJECTED_OTHER,
}

#: Envelope codes (carriers.md §2.4) by the error they become.
AUTH_CODES: FrozenSet[str] = frozenset({"S210", "S211", "S212", "S214", "E404", "E418"})
#: The ZOP gateway wants the last 4 digits of the sender's or receiver's phone (``E413``) or
#: did not match the ones sent (``E409``): PhoneVerificationRequired, the way out is
#: ``phone_tail``. Source: YangLiCon/docs document/tepbridge/logistics/zto.md (error table).
PHONE_CODES: FrozenSet[str] = frozenset({"E409", "E413"})
RATE_LIMIT_CODES: FrozenSet[str] = frozenset({"S206", "S221"})
SERVER_CODES: FrozenSet[str] = frozenset({"S200", "S202", "S203"})
NOT_FOUND_CODES: FrozenSet[str] = frozenset({"E416", "E23102"})
#: Codes that refuse the request itself (API does not exist, a required field is empty): a plain
#: CarrierError, not retried.
REQUEST_ERROR_CODES: FrozenSet[str] = frozenset({"S207", "S208"})
SUCCESS_CODES: FrozenSet[str] = frozenset({"SYS000", "0000", "0", ""})

#: ``queryInterceptAndReturnStatus`` status values (modelled).
INTERCEPT_STATES: Dict[str, InterceptStatus] = {
    "1": InterceptStatus.PENDING,
    "2": InterceptStatus.SUCCEEDED,
    "3": InterceptStatus.FAILED,
    "4": InterceptStatus.CANCELLED,
}

#: ``destinationType`` of createIntercept.
DESTINATION_RETURN_TO_SENDER = 2
DESTINATION_CHANGE_ADDRESS = 3

#: The tables above as the SDK's docs and refusal handling read them.
CODE_BOOK = CodeBook(
    scan_tables={"": SCAN_TYPES, "push": PUSH_ACTIONS},
    intercept_failures=INTERCEPT_FAILURES,
    intercept_states=INTERCEPT_STATES,
)
