"""Every command and its error paths through click's CliRunner, carriers faked with ``responses``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import responses
from click.testing import CliRunner, Result
from ksmock import WAYBILLS

from kscarriers import __version__
from kscarriers.cli.app import cli
from kscarriers.cli.output import ExitCode
from kscarriers.cli.settings import load_config
from kscarriers.errors import ConfigurationError
from kscarriers.testing import build_push, register_answers, sample_events

CARRIERS = sorted(WAYBILLS)
SECRET = "top-secret-秘"


def env(**extra: str) -> Dict[str, str]:
    found = {"KSCARRIERS_MAX_ATTEMPTS": "1"}
    for slug in CARRIERS:
        found[f"KSCARRIERS_{slug.upper()}_APP_KEY"] = f"{slug}-key"
        found[f"KSCARRIERS_{slug.upper()}_APP_SECRET"] = SECRET
        found[f"KSCARRIERS_{slug.upper()}_BASE_URL"] = f"http://carrier.test/{slug}"
    found.update(extra)
    return found


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture(autouse=True)
def no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("KSCARRIERS_"):
            monkeypatch.delenv(name)


def invoke(*args: str, environ: Dict[str, str] | None = None, stdin: Any = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env() if environ is None else environ, input=stdin)


def fake(
    rsps: responses.RequestsMock, slug: str, operation: str, outcome: str = "success", **kw: Any
) -> None:
    register_answers(
        rsps, load_config(config_file=None, base_url=None, environ=env()), slug, operation, outcome, **kw
    )


def out(result: Result) -> str:
    return result.stdout


# -- help and version ------------------------------------------------------------------------


def test_help_lists_every_command_with_examples_and_exit_codes() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for name in ("track", "detect", "intercept", "cancel", "status", "verify-push", "carriers"):
        assert name in result.stdout
    assert "Examples:" in result.stdout and "Exit codes:" in result.stdout


@pytest.mark.parametrize(
    "command", ["track", "detect", "intercept", "cancel", "status", "verify-push", "carriers"]
)
def test_each_command_has_help_with_examples(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0 and "Examples:" in result.stdout


def test_version_is_the_package_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0 and __version__ in result.stdout


# -- track ----------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", CARRIERS)
def test_track_one_waybill_prints_its_scans(rsps: responses.RequestsMock, slug: str) -> None:
    fake(rsps, slug, "track", waybill=WAYBILLS[slug])
    result = invoke("track", WAYBILLS[slug])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"{slug} {WAYBILLS[slug]}: delivered"
    assert "signed_by_recipient" in result.stdout


def test_track_json_is_one_object(rsps: responses.RequestsMock) -> None:
    fake(rsps, "zto", "track")
    result = invoke("--json", "track", WAYBILLS["zto"])
    found = json.loads(result.stdout)
    assert found["status"] == "delivered" and found["events"][0]["raw_code"] == "签收"
    assert "raw" not in found["events"][0]


def test_track_many_from_a_file_summarises_each_and_exits_with_the_worst_code(
    rsps: responses.RequestsMock, tmp_path: Path
) -> None:
    fake(rsps, "zto", "track")
    fake(rsps, "jt", "track", "auth")
    listing = tmp_path / "waybills.txt"
    listing.write_text(f"# today\n{WAYBILLS['zto']}\n\n{WAYBILLS['jt']}  # the J&T one\n", encoding="utf-8")
    result = invoke("track", "--file", str(listing), "--concurrency", "2", "--no-progress")
    assert result.exit_code == ExitCode.REFUSED, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["waybill", "carrier", "status", "latest", "scan", "description"]
    assert any(line.startswith(WAYBILLS["zto"]) and "delivered" in line for line in lines)
    assert any(line.startswith(WAYBILLS["jt"]) and "ERROR" in line for line in lines)


def test_track_many_from_stdin_in_json_gives_a_list_in_input_order(rsps: responses.RequestsMock) -> None:
    for slug in CARRIERS:
        fake(rsps, slug, "track", waybill=WAYBILLS[slug])
    stdin = "\n".join(WAYBILLS[s] for s in CARRIERS)
    result = invoke("--json", "track", "--file", "-", stdin=stdin)
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert [item["waybill"] for item in found] == [WAYBILLS[s] for s in CARRIERS]
    assert all(item["ok"] and item["result"]["status"] == "delivered" for item in found)


def test_track_many_shows_a_progress_bar_on_stderr(rsps: responses.RequestsMock) -> None:
    fake(rsps, "zto", "track")
    fake(rsps, "sto", "track", waybill=WAYBILLS["sto"])
    result = invoke("track", "--progress", WAYBILLS["zto"], WAYBILLS["sto"])
    assert result.exit_code == 0, result.output
    assert "tracking" in result.stderr and "tracking" not in result.stdout


def test_track_without_a_waybill_is_a_usage_error() -> None:
    result = invoke("track")
    assert result.exit_code == 2 and "give a waybill" in result.stderr


def test_track_concurrency_is_bounded() -> None:
    result = invoke("track", "--concurrency", "500", WAYBILLS["zto"])
    assert result.exit_code == 2 and "--concurrency" in result.stderr


def test_track_of_a_number_no_carrier_fits_is_bad_input() -> None:
    result = invoke("track", "ABC")
    assert result.exit_code == ExitCode.BAD_INPUT
    assert result.stderr.startswith("kscarriers: bad input:")


def test_track_json_errors_are_one_object_on_stdout(rsps: responses.RequestsMock) -> None:
    fake(rsps, "zto", "track", "not_found")
    result = invoke("--json", "track", WAYBILLS["zto"])
    assert result.exit_code == ExitCode.REFUSED
    found = json.loads(result.stdout)
    assert found["error"] == "refused" and found["type"] == "NotFoundError" and found["code"] == "E23102"


@pytest.mark.parametrize(
    ("outcome", "code"),
    [("timeout", ExitCode.TRANSPORT), ("http_503", ExitCode.TRANSPORT), ("rate_limited", ExitCode.TRANSPORT)],
)
def test_track_failures_without_an_answer_are_transport_failures(
    rsps: responses.RequestsMock, outcome: str, code: ExitCode
) -> None:
    fake(rsps, "sto", "track", outcome)
    result = invoke("track", WAYBILLS["sto"])
    assert result.exit_code == code, result.output


def test_phone_tail_is_sent_for_one_waybill_only(rsps: responses.RequestsMock) -> None:
    fake(rsps, "zto", "track")
    assert invoke("track", WAYBILLS["zto"], "--phone-tail", "1234").exit_code == 0
    assert json.loads(rsps.calls[0].request.body)["mobilePhone"] == "1234"
    refused = invoke("track", WAYBILLS["zto"], WAYBILLS["jt"], "--phone-tail", "1234")
    assert refused.exit_code == 2


# -- configuration ----------------------------------------------------------------------------


def test_a_carrier_without_credentials_names_the_variables_to_set() -> None:
    result = invoke("track", WAYBILLS["zto"], environ={})
    assert result.exit_code == ExitCode.CONFIGURATION
    assert "KSCARRIERS_ZTO_APP_KEY" in result.stderr and "--config" in result.stderr


def test_a_half_configured_carrier_names_the_missing_variable() -> None:
    result = invoke("track", WAYBILLS["zto"], environ={"KSCARRIERS_ZTO_APP_KEY": "k"})
    assert result.exit_code == ExitCode.CONFIGURATION
    assert "KSCARRIERS_ZTO_APP_SECRET" in result.stderr


def test_a_json_config_file_and_base_url_point_at_the_mock_layout(
    rsps: responses.RequestsMock, tmp_path: Path
) -> None:
    config = tmp_path / "accounts.json"
    config.write_text(
        json.dumps({"carriers": {"zto": {"app_key": "k", "app_secret": SECRET}}}), encoding="utf-8"
    )
    rsps.add(
        "POST",
        "http://127.0.0.1:8080/zto/zto.merchant.waybill.track.query",
        json={"status": True, "result": []},
    )
    result = invoke(
        "--config", str(config), "--base-url", "http://127.0.0.1:8080/", "track", WAYBILLS["zto"], environ={}
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output


@pytest.mark.skipif(sys.version_info < (3, 11), reason="TOML config files need tomllib (Python 3.11)")
def test_a_toml_config_file_is_read_on_python_311(tmp_path: Path) -> None:
    config = tmp_path / "accounts.toml"
    config.write_text(
        '[carriers.jt]\napp_key = "k"\napp_secret = "s"\nbase_url = "https://jt.test"\n', encoding="utf-8"
    )
    loaded = load_config(config_file=str(config), base_url=None, environ={})
    assert loaded.carrier("jt").base_url == "https://jt.test"


def test_the_environment_wins_over_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "accounts.json"
    config.write_text(
        json.dumps(
            {"carriers": {"zto": {"app_key": "file", "app_secret": "s", "base_url": "https://file.test"}}}
        ),
        encoding="utf-8",
    )
    loaded = load_config(config_file=str(config), base_url=None, environ=env())
    assert loaded.carrier("zto").credentials.app_key == "zto-key"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must hold an object"),
        ('{"carriers": {"zto": {"app_key": "k"}}}', "carriers.zto.app_secret must be a non-empty string"),
        ('{"carriers": {"zto": {"app_key": "k", "app_secret": "s"}}}', "no base_url for carrier 'zto'"),
        (
            '{"carriers": {"zto": {"app_key": "k", "app_secret": "s", "base_url": "ftp://x"}}}',
            "base_url must be",
        ),
    ],
)
def test_a_malformed_config_file_is_a_configuration_error_naming_what(
    tmp_path: Path, text: str, says: str
) -> None:
    config = tmp_path / "accounts.json"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=says):
        load_config(config_file=str(config), base_url=None, environ={})
    result = invoke("--config", str(config), "track", WAYBILLS["zto"], environ={})
    assert result.exit_code == ExitCode.CONFIGURATION and says.split()[0] in result.stderr


def test_a_missing_config_file_is_named() -> None:
    result = invoke("--config", "/nowhere/accounts.json", "carriers", environ={})
    assert result.exit_code == 0  # carriers needs no configuration
    result = invoke("--config", "/nowhere/accounts.json", "track", WAYBILLS["zto"], environ={})
    assert result.exit_code == ExitCode.CONFIGURATION and "/nowhere/accounts.json" in result.stderr


# -- detect and carriers --------------------------------------------------------------------


def test_detect_names_the_carrier_and_whether_it_is_configured() -> None:
    result = invoke("detect", "７３１００１３００１９４８６", environ={})
    assert result.exit_code == 0
    assert result.stdout.startswith("73100130019486 fits zto")
    assert "no" in result.stdout.splitlines()[-1]


def test_detect_of_an_ambiguous_number_lists_every_candidate() -> None:
    result = invoke("--json", "detect", "123456789012")
    found = json.loads(result.stdout)
    assert result.exit_code == 0 and set(found["candidates"]) == {"sto", "zto"}
    assert set(found["configured"]) == {"sto", "zto"}


def test_detect_of_a_number_no_carrier_fits_is_bad_input() -> None:
    result = invoke("detect", "XX1")
    assert result.exit_code == ExitCode.BAD_INPUT and "fits no known carrier" in result.stderr


def test_carriers_lists_operations_and_formats() -> None:
    result = invoke("--json", "carriers", environ={})
    found = {c["carrier"]: c for c in json.loads(result.stdout)}
    assert set(found) == set(CARRIERS)
    assert "cancel_intercept" not in found["jt"]["operations"]
    assert "intercept_status" in found["zto"]["operations"]
    assert found["yto"]["waybill_formats"] == ["YT[0-9]{13,15}"]
    table = invoke("carriers", environ={}).stdout
    assert table.splitlines()[0].split()[:3] == ["carrier", "name", "operations"]


# -- intercept, cancel, status ---------------------------------------------------------------


@pytest.mark.parametrize("slug", CARRIERS)
def test_an_accepted_intercept_is_pending(rsps: responses.RequestsMock, slug: str) -> None:
    fake(rsps, slug, "intercept", request_id="k-1")
    result = invoke("--json", "intercept", WAYBILLS[slug], "--reason", "refund", "--idempotency-key", "k-1")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "pending"


@pytest.mark.parametrize(
    "reason", ["already_signed", "out_for_delivery", "duplicate_request", "not_supported"]
)
def test_a_refused_intercept_exits_4_and_says_why(rsps: responses.RequestsMock, reason: str) -> None:
    fake(rsps, "yto", "intercept", reason)
    result = invoke("intercept", WAYBILLS["yto"], "--reason", "refund")
    assert result.exit_code == ExitCode.REFUSED
    assert "failed" in result.stdout and reason in result.stdout


def test_an_intercept_whose_outcome_is_unknown_exits_5_with_the_key_to_resume(
    rsps: responses.RequestsMock,
) -> None:
    fake(rsps, "jt", "intercept", "timeout")
    result = invoke("intercept", WAYBILLS["jt"], "--reason", "refund", "--idempotency-key", "resume-me")
    assert result.exit_code == ExitCode.OUTCOME_UNKNOWN, result.output
    assert "outcome unknown" in result.stderr and "--idempotency-key resume-me" in result.stderr


def test_a_change_of_address_sends_the_new_address_and_never_prints_the_phone(
    rsps: responses.RequestsMock,
) -> None:
    fake(rsps, "yto", "change_address")
    result = invoke(
        "intercept", WAYBILLS["yto"], "--reason", "moved",
        "--to-name", "张三", "--to-phone", "13912345678", "--to-province", "浙江省", "--to-city", "杭州市",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wanted_change_adapter" in rsps.calls[0].request.url
    assert "13912345678" not in result.output


def test_a_change_of_address_without_a_city_is_a_usage_error() -> None:
    result = invoke("intercept", WAYBILLS["yto"], "--reason", "moved", "--to-name", "张三")
    assert result.exit_code == 2 and "--to-phone, --to-province, --to-city" in result.stderr


def test_intercept_needs_a_reason() -> None:
    result = invoke("intercept", WAYBILLS["zto"])
    assert result.exit_code == 2 and "--reason" in result.stderr


def test_an_idempotency_key_the_sdk_refuses_is_bad_input() -> None:
    result = invoke("intercept", WAYBILLS["zto"], "--reason", "r", "--idempotency-key", "x" * 65)
    assert result.exit_code == ExitCode.BAD_INPUT and "idempotency_key" in result.stderr


def test_cancel_prints_the_cancelled_intercept(rsps: responses.RequestsMock) -> None:
    fake(rsps, "sto", "cancel_intercept")
    result = invoke("cancel", WAYBILLS["sto"], "--intercept-id", "I1")
    assert result.exit_code == 0, result.output
    assert "cancelled" in result.stdout


def test_cancel_on_jt_is_unsupported_and_a_refusal() -> None:
    result = invoke("cancel", WAYBILLS["jt"])
    assert result.exit_code == ExitCode.REFUSED and "cancel_intercept" in result.stderr


def test_cancel_of_nothing_to_cancel_exits_4(rsps: responses.RequestsMock) -> None:
    fake(rsps, "yto", "cancel_intercept", "no_intercept_to_cancel")
    result = invoke("cancel", WAYBILLS["yto"])
    assert result.exit_code == ExitCode.REFUSED and "no_intercept_to_cancel" in result.stdout


def test_status_asks_zto_directly(rsps: responses.RequestsMock) -> None:
    fake(rsps, "zto", "intercept_status")
    result = invoke("--json", "status", WAYBILLS["zto"])
    assert result.exit_code == 0 and json.loads(result.stdout)["status"] == "pending"


def test_status_without_an_intercept_on_zto_is_a_refusal(rsps: responses.RequestsMock) -> None:
    fake(rsps, "zto", "intercept_status", "not_found")
    assert invoke("status", WAYBILLS["zto"]).exit_code == ExitCode.REFUSED


def test_status_of_others_is_derived_from_tracking(rsps: responses.RequestsMock) -> None:
    fake(rsps, "jt", "track")  # a delivery: a return intercept failed, a change of address succeeded
    returned = invoke("--json", "status", WAYBILLS["jt"])
    assert returned.exit_code == ExitCode.REFUSED
    assert json.loads(returned.stdout)["raw_status"] == "derived_from_tracking"
    changed = invoke("--json", "status", WAYBILLS["jt"], "--kind", "change-address")
    assert changed.exit_code == 0 and json.loads(changed.stdout)["status"] == "succeeded"


# -- verify-push -----------------------------------------------------------------------------


def raw_request(headers: Dict[str, str], body: bytes, *, newline: str = "\r\n") -> bytes:
    head = newline.join(["POST /push HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())])
    return (head + newline + newline).encode("latin-1") + body


@pytest.mark.parametrize("slug", CARRIERS)
@pytest.mark.parametrize("kind", ["trace", "intercept"])
def test_verify_push_shows_the_events_of_a_valid_push(slug: str, kind: str, tmp_path: Path) -> None:
    headers, body = build_push(
        slug,
        sample_events(slug, WAYBILLS[slug], kind=kind),
        app_key=f"{slug}-key",
        app_secret=SECRET,
        kind=kind,
    )
    captured = tmp_path / "push.http"
    captured.write_bytes(raw_request(headers, body))
    result = invoke("verify-push", slug, "--request", str(captured))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"valid {slug} push: 1 event(s)")
    assert WAYBILLS[slug] in result.stdout and "acknowledge with HTTP 200" in result.stdout


def test_verify_push_reads_lf_requests_from_stdin_in_json() -> None:
    headers, body = build_push(
        "zto", sample_events("zto", WAYBILLS["zto"]), app_key="zto-key", app_secret=SECRET
    )
    result = invoke(
        "--json", "verify-push", "zto", "--request", "-", stdin=raw_request(headers, body, newline="\n")
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["valid"] is True and found["events"][0]["tracking"]["status"] == "delivered"
    assert json.loads(found["ack"]["body"])["status"] is True


def test_verify_push_with_headers_and_body_files(tmp_path: Path) -> None:
    headers, body = build_push("jt", sample_events("jt", WAYBILLS["jt"]), app_key="jt-key", app_secret=SECRET)
    (tmp_path / "h.txt").write_text("\n".join(f"{k}: {v}" for k, v in headers.items()), encoding="latin-1")
    (tmp_path / "b.bin").write_bytes(body)
    result = invoke(
        "verify-push", "jt", "--headers", str(tmp_path / "h.txt"), "--body", str(tmp_path / "b.bin")
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"signed_with": "another-secret"}, "mismatch"),
        ({"app_key": "somebody-else"}, "unknown_account"),
    ],
)
def test_verify_push_says_why_a_push_is_invalid_and_exits_7(change: Dict[str, str], reason: str) -> None:
    args: Dict[str, Any] = {"app_key": "sto-key", "app_secret": SECRET, **change}
    headers, body = build_push("sto", sample_events("sto", WAYBILLS["sto"]), **args)
    result = invoke("--json", "verify-push", "sto", "--request", "-", stdin=raw_request(headers, body))
    assert result.exit_code == ExitCode.PUSH_INVALID, result.output
    found = json.loads(result.stdout)
    assert found["valid"] is False and found["reason"] == reason
    assert SECRET not in result.output


def test_verify_push_without_the_digest_header_is_missing_header(tmp_path: Path) -> None:
    headers, body = build_push("jt", sample_events("jt", WAYBILLS["jt"]), app_key="jt-key", app_secret=SECRET)
    del headers["digest"]
    result = invoke("verify-push", "jt", "--request", "-", stdin=raw_request(headers, body))
    assert result.exit_code == ExitCode.PUSH_INVALID and "missing_header" in result.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (["verify-push", "zto"], None, "give --request FILE"),
        (["verify-push", "dhl", "--body", "x"], None, "'dhl' is no carrier"),
        (["verify-push", "zto", "--request", "-"], b"no blank line here", "no empty line"),
        (["verify-push", "zto", "--request", "-"], b"hello\r\n\r\nbody", "request line"),
        (["verify-push", "zto", "--request", "-", "--body", "b"], None, "not both"),
        (["verify-push", "zto", "--request", "/nowhere/push.http"], None, "/nowhere/push.http"),
    ],
)
def test_verify_push_bad_input_exits_2_naming_it(args: List[str], stdin: Any, says: str) -> None:
    result = invoke(*args, stdin=stdin)
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert says in result.output


def test_verify_push_of_an_unconfigured_carrier_is_a_configuration_error() -> None:
    result = invoke("verify-push", "zto", "--request", "-", stdin=raw_request({}, b"data=1"), environ={})
    assert result.exit_code == ExitCode.CONFIGURATION


def test_a_bad_header_line_is_named() -> None:
    result = invoke("verify-push", "zto", "--request", "-", stdin=b"POST /p HTTP/1.1\r\nno colon\r\n\r\nx")
    assert result.exit_code == ExitCode.BAD_INPUT and "line 1 is not 'Name: value'" in result.output


# -- the console script without click -----------------------------------------------------------


def test_without_click_the_script_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from kscarriers import cli as package

    monkeypatch.setitem(sys.modules, "click", None)  # import click now raises ImportError
    with pytest.raises(SystemExit) as stopped:
        package.main(["--help"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.strip() == package.MISSING_CLICK and "kscarriers[cli]" in err


def test_json_may_come_after_the_command_too(rsps: responses.RequestsMock) -> None:
    fake(rsps, "jt", "track")
    result = invoke("track", WAYBILLS["jt"], "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["carrier"] == "jt"
    assert json.loads(invoke("carriers", "--json", environ={}).stdout)[0]["carrier"] == "jt"
