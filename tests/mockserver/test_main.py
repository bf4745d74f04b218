"""Tests for the command line (python -m mockserver), the config loader and the thread server."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import requests
from mockpushkit import ACKS

import mockserver
from mockserver import create_app
from mockserver.__main__ import build_parser, main
from mockserver.app import build_clock
from mockserver.clock import ManualClock, SystemClock
from mockserver.config import ConfigError, from_env, load_config
from mockserver.serving import serve_in_thread


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hashlib.md5(body + secret.encode("utf-8")).digest()).decode()


def test_help_explains_every_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "--help"], capture_output=True, text=True, check=True
    )
    for option in ("--host", "--port", "--clock", "--speed", "--start", "--result-delay"):
        assert option in result.stdout


def test_parser_reads_clock_options() -> None:
    args = build_parser().parse_args(["--port", "9000", "--clock", "manual", "--speed", "60"])
    assert (args.port, args.clock, args.speed) == (9000, "manual", 60.0)


def test_main_refuses_a_bad_setting_with_exit_code_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOCKSERVER_RESULT_DELAY_SECONDS", "-1")
    assert main(["--clock", "manual"]) == 2
    assert "RESULT_DELAY_SECONDS" in capsys.readouterr().err


def test_environment_settings_are_parsed_by_type() -> None:
    env = {
        "MOCKSERVER_RESULT_DELAY_SECONDS": "60",
        "MOCKSERVER_DEMO_ACCOUNTS": "false",
        "MOCKSERVER_ACCOUNTS": json.dumps([{"carrier": "zto", "app_key": "k", "app_secret": "s"}]),
        "MOCKSERVER_CLOCK": "manual",
        "OTHER": "x",
    }
    assert from_env(env) == {
        "RESULT_DELAY_SECONDS": 60.0,
        "DEMO_ACCOUNTS": False,
        "ACCOUNTS": [{"carrier": "zto", "app_key": "k", "app_secret": "s"}],
        "CLOCK": "manual",
    }
    assert load_config(environ=env)["RESULT_DELAY_SECONDS"] == 60.0


def test_test_mapping_replaces_the_environment() -> None:
    env = {"MOCKSERVER_RESULT_DELAY_SECONDS": "60"}
    assert load_config({}, environ=env)["RESULT_DELAY_SECONDS"] == 1800.0


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"CLOCK": "sundial"}, "CLOCK"),
        ({"CLOCK_SPEED": 0}, "CLOCK_SPEED"),
        ({"CLOCK_START": "2025-01-01T00:00:00"}, "CLOCK_START"),
        ({"ACCOUNTS": [{"carrier": "zto", "app_key": ""}]}, "ACCOUNTS[0].app_key"),
        ({"CLOCK_SPEED": float("inf")}, "CLOCK_SPEED"),
        ({"CLOCK_SPEED": 1e300}, "CLOCK_SPEED"),
        ({"RESULT_DELAY_SECONDS": float("nan")}, "RESULT_DELAY_SECONDS"),
        ({"JOURNAL_LIMIT": 0}, "JOURNAL_LIMIT"),
        ({"JOURNAL_LIMIT": "many"}, "JOURNAL_LIMIT"),
        ({"JOURNAL_BODY_LIMIT": -1}, "JOURNAL_BODY_LIMIT"),
    ],
)
def test_bad_settings_name_their_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(settings)
    assert caught.value.key == key


def test_accounts_with_a_json_syntax_error_never_print_the_secret(
    capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"MOCKSERVER_ACCOUNTS": '[{"carrier":"zto","app_key":"k","app_secret":"TOP-SECRET-1",}]'}
    with pytest.raises(ConfigError) as caught:
        from_env(env)
    assert caught.value.key == "MOCKSERVER_ACCOUNTS"
    assert "line 1 column" in str(caught.value)
    assert "TOP-SECRET-1" not in str(caught.value)
    assert "TOP-SECRET-1" not in repr(caught.value)
    monkeypatch.setenv("MOCKSERVER_ACCOUNTS", env["MOCKSERVER_ACCOUNTS"])
    assert main(["--clock", "manual"]) == 2
    printed = capsys.readouterr()
    assert "TOP-SECRET-1" not in printed.out + printed.err
    assert "MOCKSERVER_ACCOUNTS" in printed.err


def test_unknown_carrier_in_configured_accounts_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown carrier") as caught:
        create_app({"ACCOUNTS": [{"carrier": "ups", "app_key": "k", "app_secret": "s"}]})
    assert caught.value.key == "ACCOUNTS[0].carrier"  # the index in the setting, demo accounts aside


class _FakeServer:
    effective_port = 8080

    def __init__(self, run: Any) -> None:
        self.run = run


def _no_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    def serve() -> None:
        raise AssertionError("main() started serving despite a bad option")

    monkeypatch.setattr("mockserver.__main__.create_server", lambda app, **kw: _FakeServer(serve))


@pytest.mark.parametrize("argv", [["--port", "99999"], ["--port", "-1"], ["--threads", "0"]])
def test_out_of_range_numbers_on_the_command_line_exit_with_status_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    _no_serving(monkeypatch)
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_an_unparsable_environment_setting_exits_with_status_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _no_serving(monkeypatch)
    monkeypatch.setenv("MOCKSERVER_JOURNAL_LIMIT", "lots")
    assert main(["--clock", "manual"]) == 2
    assert "mockserver: bad setting MOCKSERVER_JOURNAL_LIMIT" in capsys.readouterr().err


def test_a_record_file_in_a_missing_folder_is_refused_before_serving(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    _no_serving(monkeypatch)
    target = tmp_path / "missing" / "recorded.json"
    assert main(["--clock", "manual", "--proxy", "http://127.0.0.1:9", "--record", str(target)]) == 2
    assert "--record" in capsys.readouterr().err


def test_a_recording_that_cannot_be_saved_at_shutdown_is_reported_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.setattr(
        "mockserver.__main__.create_server", lambda app, **kw: _FakeServer(folder.rmdir)
    )  # gone while serving
    monkeypatch.setattr("signal.signal", lambda *args: None)
    code = main(
        ["--clock", "manual", "--proxy", "http://127.0.0.1:9", "--record", str(folder / "recorded.json")]
    )
    assert code == 1
    assert "mockserver: cannot save the recording" in capsys.readouterr().err


def test_a_port_in_use_exits_with_status_2_leaving_no_thread(capsys: pytest.CaptureFixture[str]) -> None:
    import socket
    import threading

    before = threading.active_count()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--clock", "manual", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    assert threading.active_count() == before


def test_clock_is_built_from_settings() -> None:
    manual = build_clock(load_config({"CLOCK": "manual", "CLOCK_START": "2025-05-01T08:00:00+08:00"}))
    assert isinstance(manual, ManualClock)
    assert manual.now().isoformat() == "2025-05-01T00:00:00+00:00"
    fast = build_clock(load_config({"CLOCK_SPEED": 30}))
    assert isinstance(fast, SystemClock) and fast.speed == 30


def test_real_waitress_server_answers_a_signed_zto_request_over_loopback() -> None:
    app = create_app({"CLOCK": "manual"}, clock=ManualClock())
    url, stop = serve_in_thread(app)
    try:
        body = json.dumps({"billCode": "73100130019486"}).encode()
        answer = requests.post(
            f"{url}/zto/zto.merchant.waybill.track.query",
            data=body,
            headers={"x-appKey": "zto-demo", "x-dataDigest": sign(body, "zto-demo-secret")},
            timeout=5,
        )
        assert answer.status_code == 200
        assert answer.json()["statusCode"] == "SYS000"
    finally:
        stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/__admin/health", timeout=2)


def test_live_fixture_serves_over_http_and_starts_each_test_clean(mockserver_live: Any) -> None:
    created = requests.post(
        f"{mockserver_live.url}/__admin/accounts",
        timeout=5,
        json={"carrier": "zto", "app_key": "live", "app_secret": "live-secret"},
    )
    assert created.status_code == 201
    mockserver_live.reset()
    listing = requests.get(f"{mockserver_live.url}/__admin/accounts", timeout=5).json()
    from mockserver.carriers import carrier_slugs

    assert sorted(a["app_key"] for a in listing["accounts"]) == sorted(
        f"{slug}-demo" for slug in carrier_slugs()
    )


@pytest.mark.parametrize(("argv", "limit"), [([], 1000), (["--connection-limit", "250"], 250)])
def test_the_server_serves_a_fleet_of_keep_alive_clients_at_once(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], limit: int
) -> None:
    # waitress's default connection_limit of 100 left the 101st keep-alive client of a CI fleet
    # unanswered until it timed out.
    given: dict[str, Any] = {}

    def fake_server(app: Any, **kwargs: Any) -> _FakeServer:
        given.update(kwargs)
        return _FakeServer(lambda: None)

    monkeypatch.setattr("mockserver.__main__.create_server", fake_server)
    monkeypatch.setattr("signal.signal", lambda *args: None)
    assert main(["--clock", "manual", "--port", "0", *argv]) == 0
    assert given["connection_limit"] == limit


# -- the server process: one per SQLite file, and a clean stop on SIGTERM/SIGINT -----------------

ROOT = Path(mockserver.__file__).resolve().parents[1]
PROCESS_SECRET = "TOP-SECRET-PROCESS-1"


def _start(db: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    """``python -m mockserver --store sqlite:db --port 0`` and its base URL, once it listens."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "MOCKSERVER_ACCOUNTS": json.dumps(
            [{"carrier": "zto", "app_key": "cfg", "app_secret": PROCESS_SECRET}]
        ),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockserver",
            "--store",
            f"sqlite:{db}",
            "--port",
            "0",
            "--clock",
            "manual",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # the server prints it once it listens (or exits)
    found = re.search(r"listening on (http://\S+)", line)
    if found is None:
        out, err = process.communicate(timeout=30)
        raise AssertionError(f"the server did not start: {line}{out}{err}")
    return process, found.group(1)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_server_cleanly_and_the_db_file_alone_holds_the_data(
    tmp_path: Path, signum: int
) -> None:
    db = tmp_path / "mock.db"
    process, url = _start(db)
    try:
        account = {"carrier": "zto", "app_key": "qa-9", "app_secret": PROCESS_SECRET, "auto_parcels": False}
        assert requests.post(f"{url}/__admin/accounts", json=account, timeout=10).status_code == 201
        parcel = {"carrier": "zto", "app_key": "qa-9", "waybill": "73100130019486", "stage": "in_transit"}
        assert requests.post(f"{url}/__admin/parcels", json=parcel, timeout=10).status_code == 201
    finally:
        process.send_signal(signum)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert f"{signal.Signals(signum).name} received, stopping" in out
    assert "mockserver: stopped" in out
    assert PROCESS_SECRET not in out + err, "no secret in the start-up or shutdown output"

    alone = tmp_path / "elsewhere" / "copy.db"
    alone.parent.mkdir()
    shutil.copy(db, alone)  # the .db file only, as a CI job would archive it
    with sqlite3.connect(alone) as conn:
        keys = {row[0] for row in conn.execute("SELECT app_key FROM accounts")}
        parcels = conn.execute("SELECT waybill FROM parcels").fetchall()
    conn.close()
    assert {"qa-9", "cfg"} <= keys
    assert parcels == [("73100130019486",)]


