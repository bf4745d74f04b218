"""Admin authentication and scopes: the admin token, team tokens and an account's own secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from typing import Any, Optional

import pytest

from mockserver import create_app
from mockserver.__main__ import main
from mockserver.app import close_app
from mockserver.clock import ManualClock
from mockserver.config import ConfigError, load_config
from mockserver.pytest_plugin import LiveMockServer, MockServerError
from mockserver.serving import serve_in_thread

pytest_plugins = ["pytester"]

TOKEN = "admin-token-for-tests-0123456789"
TEAM_A = "team-a-token-for-tests-0123"
TEAM_B = "team-b-token-for-tests-4567"


def track(client: Any, app_key: str = "zto-demo", secret: str = "zto-demo-secret") -> dict[str, Any]:
    """A signed ZTO track query, as the SDK sends it."""
    raw = json.dumps({"billCode": "73100130019486"}).encode()
    digest = base64.b64encode(hashlib.md5(raw + secret.encode()).digest()).decode()
    answer = client.post(
        "/zto/zto.merchant.waybill.track.query",
        data=raw,
        headers={"x-appKey": app_key, "x-dataDigest": digest, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()  # type: ignore[no-any-return]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def basic(user: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.fixture
def app() -> Iterator[Any]:
    found = create_app(
        {
            "CLOCK": "manual",
            "TESTING": True,
            "PUSH_TICKER": "off",
            "ADMIN_TOKEN": TOKEN,
            "TEAM_TOKENS": {"a": TEAM_A, "b": TEAM_B},
        },
        clock=ManualClock(),
    )
    yield found
    close_app(found)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


def _example_url(rule: Any) -> str:
    """The rule's URL with a plausible value in each variable."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: {"carrier": "zto"}.get(m.group(1), "x1"), rule.rule)


def _admin_calls(app: Any) -> list[tuple[str, str]]:
    calls = []
    for rule in app.url_map.iter_rules():
        if rule.rule == "/__admin" or rule.rule.startswith("/__admin/"):
            calls += [(method, _example_url(rule)) for method in sorted(rule.methods or ())]
    return calls


def test_every_admin_route_answers_401_without_the_token(app: Any, client: Any) -> None:
    calls = _admin_calls(app)
    assert len(calls) > 40  # the walk found the admin API (every method of every rule)
    for method, url in calls:
        answer = client.open(url, method=method, json={} if method in ("POST", "PUT") else None)
        assert answer.status_code == 401, (method, url, answer.get_data(as_text=True))
        assert answer.headers["WWW-Authenticate"].startswith("Bearer realm=")
        if method != "HEAD":
            assert answer.get_json()["error"] == "unauthorized", (method, url)


def test_an_unknown_admin_path_answers_401_before_404(client: Any) -> None:
    assert client.get("/__admin/no-such-page").status_code == 401
    assert client.get("/__admin/no-such-page", headers=bearer(TOKEN)).status_code == 404


@pytest.mark.parametrize(
    "header",
    [
        "Bearer wrong-token",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"Token {TOKEN}",
        "Basic !!!not-base64",
        "Bearer",
    ],
)
def test_a_wrong_token_answers_401_without_a_hint_of_the_token(client: Any, header: str) -> None:
    answer = client.get("/__admin/accounts", headers={"Authorization": header})
    assert answer.status_code == 401
    assert answer.get_json() == {
        "error": "unauthorized",
        "message": "the credentials sent were not accepted (see docs/security.md)",
    }
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    assert TOKEN not in answer.get_data(as_text=True) and TOKEN[:8] not in str(answer.headers)


