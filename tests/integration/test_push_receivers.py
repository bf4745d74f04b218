"""The Flask, Django and FastAPI receivers of docs/callbacks.md, as written there, against a live mock.

Each receiver block of the doc (the one that starts ``# Flask receiver``, ``# Django receiver`` or
``# FastAPI receiver``) is run here with this test's client and event handler. The mock server then
signs trace and intercept-result pushes of every carrier and delivers them on its own delivery
workers, and its own acknowledgement rule decides whether each was acknowledged:

- through each framework's own test client (the mock's ``PUSH_SENDER`` hands every push to it);
- for Flask and Django also over real HTTP, the receiver served by a WSGI server thread
  (``wsgiref``) and the mock posting with ``requests`` as it does by default.

(Not ``mockserver.serving.serve_in_thread`` here: waitress's trigger closes its pipe's read end
twice on shutdown, which now and then closes a descriptor another thread has just opened.)

A push signed with another secret, or one whose handler fails, must be refused (400) or nacked, and
must never be answered with a 500.
"""

from __future__ import annotations

import re
import threading
import types
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from ksmock import WAYBILLS, sdk_config, test_account

from kscarriers import Client, PushEvent, PushKind
from mockserver.app import create_app, get_services
from mockserver.carriers import carrier_slugs
from mockserver.clock import ManualClock
from mockserver.simulator import InterceptRequest
from mockserver.world import InterceptKind

DOC = Path(__file__).resolve().parents[2] / "docs" / "callbacks.md"
RECEIVER = re.compile(r"```python\n(# (\w+) receiver\n.*?)```", re.DOTALL)
FRAMEWORKS = ["flask", "django", "fastapi"]
CARRIERS = [slug for slug in carrier_slugs() if slug in WAYBILLS]

Sender = Callable[[str, Dict[str, str], bytes, float], Tuple[int, bytes]]
OnEvent = Callable[[PushEvent], None]


def receiver_blocks() -> Dict[str, str]:
    return {name.lower(): code for code, name in RECEIVER.findall(DOC.read_text("utf-8"))}


def run_receiver(framework: str, client: Client, on_event: OnEvent) -> Dict[str, Any]:
    """The doc's receiver block for ``framework``, run with ``client`` and ``on_event``."""
    namespace: Dict[str, Any] = {"__name__": f"receiver_{framework}", "client": client, "on_event": on_event}
    code = compile(receiver_blocks()[framework], f"docs/callbacks.md[{framework} receiver]", "exec")
    exec(code, namespace)
    return namespace


_django_lock = threading.Lock()