def test_a_second_server_process_on_the_same_sqlite_file_refuses_to_start(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    first, url = _start(db)
    try:
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "mockserver",
                "--store",
                f"sqlite:{db}",
                "--port",
                "0",
                "--clock",
                "manual",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2
        assert "mockserver: bad setting STORE:" in second.stderr
        assert f"in use by another mock server (pid {first.pid} on host" in second.stderr
        assert "Traceback" not in second.stderr
        assert requests.get(f"{url}/__admin/health", timeout=10).status_code == 200, (
            "the first one still serves"
        )
    finally:
        first.terminate()
        first.communicate(timeout=60)
    assert first.returncode == 0


def test_proxy_credentials_are_not_printed_at_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("mockserver.__main__.create_server", lambda app, **kw: _FakeServer(lambda: None))
    assert main(["--clock", "manual", "--port", "0", "--proxy", "zto=https://user:TOP-PW-1@japi.test/x"]) == 0
    printed = capsys.readouterr()
    assert "TOP-PW-1" not in printed.out + printed.err
    assert "zto=https://***@japi.test/x" in printed.out


class _Gate:
    """A push sender that holds every push on the wire until released; it counts what it was given."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.sent: list[bytes] = []

    def __call__(self, url: str, headers: Any, body: bytes, timeout: float) -> tuple[int, bytes]:
        self.sent.append(body)
        self.entered.set()
        assert self.release.wait(30), "the test never released the push"
        return 200, ACKS["zto"]


def _pushes_on_the_wire(
    db: Path, gate: _Gate, app_keys: Sequence[str] = ("zto-demo",), workers: int = 4
) -> Any:
    """An app on ``db`` with every scan of a parcel subscribed by each account due, the first push held."""
    from datetime import datetime

    clock = ManualClock()
    settings = {"CLOCK": "manual", "TESTING": True, "STORE": f"sqlite:{db}", "PUSH_SENDER": gate}
    app = create_app({**settings, "PUSH_WORKERS": workers}, clock=clock)
    admin = app.test_client()
    last = []
    for app_key in app_keys:
        account = {"carrier": "zto", "app_key": app_key}
        if app_key != "zto-demo":
            admin.post("/__admin/accounts", json={**account, "app_secret": f"{app_key}-secret"})
        admin.post("/__admin/subscriptions/callback", json={**account, "url": "http://cb.test/"})
        admin.post("/__admin/parcels", json={**account, "waybill": "73100130019486", "stage": "created"})
        admin.post("/__admin/subscriptions", json={**account, "waybill": "73100130019486"})
        parcel = admin.get(f"/__admin/parcels/zto/73100130019486?app_key={app_key}").get_json()["parcel"]
        last.append(datetime.fromisoformat(parcel["route"][-1]["time"]))
    clock.set(max(last))  # every scan is due: several pushes queue up
    assert gate.entered.wait(30), "the first push went on the wire"
    return app


def test_stopping_drains_the_push_on_the_wire_and_starts_no_other(tmp_path: Path) -> None:
    from mockserver.app import close_app, get_services
    from mockserver.store import SqliteStore
    from mockserver.world import PushState

    db = tmp_path / "pushes.db"
    gate = _Gate()
    app = _pushes_on_the_wire(db, gate)

    scheduler = get_services(app).pushes
    assert scheduler.close(drain_seconds=0) is False, "a push is still on the wire"
    gate.release.set()
    assert close_app(app, drain_seconds=30) is True  # waits for that push, then closes the store

    assert len(gate.sent) == 1, "no push starts once stopping"
    store = SqliteStore(db)  # free again, and the attempt was stored before the store closed
    pushes = store.list_pushes("zto", "zto-demo")
    assert len(pushes) > 1
    assert pushes[0].state is PushState.DELIVERED and len(pushes[0].attempts) == 1
    assert {p.state for p in pushes[1:]} == {PushState.PENDING}, "the rest wait for the next server"
    store.close()


def test_a_push_that_outlives_the_drain_time_stays_pending_and_raises_nothing(tmp_path: Path) -> None:
    import logging

    from mockserver.app import close_app
    from mockserver.store import SqliteStore
    from mockserver.world import PushState

    db = tmp_path / "late.db"
    gate = _Gate()
    app = _pushes_on_the_wire(db, gate)

    records: list[logging.LogRecord] = []
    lane_ended = threading.Event()

    class _Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)
            lane_ended.set()

    watch = _Watch()
    logging.getLogger("mockserver.pushes").addHandler(watch)
    try:
        assert close_app(app, drain_seconds=0) is False  # the store closes under the push
        gate.release.set()
        assert lane_ended.wait(30)
    finally:
        logging.getLogger("mockserver.pushes").removeHandler(watch)
    assert [(r.levelname, r.getMessage()) for r in records] == [
        ("WARNING", "push delivery for zto/zto-demo cut short by shutdown")
    ]
    assert records[0].exc_info is None, "no traceback"
    store = SqliteStore(db)
    assert {p.state for p in store.list_pushes("zto", "zto-demo")} == {PushState.PENDING}
    store.close()


def test_stopping_does_not_wait_for_accounts_whose_pushes_never_started(tmp_path: Path) -> None:
    from mockserver.app import close_app, get_services

    gate = _Gate()
    app = _pushes_on_the_wire(tmp_path / "two.db", gate, app_keys=("zto-demo", "zto-b"), workers=1)
    assert get_services(app).pushes.close(drain_seconds=0) is False  # one lane on the wire, one queued
    gate.release.set()
    assert close_app(app, drain_seconds=30) is True, "the queued lane was cancelled, not waited for"
    assert len(gate.sent) == 1


def test_a_server_killed_outright_leaves_no_stale_lock(tmp_path: Path) -> None:
    from mockserver.store import SqliteStore

    db = tmp_path / "killed.db"
    process, url = _start(db)
    account = {"carrier": "zto", "app_key": "qa-k", "app_secret": PROCESS_SECRET}
    assert requests.post(f"{url}/__admin/accounts", json=account, timeout=10).status_code == 201
    process.kill()  # SIGKILL: nothing runs, the lock file stays behind
    process.communicate(timeout=60)
    assert (tmp_path / "killed.db.lock").exists()
    store = SqliteStore(db)  # the lock went with the process; the committed data is there
    assert "qa-k" in {a.app_key for a in store.list_accounts()}
    store.close()


# -- every option from MOCKSERVER_*, the command line first -----------------------------------------


def _captured_start(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Make main() return at once once it would serve; what it gave waitress is in the dict."""
    given: dict[str, Any] = {}

    def fake_server(app: Any, **kwargs: Any) -> _FakeServer:
        given.update(kwargs, app=app)
        return _FakeServer(lambda: None)

    monkeypatch.setattr("mockserver.__main__.create_server", fake_server)
    monkeypatch.setattr("signal.signal", lambda *args: None)
    return given


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"mockserver {mockserver.__version__}"


def test_help_names_the_variable_of_every_option() -> None:
    from mockserver.config import OPTIONS

    text = " ".join(build_parser().format_help().split())
    for option in OPTIONS:
        assert f"[env {option.variable}]" in text, option.flag


def test_server_options_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    given = _captured_start(monkeypatch)
    env = {
        "MOCKSERVER_HOST": "127.0.0.1",
        "MOCKSERVER_PORT": "0",
        "MOCKSERVER_THREADS": "3",
        "MOCKSERVER_CONNECTION_LIMIT": "7",
        "MOCKSERVER_ACCESS_LOG": "off",
        "MOCKSERVER_CLOCK": "manual",
        "MOCKSERVER_CLOCK_START": "2025-05-01T08:00:00+08:00",
        "MOCKSERVER_RESULT_DELAY_SECONDS": "60",
    }
    assert main([], environ=env) == 0
    assert (len(given["_dispatcher"].threads), given["connection_limit"]) == (3, 7)
    app = given["app"]  # access log off: the bare Flask app
    assert app.config["CLOCK"] == "manual" and app.config["RESULT_DELAY_SECONDS"] == 60.0
    assert app.extensions["mockserver"].clock.now().isoformat() == "2025-05-01T00:00:00+00:00"
    assert "listening on http://127.0.0.1:" in capsys.readouterr().out


def test_the_command_line_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    given = _captured_start(monkeypatch)
    env = {
        "MOCKSERVER_THREADS": "3",
        "MOCKSERVER_CLOCK": "system",
        "MOCKSERVER_RESULT_DELAY_SECONDS": "60",
        "MOCKSERVER_ACCESS_LOG": "off",
        "MOCKSERVER_PORT": "99999",  # never read: --port is given
    }
    argv = [
        "--threads",
        "5",
        "--clock",
        "manual",
        "--result-delay",
        "5",
        "--port",
        "0",
        "--access-log",
        "text",
    ]
    assert main(argv, environ=env) == 0
    assert len(given["_dispatcher"].threads) == 5
    app = given["app"].app  # wrapped by the access log
    assert (app.config["CLOCK"], app.config["RESULT_DELAY_SECONDS"]) == ("manual", 5.0)


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("MOCKSERVER_PORT", "99999", "must be from 0 to 65535, not 99999"),
        ("MOCKSERVER_THREADS", "many", "not a whole number: 'many'"),
        ("MOCKSERVER_HOST", " ", "must not be empty"),
        ("MOCKSERVER_ACCESS_LOG", "JSON", "must be one of text, json, off, not 'JSON'"),
        ("MOCKSERVER_SCENARIOS", os.pathsep, "names nothing"),
        ("MOCKSERVER_PROXY", "  ", "names nothing"),
    ],
)
def test_an_unusable_server_variable_exits_with_status_2_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str, reason: str
) -> None:
    _no_serving(monkeypatch)
    assert main(["--clock", "manual"], environ={name: value}) == 2
    assert f"mockserver: bad setting {name}: {reason}" in capsys.readouterr().err


