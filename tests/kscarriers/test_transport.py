"""RequestsTransport: the one place requests exceptions are translated (tested with responses)."""

from __future__ import annotations

import http.server
import os
import threading

import pytest
import requests
import responses
from urllib3.exceptions import NewConnectionError

from kscarriers import ConnectError, HttpRequest, RequestsTransport, TimeoutError, Timeouts, TransportError
from kscarriers.transport import map_requests_errors

URL = "https://carrier.test/api"


def send(**kwargs):
    return RequestsTransport().send(
        HttpRequest(method="POST", url=URL, headers={"X-A": "1"}, body=b"{}"), timeouts=Timeouts()
    )


@responses.activate
def test_answer_is_returned_with_status_headers_and_body():
    responses.post(URL, body=b'{"ok":1}', status=201, headers={"X-Request-Id": "r1"})
    resp = send()
    assert (resp.status, resp.body, resp.header("x-request-id")) == (201, b'{"ok":1}', "r1")
    sent = responses.calls[0].request
    assert sent.body == b"{}" and sent.headers["X-A"] == "1"


@responses.activate
def test_answer_headers_keep_the_names_as_the_server_spelled_them():
    responses.post(URL, body=b"{}", headers={"X-Request-Id": "r1", "x-lower": "2", "X-UPPER": "3"})
    resp = send()
    assert type(resp.headers) is dict
    assert {k: v for k, v in resp.headers.items() if k.lower().startswith("x-")} == {
        "X-Request-Id": "r1",
        "x-lower": "2",
        "X-UPPER": "3",
    }


def test_answer_headers_of_any_mapping_become_a_plain_dict():
    from requests.structures import CaseInsensitiveDict

    from kscarriers.transport import _plain_headers

    spelled = CaseInsensitiveDict({"Content-Type": "a", "x-id": "b"})
    assert _plain_headers(spelled) == dict(spelled) == {"Content-Type": "a", "x-id": "b"}
    assert _plain_headers({"A": "1"}) == {"A": "1"}


@pytest.mark.parametrize(
    ("exc", "cls", "retryable", "maybe_sent"),
    [
        (requests.exceptions.ConnectTimeout(), TimeoutError, True, False),
        (requests.exceptions.ReadTimeout(), TimeoutError, True, True),
        (requests.exceptions.ConnectionError("reset"), ConnectError, True, True),
        (requests.exceptions.ConnectionError(NewConnectionError(None, "refused")), ConnectError, True, False),
        (requests.exceptions.SSLError(), ConnectError, False, True),
        (requests.exceptions.InvalidURL(), TransportError, False, True),
        (requests.exceptions.ChunkedEncodingError(), ConnectError, True, True),
    ],
)
@responses.activate
def test_requests_exceptions_become_kscarriers_errors(exc, cls, retryable, maybe_sent):
    responses.post(URL, body=exc)
    with pytest.raises(cls) as info:
        send()
    assert type(info.value) is cls
    assert (info.value.retryable, info.value.maybe_sent) == (retryable, maybe_sent)
    assert isinstance(info.value.__cause__, requests.exceptions.RequestException)


def test_map_requests_errors_passes_other_exceptions_through():
    with pytest.raises(KeyError):
        with map_requests_errors(URL):
            raise KeyError("x")


def test_transport_given_a_session_does_not_close_it():
    session = requests.Session()
    RequestsTransport(session).close()
    assert session.adapters  # still usable


@responses.activate
def test_the_client_user_agent_goes_on_the_wire():
    from ksconfig import zto_config

    from kscarriers import Client

    responses.post(
        "https://zto.test/zto.merchant.waybill.track.query",
        json={"status": True, "statusCode": "SYS000", "result": []},
    )
    Client(zto_config(), transport=RequestsTransport()).track("73100130019486")
    assert responses.calls[0].request.headers["User-Agent"] == "kscarriers/0.1.0"


def pool_sizes(transport):
    session = transport._session
    return {
        prefix: session.get_adapter(f"{prefix}host.test")._pool_maxsize for prefix in ("http://", "https://")
    }


def test_default_transport_keeps_as_many_connections_per_host_as_asked():
    assert pool_sizes(RequestsTransport(pool_size=24)) == {"http://": 24, "https://": 24}
    assert RequestsTransport().pool_size == 10  # requests' own default


