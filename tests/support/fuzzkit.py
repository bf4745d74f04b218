"""Shared pieces of the property-based (hypothesis) fuzz suite: settings, strategies, signers.

The signers here are written from docs/carriers/*.md, independently of both packages, so that a
fuzz failure cannot come from one package agreeing with itself.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlencode

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _carriers() -> Tuple[str, ...]:
    """The carriers to fuzz: every mock carrier, which must also be an SDK carrier."""
    from kscarriers import default_registry
    from mockserver.carriers import carrier_slugs

    mock, sdk = carrier_slugs(), set(default_registry.slugs())
    if set(mock) != sdk:
        raise AssertionError(f"the SDK carriers {sorted(sdk)} and the mock carriers {sorted(mock)} differ")
    return mock


#: Every registered carrier, in the mock server's order; each needs a signer below.
CARRIERS = _carriers()

#: Every fuzz property runs with this many examples unless it says otherwise; derandomized so
#: that CI replays exactly the same inputs (no example database either).
EXAMPLES = 60


def fuzz_settings(max_examples: int = EXAMPLES) -> settings:
    """Reproducible, deadline-free settings for one property."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=False,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
        ],
    )


def fixture(slug: str, name: str) -> Any:
    """A wire sample from ``tests/fixtures/<slug>/<name>.json``."""
    return json.loads((FIXTURES / slug / f"{name}.json").read_text(encoding="utf-8"))