def test_the_admin_token_opens_every_route_and_is_compared_in_constant_time(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[bytes] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append(b)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    answer = client.get("/__admin/health", headers=bearer(TOKEN))
    assert answer.status_code == 200
    assert TOKEN.encode() in compared  # every token goes through hmac.compare_digest
    assert client.get("/__admin/openapi.json", headers=bearer(TOKEN)).status_code == 200


def test_a_browser_sends_the_token_as_the_basic_password(client: Any) -> None:
    assert client.get("/__admin/health", headers=basic("anyone", TOKEN)).status_code == 200
    assert client.get("/__admin/health", headers=basic("anyone", "nope")).status_code == 401


def test_carrier_endpoints_still_need_only_the_carrier_signature(client: Any) -> None:
    assert track(client)["status"] is True


def test_without_a_token_the_admin_api_stays_open(mock_client: Any) -> None:
    assert mock_client.get("/__admin/accounts").status_code == 200
    document = mock_client.get("/__admin/openapi.json").get_json()
    assert "security" not in document
    assert "401" in document["paths"]["/__admin/health"]["get"]["responses"]


def test_the_document_requires_a_scheme_and_every_operation_documents_its_401(client: Any) -> None:
    document = client.get("/__admin/openapi.json", headers=bearer(TOKEN)).get_json()
    assert document["security"] == [{"bearer": []}, {"basic": []}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, item in document["paths"].items():
        for method, spec in item.items():
            assert "WWW-Authenticate" in spec["responses"]["401"]["headers"], (method, path)


# -- scopes --------------------------------------------------------------------------------


def _account(client: Any, token: str, app_key: str, status: int = 201, **extra: Any) -> dict[str, Any]:
    body = {"carrier": "zto", "app_key": app_key, "app_secret": f"{app_key}-secret", **extra}
    answer = client.post("/__admin/accounts", json=body, headers=bearer(token))
    assert answer.status_code == status, answer.get_json()
    return answer.get_json()  # type: ignore[no-any-return]


def _keys(client: Any, headers: dict[str, str]) -> set[str]:
    answer = client.get("/__admin/accounts", headers=headers)
    assert answer.status_code == 200
    return {a["app_key"] for a in answer.get_json()["accounts"]}


def test_a_team_token_sees_only_its_teams_accounts(client: Any) -> None:
    created = _account(client, TEAM_A, "a-job-1")
    assert created["account"]["team"] == "a"
    _account(client, TEAM_B, "b-job-1")
    assert _keys(client, bearer(TEAM_A)) == {"a-job-1"}
    assert _keys(client, bearer(TEAM_B)) == {"b-job-1"}
    everything = _keys(client, bearer(TOKEN))
    assert {"a-job-1", "b-job-1", "zto-demo"} <= everything


def test_another_teams_account_is_invisible(client: Any) -> None:
    _account(client, TEAM_A, "a-job-2")
    waybill = {"carrier": "zto", "app_key": "a-job-2", "waybill": "73100130019486"}
    assert client.post("/__admin/parcels", json=waybill, headers=bearer(TEAM_A)).status_code == 201
    as_b = bearer(TEAM_B)
    for method, url, body in [
        ("GET", "/__admin/parcels/zto/73100130019486?app_key=a-job-2", None),
        ("POST", "/__admin/parcels", {**waybill, "waybill": "73100130019487"}),
        ("POST", "/__admin/reset", {"carrier": "zto", "app_key": "a-job-2"}),
        ("DELETE", "/__admin/accounts/zto/a-job-2", None),
        ("POST", "/__admin/clock/advance", {"seconds": 60, "carrier": "zto", "app_key": "a-job-2"}),
        ("GET", "/__admin/clock?carrier=zto&app_key=a-job-2", None),
        ("POST", "/__admin/subscriptions/callback", {"carrier": "zto", "app_key": "a-job-2", "url": None}),
        ("POST", "/__admin/pushes/outage", {"carrier": "zto", "app_key": "a-job-2", "duration_seconds": 9}),
    ]:
        answer = client.open(url, method=method, json=body, headers=as_b)
        assert answer.status_code == 404, (method, url, answer.get_json())
        assert answer.get_json()["error"] == "not_found"
    # Nor can B take the app key over.
    answer = _account(client, TEAM_B, "a-job-2", status=409)
    assert answer["error"] == "conflict"
    parcel = client.get("/__admin/parcels/zto/73100130019486?app_key=a-job-2", headers=bearer(TEAM_A))
    assert parcel.status_code == 200


def test_a_team_sees_only_its_own_journal_entries(app: Any, client: Any) -> None:
    _account(client, TEAM_A, "a-job-3")
    track(client, "a-job-3", "a-job-3-secret")
    track(client)  # the demo account: the admin's
    mine = client.get("/__admin/requests", headers=bearer(TEAM_A)).get_json()
    assert [e["account"] for e in mine["requests"]] == ["a-job-3"]
    assert client.get("/__admin/requests/count", headers=bearer(TEAM_B)).get_json() == {"count": 0}
    assert client.get("/__admin/requests/count", headers=bearer(TOKEN)).get_json() == {"count": 2}
    verify = client.post("/__admin/verify", json={"match": {"app_key": "zto-demo"}}, headers=bearer(TEAM_A))
    assert verify.status_code == 409 and verify.get_json()["requests"] == []
    cleared = client.delete("/__admin/requests", headers=bearer(TEAM_B)).get_json()
    assert cleared == {"cleared": 0}
    assert client.get("/__admin/requests/count", headers=bearer(TOKEN)).get_json() == {"count": 2}


def test_a_team_installs_and_sees_only_stubs_of_its_accounts(client: Any) -> None:
    _account(client, TEAM_A, "a-job-4")
    _account(client, TEAM_B, "b-job-4")
    stub = {
        "id": "slow-a",
        "match": {"operation": "track"},
        "outcome": {"type": "carrier_error", "kind": "unavailable"},
    }
    refused = client.post("/__admin/scenarios", json=stub, headers=bearer(TEAM_A))
    assert refused.status_code == 403 and refused.get_json()["field"] == "match.account"
    added = client.post("/__admin/scenarios?account=a-job-4", json=stub, headers=bearer(TEAM_A))
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["added"][0]["match"]["carrier"] == "zto"  # bound to the team's account
    assert client.get("/__admin/scenarios", headers=bearer(TEAM_B)).get_json()["stubs"] == []
    assert client.delete("/__admin/scenarios/slow-a", headers=bearer(TEAM_B)).status_code == 404
    taken = client.post("/__admin/scenarios?account=b-job-4", json=stub, headers=bearer(TEAM_B))
    assert taken.status_code == 409  # the id is A's
    replace = client.post(
        "/__admin/scenarios?account=a-job-4&replace=true", json=stub, headers=bearer(TEAM_A)
    )
    assert replace.status_code == 403
    assert [
        s["id"] for s in client.get("/__admin/scenarios", headers=bearer(TEAM_A)).get_json()["stubs"]
    ] == ["slow-a"]
    joined = client.post(
        "/__admin/scenarios?account=b-job-4",
        json={**stub, "id": "b1", "scenario": "a-flow"},
        headers=bearer(TEAM_B),
    )
    assert joined.status_code == 201  # a scenario of B's own
    theirs = client.post(
        "/__admin/scenarios?account=a-job-4",
        json={**stub, "id": "a2", "scenario": "a-flow"},
        headers=bearer(TEAM_A),
    )
    assert theirs.status_code == 409 and theirs.get_json()["field"] == "scenario"
    state = client.put("/__admin/scenarios/states/a-flow", json={"state": "x"}, headers=bearer(TEAM_A))
    assert state.status_code == 403
    reset = client.post("/__admin/scenarios/reset", json={}, headers=bearer(TEAM_B)).get_json()
    assert reset["removed"] == ["b1"]
    assert client.delete("/__admin/scenarios/slow-a", headers=bearer(TEAM_A)).status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/__admin/reset", {}),
        ("POST", "/__admin/clock/advance", {"seconds": 1}),
        ("POST", "/__admin/clock", {"time": "2025-01-06T10:00:00+08:00"}),
        ("POST", "/__admin/clock/mode", {"mode": "manual"}),
        ("GET", "/__admin/recordings", None),
    ],
)
def test_what_touches_everybody_needs_the_admin_token(
    client: Any, method: str, url: str, body: Optional[dict[str, Any]]
) -> None:
    answer = client.open(url, method=method, json=body, headers=bearer(TEAM_A))
    assert answer.status_code == 403
    assert answer.get_json()["error"] == "forbidden"
    assert "team 'a'" in answer.get_json()["message"]


