"""The HTTP seam: request/response values, the Transport protocol and the requests-based default.

``requests`` exceptions are translated into :mod:`kscarriers.errors` here and nowhere else.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Dict, Iterator, Mapping, Optional, Protocol, Tuple

import requests
from attrs import field, frozen
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import NewConnectionError

from .config import Timeouts
from .errors import ConnectError, TimeoutError, TransportError

__all__ = ["HttpRequest", "HttpResponse", "RequestsTransport", "Transport", "map_requests_errors"]


def _headers(value: Optional[Mapping[str, str]]) -> Mapping[str, str]:
    return dict(value or {})


@frozen(kw_only=True)
class HttpRequest:
    """An HTTP request exactly as it goes on the wire (``body`` is the signed bytes)."""

    method: str
    url: str
    headers: Mapping[str, str] = field(factory=dict, converter=_headers)
    body: bytes = b""


@frozen(kw_only=True)
class HttpResponse:
    """An HTTP answer; header look-up is case-insensitive through :meth:`header`."""

    status: int
    headers: Mapping[str, str] = field(factory=dict, converter=_headers)
    body: bytes = b""

    def header(self, name: str, default: str = "") -> str:
        """A header's value, looked up without regard to case."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return default

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")


class Transport(Protocol):
    """Anything that can send one request and return the answer."""

    def send(self, request: HttpRequest, *, timeouts: Timeouts) -> HttpResponse:
        """Send ``request``; raise a :class:`TransportError` when no answer comes."""
        ...


def _never_connected(exc: BaseException) -> bool:
    """Whether a requests ConnectionError happened before any byte was sent."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError) or isinstance(
        exc.args[0] if exc.args else None, NewConnectionError
    )


def _translated(exc: requests.exceptions.RequestException, url: str) -> TransportError:
    """The kscarriers transport error for a ``requests`` exception (see :func:`map_requests_errors`)."""
    if isinstance(exc, requests.exceptions.SSLError):
        return ConnectError(f"TLS error talking to {url}", retryable=False, url=url)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TimeoutError(f"connect timeout to {url}", url=url, maybe_sent=False)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return TimeoutError(f"read timeout from {url}", url=url)
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        return ConnectError(f"connection to {url} failed", url=url, maybe_sent=not _never_connected(exc))
    if isinstance(
        exc,
        (
            requests.exceptions.InvalidURL,
            requests.exceptions.InvalidSchema,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidHeader,
        ),
    ):
        return TransportError(f"invalid request to {url}: {exc}", retryable=False, url=url)
    return TransportError(f"request to {url} failed: {type(exc).__name__}", url=url)


@contextlib.contextmanager
def map_requests_errors(url: str) -> Iterator[None]:
    """Translate ``requests`` exceptions into kscarriers transport errors.

    Timeouts and connection errors are retryable. SSL errors and invalid requests are not: a
    retry cannot fix a bad certificate or a malformed URL.
    """
    try:
        yield
    except requests.exceptions.RequestException as exc:
        raise _translated(exc, url) from exc


def _plain_headers(headers: Mapping[str, str]) -> Dict[str, str]:
    """An answer's headers as a plain dict, names spelled as the server sent them.

    ``dict()`` of requests' ``CaseInsensitiveDict`` looks every name up again through Python
    methods (a few microseconds an answer); its store already holds the ``(name, value)`` pairs.
    """
    if type(headers) is CaseInsensitiveDict:
        store = getattr(headers, "_store", None)
        if isinstance(store, dict):
            return dict(store.values())
    return dict(headers)


#: Connections kept open per host when nothing else is asked for (requests' own default).
DEFAULT_POOL_SIZE = 10


class _OncePerHostSession(requests.Session):
    """A session that reads the environment's proxy and CA-bundle settings once per host.

    ``requests`` reads them on every request (``Session.merge_environment_settings`` walks the
    whole environment twice to find ``*_proxy`` variables), which cost as much as the rest of
    the SDK's work on a track. This session keeps what that method answered for each scheme and
    host (``http://127.0.0.1:8080``), as httpx reads the same variables once per client: set
    ``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE`` and the like before the first request
    to a host, or give :class:`RequestsTransport` a session of your own, which is left as it is.
    Requests that pass their own ``proxies``, ``verify``, ``cert`` or ``stream`` are merged
    afresh each time (the transport passes none).
    """

    def __init__(self) -> None:
        super().__init__()
        self._settled: Dict[str, Dict[str, Any]] = {}

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:  # requests' stubs name a private TypedDict
        if proxies or stream is not None or verify not in (None, True) or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        origin = "/".join(str(url).split("/", 3)[:3])  # "http://host:port"
        settled = self._settled.get(origin)
        if settled is None:
            settled = dict(super().merge_environment_settings(url, proxies, stream, verify, cert))
            self._settled[origin] = settled
        return {**settled, "proxies": dict(settled["proxies"])}


class RequestsTransport:
    """The default transport: one pooled :class:`requests.Session` per client.

    Args:
        session: a session of your own (its connection pools are left as you configured them).
        pool_size: connections kept open per host by the session this transport creates; at
            least as many as requests run in parallel, or urllib3 discards the extras ("pool is
            full") and opens new ones.
    """

    def __init__(
        self, session: Optional[requests.Session] = None, *, pool_size: int = DEFAULT_POOL_SIZE
    ) -> None:
        self._owns_session = session is None
        self._lock = threading.Lock()
        self._pool_size = 0
        self._session: requests.Session = session if session is not None else _OncePerHostSession()
        if session is None:
            self.grow_pool(pool_size)

    @property
    def pool_size(self) -> Optional[int]:
        """Connections kept per host, or None for a session given by the caller."""
        return self._pool_size if self._owns_session else None

    def grow_pool(self, size: int) -> None:
        """Keep at least ``size`` connections per host (only on a session this transport made).

        Requests already in flight finish on the connections they hold.
        """
        if not self._owns_session:
            return
        with self._lock:
            if size <= self._pool_size:
                return
            for prefix in ("https://", "http://"):
                self._session.mount(prefix, HTTPAdapter(pool_connections=size, pool_maxsize=size))
            self._pool_size = size

    def send(self, request: HttpRequest, *, timeouts: Timeouts) -> HttpResponse:
        """Send ``request`` through the session; see :class:`Transport`."""
        timeout: Tuple[float, float] = (timeouts.connect, timeouts.read)
        try:  # map_requests_errors, without a context manager's generator per request
            # requests merges the headers into a dict of its own; it never changes the one given.
            resp = self._session.request(
                request.method,
                request.url,
                headers=request.headers,
                data=request.body,
                timeout=timeout,
                allow_redirects=False,
            )
            body = resp.content
        except requests.exceptions.RequestException as exc:
            raise _translated(exc, request.url) from exc
        return HttpResponse(status=resp.status_code, headers=_plain_headers(resp.headers), body=body)

    def close(self) -> None:
        """Close the session if this transport created it."""
        if self._owns_session:
            self._session.close()