def test_an_unknown_variable_exits_with_status_2_naming_the_near_miss(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _no_serving(monkeypatch)
    assert main([], environ={"MOCKSERVER_CLOKC": "manual"}) == 2
    assert capsys.readouterr().err == (
        "mockserver: bad setting MOCKSERVER_CLOKC: is not a mock server setting; "
        "did you mean MOCKSERVER_CLOCK?\n"
    )


def test_proxy_upstreams_come_from_the_variable_separated_by_spaces(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _captured_start(monkeypatch)
    env = {"MOCKSERVER_PROXY": "zto=https://japi.test  yto=http://yto.test", "MOCKSERVER_CLOCK": "manual"}
    assert main(["--port", "0"], environ=env) == 0
    assert "proxying to zto=https://japi.test, yto=http://yto.test" in capsys.readouterr().out


# -- scenarios from several files or a directory ------------------------------------------------------


def _stub(stub_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": stub_id,
        "match": {"carrier": "zto", "operation": "track"},
        "outcome": {"type": "http_fault", "kind": "status", "status": 503},
        **extra,
    }


def _scenario_file(path: Path, *stubs: dict[str, Any], **top: Any) -> Path:
    path.write_text(json.dumps({"version": 1, **top, "stubs": list(stubs)}), encoding="utf-8")
    return path


def _installed_ids(given: dict[str, Any]) -> list[str]:
    return [stub.id for stub in given["app"].app.extensions["mockserver"].scenarios.stubs()]


def test_a_second_scenarios_option_adds_to_the_first_instead_of_replacing_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    given = _captured_start(monkeypatch)
    first = _scenario_file(tmp_path / "a.json", _stub("a-1"), _stub("a-2"))
    second = _scenario_file(tmp_path / "b.json", _stub("b-1"))
    assert (
        main(["--clock", "manual", "--port", "0", "--scenarios", str(first), "--scenarios", str(second)]) == 0
    )
    assert _installed_ids(given) == ["a-1", "a-2", "b-1"]
    assert f"3 scenario stubs loaded from {first}, {second}" in capsys.readouterr().out


def test_scenarios_from_a_directory_and_the_variable_are_merged_in_name_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    given = _captured_start(monkeypatch)
    folder = tmp_path / "scenarios"
    folder.mkdir()
    _scenario_file(folder / "20-late.json", _stub("late"))
    _scenario_file(folder / "10-early.json", _stub("early"))
    (folder / "notes.txt").write_text("not a scenario file", encoding="utf-8")
    common = _scenario_file(tmp_path / "common.json", _stub("common"))
    env = {"MOCKSERVER_SCENARIOS": os.pathsep.join([str(common), str(folder)]), "MOCKSERVER_CLOCK": "manual"}
    assert main(["--port", "0"], environ=env) == 0
    assert _installed_ids(given) == ["common", "early", "late"]


def test_scenarios_on_the_command_line_replace_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    given = _captured_start(monkeypatch)
    from_env = _scenario_file(tmp_path / "env.json", _stub("env"))
    given_file = _scenario_file(tmp_path / "cli.json", _stub("cli"))
    env = {"MOCKSERVER_SCENARIOS": str(from_env), "MOCKSERVER_CLOCK": "manual"}
    assert main(["--port", "0", "--scenarios", str(given_file)], environ=env) == 0
    assert _installed_ids(given) == ["cli"]


def test_a_stub_id_in_two_files_is_refused_naming_both_files_and_paths(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _no_serving(monkeypatch)
    first = _scenario_file(tmp_path / "a.json", _stub("other"), _stub("other-2"), _stub("slow-track"))
    second = _scenario_file(tmp_path / "b.json", _stub("slow-track"))
    assert main(["--clock", "manual", "--scenarios", str(first), "--scenarios", str(second)]) == 2
    assert (
        f"invalid scenario file: {second}: stubs[0].id: stub id 'slow-track' is also used by {first} stubs[2]"
    ) in capsys.readouterr().err


@pytest.mark.parametrize(
    ("second_top", "second_stub", "reported"),
    [
        (
            {},
            _stub("b-1", scenario="outage", new_state="down"),
            "stubs[0].scenario: scenario 'outage' is also driven by",
        ),
        ({"seed": 7}, _stub("b-1"), "seed: 7 conflicts with seed 3 of"),
    ],
)
def test_what_two_files_cannot_share_is_refused_with_the_file_and_path(
    tmp_path: Path, second_top: dict[str, Any], second_stub: dict[str, Any], reported: str
) -> None:
    from mockserver.scenarios import ScenarioEngine, ScenarioFileError, install_scenario_files

    first = _scenario_file(tmp_path / "a.json", _stub("a-1", scenario="outage", new_state="up"), seed=3)
    second = _scenario_file(tmp_path / "b.json", second_stub, **second_top)
    engine = ScenarioEngine()
    with pytest.raises(ScenarioFileError) as caught:
        install_scenario_files(engine, [first, second])
    assert caught.value.source == str(second)
    assert f"{second}: {reported} {first}" in str(caught.value)
    assert engine.stubs() == [], "nothing installed"


def test_the_same_seed_in_two_files_is_no_conflict(tmp_path: Path) -> None:
    from mockserver.scenarios import load_scenario_files

    first = _scenario_file(tmp_path / "a.json", _stub("a-1"), seed=3)
    second = _scenario_file(tmp_path / "b.json", _stub("b-1"), seed=3)
    merged = load_scenario_files([first, second])
    assert merged.seed == 3 and [s.id for s in merged.stubs] == ["a-1", "b-1"]


def test_a_file_given_twice_or_an_empty_directory_is_refused(tmp_path: Path) -> None:
    from mockserver.scenarios import ScenarioFileError, load_scenario_files

    folder = tmp_path / "scenarios"
    folder.mkdir()
    inside = _scenario_file(folder / "a.json", _stub("a-1"))
    with pytest.raises(ScenarioFileError, match=r"given more than once \(first as .*a\.json\)"):
        load_scenario_files([inside, folder])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ScenarioFileError, match=r"empty: directory holds no \*\.json scenario file"):
        load_scenario_files([empty])


def test_an_unknown_carrier_in_the_second_file_names_that_file(tmp_path: Path) -> None:
    from mockserver.carriers import carrier_slugs
    from mockserver.scenarios import ScenarioEngine, ScenarioFileError, install_scenario_files

    first = _scenario_file(tmp_path / "a.json", _stub("a-1"))
    bad = _stub("b-1")
    bad["match"]["carrier"] = "ups"
    second = _scenario_file(tmp_path / "b.json", _stub("b-0"), bad)
    with pytest.raises(ScenarioFileError) as caught:
        install_scenario_files(ScenarioEngine(carriers=carrier_slugs()), [first, second])
    assert str(caught.value).startswith(f"{second}: stubs[1].match.carrier: ")


# -- the access log ---------------------------------------------------------------------------------


def _logged(app: Any, *requests_: tuple[str, str], caplog: pytest.LogCaptureFixture) -> list[Any]:
    from werkzeug.test import Client

    from mockserver.serving import ACCESS_LOGGER, AccessLog

    ticks = iter([0.0, 0.0125] * len(requests_))
    client = Client(AccessLog(app, timer=lambda: next(ticks)))
    with caplog.at_level("INFO", logger=ACCESS_LOGGER):
        for method, path in requests_:
            answer = client.open(
                path, method=method, environ_base={"REMOTE_ADDR": "10.1.2.3"}, data=b'{"secret":1}'
            )
            answer.close()  # the server closes the body once sent: the line is written then
    return [record for record in caplog.records if record.name == ACCESS_LOGGER]


def test_the_access_log_has_one_line_per_request_with_its_figures(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app({"CLOCK": "manual"}, clock=ManualClock())
    records = _logged(app, ("GET", "/__admin/health"), ("POST", "/__admin/nowhere"), caplog=caplog)
    health = app.test_client().get("/__admin/health").data
    assert [record.access for record in records] == [
        {
            "method": "GET",
            "path": "/__admin/health",
            "status": 200,
            "duration_ms": 12.5,
            "bytes": len(health),
            "remote_addr": "10.1.2.3",
        },
        {
            "method": "POST",
            "path": "/__admin/nowhere",
            "status": 404,
            "duration_ms": 12.5,
            "bytes": records[1].access["bytes"],
            "remote_addr": "10.1.2.3",
        },
    ]
    assert records[0].getMessage() == f"10.1.2.3 GET /__admin/health 200 12.5ms {len(health)}B"
    assert records[1].access["bytes"] > 0


def test_the_access_log_masks_secret_query_parameters_and_never_logs_bodies(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app({"CLOCK": "manual"}, clock=ManualClock())
    path = "/__admin/accounts?app_key=zto-demo&app_secret=TOP-S1&sign=TOP-S2&x-dataDigest=TOP-S3&token=TOP-S4"
    (record,) = _logged(app, ("GET", path), caplog=caplog)
    line = record.getMessage()
    assert "app_key=zto-demo" in line
    assert "TOP-S" not in line + json.dumps(record.access)
    assert line.count("%2A%2A%2A") == 4
    assert '"secret"' not in line, "no body"


def test_the_access_log_escapes_control_characters_in_the_path(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app({"CLOCK": "manual"}, clock=ManualClock())
    (record,) = _logged(app, ("GET", "/zto/a%0Afake 200 line"), caplog=caplog)
    assert "\n" not in record.getMessage()
    assert record.access["path"] == "/zto/a\\nfake 200 line"


def test_json_access_lines_are_one_object_a_line() -> None:
    import logging

    from mockserver.serving import JsonLinesFormatter

    record = logging.LogRecord("mockserver.access", logging.INFO, __file__, 1, "text", None, None)
    record.created = 1_764_583_200.5  # 2025-12-01T10:00:00.5Z
    record.access = {"method": "GET", "path": "/p\n", "status": 200}
    line = JsonLinesFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2025-12-01T10:00:00.500+00:00",
        "method": "GET",
        "path": "/p\n",
        "status": 200,
    }


def test_access_log_off_serves_the_app_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    from flask import Flask

    from mockserver.serving import AccessLog

    given = _captured_start(monkeypatch)
    assert main(["--clock", "manual", "--port", "0", "--access-log", "off"]) == 0
    assert isinstance(given["app"], Flask)
    assert main(["--clock", "manual", "--port", "0"]) == 0
    assert isinstance(given["app"], AccessLog), "on by default"


def test_a_server_configured_only_by_environment_writes_json_access_lines(tmp_path: Path) -> None:
    scenarios = _scenario_file(tmp_path / "qa.json", _stub("qa-1"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")},
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "MOCKSERVER_PORT": "0",
        "MOCKSERVER_CLOCK": "manual",
        "MOCKSERVER_SCENARIOS": str(scenarios),
        "MOCKSERVER_ACCESS_LOG": "json",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        loaded = process.stdout.readline()
        assert loaded.startswith("mockserver: 1 scenario stubs loaded from"), loaded
        found = re.search(r"listening on (http://\S+)", process.stdout.readline())
        assert found is not None
        url = found.group(1)
        assert requests.get(f"{url}/__admin/health", timeout=10).status_code == 200
        stubs = requests.get(f"{url}/__admin/scenarios?app_secret=TOP-Q", timeout=10)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [(line["method"], line["path"].split("?")[0], line["status"]) for line in lines] == [
        ("GET", "/__admin/health", 200),
        ("GET", "/__admin/scenarios", stubs.status_code),
    ]
    assert lines[1]["path"].endswith("app_secret=%2A%2A%2A")
    assert "TOP-Q" not in out + err
