"""Properties of push verification and parsing, per carrier.

- A correctly signed push whose JSON content was mutated (fields deleted, nulled, retyped, nested
  deep) and signed again gives well-formed events or a typed KsCarriersError.
- Any single-byte change to a signed push body is rejected with SignatureError, unless the
  change leaves the signed field and its digest exactly as they decode (then the change was in a
  field outside the signed payload, such as ZTO ``msg_type`` or STO ``api_name``, or an
  equivalent URL encoding such as ``%2b`` for ``%2B``): such a push may parse or fail, typed.
- Arbitrary bytes and headers never verify, and fail typed.
- ``Client.parse_push`` takes headers of any type (mappings, lists of pairs, objects with
  ``items()``, ints, bytes values …) and J&T timestamps of any text: events or a KsCarriersError;
  ``Client.handle_push`` never raises and never answers 500.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl

from fuzzkit import (
    CARRIERS,
    SIGNED_FIELD,
    dumps_with_depth,
    fixture,
    fuzz_settings,
    headers_strategy,
    json_values,
    mutated,
    retexted,
    signed_push,
)
from hypothesis import given
from hypothesis import strategies as st

from kscarriers import (
    CarrierConfig,
    Client,
    ClientConfig,
    Credentials,
    InterceptResult,
    KsCarriersError,
    PushEvent,
    PushKind,
    PushReply,
    SignatureError,
    TrackingEvent,
    default_registry,
)

SECRET = "push-secret-秘钥"
APP_KEYS = {slug: f"{slug}-push-key" for slug in CARRIERS}
CLIENT_ID = "yto-client"


def _adapter(slug: str) -> Any:
    creds = Credentials(app_key=APP_KEYS[slug], app_secret=SECRET, extra={"client_id": CLIENT_ID})
    return default_registry.get(slug)(CarrierConfig(credentials=creds, base_url="https://carrier.test"))


ADAPTERS = {slug: _adapter(slug) for slug in CARRIERS}


def _form_field(slug: str, name: str, field: str) -> Any:
    form = dict(parse_qsl(fixture(slug, name)["body"], keep_blank_values=True))
    return json.loads(form[field])


#: (carrier, kind, payload) of real pushes: the JSON each carrier signs.
SAMPLES: List[Tuple[str, str, Any]] = [
    ("zto", "trace", fixture("zto", "sdk_push_trace")["data"]),
    (
        "zto",
        "intercept",
        {
            "billCode": "73100130019486",
            "serviceCode": "req-1",
            "status": "3",
            "statusName": "拦截失败",
            "failCode": "E23101",
            "failReason": "快件已签收",
            "updateTime": "2024-05-03 10:00:00",
        },
    ),
    ("yto", "trace", _form_field("yto", "sdk_push_trace", "logistics_interface")),
    ("yto", "intercept", _form_field("yto", "sdk_push_intercept", "logistics_interface")),
    ("sto", "trace", _form_field("sto", "sdk_push_trace", "content")),
    ("sto", "intercept", _form_field("sto", "sdk_push_intercept_result", "content")),
    ("jt", "trace", _form_field("jt", "sdk_push_trace", "bizContent")),
    ("jt", "intercept", _form_field("jt", "sdk_push_intercept", "bizContent")),
]


def push(slug: str, kind: str, text: str) -> Tuple[Dict[str, str], bytes]:
    return signed_push(slug, text, secret=SECRET, app_key=APP_KEYS[slug], client_id=CLIENT_ID, kind=kind)


def check_events(slug: str, events: Any) -> None:
    assert isinstance(events, tuple)
    for event in events:
        assert isinstance(event, PushEvent) and event.carrier == slug
        assert isinstance(event.kind, PushKind) and isinstance(event.dedupe_key, str)
        assert isinstance(event.waybill, str)
        if event.kind is PushKind.TRACKING:
            assert isinstance(event.tracking, TrackingEvent)
            assert event.tracking.time.utcoffset() is not None
        else:
            assert isinstance(event.intercept, InterceptResult)


def parse_or_typed_error(slug: str, headers: Dict[str, str], body: bytes) -> Optional[KsCarriersError]:
    try:
        events = ADAPTERS[slug].parse_push(headers, body)
    except KsCarriersError as exc:
        str(exc), repr(exc)
        return exc
    check_events(slug, events)
    return None


def test_samples_verify_and_parse() -> None:
    """The unmutated samples, signed by fuzzkit, verify: the properties start from valid pushes."""
    for slug, kind, payload in SAMPLES:
        headers, body = push(slug, kind, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
        assert ADAPTERS[slug].parse_push(headers, body), (slug, kind)


@st.composite
def resigned(draw: Callable[..., Any]) -> Tuple[str, Dict[str, str], bytes]:
    slug, kind, payload = draw(st.sampled_from(SAMPLES))
    text = dumps_with_depth(draw(mutated(payload)), draw(st.sampled_from([3, 5000, 100_000])))
    headers, body = push(slug, kind, text)
    return slug, headers, body


@fuzz_settings(max_examples=250)
@given(case=resigned())
def test_mutated_and_resigned_push_gives_events_or_typed_error(
    case: Tuple[str, Dict[str, str], bytes],
) -> None:
    exc = parse_or_typed_error(*case)
    assert not isinstance(exc, SignatureError) or exc.reason == "malformed", repr(exc)


@fuzz_settings(max_examples=150)
@given(
    slug=st.sampled_from(CARRIERS),
    kind=st.sampled_from(["trace", "intercept"]),
    value=json_values,
    depth=st.sampled_from([3, 100_000]),
)
def test_random_json_signed_gives_events_or_typed_error(slug: str, kind: str, value: Any, depth: int) -> None:
    headers, body = push(slug, kind, dumps_with_depth(value, depth))
    exc = parse_or_typed_error(slug, headers, body)
    assert not isinstance(exc, SignatureError) or exc.reason == "malformed", repr(exc)


@fuzz_settings(max_examples=120)
@given(sample=st.sampled_from(SAMPLES), data=st.data())
def test_odd_text_in_fields_gives_events_or_typed_error(
    sample: Tuple[str, str, Any], data: st.DataObject
) -> None:
    slug, kind, payload = sample
    headers, body = push(slug, kind, json.dumps(data.draw(retexted(payload))))
    parse_or_typed_error(slug, headers, body)


def _decoded(body: bytes) -> Optional[Dict[str, str]]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return dict(parse_qsl(text, keep_blank_values=True))


@st.composite
def one_byte_changed(draw: Callable[..., Any]) -> Tuple[str, Dict[str, str], bytes, bytes]:
    slug, kind, payload = draw(st.sampled_from(SAMPLES))
    headers, body = push(slug, kind, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
    index = draw(st.integers(0, len(body) - 1))
    new = draw(st.integers(0, 255).filter(lambda b: b != body[index]))
    return slug, headers, body, body[:index] + bytes([new]) + body[index + 1 :]


@fuzz_settings(max_examples=400)
@given(case=one_byte_changed())
def test_single_byte_change_is_rejected_unless_outside_signed_payload(
    case: Tuple[str, Dict[str, str], bytes, bytes],
) -> None:
    slug, headers, original, changed = case
    signed, digest = SIGNED_FIELD[slug]
    before, after = _decoded(original), _decoded(changed)
    assert before is not None
    same_payload = (
        after is not None
        and after.get(signed) == before[signed]
        and (digest is None or after.get(digest) == before[digest])
    )
    exc = parse_or_typed_error(slug, headers, changed)
    if not same_payload:
        assert isinstance(exc, SignatureError), f"accepted a tampered push: {changed!r} -> {exc!r}"


@fuzz_settings(max_examples=100)
@given(
    index=st.integers(0, 23),
    char=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= ="),
    kind=st.sampled_from(["trace", "intercept"]),
)
def test_jt_digest_header_change_is_rejected(index: int, char: str, kind: str) -> None:
    payload = next(p for s, k, p in SAMPLES if s == "jt" and k == kind)
    headers, body = push("jt", kind, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
    digest = headers["digest"]
    changed = digest[:index] + char + digest[index + 1 :]
    if changed == digest:
        return
    exc = parse_or_typed_error("jt", {**headers, "digest": changed}, body)
    assert isinstance(exc, SignatureError), f"accepted digest {changed!r} for {digest!r}"


@fuzz_settings(max_examples=150)
@given(slug=st.sampled_from(CARRIERS), headers=headers_strategy, body=st.binary(max_size=300))
def test_arbitrary_push_bytes_fail_typed(slug: str, headers: Dict[str, str], body: bytes) -> None:
    assert isinstance(parse_or_typed_error(slug, headers, body), KsCarriersError)


# -- Client.parse_push / handle_push: headers of any type, J&T timestamps of any text --------------


def _client(*, tolerance: Optional[float] = None) -> Client:
    carriers = {
        slug: CarrierConfig(
            credentials=Credentials(
                app_key=APP_KEYS[slug], app_secret=SECRET, extra={"client_id": CLIENT_ID}
            ),
            base_url="https://carrier.test",
            push_tolerance=tolerance,
        )
        for slug in CARRIERS
    }
    return Client(ClientConfig(carriers=carriers))


CLIENT = _client()
STRICT_JT = _client(tolerance=300.0)


class ItemsOnly:
    """A framework-like header object: no Mapping, only ``items()`` (which may give anything)."""

    def __init__(self, items: Any) -> None:
        self._items = items

    def items(self) -> Any:
        return self._items


header_names = st.one_of(
    st.sampled_from(["digest", "DIGEST", "apiAccount", "timestamp", "Content-Type", "X-Forwarded-For"]),
    st.text(max_size=12),
    st.binary(max_size=12),
    st.integers(),
    st.none(),
)
header_values = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40),
    st.integers(),
    st.floats(allow_nan=False),
    st.none(),
    st.lists(st.text(max_size=4), max_size=2),
)
pairs = st.lists(st.tuples(header_names, header_values), max_size=6)
odd_items = st.one_of(st.integers(), st.none(), st.text(max_size=5), st.lists(st.integers(), max_size=3))


def containers(signed: List[Tuple[str, str]]) -> st.SearchStrategy[Any]:
    """The signed push's own headers plus fuzzed ones, in every shape a caller might hand over."""
    mixed = pairs.map(lambda extra: [*signed, *extra])
    return st.one_of(
        mixed,
        mixed.map(tuple),
        mixed.map(
            lambda items: {name: value for name, value in items if isinstance(name, (str, bytes, int))}
        ),
        mixed.map(ItemsOnly),
        odd_items.map(ItemsOnly),
        odd_items,
        st.binary(max_size=10),
        st.lists(odd_items, max_size=3),
    )


