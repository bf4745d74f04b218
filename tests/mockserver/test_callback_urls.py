"""Where pushes may go: callback URLs are checked when registered and again when a push is sent."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from mockserver import create_app
from mockserver.app import close_app, get_services
from mockserver.clock import ManualClock
from mockserver.config import ConfigError
from mockserver.pushes import requests_sender
from mockserver.pushes.callbacks import guarded_sender
from mockserver.pushes.targets import CallbackPolicy, CallbackRefused
from mockserver.world import Callback

WAYBILL = "73100130019486"
DEMO = {"carrier": "zto", "app_key": "zto-demo"}


def resolver(table: Mapping[str, list[str]]) -> Any:
    """A DNS stand-in: ``table`` or ``OSError`` (name not known)."""

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"{host}: name or service not known")
        return table[host]

    return resolve


DNS = {
    "metadata-alias.test": ["169.254.169.254"],
    "link-local-alias.test": ["10.0.0.5", "169.254.7.7"],
    "v6-metadata.test": ["fd00:ec2::254"],
    "receiver.test": ["127.0.0.1"],
    "lan.test": ["10.1.2.3"],
}


class Sender:
    """A recording push sender that acknowledges everything."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(
        self, url: str, headers: Mapping[str, str], body: bytes, timeout: float
    ) -> tuple[int, bytes]:
        self.urls.append(url)
        return 200, b'{"status": true, "message": "ok"}'


def make_app(**config: Any) -> Any:
    return create_app(
        {
            "CLOCK": "manual",
            "TESTING": True,
            "PUSH_TICKER": "off",
            "CALLBACK_RESOLVER": resolver(DNS),
            **config,
        },
        clock=ManualClock(),
    )


@pytest.fixture
def app() -> Iterator[Any]:
    found = make_app(PUSH_SENDER=Sender())
    yield found
    close_app(found)


REFUSED = [
    ("ftp://receiver.test/push", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("gopher://127.0.0.1:70/", "scheme"),
    ("http://169.254.169.254/latest/meta-data", "cloud_metadata"),
    ("http://169.254.10.1:8080/push", "link_local"),
    ("http://[fe80::1]/push", "link_local"),
    ("http://[fe80::1%25eth0]/push", "link_local"),
    ("http://[fd00:ec2::254]/latest/meta-data", "cloud_metadata"),
    ("http://[::ffff:169.254.169.254]/", "cloud_metadata"),
    ("http://metadata.google.internal/computeMetadata/v1/", "cloud_metadata"),
    ("http://METADATA.google.internal./computeMetadata/v1/", "cloud_metadata"),
    ("http://100.100.100.200/latest/meta-data", "cloud_metadata"),
    ("http://2852039166/latest/meta-data", "cloud_metadata"),  # 169.254.169.254 as one number
    ("http://0251.0376.0251.0376/", "cloud_metadata"),  # and in octal
    ("http://0xa9fe0101/", "link_local"),  # 169.254.1.1 in hex
    ("http://user@169.254.169.254:80/", "cloud_metadata"),
]


@pytest.mark.parametrize(("url", "rule"), REFUSED)
@pytest.mark.parametrize("route", ["/__admin/subscriptions/callback", "/__admin/accounts"])
def test_a_refused_callback_answers_400_naming_the_rule(app: Any, route: str, url: str, rule: str) -> None:
    body = (
        {**DEMO, "url": url}
        if route.endswith("callback")
        else {**DEMO, "app_secret": "zto-demo-secret", "callback_url": url}
    )
    answer = app.test_client().post(route, json=body)
    assert answer.status_code == 400, answer.get_json()
    found = answer.get_json()
    assert found["field"] == ("url" if route.endswith("callback") else "callback_url")
    assert f"rule: {rule}" in found["message"]
    assert get_services(app).pushes.callback("zto", "zto-demo") is None


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9000/push", "https://receiver.test/push", "http://[::1]:9000/", "http://10.0.0.8/"],
)
def test_an_ordinary_callback_is_accepted(app: Any, url: str) -> None:
    answer = app.test_client().post("/__admin/subscriptions/callback", json={**DEMO, "url": url})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["callback"]["url"] == url


def test_the_allow_list_admits_only_its_hosts_and_networks() -> None:
    policy = CallbackPolicy.from_config(
        {"CALLBACK_ALLOW": "10.0.0.0/8, receiver.test, *.ci.example"}, resolver=resolver(DNS)
    )
    assert policy.check("http://10.9.9.9/push")
    assert policy.check("http://receiver.test/push")
    assert policy.check("http://job-7.ci.example/push")
    assert policy.check("http://lan.test/push")  # resolves only into 10.0.0.0/8
    for url in ("http://192.168.1.1/push", "http://elsewhere.test/push", "http://ci.example.evil/"):
        with pytest.raises(CallbackRefused) as caught:
            policy.check(url)
        assert caught.value.rule == "allow_list"