def test_an_accounts_own_secret_manages_that_account_only(client: Any) -> None:
    _account(client, TEAM_A, "a-job-5")
    own = basic("zto/a-job-5", "a-job-5-secret")
    assert _keys(client, own) == {"a-job-5"}
    advanced = client.post(
        "/__admin/clock/advance", json={"seconds": 60, "carrier": "zto", "app_key": "a-job-5"}, headers=own
    )
    assert advanced.status_code == 200 and advanced.get_json()["offset_seconds"] == 60
    other = client.get("/__admin/clock?carrier=zto&app_key=zto-demo", headers=own)
    assert other.status_code == 404
    created = client.post(
        "/__admin/accounts", json={"carrier": "zto", "app_key": "new", "app_secret": "s"}, headers=own
    )
    assert created.status_code == 403
    wrong = client.get("/__admin/accounts", headers=basic("zto/a-job-5", "not-the-secret"))
    assert wrong.status_code == 401
    unknown = client.get("/__admin/accounts", headers=basic("zto/nobody", "a-job-5-secret"))
    assert unknown.status_code == 401


def test_the_global_token_keeps_full_access_to_team_accounts(client: Any) -> None:
    _account(client, TEAM_A, "a-job-6")
    answer = client.delete("/__admin/accounts/zto/a-job-6", headers=bearer(TOKEN))
    assert answer.status_code == 200
    assert client.post("/__admin/reset", json={}, headers=bearer(TOKEN)).status_code == 200


