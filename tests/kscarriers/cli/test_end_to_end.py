"""The ``kscarriers`` console script, run as a user runs it, against a live mock server.

For all four carriers: ``track``, ``intercept``, ``status`` and ``verify-push`` of a push the
mock itself delivered (captured off the wire by a little receiver). The script is the
installed ``kscarriers`` entry point when it is on PATH, else ``python -m kscarriers``; both
import this checkout (``PYTHONPATH``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List

import pytest
from ksmock import WAYBILLS, make_parcel, test_account

from mockserver.app import create_app
from mockserver.clock import ManualClock
from mockserver.serving import serve_in_thread

ROOT = Path(__file__).resolve().parents[3]
CARRIERS = sorted(WAYBILLS)


def command() -> List[str]:
    script = shutil.which("kscarriers")
    return [script] if script else [sys.executable, "-m", "kscarriers"]


class Mock:
    def __init__(self, url: str, clock: ManualClock, admin: Any) -> None:
        self.url = url
        self.clock = clock
        self.admin = admin

    def env(self, secrets: Dict[str, str] = {}) -> Dict[str, str]:  # noqa: B006 - read only
        env = {k: v for k, v in os.environ.items() if not k.startswith("KSCARRIERS_")}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env["KSCARRIERS_MAX_ATTEMPTS"] = "1"
        for slug in CARRIERS:
            account = test_account(slug)
            env[f"KSCARRIERS_{slug.upper()}_APP_KEY"] = account["app_key"]
            env[f"KSCARRIERS_{slug.upper()}_APP_SECRET"] = secrets.get(slug, account["app_secret"])
            env[f"KSCARRIERS_{slug.upper()}_BASE_URL"] = "http://unused.invalid"
        return env

    def run(self, *args: str, secrets: Dict[str, str] = {}) -> subprocess.CompletedProcess[str]:  # noqa: B006
        return subprocess.run(
            [*command(), "--base-url", self.url, *args],
            env=self.env(secrets),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            cwd=ROOT,
        )

    def parcel(self, carrier: str, stage: str) -> str:
        return make_parcel(self.admin, carrier, stage)


class Capture:
    """A push receiver that keeps each request as raw HTTP and acks it as the carrier expects."""

    ACKS = {
        "zto": b'{"status":true,"message":"ok","statusCode":"SYS000"}',
        "yto": b'{"success":true,"code":"0","message":"ok"}',
        "sto": b'{"success":true,"errorCode":"","errorMsg":""}',
        "jt": b'{"code":"1","msg":"success","data":"SUCCESS"}',
    }

    def __init__(self, carrier: str) -> None:
        self.carrier = carrier
        self.raw: List[bytes] = []

    def __call__(self, environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        lines = [f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']} HTTP/1.1"]
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                lines.append(f"{key[5:].replace('_', '-').title()}: {value}")
        if environ.get("CONTENT_TYPE"):
            lines.append(f"Content-Type: {environ['CONTENT_TYPE']}")
        lines.append(f"Content-Length: {len(body)}")
        self.raw.append(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [self.ACKS[self.carrier]]


@pytest.fixture(scope="module")
def mock() -> Iterator[Mock]:
    clock = ManualClock()
    app = create_app({"CLOCK": "manual", "RESULT_DELAY_SECONDS": 600, "PUSH_TIMEOUT_SECONDS": 5}, clock=clock)
    admin = app.test_client()
    for slug in CARRIERS:
        assert admin.post("/__admin/accounts", json=test_account(slug)).status_code == 201
    url, stop = serve_in_thread(app)
    try:
        yield Mock(url, clock, admin)
    finally:
        stop()


@pytest.fixture(autouse=True)
def fresh(mock: Mock) -> None:
    for slug in CARRIERS:
        account = test_account(slug)
        mock.admin.post("/__admin/reset", json={"carrier": slug, "app_key": account["app_key"]})


def test_help_reads_like_documentation_with_examples_and_exit_codes() -> None:
    done = subprocess.run(
        [*command(), "--help"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        cwd=ROOT,
    )
    for part in ("Examples:", "Exit codes:", "verify-push", "KSCARRIERS_<SLUG>_APP_KEY", "--base-url"):
        assert part in done.stdout


@pytest.mark.parametrize("carrier", CARRIERS)
def test_track_prints_the_scans_and_json_for_scripts(mock: Mock, carrier: str) -> None:
    number = mock.parcel(carrier, "in_transit")
    shown = mock.run("track", number)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"{carrier} {number}: in_transit")
    assert "picked_up" in shown.stdout
    done = mock.run("--json", "track", number)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["carrier"] == carrier and result["status"] == "in_transit" and result["events"]


@pytest.mark.parametrize("carrier", CARRIERS)
def test_intercept_then_status_follow_the_parcel_on_the_mock_clock(mock: Mock, carrier: str) -> None:
    number = mock.parcel(carrier, "in_transit")
    made = mock.run(
        "--json", "intercept", number, "--reason", "refund", "--idempotency-key", f"e2e-{carrier}"
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert json.loads(made.stdout)["status"] == "pending"
    pending = mock.run("--json", "status", number)
    assert pending.returncode == 0, pending.stderr
    assert json.loads(pending.stdout)["status"] == "pending"
    mock.clock.advance(601)
    done = mock.run("status", number)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "succeeded" in done.stdout


@pytest.mark.parametrize("carrier", CARRIERS)
def test_an_intercept_of_a_signed_parcel_is_refused_with_exit_code_4(mock: Mock, carrier: str) -> None:
    number = mock.parcel(carrier, "signed")
    refused = mock.run("intercept", number, "--reason", "refund")
    assert refused.returncode == 4, refused.stdout + refused.stderr
    assert "failed" in refused.stdout and "already_signed" in refused.stdout


@pytest.mark.parametrize("carrier", CARRIERS)
def test_a_wrong_secret_is_a_carrier_refusal_and_never_printed(mock: Mock, carrier: str) -> None:
    number = mock.parcel(carrier, "in_transit")
    done = mock.run("track", number, secrets={carrier: "wrong-secret-XYZ"})
    assert done.returncode == 4, done.stdout + done.stderr
    assert "wrong-secret-XYZ" not in done.stdout + done.stderr
    assert done.stderr.startswith("kscarriers: refused:")


def test_a_server_that_is_not_there_is_a_transport_failure() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KSCARRIERS_MAX_ATTEMPTS": "1"}
    env.update(
        KSCARRIERS_ZTO_APP_KEY="k",
        KSCARRIERS_ZTO_APP_SECRET="s",
        KSCARRIERS_ZTO_BASE_URL="http://127.0.0.1:9",
    )
    done = subprocess.run(
        [*command(), "track", WAYBILLS["zto"]], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 6, done.stderr
    assert "transport" in done.stderr


def capture_trace_push(mock: Mock, carrier: str) -> bytes:
    """The first trace push the mock delivers for a subscribed parcel, as raw HTTP."""
    capture = Capture(carrier)
    url, stop = serve_in_thread(capture)
    try:
        account = test_account(carrier)
        key = {"carrier": carrier, "app_key": account["app_key"]}
        assert mock.admin.post(
            "/__admin/accounts", json={**account, "callback_url": f"{url}/push"}
        ).status_code in (
            200,
            201,
        )
        mock.parcel(carrier, "picked_up")
        mock.admin.post("/__admin/subscriptions", json={**key, "waybill": WAYBILLS[carrier]})
        mock.clock.advance(6 * 3600)
        assert mock.admin.post("/__admin/pushes/flush", json={"timeout": 10}).get_json()["done"] is True
    finally:
        stop()
    assert capture.raw, "the mock delivered no push"
    return capture.raw[0]


@pytest.mark.parametrize("carrier", CARRIERS)
def test_verify_push_accepts_a_push_the_mock_delivered(mock: Mock, carrier: str, tmp_path: Path) -> None:
    raw = capture_trace_push(mock, carrier)
    captured = tmp_path / "push.http"
    captured.write_bytes(raw)
    shown = mock.run("verify-push", carrier, "--request", str(captured))
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert shown.stdout.startswith(f"valid {carrier} push:") and WAYBILLS[carrier] in shown.stdout
    head, _, body = raw.partition(b"\r\n\r\n")
    (tmp_path / "headers.txt").write_bytes(head)
    (tmp_path / "body.bin").write_bytes(body)
    done = mock.run(
        "--json",
        "verify-push",
        carrier,
        "--headers",
        str(tmp_path / "headers.txt"),
        "--body",
        str(tmp_path / "body.bin"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = json.loads(done.stdout)
    assert found["valid"] is True and found["events"][0]["waybill"] == WAYBILLS[carrier]
    refused = mock.run(
        "--json", "verify-push", carrier, "--request", str(captured), secrets={carrier: "not-it"}
    )
    assert refused.returncode == 7, refused.stdout + refused.stderr
    assert json.loads(refused.stdout)["reason"] == "mismatch"
