"""Record and replay: a proxying mock in front of a second mock server, the saved file, and its replay."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver import create_app
from mockserver.__main__ import _prepare, build_parser, main
from mockserver.app import enable_proxy
from mockserver.deciders.proxy import ProxyDecider, parse_upstreams
from mockserver.scenarios import install_scenarios, load_scenarios
from mockserver.serving import serve_in_thread

SECRET = "zto-demo-secret"
WAYBILL = "73123456789012"


def _post(client: Any, api: str, body: dict[str, Any]) -> Any:
    raw = json.dumps(body, separators=(",", ":")).encode("utf-8")
    digest = base64.b64encode(hashlib.md5(raw + SECRET.encode()).digest()).decode()
    return client.post(
        f"/zto/{api}",
        data=raw,
        content_type="application/json",
        headers={"x-appKey": "zto-demo", "x-dataDigest": digest},
    )


@pytest.fixture
def upstream() -> Iterator[Any]:
    app = create_app({"CLOCK": "manual", "TESTING": True})
    admin = app.test_client()
    admin.post(
        "/__admin/parcels",
        json={"carrier": "zto", "app_key": "zto-demo", "waybill": WAYBILL, "stage": "in_transit"},
    )
    # An upstream that leaks a secret and signs its answer: none of it may reach the recording.
    admin.post(
        "/__admin/scenarios",
        json={
            "match": {"operation": "subscribe"},
            "outcome": {
                "type": "response",
                "headers": {"X-Data-Digest": "abc", "Set-Cookie": "s=1"},
                "body": {"status": True, "sign": "c2ln", "result": {"digest": "x", "echo": SECRET}},
            },
        },
    )
    url, stop = serve_in_thread(app)
    try:
        yield url, app
    finally:
        stop()


def test_proxy_forwards_records_and_replays(upstream: Any, tmp_path: Path) -> None:
    url, upstream_app = upstream
    app = create_app({"CLOCK": "manual", "TESTING": True})
    record = tmp_path / "recorded.json"
    enable_proxy(app, parse_upstreams([url]), record=str(record))
    client = app.test_client()
    first = _post(client, "zto.merchant.waybill.track.query", {"billCode": WAYBILL})
    assert first.status_code == 200 and len(first.get_json()["result"]) >= 2
    upstream_app.test_client().post("/__admin/clock/advance", json={"seconds": 86400})
    second = _post(client, "zto.merchant.waybill.track.query", {"billCode": WAYBILL})
    assert len(second.get_json()["result"]) > len(first.get_json()["result"])
    _post(client, "zto.merchant.waybill.track.subsrcibe", {"billCode": WAYBILL})

    journal = client.get("/__admin/requests").get_json()["requests"]
    assert [e["decided_by"] for e in journal] == ["proxy"] * 3
    assert upstream_app.extensions["mockserver"].journal.count(carrier="zto") == 3

    saved = client.post("/__admin/recordings/save").get_json()
    assert saved == {"saved": str(record), "stubs": 3}
    text = record.read_text(encoding="utf-8")
    for secret in (SECRET, "x-dataDigest", "c2ln", '"digest"', "Set-Cookie", "X-Data-Digest"):
        assert secret not in text

    replay = create_app({"CLOCK": "manual", "TESTING": True})
    install_scenarios(replay.extensions["mockserver"].scenarios, str(record))
    again = replay.test_client()
    assert (
        _post(again, "zto.merchant.waybill.track.query", {"billCode": WAYBILL}).get_json() == first.get_json()
    )
    assert (
        _post(again, "zto.merchant.waybill.track.query", {"billCode": WAYBILL}).get_json()
        == second.get_json()
    )
    assert (
        _post(again, "zto.merchant.waybill.track.query", {"billCode": WAYBILL}).get_json()
        == second.get_json()
    )
    assert _post(again, "zto.merchant.waybill.track.subsrcibe", {"billCode": WAYBILL}).get_json() == {
        "status": True,
        "result": {"echo": "***"},
    }


def test_scenarios_still_apply_first_in_proxy_mode(upstream: Any) -> None:
    url, upstream_app = upstream
    app = create_app({"CLOCK": "manual", "TESTING": True})
    proxy = enable_proxy(app, parse_upstreams([url]))
    client = app.test_client()
    client.post(
        "/__admin/scenarios",
        json={"id": "down", "outcome": {"type": "http_fault", "kind": "status", "status": 503}},
    )
    assert _post(client, "zto.merchant.waybill.track.query", {"billCode": WAYBILL}).status_code == 503
    assert upstream_app.extensions["mockserver"].journal.count() == 0
    assert proxy.recorder is not None and len(proxy.recorder) == 0


def test_unreachable_upstream_answers_502(tmp_path: Path) -> None:
    app = create_app({"CLOCK": "manual", "TESTING": True})
    enable_proxy(app, {"zto": "http://127.0.0.1:9"})
    answer = _post(app.test_client(), "zto.merchant.waybill.track.query", {"billCode": WAYBILL})
    assert answer.status_code == 502 and answer.get_json()["error"] == "upstream_unreachable"


def test_upstream_urls() -> None:
    assert parse_upstreams(["http://a:1/", "zto=https://japi.zto.com"]) == {
        "*": "http://a:1",
        "zto": "https://japi.zto.com",
    }
    decider = ProxyDecider(parse_upstreams(["zto=https://z", "http://mock"]))
    assert (
        decider.url_for("zto", "/zto/thirdcenter.createIntercept") == "https://z/thirdcenter.createIntercept"
    )
    assert decider.url_for("jt", "/jt/webopenplatformapi/api/x") == "http://mock/jt/webopenplatformapi/api/x"
    with pytest.raises(ValueError, match="ftp://x"):
        parse_upstreams(["ftp://x"])


def test_cli_refuses_a_bad_scenario_file_with_the_path_at_fault(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "qa.json"
    bad.write_text(json.dumps({"version": 1, "stubs": [{"outcome": {"type": "intercept", "result": "x"}}]}))
    assert main(["--clock", "manual", "--scenarios", str(bad)]) == 2
    error = capsys.readouterr().err
    assert str(bad) in error and "stubs[0].outcome.result: unknown intercept result 'x'" in error


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--record", "out.json"], "--record needs --proxy"), (["--proxy", "ftp://x"], "ftp://x")],
)
def test_cli_refuses_unusable_proxy_options(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--clock", "manual", *argv]) == 2
    assert message in capsys.readouterr().err


def test_cli_loads_scenarios_and_sets_up_recording(tmp_path: Path) -> None:
    good = tmp_path / "qa.json"
    good.write_text(json.dumps({"version": 1, "stubs": [{"preset": "outage"}]}))
    app = create_app({"CLOCK": "manual", "TESTING": True})
    args: argparse.Namespace = build_parser().parse_args(
        ["--scenarios", str(good), "--proxy", "http://up", "--record", str(tmp_path / "r.json")]
    )
    recorder = _prepare(app, args)
    assert recorder is not None and recorder.path == str(tmp_path / "r.json")
    assert len(app.extensions["mockserver"].scenarios.stubs()) == 1
    assert load_scenarios(recorder.save()) == []
