"""Record and replay: forward carrier traffic to a real upstream and save its answers as a scenario file.

In proxy mode the mock's own carrier blueprints still parse, authenticate and journal every
request; instead of answering, the :class:`ProxyDecider` forwards it (same method, path, headers
and body) to the upstream with ``requests`` and hands the upstream's answer back as the decision.
The :class:`Recorder` keeps what it saw and writes it as ``response`` stubs matched on carrier,
operation and waybill, with secrets stripped. Loading that file with ``--scenarios`` replays it.

Accounts must exist in the proxying mock (``MOCKSERVER_ACCOUNTS`` or ``POST /__admin/accounts``)
because the blueprints verify signatures before the decider is asked; secrets are used for that
check only and never reach the recording.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Optional

import requests
from attrs import frozen

from mockserver.deciders import Decider, Decision, DecisionRequest, RawResponse
from mockserver.scenarios import Lifetime, Match, ResponseOutcome, Stub, dump_stubs

__all__ = ["ProxyDecider", "Recorded", "Recorder", "parse_upstreams", "proxy_decider"]

#: Request headers not forwarded (hop-by-hop, or recomputed by ``requests``).
_DROP_REQUEST = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
        "accept-encoding",
    }
)
#: Response headers forwarded to the client and saved (nothing else: no cookies, no digests).
_KEEP_RESPONSE = ("Content-Type", "Retry-After")
#: JSON keys removed from saved bodies, compared lower-case without ``_``/``-``.
_SECRET_KEYS = frozenset(
    {
        "sign",
        "signature",
        "digest",
        "datadigest",
        "xdatadigest",
        "secret",
        "appsecret",
        "token",
        "accesstoken",
    }
)


def parse_upstreams(values: Sequence[str]) -> dict[str, str]:
    """``["http://up"]`` or ``["zto=https://japi.zto.com", ...]`` as ``{slug or "*": base_url}``.

    A bare URL is used for every carrier with the request path kept whole (``/zto/...``: another
    mock server); ``slug=URL`` is used for that carrier with the ``/<slug>`` prefix removed.

    Raises:
        ValueError: naming the bad value.
    """
    found: dict[str, str] = {}
    for value in values:
        slug, _, url = value.partition("=") if "=" in value.split("://")[0] else ("", "", value)
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"--proxy {value!r}: expected URL or carrier=URL with http(s)://")
        found[slug or "*"] = url.rstrip("/")
    return found


@frozen(kw_only=True)
class Recorded:
    """One upstream answer as it will be saved (already stripped of secrets)."""

    carrier: str
    operation: str
    waybill: Optional[str]
    status: int
    headers: Mapping[str, str]
    body: Any


def _kept(headers: Mapping[str, str]) -> dict[str, str]:
    wanted = {name.lower(): name for name in _KEEP_RESPONSE}
    return {wanted[k.lower()]: v for k, v in headers.items() if k.lower() in wanted}


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _clean(v)
            for k, v in value.items()
            if k.lower().replace("_", "").replace("-", "") not in _SECRET_KEYS
        }
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _masked(value: Any, secrets: Sequence[str]) -> Any:
    text = json.dumps(value, ensure_ascii=False)
    for secret in secrets:
        if secret:
            text = text.replace(json.dumps(secret, ensure_ascii=False)[1:-1], "***")
    return json.loads(text)


class Recorder:
    """Everything a proxy forwarded, turned into a replayable scenario file on demand.

    Args:
        path: where :meth:`save` writes by default.
    """

    def __init__(self, path: Optional[str] = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: list[Recorded] = []

    def add(
        self,
        request: DecisionRequest,
        status: int,
        headers: Mapping[str, str],
        text: str,
        secrets: Sequence[str] = (),
    ) -> Recorded:
        """Keep one exchange; JSON bodies are kept as JSON, signature/digest keys and secrets removed."""
        try:
            body: Any = _clean(json.loads(text))
        except ValueError:
            body = text
        kept = _kept(headers)
        entry = Recorded(
            carrier=request.carrier,
            operation=request.operation.value,
            waybill=request.waybill,
            status=status,
            headers=_masked(kept, secrets),
            body=_masked(body, secrets),
        )
        with self._lock:
            self._seen.append(entry)
        return entry

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)

    def stubs(self) -> list[Stub]:
        """``response`` stubs in the order seen; repeated answers for one key play back in order."""
        with self._lock:
            seen = list(self._seen)
        runs: list[tuple[Recorded, int]] = []
        for entry in seen:
            if runs and _same(runs[-1][0], entry):
                runs[-1] = (entry, runs[-1][1] + 1)
            else:
                runs.append((entry, 1))
        last_of_key = {_key(entry): index for index, (entry, _) in enumerate(runs)}
        stubs = []
        for index, (entry, times) in enumerate(runs):
            final = last_of_key[_key(entry)] == index
            stubs.append(
                Stub(
                    id=f"rec-{index + 1}",
                    name=f"recorded {entry.carrier} {entry.operation} {entry.waybill or ''}".strip(),
                    match=Match(carrier=entry.carrier, operation=entry.operation, waybill=entry.waybill),
                    outcome=ResponseOutcome(
                        status=entry.status, headers=dict(entry.headers), body=entry.body
                    ),
                    lifetime=Lifetime.permanent() if final else Lifetime.times(times),
                )
            )
        return stubs

    def document(self) -> dict[str, Any]:
        """The recording as a scenario file document (``load_scenarios`` reads it back)."""
        document = dump_stubs(self.stubs())
        document["description"] = "recorded by python -m mockserver --proxy"
        return document

    def save(self, path: Optional[str] = None) -> str:
        """Write :meth:`document` as JSON to ``path`` (default: the recorder's), atomically.

        Raises:
            ValueError: if no path is known.
        """
        target = path or self.path
        if not target:
            raise ValueError("no recording file given (start the server with --record FILE)")
        folder = os.path.dirname(os.path.abspath(target))
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".recording-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(self.document(), out, ensure_ascii=False, indent=2)
            out.write("\n")
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a recording is meant to be shared
        os.replace(temporary, target)
        return target


def _key(entry: Recorded) -> tuple[str, str, Optional[str]]:
    return (entry.carrier, entry.operation, entry.waybill)


def _same(a: Recorded, b: Recorded) -> bool:
    return _key(a) == _key(b) and (a.status, dict(a.headers), a.body) == (b.status, dict(b.headers), b.body)


class ProxyDecider:
    """A :class:`~mockserver.deciders.Decider` that answers with the upstream's answer.

    Args:
        upstreams: ``{slug or "*": base_url}`` (see :func:`parse_upstreams`).
        recorder: keeps what was forwarded, if given.
        first: a decider asked first (e.g. the scenario engine); when it decides, nothing is
            forwarded or recorded.
        session: the ``requests`` session to forward with.
        timeout: seconds the upstream has to answer; then the client gets a 502.
    """

    def __init__(
        self,
        upstreams: Mapping[str, str],
        *,
        recorder: Optional[Recorder] = None,
        first: Optional[Decider] = None,
        session: Optional[requests.Session] = None,
        timeout: float = 30.0,
    ) -> None:
        self.upstreams = dict(upstreams)
        self.recorder = recorder
        self.first = first
        self.session = session or requests.Session()
        self.timeout = timeout

    def url_for(self, carrier: str, path: str) -> Optional[str]:
        """The upstream URL of a request to ``path`` (``/<carrier>/...``), or ``None``."""
        if carrier in self.upstreams:
            prefix = f"/{carrier}"
            return self.upstreams[carrier] + (path[len(prefix) :] if path.startswith(prefix) else path)
        if "*" in self.upstreams:
            return self.upstreams["*"] + path
        return None

    def decide(self, request: DecisionRequest) -> Optional[Decision]:
        """Forward the request and answer with whatever the upstream said."""
        if self.first is not None:
            decided = self.first.decide(request)
            if decided is not None:
                return decided
        url = self.url_for(request.carrier, request.path)
        if url is None:
            return None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST}
        try:
            answer = self.session.request(
                request.method,
                url,
                data=request.raw_body,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            body = json.dumps({"error": "upstream_unreachable", "message": f"{url}: {exc}"})
            return Decision(name="proxy", response=RawResponse(status=502, body=body))
        text = answer.content.decode(answer.encoding or "utf-8", errors="replace")
        kept = _kept(answer.headers)
        content_type = kept.pop("Content-Type", "application/octet-stream")
        if self.recorder is not None:
            secret = request.secret
            self.recorder.add(
                request, answer.status_code, answer.headers, text, secrets=(secret,) if secret else ()
            )
        return Decision(
            name="proxy",
            response=RawResponse(
                status=answer.status_code, body=text, headers=kept, content_type=content_type
            ),
        )


def proxy_decider(decider: Decider) -> Optional[ProxyDecider]:
    """``decider`` if it is a proxy (the app runs in proxy mode), else ``None``."""
    return decider if isinstance(decider, ProxyDecider) else None