def b64_md5(*parts: str) -> str:
    """``base64(md5(concatenation))`` over UTF-8, the signature of all four carriers."""
    data = "".join(parts).encode("utf-8", "surrogatepass")
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def compact(value: Any) -> str:
    """Compact JSON with non-ASCII kept, as every carrier sends it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- JSON values -------------------------------------------------------------------------------

DEEP = "\x00deep\x00"  # a placeholder replaced by deeply nested arrays once serialised

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "",
            " ",
            "true",
            "false",
            "1",
            "0",
            "SYS000",
            "null",
            "2024-05-01 09:12:00",
            "1700000000000",
            "²",
            "٣",
            "PENDING",
            "FAILED",
            "SUCCESS",
            "\u2028",
            "\ud800",
            DEEP,
        ]
    )
)

json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def dumps_with_depth(value: Any, depth: int) -> str:
    """Serialise ``value``; any :data:`DEEP` string becomes ``depth`` nested arrays."""
    text = json.dumps(value, separators=(",", ":"))  # ASCII escapes keep lone surrogates as JSON
    nested = "[" * depth + "1" + "]" * depth
    return text.replace(json.dumps(DEEP), nested)


# -- structure-aware mutation of real samples ---------------------------------------------------


def paths(value: Any, prefix: Tuple[Any, ...] = ()) -> List[Tuple[Any, ...]]:
    """Every path (keys and indexes) into a JSON value, the root excluded."""
    out: List[Tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((*prefix, key))
            out.extend(paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.append((*prefix, index))
            out.extend(paths(item, (*prefix, index)))
    return out


def _retyped(value: Any, choice: int) -> Any:
    options: List[Any] = [
        str(value)
        if not isinstance(value, str)
        else (int(value) if value.isascii() and value.isdigit() else 7),
        [value],
        {"value": value},
        None,
        12345678901234567890,
        -1.5,
        True,
        "",
    ]
    return options[choice % len(options)]


MUTATIONS = ("delete", "null", "retype", "deep", "replace", "text")

#: Text with lone surrogates (legal as JSON ``\\ud800`` escapes), controls and odd digits.
odd_text = (
    st.text(st.characters(exclude_categories=()), max_size=8)
    | st.sampled_from(["\ud800", "a\udfff", "\x00", "\u202e", "\ufeff", " ", "9" * 5000])
    | st.sampled_from(["²", "٣", "４", " 5 ", "1e999", "-0", "0x10", "1_000", "Infinity", "NaN", "½"])
)


def mutate(
    sample: Any, path: Tuple[Any, ...], how: str, choice: int, replacement: Any, text: str = ""
) -> Any:
    """A deep copy of ``sample`` with the node at ``path`` deleted / nulled / retyped / nested."""
    data = copy.deepcopy(sample)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if how == "delete":
        del parent[last]
    elif how == "null":
        parent[last] = None
    elif how == "retype":
        parent[last] = _retyped(parent[last], choice)
    elif how == "deep":
        parent[last] = DEEP
    elif how == "text":
        parent[last] = text
    else:
        parent[last] = replacement
    return data


def _node(value: Any, path: Tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


@st.composite
def retexted(draw: Callable[..., Any], sample: Any) -> Any:
    """``sample`` with some of its string leaves replaced by odd text (surrogates, controls …)."""
    data = copy.deepcopy(sample)
    leaves = [p for p in paths(data) if isinstance(_node(data, p), str)]
    for path in draw(st.lists(st.sampled_from(leaves), min_size=1, max_size=3)) if leaves else []:
        _node(data, path[:-1])[path[-1]] = draw(odd_text)
    return data


@st.composite
def mutated(draw: Callable[..., Any], sample: Any, rounds: int = 3) -> Any:
    """``sample`` after one to ``rounds`` random structural mutations."""
    data = copy.deepcopy(sample)
    for _ in range(draw(st.integers(min_value=1, max_value=rounds))):
        where = paths(data)
        if not where:
            break
        path = draw(st.sampled_from(where))
        how = draw(st.sampled_from(MUTATIONS))
        data = mutate(data, path, how, draw(st.integers(0, 7)), draw(json_values), draw(odd_text))
    return data


# -- HTTP bits ---------------------------------------------------------------------------------

statuses = st.sampled_from(
    [200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504]
) | st.integers(min_value=100, max_value=599)

header_values = st.text(max_size=30) | st.sampled_from(
    [
        "",
        "0",
        "5",
        "²",
        "٣",
        "-1",
        "1e9",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Mon, 01 Jan 0001 00:00:00 GMT",
        "99999999999999999999999",
        "application/json",
        "text/xml",
    ]
)

headers_strategy = st.dictionaries(
    st.sampled_from(
        [
            "Content-Type",
            "Retry-After",
            "retry-after",
            "X-Request-Id",
            "x-request-id",
            "digest",
            "apiAccount",
            "timestamp",
            "Content-Length",
        ]
    )
    | st.text(max_size=10),
    header_values,
    max_size=4,
)


# -- signed pushes (as each carrier posts them) ------------------------------------------------


def signed_push(
    slug: str, payload_text: str, *, secret: str, app_key: str, client_id: str = "", kind: str = "trace"
) -> Tuple[Dict[str, str], bytes]:
    """Headers and form body of a push whose JSON text is ``payload_text``, signed with ``secret``."""
    form_type = "application/x-www-form-urlencoded; charset=utf-8"
    if slug == "zto":
        fields = {
            "company_id": app_key,
            "msg_type": "Traces" if kind == "trace" else "InterceptResult",
            "data": payload_text,
            "data_digest": b64_md5(payload_text, secret),
        }
        return {"Content-Type": form_type}, urlencode(fields).encode("ascii")
    if slug == "yto":
        fields = {
            "logistics_interface": payload_text,
            "data_digest": b64_md5(payload_text, secret),
            "type": "TRACE" if kind == "trace" else "INTERCEPT",
            "clientId": client_id or app_key,
        }
        return {"Content-Type": form_type}, urlencode(fields).encode("ascii")
    if slug == "sto":
        api = "STO_TRACE_PLATFORM_PUSH" if kind == "trace" else "INTERCEPT_RESULT_PUSH"
        fields = {
            "content": payload_text,
            "data_digest": b64_md5(payload_text, secret),
            "api_name": api,
            "from_appkey": "sto_trace_platform",
            "from_code": "sto_trace_platform",
            "to_appkey": app_key,
            "to_code": app_key + "-code",
        }
        return {"Content-Type": form_type}, urlencode(fields).encode("ascii")
    if slug != "jt":
        raise KeyError(f"fuzzkit has no push signer for {slug!r}: write one from docs/carriers/{slug}.md")
    headers = {
        "Content-Type": form_type,
        "apiAccount": app_key,
        "digest": b64_md5(payload_text, secret),
        "timestamp": "1714701600000",
    }
    return headers, urlencode({"bizContent": payload_text}).encode("ascii")


#: The form field that carries the signed JSON, and the one carrying its digest (None: header).
SIGNED_FIELD: Mapping[str, Tuple[str, Optional[str]]] = {
    "zto": ("data", "data_digest"),
    "yto": ("logistics_interface", "data_digest"),
    "sto": ("content", "data_digest"),
    "jt": ("bizContent", None),
}