def django_urls(urlpatterns: List[Any]) -> Any:
    """Settings for the doc's Django view: its urlpatterns as ROOT_URLCONF, loopback hosts allowed."""
    import django
    from django.conf import settings
    from django.test.utils import override_settings

    with _django_lock:
        if not settings.configured:
            settings.configure()
        django.setup()
    urls = types.ModuleType("receiver_urls")
    urls.urlpatterns = urlpatterns  # type: ignore[attr-defined]
    return override_settings(ROOT_URLCONF=urls, ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"])


def framework_sender(framework: str, namespace: Dict[str, Any]) -> Sender:
    """A mock ``PUSH_SENDER`` that hands each push to the framework's own test client."""

    def flask_send(url: str, headers: Dict[str, str], body: bytes, timeout: float) -> Tuple[int, bytes]:
        answer = namespace["flask_app"].test_client().post(urlsplit(url).path, data=body, headers=headers)
        return answer.status_code, answer.get_data()

    def django_send(url: str, headers: Dict[str, str], body: bytes, timeout: float) -> Tuple[int, bytes]:
        from django.test import Client as DjangoClient

        others = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        answer = DjangoClient().generic(
            "POST", urlsplit(url).path, body, content_type=headers["Content-Type"], headers=others
        )
        return answer.status_code, answer.content

    def fastapi_send(url: str, headers: Dict[str, str], body: bytes, timeout: float) -> Tuple[int, bytes]:
        from fastapi.testclient import TestClient

        answer = TestClient(namespace["fastapi_app"]).post(urlsplit(url).path, content=body, headers=headers)
        return answer.status_code, answer.content

    return {"flask": flask_send, "django": django_send, "fastapi": fastapi_send}[framework]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # no access log on the test output
        pass


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served over loopback HTTP on a free port, in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    # serve_forever looks for shutdown() every poll_interval (0.5 s by default): each test waited that long
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="receiver", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Shop:
    """The receiver of one framework, with what its handler saw."""

    def __init__(self, framework: str, *, failing: bool = False) -> None:
        self.framework = framework
        self.events: List[PushEvent] = []
        self.failing = failing
        self.namespace = run_receiver(framework, Client(sdk_config()), self.on_event)

    def on_event(self, event: PushEvent) -> None:
        if self.failing:
            raise RuntimeError("the shop's database is down")
        self.events.append(event)


@pytest.fixture(params=FRAMEWORKS)
def framework(request: Any) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=CARRIERS)
def carrier(request: Any) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def settings_for(framework: str) -> Iterator[Callable[[Shop], None]]:
    """Activates the Django settings of a shop (a no-op for the other frameworks)."""
    active: List[Any] = []

    def activate(shop: Shop) -> None:
        if shop.framework == "django":
            active.append(django_urls(shop.namespace["urlpatterns"]))
            active[-1].enable()

    yield activate
    for override in reversed(active):
        override.disable()


class LiveMock:
    """A mock server on a manual clock, one carrier account with a callback URL."""

    def __init__(
        self, carrier: str, callback: str, *, sender: Optional[Sender], secret: Optional[str] = None
    ):
        self.carrier = carrier
        self.clock = ManualClock()
        config: Dict[str, Any] = {"CLOCK": "manual", "RESULT_DELAY_SECONDS": 600, "PUSH_TIMEOUT_SECONDS": 5}
        if sender is not None:
            config["PUSH_SENDER"] = sender
        self.app = create_app(config, clock=self.clock)
        self.admin = self.app.test_client()
        account = test_account(carrier)
        if secret is not None:
            account = {**account, "app_secret": secret}
        self.key = {"carrier": carrier, "app_key": account["app_key"]}
        created = self.admin.post("/__admin/accounts", json={**account, "callback_url": callback})
        assert created.status_code == 201, created.get_json()

    def scans_pushed(self) -> List[Dict[str, Any]]:
        waybill = WAYBILLS[self.carrier]
        self.admin.post("/__admin/parcels", json={**self.key, "waybill": waybill, "stage": "picked_up"})
        self.admin.post("/__admin/subscriptions", json={**self.key, "waybill": waybill})
        self.clock.advance(6 * 3600)
        return self.flushed()

    def intercept_result_pushed(self) -> List[Dict[str, Any]]:
        hub = get_services(self.app)
        account = hub.simulator.account(self.carrier, self.key["app_key"])
        assert account is not None
        request = InterceptRequest(
            waybill=WAYBILLS[self.carrier], kind=InterceptKind.RETURN, request_id="it-1"
        )
        assert hub.simulator.create_intercept(account, request).record is not None
        self.clock.advance(600)
        return [p for p in self.flushed() if p["kind"] == "intercept"]

    def flushed(self) -> List[Dict[str, Any]]:
        assert self.admin.post("/__admin/pushes/flush", json={"timeout": 10}).get_json()["done"] is True
        pushes: List[Dict[str, Any]] = self.admin.get(f"/__admin/pushes?carrier={self.carrier}").get_json()[
            "pushes"
        ]
        return pushes


def assert_acknowledged(pushes: List[Dict[str, Any]]) -> None:
    assert pushes and {p["state"] for p in pushes} == {"delivered"}, pushes
    assert all(a["status"] == 200 and a["acked"] for p in pushes for a in p["attempts"]), pushes


