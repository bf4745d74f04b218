"""The mock and the SDK agree by construction on every code the mock can emit.

Both directions are checked:

* every scan type, push action, node, problem type, intercept state, refusal and envelope code
  the mock carriers can answer with (their ``mockserver/carriers/<slug>/codes.py`` tables, and
  every code literal in the carrier's package) is known to the SDK and means the same there;
* every code in the SDK's tables is either emitted by the mock or listed below as *real-only*,
  with the public source that shows it.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Dict, FrozenSet, Iterator, List, Mapping, Set, Tuple, Type

import pytest

import mockserver.carriers.jt.codes as mock_jt
import mockserver.carriers.sto.codes as mock_sto
import mockserver.carriers.yto.codes as mock_yto
import mockserver.carriers.zto.codes as mock_zto
from kscarriers import default_registry
from kscarriers.carriers._envelope import envelope_error
from kscarriers.carriers.jt import codes as sdk_jt
from kscarriers.carriers.sto import codes as sdk_sto
from kscarriers.carriers.yto import codes as sdk_yto
from kscarriers.carriers.zto import codes as sdk_zto
from kscarriers.errors import (
    AuthenticationError,
    CarrierError,
    CarrierServerError,
    NotFoundError,
    RateLimitError,
)
from kscarriers.models import InterceptFailure, InterceptStatus, TrackingStatus
from mockserver.deciders import Fault
from mockserver.world import FailReason, Scan, ScanKind, Site
from mockserver.world import InterceptStatus as MockInterceptStatus

ROOT = Path(__file__).resolve().parents[2]
SLUGS = ("zto", "yto", "sto", "jt")
SDK: Mapping[str, ModuleType] = {"zto": sdk_zto, "yto": sdk_yto, "sto": sdk_sto, "jt": sdk_jt}
MOCK: Mapping[str, ModuleType] = {"zto": mock_zto, "yto": mock_yto, "sto": mock_sto, "jt": mock_jt}

#: What each neutral scan kind of the mock may normalise to in the SDK.
KIND_MEANS: Mapping[ScanKind, FrozenSet[TrackingStatus]] = {
    ScanKind.PICKUP: frozenset({TrackingStatus.PICKED_UP}),
    ScanKind.DEPART: frozenset({TrackingStatus.IN_TRANSIT}),
    ScanKind.ARRIVE: frozenset({TrackingStatus.IN_TRANSIT}),
    ScanKind.OUT_FOR_DELIVERY: frozenset({TrackingStatus.OUT_FOR_DELIVERY}),
    ScanKind.LOCKER_IN: frozenset({TrackingStatus.OUT_FOR_DELIVERY}),
    ScanKind.SIGNED: frozenset({TrackingStatus.DELIVERED}),
    ScanKind.PROBLEM: frozenset({TrackingStatus.EXCEPTION, TrackingStatus.FAILED_ATTEMPT}),
    ScanKind.RETURN: frozenset({TrackingStatus.RETURNING}),
    ScanKind.RETURN_TRANSIT: frozenset({TrackingStatus.RETURNING}),
    # Carriers without a "returned" scan end the return leg with the ordinary sign scan; the
    # client reads it as RETURNED by its place after a return scan (relabel_returns).
    ScanKind.RETURNED: frozenset({TrackingStatus.RETURNED, TrackingStatus.DELIVERED}),
}

FAIL_MEANS: Mapping[FailReason, InterceptFailure] = {
    FailReason.ALREADY_SIGNED: InterceptFailure.ALREADY_SIGNED,
    FailReason.OUT_FOR_DELIVERY: InterceptFailure.OUT_FOR_DELIVERY,
    FailReason.DUPLICATE: InterceptFailure.DUPLICATE_REQUEST,
    FailReason.NOT_FOUND: InterceptFailure.WAYBILL_NOT_FOUND,
    FailReason.NOT_SUPPORTED: InterceptFailure.NOT_SUPPORTED,
    FailReason.NO_INTERCEPT: InterceptFailure.NO_INTERCEPT_TO_CANCEL,
    FailReason.OTHER: InterceptFailure.CARRIER_REJECTED_OTHER,
}

FAULT_MEANS: Mapping[Fault, Type[CarrierError]] = {
    Fault.SYSTEM_ERROR: CarrierServerError,
    Fault.UNAVAILABLE: CarrierServerError,
    Fault.TIMEOUT: CarrierServerError,
    Fault.RATE_LIMITED: RateLimitError,
    Fault.BAD_SIGNATURE: AuthenticationError,
    Fault.MISSING_FIELD: CarrierError,
    Fault.NOT_FOUND: NotFoundError,
}

#: Code literals each mock carrier package may answer with (envelope and refusal codes).
CODE_LITERAL: Mapping[str, re.Pattern[str]] = {
    "zto": re.compile(r"\"((?:S\d{3})|(?:E\d{3,5}))\""),
    "yto": re.compile(r"\"((?:S\d{2})|(?:\d{4}))\""),
    "sto": re.compile(r"\"((?:S\d{2})|(?:I\d{3}))\""),
    "jt": re.compile(r"\"((?:1450030\d\d)|(?:173\d{3}))\""),
}

_OLTS = "open-logistics-tracking/OLTS mappings/cn/{}.csv (copied from the carrier's portal)"
_ZOP_ERRORS = "YangLiCon/docs document/tepbridge/logistics/zto.md (公共错误码 / 公共数据鉴权错误码对照表)"
_ZOP_INTERCEPT = "shared/carriers.md §2.6 (ZOP createIntercept / cancelIntercept error table)"

#: SDK codes the mock never emits, each group with the public source that shows it.
#: Keys: (carrier, table); tables are the code book's scan-table labels ("" for scan types),
#: "failure" for intercept refusals, "state" for intercept states and "envelope" for the
#: envelope code sets.
REAL_ONLY: Mapping[Tuple[str, str], Tuple[FrozenSet[str], str]] = {
    ("zto", ""): (
        frozenset(
            {"第三方签收", "事件", "转单", "安检", "SIGNED", "DELIVERY", "DEPARTURE"}
            | {"1", "2", "3", "4", "5", "7", "8", "9", "44", "45"}
        ),
        _OLTS.format("zto") + ": scanType in its Chinese, locker-English and numeric namespaces",
    ),
    ("zto", "failure"): (
        frozenset(
            {"E23112", "E23116", "E23127", "E23137", "E23151", "E23157", "E23160"}
            | {"E23111", "E23113", "E23114", "E23115", "E23118", "E23119", "E23122", "E23123"}
            | {"E23136", "E23138", "E23146", "E23110", "E23131", "E23135", "E23140", "E23141"}
            | {"E23144", "E23153", "E23154"}
        ),
        _ZOP_INTERCEPT,
    ),
    ("zto", "envelope"): (frozenset({"S206", "S212", "S214", "E404", "E409", "E418"}), _ZOP_ERRORS),
    ("yto", ""): (
        frozenset({"FORWARDING", "AIRSEND", "AIRPICK", "PACKAGE", "NOT_SEND"}),
        _OLTS.format("yto") + "; PACKAGE and NOT_SEND: a public Go YTO push receiver, "
        "addons/express/callback.go (search index id 1485256307)",
    ),
    ("sto", ""): (
        frozenset(
            {"第三方代派", "柜机代收", "快件取出", "驿站出库", "改地址件", "转邮", "转同行"}
            | {"留仓件", "代取快递", "派件入柜", "第三方代收"}
            | {"PU_PICKUP_SUCCESS", "SC_ORDER_PAY_SUCCESS", "MOT_TRANSIT", "SC_INBOUND_SUCCESS"}
            | {"SC_ORDER_WEIGHT", "SC_ORDER_PACKET_SUCCESS", "SC_ORDER_PACKET_OUT", "LH_DEPART"}
            | {"LH_ARRIVE", "CC_START", "CC_IM_START", "CC_IM_SUCCESS", "CC_IM_FAILURE", "GOT"}
        ),
        _OLTS.format("sto") + " (STO help centre scanType list, deprecated types and intl Action Codes)",
    ),
    ("jt", ""): (
        frozenset({"入仓扫描", "代理点收入扫描", "快件取出扫描", "出库扫描", "安检扫描", "其他扫描"}),
        _OLTS.format("jtexpress") + ": trace nodes 1-14",
    ),
    ("jt", "node"): (
        frozenset({"2", "7", "8", "9", "12", "13"}),
        _OLTS.format("jtexpress") + ": trace nodes 1-14",
    ),
    ("jt", "envelope"): (frozenset({"145003012"}), "shared/carriers.md §5.3 (J&T open platform codes)"),
}


def _known_envelope_codes(slug: str) -> Set[str]:
    """Every envelope code the SDK classifies: its ``*_CODES`` sets, refusals and code meanings."""
    module = SDK[slug]
    known: Set[str] = set()
    for name in dir(module):
        value = getattr(module, name)
        if name.endswith("_CODES") and isinstance(value, frozenset):
            known |= set(value)
    known |= set(module.INTERCEPT_FAILURES) | set(getattr(module, "ENVELOPE_CODES", {}))
    return known - set(getattr(module, "SUCCESS_CODES", ()))


def _scan_codes(slug: str) -> Iterator[Tuple[str, str, ScanKind]]:
    """(scan-table label, raw code, kind) for every scan code the mock carrier emits."""
    if slug == "zto":
        for kind, code in mock_zto.SCAN_TYPES.items():
            yield "", code, kind
        for kind, code in mock_zto.PUSH_ACTIONS.items():
            yield "push", code, kind
        for kind, codes in mock_zto.STATION_PUSH_ACTIONS.items():  # scans at a locker or station
            for code in codes:
                yield "push", code, kind
    elif slug == "yto":
        for kind, code in mock_yto.INFO_CONTENT.items():
            yield "", code, kind
    elif slug == "sto":
        for kind, code in mock_sto.SCAN_TYPES.items():
            yield "", code, kind
    else:
        for kind, (node, name) in mock_jt.NODES.items():
            yield "", name, kind
            yield "node", str(node), kind


def _problem_types() -> Set[str]:
    site = Site(code="x", name="x", province="x", city="x")
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    neutral = [*mock_jt.PROBLEM_TYPES, "ANYTHING", None]
    emitted = {
        mock_jt.problem_type(
            Scan(kind=ScanKind.PROBLEM, time=when, site=site, description="", problem_code=c)
        )
        for c in neutral
    }
    return emitted | set(mock_jt.A_CODES)


def _intercept_states(slug: str) -> Dict[str, MockInterceptStatus]:
    if slug == "zto":
        return {code: state for state, (code, _) in mock_zto.INTERCEPT_STATUS.items()}
    table: Mapping[MockInterceptStatus, str] = {
        "yto": mock_yto.PUSH_STATUS,
        "sto": mock_sto.INTERCEPT_STATUS,
        "jt": mock_jt.INTERCEPT_STATES,
    }[slug]
    states: Dict[str, MockInterceptStatus] = {}
    for state, code in table.items():
        states.setdefault(code, state)
    return states


def _mock_code_literals(slug: str) -> Set[str]:
    folder = ROOT / "mockserver" / "carriers" / slug
    found: Set[str] = set()
    for path in sorted(folder.glob("*.py")):
        found |= set(CODE_LITERAL[slug].findall(path.read_text("utf-8")))
    return found


def _mock_emitted(slug: str) -> Dict[str, Set[str]]:
    """Every code the mock emits, by the SDK table it belongs to."""
    emitted: Dict[str, Set[str]] = {}
    for label, code, _ in _scan_codes(slug):
        emitted.setdefault(label, set()).add(code)
    if slug == "jt":
        emitted["problem"] = _problem_types()
    emitted["state"] = set(_intercept_states(slug))
    mock = MOCK[slug]
    failures = {code for code, _ in mock.FAIL_CODES.values()}
    literals = _mock_code_literals(slug)
    emitted["failure"] = failures | (literals & set(SDK[slug].INTERCEPT_FAILURES))
    emitted["envelope"] = literals | {code for code, _ in mock.FAULT_CODES.values()}
    return emitted


@pytest.mark.parametrize("slug", SLUGS)
def test_every_scan_code_the_mock_emits_maps_to_what_the_mock_means(slug: str) -> None:
    book = default_registry.get(slug).code_book
    wrong: List[str] = []
    for label, code, kind in _scan_codes(slug):
        status, _ = book.scan_tables[label].get(code, (TrackingStatus.UNKNOWN, None))
        if status not in KIND_MEANS[kind]:
            wrong.append(f"{label} {code!r} ({kind.value}) -> {status.value}")
    assert not wrong, f"{slug}: the SDK reads these mock codes otherwise: {wrong}"


def test_every_jt_problem_type_the_mock_emits_is_known_to_the_sdk() -> None:
    problems = default_registry.get("jt").code_book.scan_tables["problem"]
    assert sorted(_problem_types() - set(problems)) == []


@pytest.mark.parametrize("slug", SLUGS)
def test_every_intercept_refusal_the_mock_emits_maps_to_its_reason(slug: str) -> None:
    failures = SDK[slug].INTERCEPT_FAILURES
    codes_of: Dict[str, Set[FailReason]] = {}
    for reason, (code, _) in MOCK[slug].FAIL_CODES.items():
        codes_of.setdefault(code, set()).add(reason)
    for code, reasons in codes_of.items():
        assert code in failures, f"{slug} refusal {code} is unknown to the SDK"
        # A code the mock shares between reasons (J&T's 173099) must mean one of them.
        assert failures[code] in {FAIL_MEANS[r] for r in reasons}, f"{slug} {code}: {failures[code]}"


@pytest.mark.parametrize("slug", SLUGS)
def test_every_intercept_state_the_mock_emits_maps_to_the_same_state(slug: str) -> None:
    states = default_registry.get(slug).code_book.intercept_states
    for code, state in _intercept_states(slug).items():
        assert code in states, f"{slug} intercept state {code!r} is unknown to the SDK"
        assert states[code] is InterceptStatus(state.value.lower()) or (
            # J&T has no cancel: the mock pushes a cancelled record as FAILED (docs/carriers/jt.md).
            slug == "jt" and code == "FAILED"
        ), f"{slug} {code!r} -> {states[code]}"


@pytest.mark.parametrize("slug", SLUGS)
def test_every_fault_the_mock_injects_becomes_the_matching_typed_error(slug: str) -> None:
    sdk = SDK[slug]
    for fault, (code, _) in MOCK[slug].FAULT_CODES.items():
        error = envelope_error(
            slug,
            code=code,
            message="",
            auth_codes=sdk.AUTH_CODES,
            rate_codes=sdk.RATE_LIMIT_CODES,
            server_codes=sdk.SERVER_CODES,
            not_found_codes=sdk.NOT_FOUND_CODES,
        )
        assert type(error) is FAULT_MEANS[fault], f"{slug} {fault.value} {code} -> {type(error).__name__}"


@pytest.mark.parametrize("slug", SLUGS)
def test_every_code_literal_of_the_mock_carrier_is_known_to_the_sdk(slug: str) -> None:
    unknown = sorted(_mock_emitted(slug)["envelope"] - _known_envelope_codes(slug))
    assert unknown == [], f"{slug}: the mock answers with codes the SDK does not classify: {unknown}"


def _sdk_tables(slug: str) -> Dict[str, Set[str]]:
    book = default_registry.get(slug).code_book
    tables = {label: set(table) for label, table in book.scan_tables.items()}
    tables["failure"] = set(book.intercept_failures)
    tables["state"] = set(book.intercept_states)
    tables["envelope"] = _known_envelope_codes(slug) - set(book.intercept_failures)
    return tables


@pytest.mark.parametrize("slug", SLUGS)
def test_every_sdk_code_is_emitted_by_the_mock_or_listed_as_real_only(slug: str) -> None:
    emitted = _mock_emitted(slug)
    unaccounted: Dict[str, List[str]] = {}
    for table, codes in _sdk_tables(slug).items():
        real_only, _ = REAL_ONLY.get((slug, table), (frozenset(), ""))
        missing = sorted(codes - emitted.get(table, set()) - real_only)
        if missing:
            unaccounted[table] = missing
    assert unaccounted == {}, (
        f"{slug}: neither emitted by the mock nor real-only with a source: {unaccounted}"
    )


@pytest.mark.parametrize(("key", "entry"), sorted(REAL_ONLY.items()))
def test_real_only_codes_are_in_the_sdk_and_not_emitted_by_the_mock(
    key: Tuple[str, str], entry: Tuple[FrozenSet[str], str]
) -> None:
    slug, table = key
    codes, source = entry
    assert source.strip(), f"{key} names no source"
    assert sorted(codes - _sdk_tables(slug)[table]) == [], "real-only codes the SDK does not have"
    assert sorted(codes & _mock_emitted(slug).get(table, set())) == [], "emitted by the mock: not real-only"
