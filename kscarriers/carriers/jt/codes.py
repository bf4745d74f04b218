"""J&T code tables: scan nodes and problem codes to statuses, envelope and intercept codes to errors.

Sources: shared/carriers.md §5 (J&T open platform as quoted by public integrations, and the
Malaysia tenant of the same platform). Values marked *modelled* are our choice where the public
record is silent (docs/carriers/jt.md, "Modelled where the public record is silent").
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Tuple

from ...models import InterceptFailure, InterceptStatus, TrackingStatus, TrackingSubStatus
from .. import CodeBook

S = TrackingStatus
U = TrackingSubStatus
Pair = Tuple[TrackingStatus, TrackingSubStatus]

_PICKUP = (S.PICKED_UP, U.PICKED_UP)
_DEPART = (S.IN_TRANSIT, U.DEPARTED_FACILITY)
_ARRIVE = (S.IN_TRANSIT, U.ARRIVED_AT_FACILITY)
_TRANSIT = (S.IN_TRANSIT, U.IN_TRANSIT_OTHER)
_FORWARD = (S.IN_TRANSIT, U.FORWARDED)
_OUT = (S.OUT_FOR_DELIVERY, U.OUT_FOR_DELIVERY)
_STATION = (S.OUT_FOR_DELIVERY, U.AT_PICKUP_POINT)
_TAKEN_OUT = (S.OUT_FOR_DELIVERY, U.TAKEN_OUT_OF_PICKUP_POINT)
_SIGNED = (S.DELIVERED, U.SIGNED_BY_RECIPIENT)
_RETURNING = (S.RETURNING, U.RETURN_TO_SENDER)
_PROBLEM = (S.EXCEPTION, U.EXCEPTION_OTHER)
_REFUSED = (S.FAILED_ATTEMPT, U.REFUSED)
_UNREACHABLE = (S.FAILED_ATTEMPT, U.RECIPIENT_UNREACHABLE)
_ADDRESS = (S.FAILED_ATTEMPT, U.ADDRESS_PROBLEM)
_ATTEMPT = (S.FAILED_ATTEMPT, U.FAILED_ATTEMPT_OTHER)
_DELAYED = (S.EXCEPTION, U.DELAYED)
_DAMAGED = (S.EXCEPTION, U.DAMAGED_OR_LOST)
_HELD = (S.EXCEPTION, U.HELD)

#: The node number of the problem scan (问题件扫描): its ``problemType`` refines the status.
PROBLEM_NODE = "11"

#: Trace nodes 1–14 (carriers.md §5.4): the Chinese node name as ``scanType`` names its number.
NODE_NAMES: Dict[str, str] = {
    "快件揽收": "1",
    "入仓扫描": "2",
    "发件扫描": "3",
    "到件扫描": "4",
    "出仓扫描": "5",
    "入库扫描": "6",
    "代理点收入扫描": "7",
    "快件取出扫描": "8",
    "出库扫描": "9",
    "快件签收": "10",
    "问题件扫描": "11",
    "安检扫描": "12",
    "其他扫描": "13",
    "退件扫描": "14",
}

#: Node number to status. 出仓 is J&T's dispatch-for-delivery scan; 入库 / 代理点收入 put the
#: parcel into a station or locker; 快件取出 / 出库 take it back out "to deliver again" (OLTS
#: jtexpress.csv), which is not a delivery: only 快件签收 is (docs/status-codes.md, disputes).
NODE_STATUSES: Dict[str, Pair] = {
    "1": _PICKUP,
    "2": _ARRIVE,
    "3": _DEPART,
    "4": _ARRIVE,
    "5": _OUT,
    "6": _STATION,
    "7": _STATION,
    "8": _TAKEN_OUT,
    "9": _TAKEN_OUT,
    "10": _SIGNED,
    "11": _PROBLEM,
    "12": _TRANSIT,
    "13": _TRANSIT,
    "14": _RETURNING,
}

#: ``scanType`` as the client may receive it: the node name or the node number (both accepted).
SCAN_TYPES: Dict[str, Pair] = {
    **{name: NODE_STATUSES[node] for name, node in NODE_NAMES.items()},
    **NODE_STATUSES,
}

#: ``problemType`` A-codes of the problem scan (carriers.md §5.4) with their names.
PROBLEM_CODES: Dict[str, Tuple[str, Pair]] = {
    "A1": ("客户取消寄件-网点", _PROBLEM),
    "A2": ("客户拒收", _REFUSED),
    "A3": ("更改派送地址", _FORWARD),
    "A4": ("退回件-网点", _RETURNING),
    "A7": ("异常件提醒", _PROBLEM),
    "A8": ("包裹异常-网点", _DAMAGED),
    "A9": ("收件人联系不上", _UNREACHABLE),
    "A10": ("收件人联系不上", _UNREACHABLE),
    "A11": ("多次派件失败", _ATTEMPT),
    "A12": ("收件人信息错误", _ADDRESS),
    "A13": ("更改派送时间", _DELAYED),
    "A14": ("客户拒收", _REFUSED),
    "A15": ("地址不详", _ADDRESS),
    "A16": ("地址错误", _ADDRESS),
    "A17": ("包裹存放至网点", _HELD),
    "A18": ("包裹存放至网点", _HELD),
    "A19": ("收件地址禁止", _ADDRESS),
    "A20": ("包裹异常", _DAMAGED),
    "A21": ("包裹暂存网点", _HELD),
    "A23": ("节假日延迟", _DELAYED),
    "A24": ("包裹异常-中心", _DAMAGED),
    "A25": ("退回件-中心", _RETURNING),
    "A26": ("客户取消寄件-中心", _PROBLEM),
    "A27": ("天气", _DELAYED),
    "A28": ("自然灾害", _DELAYED),
    "A29": ("代收/到付拒付", _REFUSED),
    "A30": ("货未到齐", _DELAYED),
    "A31": ("作废件", _PROBLEM),
    "A32": ("未录进仓编码", _HELD),
    "A33": ("政府管制", _DELAYED),
    "A34": ("乡镇件", _DELAYED),
    "A35": ("发票问题拒收", _REFUSED),
}

#: ``problemType`` to status, by A-code or by name (a tenant may send either).
PROBLEM_TYPES: Dict[str, Pair] = {
    **{name: pair for name, pair in PROBLEM_CODES.values()},
    **{code: pair for code, (_, pair) in PROBLEM_CODES.items()},
}

#: Envelope success code.
SUCCESS_CODE = "1"

#: Platform envelope codes (carriers.md §5.3; 145003061/145003062 modelled) by the error they become.
AUTH_CODES: FrozenSet[str] = frozenset(
    {"145003010", "145003012", "145003030", "145003051", "145003052", "145003053"}
)
RATE_LIMIT_CODES: FrozenSet[str] = frozenset({"145003061"})
SERVER_CODES: FrozenSet[str] = frozenset({"145003062"})
NOT_FOUND_CODES: FrozenSet[str] = frozenset({"173004"})
#: Codes that refuse the request itself (illegal parameters, unknown API): a plain CarrierError,
#: not retried.
REQUEST_ERROR_CODES: FrozenSet[str] = frozenset({"145003050"})

#: What each platform code means (for the docs and error messages).
ENVELOPE_CODES: Dict[str, str] = {
    "145003010": "account does not exist",
    "145003012": "no interface permission",
    "145003030": "header signature verification failed",
    "145003050": "illegal parameters",
    "145003051": "apiAccount empty",
    "145003052": "digest empty",
    "145003053": "timestamp empty",
    "145003061": "flow limit (modelled)",
    "145003062": "system busy (modelled)",
}

#: Intercept rejection codes (all modelled, docs/carriers/jt.md) to normalised failures.
INTERCEPT_FAILURES: Dict[str, InterceptFailure] = {
    "173001": InterceptFailure.ALREADY_SIGNED,
    "173002": InterceptFailure.OUT_FOR_DELIVERY,
    "173003": InterceptFailure.DUPLICATE_REQUEST,
    "173004": InterceptFailure.WAYBILL_NOT_FOUND,
    "173005": InterceptFailure.NOT_SUPPORTED,
    "173099": InterceptFailure.CARRIER_REJECTED_OTHER,
}

#: Every code of this family is an intercept refusal, even one not in the table (modelled).
INTERCEPT_FAILURE_PREFIX = "173"

#: ``status`` of the intercept answer and of the intercept-result push (modelled).
INTERCEPT_STATES: Dict[str, InterceptStatus] = {
    "PENDING": InterceptStatus.PENDING,
    "SUCCESS": InterceptStatus.SUCCEEDED,
    "FAILED": InterceptStatus.FAILED,
}

#: ``applyTypeCode`` of ``/api/waybill/intercept``.
APPLY_RETURN = 4
APPLY_CHANGE_ADDRESS = 5

#: ``traceNode`` of a subscription: every node, 1 to 14.
ALL_TRACE_NODES = "&".join(str(n) for n in range(1, 15))

#: ``type`` of an intercept-result push (trace pushes are JSON arrays instead).
PUSH_TYPE_INTERCEPT = "INTERCEPT"

#: The tables above as the SDK's docs and refusal handling read them.
CODE_BOOK = CodeBook(
    scan_tables={
        "": {name: pair for name, pair in SCAN_TYPES.items() if not name.isdigit()},
        "node": NODE_STATUSES,
        "problem": {code: pair for code, (_, pair) in PROBLEM_CODES.items()},
    },
    intercept_failures=INTERCEPT_FAILURES,
    intercept_states=INTERCEPT_STATES,
)