@st.composite
def pushes_with_any_headers(draw: Callable[..., Any]) -> Tuple[str, Any, bytes]:
    slug, kind, payload = draw(st.sampled_from(SAMPLES))
    headers, body = push(slug, kind, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
    return slug, draw(containers(list(headers.items()))), body


def parse_via_client(client: Client, slug: str, headers: Any, body: Any) -> Optional[KsCarriersError]:
    try:
        message = client.parse_push(slug, headers, body)
    except KsCarriersError as exc:
        str(exc), repr(exc)
        return exc
    check_events(slug, message.events)
    return None


def assert_answered(client: Client, slug: Any, headers: Any, body: Any) -> None:
    """handle_push raises nothing and answers the ack, a 400/404 refusal or the nack; never 500."""
    seen: List[PushEvent] = []
    reply = client.handle_push(slug, headers, body, on_event=seen.append)
    assert isinstance(reply, PushReply) and isinstance(reply.body, bytes) and reply.status != 500
    if reply.acknowledged:
        assert reply.status == 200 and reply.message is not None and seen == list(reply.message.events)
    else:
        assert reply.status in (400, 404) and isinstance(reply.error, KsCarriersError) and not seen


@fuzz_settings(max_examples=300)
@given(case=pushes_with_any_headers())
def test_headers_of_any_type_give_events_or_a_typed_error(case: Tuple[str, Any, bytes]) -> None:
    slug, headers, body = case
    parse_via_client(CLIENT, slug, headers, body)
    assert_answered(CLIENT, slug, headers, body)


@fuzz_settings(max_examples=150)
@given(
    slug=st.one_of(st.sampled_from(CARRIERS), st.text(max_size=8), st.integers(), st.none()),
    headers=st.one_of(headers_strategy, pairs, odd_items),
    body=st.one_of(st.binary(max_size=200), st.text(max_size=20), st.none(), st.integers()),
)
def test_handle_push_never_raises_on_any_input(slug: Any, headers: Any, body: Any) -> None:
    assert_answered(CLIENT, slug, headers, body)


@fuzz_settings(max_examples=300)
@given(
    stamp=st.one_of(st.text(max_size=30), st.text(alphabet="0123456789²³¹١٢٣０１２", min_size=1, max_size=30))
)
def test_jt_timestamps_of_any_text_give_events_or_a_signature_error(stamp: str) -> None:
    payload = next(p for s, k, p in SAMPLES if s == "jt" and k == "trace")
    headers, body = push("jt", "trace", json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
    for sent in ({**headers, "timestamp": stamp}, [*headers.items(), ("timestamp", stamp.encode("utf-8"))]):
        exc = parse_via_client(STRICT_JT, "jt", sent, body)
        assert exc is None or isinstance(exc, SignatureError), repr(exc)
        assert_answered(STRICT_JT, "jt", sent, body)


def test_many_digit_jt_timestamp_is_a_signature_error_not_a_value_error() -> None:
    payload = next(p for s, k, p in SAMPLES if s == "jt" and k == "trace")
    headers, body = push("jt", "trace", json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
    exc = parse_via_client(STRICT_JT, "jt", {**headers, "timestamp": "9" * 5000}, body)
    assert isinstance(exc, SignatureError) and exc.reason == "bad_encoding"
