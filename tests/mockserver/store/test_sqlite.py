"""SqliteStore: a restart on the same file loses nothing (accounts, parcels, intercepts, pushes); bad specs fail clearly."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List

import pytest
from mockpushkit import RecordingSender

from mockserver.app import close_app, create_app
from mockserver.clock import ManualClock
from mockserver.config import ConfigError
from mockserver.store import MemoryStore, SqliteStore, StoreError, open_store

KEY, SECRET = "restart-key", "restart-secret"
WAYBILL = "73100130019486"


def _zto(client: Any, api: str, body: Dict[str, Any]) -> Dict[str, Any]:
    raw = json.dumps(body, separators=(",", ":")).encode()
    digest = base64.b64encode(hashlib.md5(raw + SECRET.encode()).digest()).decode()
    answer = client.post(
        f"/zto/{api}",
        data=raw,
        headers={"x-appKey": KEY, "x-dataDigest": digest, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200
    return answer.get_json()  # type: ignore[no-any-return]


def _app(path: Path, clock: ManualClock, sender: Any = None) -> Any:
    return create_app(
        {
            "CLOCK": "manual",
            "TESTING": True,
            "STORE": f"sqlite:{path}",
            "RESULT_DELAY_SECONDS": 600,
            "PUSH_SENDER": sender or RecordingSender("zto"),
        },
        clock=clock,
    )


def test_a_new_app_on_the_same_file_sees_everything_and_the_intercept_still_resolves(tmp_path: Path) -> None:
    db = tmp_path / "mock.db"
    clock = ManualClock()
    first = _app(db, clock)
    admin = first.test_client()
    assert (
        admin.post(
            "/__admin/accounts",
            json={"carrier": "zto", "app_key": KEY, "app_secret": SECRET, "auto_parcels": False},
        ).status_code
        == 201
    )
    assert (
        admin.post(
            "/__admin/parcels",
            json={"carrier": "zto", "app_key": KEY, "waybill": WAYBILL, "stage": "in_transit"},
        ).status_code
        == 201
    )
    answer = _zto(
        admin,
        "thirdcenter.createIntercept",
        {"billCode": WAYBILL, "requestId": "r-1", "thirdBizNo": "r-1", "destinationType": 2},
    )
    assert answer["result"]["status"] == "1"
    before = admin.get(f"/__admin/parcels/zto/{WAYBILL}?app_key={KEY}").get_json()
    close_app(first)  # stops its pushes and closes the store it opened

    second = _app(db, clock).test_client()
    after = second.get(f"/__admin/parcels/zto/{WAYBILL}?app_key={KEY}").get_json()
    assert after == before
    assert after["intercepts"][0]["status"] == "PENDING"
    clock.advance(600)
    status = _zto(second, "thirdcenter.queryInterceptAndReturnStatus", {"billCode": WAYBILL})
    assert status["result"]["status"] == "2"
    again = _zto(
        second,
        "thirdcenter.createIntercept",
        {"billCode": WAYBILL, "requestId": "r-1", "thirdBizNo": "r-1", "destinationType": 2},
    )
    assert again == answer, "the first answer to a request id is remembered across the restart"


def test_pending_pushes_and_the_callback_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "mock.db"
    clock = ManualClock()
    failing = RecordingSender("zto")
    failing.answers = [(500, b"down")]
    first = _app(db, clock, failing)
    admin = first.test_client()
    admin.post(
        "/__admin/subscriptions/callback",
        json={"carrier": "zto", "app_key": "zto-demo", "url": "http://cb.test/"},
    )
    admin.post(
        "/__admin/parcels",
        json={"carrier": "zto", "app_key": "zto-demo", "waybill": WAYBILL, "stage": "picked_up"},
    )
    admin.post("/__admin/subscriptions", json={"carrier": "zto", "app_key": "zto-demo", "waybill": WAYBILL})
    route = admin.get(f"/__admin/parcels/zto/{WAYBILL}?app_key=zto-demo").get_json()["parcel"]["route"]
    next_scan = next(s["time"] for s in route if not s["visible"])
    clock.set(datetime.fromisoformat(next_scan))
    admin.post("/__admin/pushes/flush")
    close_app(first)

    working = RecordingSender("zto")
    second = _app(db, clock, working)
    clock.advance(30)
    second.test_client().post("/__admin/pushes/flush")
    pushes: List[Dict[str, Any]] = (
        second.test_client().get("/__admin/pushes?app_key=zto-demo").get_json()["pushes"]
    )
    assert [p["state"] for p in pushes] == ["delivered"]
    assert [a["status"] for a in pushes[0]["attempts"]] == [500, 200]
    assert len(working.sent) == 1 and working.sent[0].body == failing.sent[0].body


def test_open_store_understands_memory_and_sqlite_and_names_the_setting_otherwise(tmp_path: Path) -> None:
    assert isinstance(open_store("memory"), MemoryStore)
    assert isinstance(open_store(f"sqlite:{tmp_path / 'x.db'}"), SqliteStore)
    for spec in ("redis://x", "sqlite:", "sqlite:   "):
        with pytest.raises(ConfigError) as caught:
            open_store(spec)
        assert caught.value.key == "STORE"
    with pytest.raises(ConfigError, match="STORE"):
        create_app({"CLOCK": "manual", "STORE": "postgres"})


def test_a_file_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    SqliteStore(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 99"):
        SqliteStore(db)
    with pytest.raises(ConfigError, match="STORE"):
        open_store(f"sqlite:{db}")


def test_a_failed_atomic_block_leaves_nothing_behind(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "t.db")
    from mockserver.world import Account

    account = Account(carrier="zto", app_key="a", app_secret="s", epoch=ManualClock().now())
    with pytest.raises(RuntimeError), store.atomic():
        store.put_account(account)
        raise RuntimeError("boom")
    assert store.list_accounts() == []
    with store.atomic():
        store.put_account(account)
    assert store.list_accounts() == [account]
    store.close()


def test_the_command_line_takes_a_store_and_refuses_a_bad_one(capsys: Any) -> None:
    from mockserver.__main__ import build_parser, main

    assert build_parser().parse_args(["--store", "sqlite:/tmp/x.db"]).store == "sqlite:/tmp/x.db"
    assert main(["--store", "redis://x", "--clock", "manual"]) == 2
    assert "STORE" in capsys.readouterr().err


def _plan(path: Path, sql: str) -> str:
    with sqlite3.connect(path) as conn:
        return " ".join(str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall())


def test_per_waybill_and_per_state_lookups_use_an_index_even_in_a_file_made_without_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as conn:  # a version-1 file from before the indexes
        conn.execute("DROP INDEX intercepts_by_waybill")
        conn.execute("DROP INDEX pushes_by_state")
    intercepts = "SELECT data FROM intercepts WHERE carrier = 'zto' AND app_key = 'k' AND waybill = 'w'"
    pushes = "SELECT data FROM pushes WHERE carrier = 'zto' AND app_key = 'k' AND state = 'due' ORDER BY seq"
    assert "intercepts_by_waybill" not in _plan(path, intercepts)
    SqliteStore(path).close()  # opened again: same schema version, the indexes are back
    assert "USING INDEX intercepts_by_waybill" in _plan(path, intercepts)
    assert "USING INDEX pushes_by_state" in _plan(path, pushes)