def test_the_doc_shows_one_receiver_per_framework() -> None:
    assert sorted(receiver_blocks()) == sorted(FRAMEWORKS)
    for code in receiver_blocks().values():
        assert "client.handle_push(carrier, request.headers" in code


def test_each_receiver_acknowledges_trace_and_intercept_pushes_through_its_test_client(
    framework: str, carrier: str, settings_for: Callable[[Shop], None]
) -> None:
    shop = Shop(framework)
    settings_for(shop)
    mock = LiveMock(
        carrier,
        "http://shop.test/carrier-push/" + carrier,
        sender=framework_sender(framework, shop.namespace),
    )

    assert_acknowledged(mock.scans_pushed())
    assert shop.events and {e.waybill for e in shop.events} == {WAYBILLS[carrier]}
    assert {e.kind for e in shop.events} == {PushKind.TRACKING}

    assert_acknowledged(mock.intercept_result_pushed())
    results = [e for e in shop.events if e.kind is PushKind.INTERCEPT_RESULT]
    assert results and results[-1].intercept is not None and results[-1].waybill == WAYBILLS[carrier]


@pytest.mark.parametrize("framework", ["flask", "django"])
def test_wsgi_receivers_acknowledge_pushes_over_real_http(
    framework: str, carrier: str, settings_for: Callable[[Shop], None]
) -> None:
    shop = Shop(framework)
    settings_for(shop)
    if framework == "flask":
        app = shop.namespace["flask_app"]
    else:
        from django.core.handlers.wsgi import WSGIHandler

        app = WSGIHandler()
    with serving(app) as base:
        mock = LiveMock(carrier, f"{base}/carrier-push/{carrier}", sender=None)
        assert_acknowledged(mock.scans_pushed())
        assert_acknowledged(mock.intercept_result_pushed())
    assert {e.kind for e in shop.events} == {PushKind.TRACKING, PushKind.INTERCEPT_RESULT}


def test_each_receiver_refuses_a_push_signed_with_another_secret_with_400(
    framework: str, carrier: str, settings_for: Callable[[Shop], None]
) -> None:
    shop = Shop(framework)
    settings_for(shop)
    sender = framework_sender(framework, shop.namespace)
    mock = LiveMock(
        carrier, "http://shop.test/carrier-push/" + carrier, sender=sender, secret="forged-secret"
    )
    pushes = mock.scans_pushed()
    assert pushes and all(p["state"] == "pending" for p in pushes)  # the mock will try again
    assert all(a["status"] == 400 and not a["acked"] for p in pushes for a in p["attempts"])
    assert shop.events == []


def test_each_receiver_nacks_a_push_whose_handler_fails_and_never_answers_500(
    framework: str, carrier: str, settings_for: Callable[[Shop], None]
) -> None:
    shop = Shop(framework, failing=True)
    settings_for(shop)
    nack = shop.namespace["client"].push_nack(carrier)
    mock = LiveMock(
        carrier,
        "http://shop.test/carrier-push/" + carrier,
        sender=framework_sender(framework, shop.namespace),
    )
    pushes = mock.scans_pushed()
    assert pushes and all(p["state"] == "pending" for p in pushes)
    attempts = [a for p in pushes for a in p["attempts"]]
    assert all(a["status"] == nack.status != 500 and not a["acked"] for a in attempts)

    shop.failing = False  # the database is back: the mock's retries are acknowledged
    mock.clock.advance(3600)
    retried = [p for p in mock.flushed() if p["kind"] == "trace"]
    assert retried and all(p["state"] == "delivered" and p["attempts"][-1]["acked"] for p in retried)
    assert shop.events and {e.waybill for e in shop.events} == {WAYBILLS[carrier]}


def test_each_receiver_answers_an_unknown_carrier_with_404(
    framework: str, settings_for: Callable[[Shop], None]
) -> None:
    shop = Shop(framework)
    settings_for(shop)
    status, _ = framework_sender(framework, shop.namespace)(
        "http://shop.test/carrier-push/dhl", {"Content-Type": "text/plain"}, b"", 5.0
    )
    assert status == 404