def test_grow_pool_grows_the_pool_and_never_shrinks_it():
    transport = RequestsTransport(pool_size=12)
    transport.grow_pool(20)
    transport.grow_pool(4)
    assert transport.pool_size == 20 and pool_sizes(transport) == {"http://": 20, "https://": 20}


def test_grow_pool_leaves_a_callers_session_as_configured():
    session = requests.Session()
    adapters = dict(session.adapters)
    transport = RequestsTransport(session)
    transport.grow_pool(32)
    assert transport.pool_size is None and dict(session.adapters) == adapters


def test_the_client_pools_at_least_its_concurrency_of_connections():
    from attrs import evolve
    from ksconfig import zto_config

    from kscarriers import Client

    client = Client(evolve(zto_config(), concurrency=16))
    assert client._transport.pool_size == 16


class _ProxyRecorder(http.server.BaseHTTPRequestHandler):
    """A forward proxy that answers every request itself and records the request line's target."""

    seen: list = []

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).seen.append(self.path)
        body = b'{"via": "proxy"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def proxy(monkeypatch):
    """A proxy's address and the targets it saw, with no proxy variable of the machine's left set."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    _ProxyRecorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ProxyRecorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _ProxyRecorder.seen
    server.shutdown()
    server.server_close()
    thread.join()


def _post(transport, url):
    return transport.send(
        HttpRequest(method="POST", url=url, body=b"{}"), timeouts=Timeouts(connect=5, read=5)
    )


def test_the_default_transport_sends_through_the_proxy_the_environment_names(proxy, monkeypatch):
    address, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", address)
    monkeypatch.setenv("NO_PROXY", "bypassed.invalid")
    transport = RequestsTransport()
    for _ in range(2):  # the second request reads what the first found
        assert _post(transport, "http://carrier.invalid/api/track").body == b'{"via": "proxy"}'
    assert seen == ["http://carrier.invalid/api/track"] * 2
    with pytest.raises(ConnectError):  # NO_PROXY: straight to a host that does not resolve
        _post(transport, "http://bypassed.invalid/api/track")
    assert len(seen) == 2


def test_the_default_transport_reads_the_environment_once_per_host(proxy, monkeypatch):
    address, seen = proxy
    transport = RequestsTransport()
    with pytest.raises(ConnectError):  # no proxy set: carrier.invalid itself does not resolve
        _post(transport, "http://carrier.invalid/api/track")
    monkeypatch.setenv("HTTP_PROXY", address)
    with pytest.raises(ConnectError):  # the same host: what its first request found still holds
        _post(transport, "http://carrier.invalid/api/intercept")
    assert _post(transport, "http://other.invalid/api/track").body == b'{"via": "proxy"}'  # a new host
    assert seen == ["http://other.invalid/api/track"]
    assert _post(RequestsTransport(), "http://carrier.invalid/x").body == b'{"via": "proxy"}'  # a new client


def test_a_session_of_your_own_reads_the_environment_on_every_request_as_requests_does(proxy, monkeypatch):
    address, _ = proxy
    transport = RequestsTransport(requests.Session())
    with pytest.raises(ConnectError):
        _post(transport, "http://carrier.invalid/api/track")
    monkeypatch.setenv("HTTP_PROXY", address)
    assert _post(transport, "http://carrier.invalid/api/track").body == b'{"via": "proxy"}'


def test_settings_passed_with_a_request_are_merged_afresh_each_time(monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/first.pem")
    session = RequestsTransport()._session
    url = "https://carrier.invalid/api"
    assert session.merge_environment_settings(url, {}, None, None, None)["verify"] == "/etc/first.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/second.pem")
    assert session.merge_environment_settings(url, {}, None, None, None)["verify"] == "/etc/first.pem"
    assert session.merge_environment_settings(url, {}, None, False, None)["verify"] is False
    given = {"https": "http://given.invalid:3128"}
    assert (
        session.merge_environment_settings(url, given, None, None, None)["proxies"]["https"] == given["https"]
    )
    kept = session.merge_environment_settings(url, {}, None, None, None)
    kept["proxies"]["https"] = "changed"  # an answer of its own each time: changing it changes no other
    assert "https" not in session.merge_environment_settings(url, {}, None, None, None)["proxies"]
