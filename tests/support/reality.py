"""The reality corpus: samples of public carrier material, and how to feed them to the SDK.

Every ``tests/reality/<slug>/*.json`` file is one sample (format: ``tests/reality/README.md``).
This module loads them, checks their format, and turns their payloads into what the SDK takes
(an :class:`HttpResponse`, push headers and body, the fields of a built request).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qsl, urlencode

from kscarriers import CarrierConfig, ClientConfig, Credentials, RetryPolicy
from kscarriers.transport import HttpRequest, HttpResponse

CORPUS = Path(__file__).resolve().parents[1] / "reality"
CARRIERS = ("zto", "yto", "sto", "jt")
KINDS = ("request", "answer", "push", "status", "waybill")
OPERATIONS = (
    "track",
    "subscribe",
    "intercept",
    "change_address",
    "cancel_intercept",
    "intercept_status",
    "sign",
)
EXPECT_KEYS = ("parse", "intercept", "raises", "push", "request_matches", "status", "waybill")
FORM = "application/x-www-form-urlencoded"

#: Accounts used when a sample publishes no credentials of its own (test values).
DEFAULT_ACCOUNTS: Mapping[str, Tuple[str, str, Mapping[str, str]]] = {
    "zto": ("reality-zto-key", "reality-zto-secret", {}),
    "yto": ("K100", "reality-yto-secret", {"client_id": "TESTCLIENT"}),
    "sto": ("CAKbLxkpRHpTpBq", "reality-sto-secret", {"from_code": "CAKbLxkpRHpTpBq"}),
    "jt": ("178337126125932605", "reality-jt-secret", {}),
}

#: The waybill an answer or request is read for when the sample names none and its body shows
#: none (numbers from the public material: carriers.md §2.8, §3.6, §4.1, §5.7).
DEFAULT_WAYBILLS: Mapping[str, str] = {
    "zto": "73100196611386",
    "yto": "YT2819007867584",
    "sto": "773061155005903",
    "jt": "JT2099306666983",
}

_TYPES: Mapping[str, Tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "number": (int, float),
    "list": (list,),
    "object": (dict,),
    "id": (str, int),
}
#: Type markers a ``request_matches.fields`` value may be instead of a literal: ``"<str>"`` …
#: (and the bare ``"str"`` … some samples use).
TYPE_MARKERS: Mapping[str, Tuple[type, ...]] = {
    **{f"<{name}>": types for name, types in _TYPES.items()},
    **_TYPES,
}


@dataclass(frozen=True)
class Sample:
    """One corpus file."""

    path: Path
    data: Mapping[str, Any]

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.stem}"

    @property
    def carrier(self) -> str:
        return str(self.data.get("carrier", ""))

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", ""))

    @property
    def expect(self) -> Mapping[str, Any]:
        value = self.data.get("expect")
        return value if isinstance(value, Mapping) else {}

    @property
    def is_table(self) -> bool:
        """A whole public table (``tables``: waybill validators …) read by its own test."""
        return "tables" in self.data and "kind" not in self.data

    @property
    def checked_by(self) -> Optional[str]:
        """The test that checks this sample instead of the corpus (a mock-side shape, e.g. the
        official SDK's form mode, which the kscarriers SDK never sends)."""
        value = self.data.get("checked_by")
        return str(value) if value else None

    @property
    def pending_fix(self) -> Optional[str]:
        value = self.data.get("pending_fix")
        return str(value) if value else None


def sample_paths() -> List[Path]:
    """Every sample file, sorted (the README is not one)."""
    return sorted(p for p in CORPUS.glob("*/*.json") if p.is_file())


def load(path: Path) -> Sample:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return Sample(path=path, data=data if isinstance(data, dict) else {"_not_an_object": data})


def load_samples(kind: Optional[str] = None) -> List[Sample]:
    samples = [load(p) for p in sample_paths()]
    return [s for s in samples if not s.is_table and not s.checked_by and (kind is None or s.kind == kind)]


def format_errors(sample: Sample) -> List[str]:
    """What is wrong with a sample's format (empty when it follows the README)."""
    data = sample.data
    errors: List[str] = []
    source = data.get("source")
    if isinstance(source, Mapping):
        if not str(source.get("ref") or "").strip():
            errors.append("source.ref is empty")
        if not str(source.get("quote") or "").strip():
            errors.append("source.quote is empty")
    elif not (isinstance(source, str) and source.strip()):
        errors.append("no source")
    if sample.is_table:
        tables = data.get("tables")
        if not (isinstance(tables, list) and tables):
            errors.append("tables should be a non-empty list")
        if sample.carrier != sample.path.parent.name:
            errors.append(f"carrier {sample.carrier!r} is filed under {sample.path.parent.name}/")
        return errors
    if sample.kind not in KINDS:
        errors.append(f"kind {sample.kind!r} is not one of {', '.join(KINDS)}")
    if sample.checked_by:
        test = CORPUS.parent / sample.checked_by
        if not test.is_file():
            errors.append(f"checked_by names {sample.checked_by!r}, which is no test file under tests/")
        elif sample.path.name not in test.read_text("utf-8"):
            errors.append(f"{sample.checked_by} never reads {sample.path.name}")
        return errors
    if sample.carrier not in CARRIERS:
        errors.append(f"carrier {sample.carrier!r} is not one of {', '.join(CARRIERS)}")
    elif sample.carrier != sample.path.parent.name:
        errors.append(f"carrier {sample.carrier!r} is filed under {sample.path.parent.name}/")
    if sample.kind in ("request", "answer"):
        if data.get("operation") not in OPERATIONS:
            errors.append(f"operation {data.get('operation')!r} is not one of {', '.join(OPERATIONS)}")
    if sample.kind in ("request", "answer", "push") and "body" not in data:
        errors.append("no body")
    if not sample.expect:
        errors.append("no expect")
    elif not any(key in sample.expect for key in EXPECT_KEYS):
        errors.append(f"expect has none of {', '.join(EXPECT_KEYS)}")
    pending = sample.pending_fix
    if pending is not None and not (pending == "new" or pending.startswith("issue10-")):
        errors.append(f"pending_fix {pending!r} should be 'new' or 'issue10-<item>'")
    return errors


# -- payloads ---------------------------------------------------------------------------------


def body_bytes(sample: Sample) -> bytes:
    """The sample's body as the bytes on the wire.

    A string is sent as it is; an object is form-encoded (in its key order) when the content
    type is a form, else JSON without ASCII escapes; any other JSON value is JSON.
    """
    body = sample.data.get("body")
    if isinstance(body, str):
        return body.encode("utf-8")
    content_type = str(sample.data.get("content_type") or "")
    if isinstance(body, Mapping) and content_type.startswith(FORM):
        return urlencode([(str(k), str(v)) for k, v in body.items()]).encode("ascii")
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def headers_of(sample: Sample) -> Dict[str, str]:
    headers = {str(k): str(v) for k, v in (sample.data.get("headers") or {}).items()}
    content_type = sample.data.get("content_type")
    if content_type and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = str(content_type)
    return headers


#: The form field that carries each carrier's push payload, and the one carrying its digest.
PUSH_FIELDS: Mapping[str, Tuple[str, str]] = {
    "zto": ("data", "data_digest"),
    "yto": ("logistics_interface", "data_digest"),
    "sto": ("content", "data_digest"),
    "jt": ("bizContent", "digest"),
}


def is_bare_push_payload(sample: Sample) -> bool:
    """A push sample whose ``body`` is the payload alone (the source publishes no signed push)."""
    body = sample.data.get("body")
    return isinstance(body, (Mapping, list)) and (
        not isinstance(body, Mapping) or PUSH_FIELDS[sample.carrier][0] not in body
    )


def push_of(sample: Sample, app_key: str, secret: str) -> Tuple[Dict[str, str], bytes]:
    """The headers and body of a push sample as the carrier sends them.

    A published push is sent as it is. A bare payload (the source shows the business JSON but
    no signed push) is put in the carrier's push form and signed with ``secret`` for the
    account ``app_key``, as the carrier would (J&T: headers ``apiAccount``/``digest``).
    """
    headers = headers_of(sample)
    if not is_bare_push_payload(sample):
        return headers, body_bytes(sample)
    from kscarriers.signing import b64_md5

    slug = sample.carrier
    text = json.dumps(sample.data["body"], ensure_ascii=False, separators=(",", ":"))
    field, digest_field = PUSH_FIELDS[slug]
    digest = b64_md5(text, secret)
    if slug == "jt":
        headers = {k: v for k, v in headers.items() if k.lower() not in ("apiaccount", "digest")}
        headers.update({"apiAccount": app_key, "digest": digest})
        headers.setdefault("timestamp", "1622520000000")
        form: Dict[str, str] = {field: text}
    elif slug == "zto":
        form = {digest_field: digest, "company_id": app_key, field: text, "msg_type": "Traces"}
    elif slug == "sto":
        form = {
            field: text,
            digest_field: digest,
            "api_name": "STO_TRACE_PLATFORM_PUSH",
            "to_appkey": app_key,
        }
    else:
        form = {field: text, digest_field: digest, "clientId": app_key}
    headers["Content-Type"] = FORM
    return headers, urlencode(list(form.items())).encode("ascii")


def response_of(sample: Sample) -> HttpResponse:
    """An answer sample as the HTTP response the SDK reads."""
    status = int(sample.data.get("http_status", 200))
    headers = headers_of(sample)
    headers.setdefault("Content-Type", "application/json")
    return HttpResponse(status=status, headers=headers, body=body_bytes(sample))


def waybill_of(sample: Sample) -> str:
    """The sample's ``waybill``; else the first number of its carrier in the body; else a default."""
    named = sample.data.get("waybill")
    if named:
        return str(named)
    from kscarriers.registry import default_registry

    text = body_bytes(sample).decode("utf-8", "replace") if "body" in sample.data else ""
    for pattern in default_registry.get(sample.carrier).waybill_patterns:
        match = re.search(rf"(?<![0-9A-Za-z]){pattern.pattern}(?![0-9])", text)
        if match:
            return match.group(0)
    return DEFAULT_WAYBILLS[sample.carrier]


def config_for(sample: Sample) -> ClientConfig:
    """A one-carrier client configuration with the sample's published account, if any."""
    slug = sample.carrier
    key, secret, extra = DEFAULT_ACCOUNTS[slug]
    key = str(sample.data.get("app_key") or key)
    secret = str(sample.data.get("secret") or secret)
    extra = {**extra, **{str(k): str(v) for k, v in (sample.data.get("extra") or {}).items()}}
    return ClientConfig(
        carriers={
            slug: CarrierConfig(
                credentials=Credentials(app_key=key, app_secret=secret, extra=extra),
                base_url=f"https://{slug}.reality.test",
            )
        },
        retry=RetryPolicy(max_attempts=1),
    )


#: Where each carrier puts the business payload of a request.
_PAYLOAD_FIELD = {"yto": "param", "sto": "content", "jt": "bizContent"}


def outer_fields(request: HttpRequest) -> Dict[str, str]:
    """The form fields of a form request (empty for a JSON one)."""
    content_type = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
    if not content_type.startswith(FORM):
        return {}
    return dict(parse_qsl(request.body.decode("ascii"), keep_blank_values=True))


def payload_of(slug: str, request: HttpRequest) -> Any:
    """The business payload of a built request, decoded from its JSON text."""
    if slug == "zto":
        return json.loads(request.body.decode("utf-8"))
    return json.loads(outer_fields(request)[_PAYLOAD_FIELD[slug]])


def request_view(slug: str, request: HttpRequest) -> Dict[str, Any]:
    """What ``request_matches.fields`` is matched against: the payload's fields, and beside
    them the outer form fields with the payload field decoded (``content`` → an object)."""
    payload = payload_of(slug, request)
    view: Dict[str, Any] = {}
    if slug in _PAYLOAD_FIELD:
        view.update(outer_fields(request))
        view[_PAYLOAD_FIELD[slug]] = payload
    if isinstance(payload, Mapping):
        view.update(payload)
    return view


def mismatches(expected: Any, actual: Any, where: str = "") -> List[str]:
    """How ``actual`` differs from ``expected``: objects match by subset, lists element-wise,
    type markers (``"<str>"`` …) by type, anything else by equality."""
    if isinstance(expected, str) and expected in TYPE_MARKERS:
        types = TYPE_MARKERS[expected]
        if isinstance(actual, bool) or not isinstance(actual, types):
            return [f"{where or '.'}: expected {expected}, got {actual!r}"]
        return []
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{where or '.'}: expected an object, got {actual!r}"]
        found: List[str] = []
        for key, value in expected.items():
            if key not in actual:
                found.append(f"{where}.{key}: missing (sent: {sorted(actual)})")
            else:
                found.extend(mismatches(value, actual[key], f"{where}.{key}"))
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) < len(expected):
            return [f"{where or '.'}: expected a list of {len(expected)}, got {actual!r}"]
        found = []
        for i, value in enumerate(expected):
            found.extend(mismatches(value, actual[i], f"{where}[{i}]"))
        return found
    if expected != actual:
        return [f"{where or '.'}: expected {expected!r}, got {actual!r}"]
    return []