def test_the_allow_list_never_admits_link_local_or_metadata() -> None:
    policy = CallbackPolicy.from_config({"CALLBACK_ALLOW": "169.254.0.0/16, metadata.google.internal"})
    for url in ("http://169.254.169.254/", "http://169.254.1.1/", "http://metadata.google.internal/"):
        with pytest.raises(CallbackRefused):
            policy.check(url)


def test_the_allow_list_setting_is_checked_at_start() -> None:
    with pytest.raises(ConfigError) as caught:
        make_app(CALLBACK_ALLOW="10.0.0.0/8, not a host")
    assert caught.value.key == "CALLBACK_ALLOW"


def test_an_allow_list_refusal_answers_400(app: Any) -> None:
    strict = make_app(PUSH_SENDER=Sender(), CALLBACK_ALLOW="127.0.0.1")
    try:
        answer = strict.test_client().post(
            "/__admin/subscriptions/callback", json={**DEMO, "url": "http://10.0.0.8/"}
        )
        assert answer.status_code == 400
        assert "rule: allow_list" in answer.get_json()["message"]
    finally:
        close_app(strict)


@pytest.mark.parametrize(
    ("host", "rule"),
    [
        ("metadata-alias.test", "cloud_metadata"),
        ("link-local-alias.test", "link_local"),
        ("v6-metadata.test", "cloud_metadata"),
    ],
)
def test_a_name_that_resolves_to_a_refused_address_is_refused_at_send_time(host: str, rule: str) -> None:
    sent: list[str] = []

    def network(url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> tuple[int, bytes]:
        sent.append(url)
        return 200, b""

    send = guarded_sender(network, CallbackPolicy(resolver=resolver(DNS)), resolve=True)
    with pytest.raises(CallbackRefused) as caught:
        send(f"http://{host}/push", {}, b"{}", 1.0)
    assert caught.value.rule == rule
    assert "resolves to" in str(caught.value)
    assert sent == []
    assert send("http://receiver.test/push", {}, b"{}", 1.0) == (200, b"")
    assert send("http://not-in-dns.test/push", {}, b"{}", 1.0) == (200, b"")  # the send fails on its own


def _push_to(app: Any, url: str) -> list[dict[str, Any]]:
    """Store ``url`` as the demo account's callback behind the admin API's back, and push to it."""
    hub = get_services(app)
    hub.store.put_callback(Callback(carrier="zto", app_key="zto-demo", url=url, since=hub.clock.now()))
    client = app.test_client()
    assert (
        client.post("/__admin/parcels", json={**DEMO, "waybill": WAYBILL, "stage": "picked_up"}).status_code
        == 201
    )
    assert client.post("/__admin/subscriptions", json={**DEMO, "waybill": WAYBILL}).status_code == 201
    assert client.post("/__admin/clock/advance", json={"seconds": 86_400}).status_code == 200
    client.post("/__admin/pushes/flush", json={"timeout": 5})
    pushes: list[dict[str, Any]] = client.get("/__admin/pushes?carrier=zto").get_json()["pushes"]
    return pushes


def test_a_stored_url_is_checked_again_when_the_push_is_sent() -> None:
    sender = Sender()
    app = make_app(PUSH_SENDER=sender)
    try:
        pushes = _push_to(app, "http://169.254.169.254/latest/meta-data")
    finally:
        close_app(app)
    assert pushes and sender.urls == []
    attempt = pushes[0]["attempts"][0]
    assert attempt["acked"] is False and "rule: cloud_metadata" in attempt["error"]


def test_the_network_sender_resolves_the_name_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    posted: list[str] = []
    monkeypatch.setattr(requests, "post", lambda url, **kwargs: posted.append(url))
    app = make_app()  # no PUSH_SENDER: requests, behind the DNS check
    try:
        pushes = _push_to(app, "http://metadata-alias.test/push")
    finally:
        close_app(app)
    assert posted == []
    assert "resolves to 169.254.169.254" in pushes[0]["attempts"][0]["error"]


def test_the_network_sender_never_follows_a_redirect(monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    seen: dict[str, Any] = {}

    class Answer:
        status_code = 302
        content = b""

    def post(url: str, **kwargs: Any) -> Answer:
        seen.update(kwargs, url=url)
        return Answer()

    monkeypatch.setattr(requests, "post", post)
    assert requests_sender("http://127.0.0.1:9/push", {}, b"{}", 1.0) == (302, b"")
    assert seen["allow_redirects"] is False


def test_a_configured_accounts_refused_callback_stops_the_start() -> None:
    account = {**DEMO, "app_key": "cfg", "app_secret": "s", "callback_url": "http://169.254.169.254/"}
    with pytest.raises(ConfigError) as caught:
        make_app(ACCOUNTS=[account])
    assert caught.value.key == "ACCOUNTS[0].callback_url"
    assert "cloud_metadata" in caught.value.reason