# -- settings, CLI and the pytest plugin -----------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"ADMIN_TOKEN": ""}, "ADMIN_TOKEN"),
        ({"ADMIN_TOKEN": "has space-secret"}, "ADMIN_TOKEN"),
        ({"TEAM_TOKENS": ["x"]}, "TEAM_TOKENS"),
        ({"TEAM_TOKENS": {"a": " "}}, "TEAM_TOKENS[a]"),
        ({"ADMIN_TOKEN": "same-secret", "TEAM_TOKENS": {"a": "same-secret"}}, "TEAM_TOKENS[a]"),
    ],
)
def test_an_unusable_token_setting_is_named_without_its_value(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(settings)
    assert caught.value.key == key
    assert "secret" not in str(caught.value)


def test_team_tokens_come_from_the_environment_as_json() -> None:
    found = load_config(environ={"MOCKSERVER_TEAM_TOKENS": json.dumps({"a": TEAM_A})})
    assert found["TEAM_TOKENS"] == {"a": TEAM_A}


def test_listening_beyond_loopback_without_a_token_warns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOCKSERVER_ADMIN_TOKEN", raising=False)
    # --record without --proxy is refused after the warning and before anything listens.
    assert main(["--host", "0.0.0.0", "--record", "x.json"]) == 2
    assert "WARNING: listening on 0.0.0.0 with no admin token" in capsys.readouterr().err
    assert main(["--host", "0.0.0.0", "--record", "x.json", "--admin-token", TOKEN]) == 2
    assert "WARNING" not in capsys.readouterr().err
    monkeypatch.setenv("MOCKSERVER_ADMIN_TOKEN", TOKEN)
    assert main(["--host", "0.0.0.0", "--record", "x.json"]) == 2
    assert "WARNING" not in capsys.readouterr().err
    monkeypatch.delenv("MOCKSERVER_ADMIN_TOKEN")
    assert main(["--host", "127.0.0.1", "--record", "x.json"]) == 2
    assert "WARNING" not in capsys.readouterr().err


def test_the_plugins_admin_calls_send_the_token(app: Any) -> None:
    url, stop = serve_in_thread(app)
    try:
        with_token = LiveMockServer(url=url, token=TOKEN)
        assert "zto" in with_token.carriers()
        assert TOKEN not in repr(with_token)
        with pytest.raises(MockServerError) as caught:
            LiveMockServer(url=url).carriers()
        assert caught.value.status == 401
    finally:
        stop()


def test_the_live_fixtures_send_a_team_token_to_a_shared_server(app: Any, pytester: pytest.Pytester) -> None:
    url, stop = serve_in_thread(app)
    try:
        pytester.makepyfile(
            """
            def test_shared(mockserver_live, mockserver_accounts):
                account = mockserver_accounts["zto"]
                seen = mockserver_live.admin("GET", "/accounts")["accounts"]
                mine = {a.app_key for a in mockserver_accounts.values()}
                assert {a["app_key"] for a in seen} == mine  # the team's own only: no demo accounts
                assert {a["team"] for a in seen} == {"a"}
                assert mockserver_live.advance(60, account)["offset_seconds"] == 60
            """
        )
        result = pytester.runpytest_inprocess(
            "-p", "no:cacheprovider", f"--mockserver-url={url}", f"--mockserver-token={TEAM_A}"
        )
        result.assert_outcomes(passed=1)
        assert TEAM_A not in result.stdout.str()
        keys = {a.app_key for a in app.extensions["mockserver"].store.list_accounts("zto")}
        assert not any(k.startswith("pytest-") for k in keys)  # deleted afterwards, with the token
    finally:
        stop()


def test_a_server_the_plugin_starts_with_an_admin_token_gets_it_sent(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.fixture
        def mockserver_config():
            return {{"CLOCK": "manual", "TESTING": True, "ADMIN_TOKEN": "{TOKEN}"}}
        """
    )
    pytester.makepyfile(
        """
        import pytest
        from mockserver.pytest_plugin import LiveMockServer, MockServerError

        def test_token(mockserver_live, mockserver_accounts):
            assert "zto" in mockserver_live.carriers()
            with pytest.raises(MockServerError) as caught:
                LiveMockServer(url=mockserver_live.url).carriers()
            assert caught.value.status == 401
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
