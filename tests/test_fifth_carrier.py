"""A fifth carrier is one folder per side plus its entry points: no other file needs an edit.

``tests/support/fifth_carrier.py`` copies ZTO on both sides as ``yd`` and registers it; each test
here runs in a child process so that the extra carrier never reaches the rest of the suite.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHECKS = r"""
import json, sys
from pathlib import Path
import fifth_carrier
fifth_carrier.install(Path(sys.argv[1]))

from kscarriers import Client, default_registry
from kscarriers.testing import WSGITransport
from ksmock import sdk_config, test_account
from mockserver import create_app
from mockserver.carriers import carrier_slugs
from mockserver.clock import ManualClock

app = create_app({"CLOCK": "manual"}, clock=ManualClock())
admin = app.test_client()

def enums(value):
    if isinstance(value, dict):
        if "enum" in value and "zto" in value["enum"]:
            yield value["enum"]
        for item in value.values():
            yield from enums(item)
    elif isinstance(value, list):
        for item in value:
            yield from enums(item)

assert admin.post("/__admin/accounts", json=test_account("yd")).status_code == 201
parcel = {"carrier": "yd", "app_key": test_account("yd")["app_key"], "waybill": fifth_carrier.WAYBILL}
assert admin.post("/__admin/parcels", json={**parcel, "stage": "in_transit"}).status_code == 201
added = admin.post("/__admin/scenarios", json={
    "match": {"carrier": "yd", "operation": "track", "waybill": "YD0000000000000"},
    "outcome": {"type": "track", "mutation": "empty_trace"},
})
refused = admin.post("/__admin/scenarios", json={"match": {"carrier": "ydd"},
                                                   "outcome": {"type": "track", "mutation": "empty_trace"}})
client = Client(sdk_config(), transport=WSGITransport(app), sleep=lambda seconds: None)
tracked = client.track(fifth_carrier.WAYBILL)
from tools.status_codes import render
print(json.dumps({
    "sdk": default_registry.slugs(),
    "mock": list(carrier_slugs()),
    "health": admin.get("/__admin/health").get_json()["carriers"],
    "openapi_enums": list(enums(admin.get("/__admin/openapi.json").get_json())),
    "schema_enums": list(enums(admin.get("/__admin/scenarios/schema").get_json())),
    "scenario_added": added.status_code,
    "scenario_refused": [refused.status_code, refused.get_json()["message"]],
    "tracked": [tracked.carrier, len(tracked.events), tracked.events[0].raw_code],
    "status_doc": render(),
}))
"""


def _env(scratch: Path) -> dict:
    env = dict(os.environ)
    env["KSCARRIERS_FIFTH_CARRIER_DIR"] = str(scratch)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tests" / "support"), str(ROOT)])
    return env


def test_a_copied_fifth_carrier_is_mounted_listed_documented_and_scriptable(tmp_path: Path) -> None:
    from fifth_carrier import build

    build(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", _CHECKS, str(tmp_path)],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert "yd" in seen["sdk"] and "yd" in seen["mock"] and "yd" in seen["health"]
    assert seen["openapi_enums"] and all("yd" in enum for enum in seen["openapi_enums"])
    assert seen["schema_enums"] and all("yd" in enum for enum in seen["schema_enums"])
    assert seen["scenario_added"] == 201
    assert seen["scenario_refused"][0] == 400 and "unknown carrier 'ydd'" in seen["scenario_refused"][1]
    assert seen["tracked"][0] == "yd" and seen["tracked"][1] > 0 and seen["tracked"][2]
    header = next(
        line for line in seen["status_doc"].splitlines() if line.startswith("| status | sub-status")
    )
    # one rule orders carriers on both sides: rank (the built-in four are 1-4), then slug
    assert header.endswith("| zto | yto | sto | jt | yd |")
    assert seen["health"] == ["zto", "yto", "sto", "jt", "yd"]


def _contract_run(scratch: Path, *suites: str, select: str = "yd") -> subprocess.CompletedProcess[str]:
    options = ("-p", "fifth_carrier", "-n", "0", "-q", "-rp", "-k", select)
    return subprocess.run(
        [sys.executable, "-m", "pytest", *options, *suites],
        cwd=ROOT,
        env=_env(scratch),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _passed(output: str, slug: str) -> list[str]:
    """The tests of ``slug`` that passed, named as the original's (``-rp`` lists each one)."""
    found = re.findall(rf"^PASSED (\S+)\[{slug}(\]|-.*\])$", output, flags=re.MULTILINE)
    return sorted(f"{name}[zto{rest}" for name, rest in found)


def test_a_copied_fifth_carrier_passes_the_contract_suites(tmp_path: Path) -> None:
    suites = ("tests/integration/test_contract.py", "tests/mockserver/carriers/test_contract.py")
    # one child runs the copy and its original side by side (a child process costs a second)
    done = _contract_run(tmp_path, *suites, select="yd or zto")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    # the copy runs every story its original runs, and passes every one
    last = done.stdout.splitlines()[-1]
    assert re.match(r"^\d+ passed, \d+ deselected in ", last), done.stdout[-500:]
    copy, original = _passed(done.stdout, "yd"), _passed(done.stdout, "zto")
    assert copy and copy == original, (copy, original)
    assert int(last.split(" passed")[0]) == len(copy) + len(original), last


def test_a_fifth_carrier_without_its_wire_samples_fails_the_sdk_contract_loudly(tmp_path: Path) -> None:
    # The SDK suite's inputs are the carrier's own signed wire samples (tests/fixtures/<slug>/),
    # which a copy cannot make up: until they are added, every story fails, none is skipped.
    done = _contract_run(tmp_path, "tests/kscarriers/carriers/test_contract.py")
    assert done.returncode == 1, done.stdout[-3000:]
    assert "registered but has no tests/fixtures/yd/contract.json" in done.stdout
    last = done.stdout.splitlines()[-1]
    assert "skipped" not in last and "passed" not in last.split("failed")[0].split("error")[-1], last
