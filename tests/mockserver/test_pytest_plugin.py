"""The pytest plugin's live fixtures, run in inner pytest sessions as a user's suite would use them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]


def test_live_server_honours_mockserver_config(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest, requests

        @pytest.fixture
        def mockserver_config():
            return {"CLOCK": "manual", "RESULT_DELAY_SECONDS": 42, "DEMO_ACCOUNTS": False}

        def test_config(mockserver_live):
            services = mockserver_live.app.extensions["mockserver"]
            assert services.config["RESULT_DELAY_SECONDS"] == 42
            assert requests.get(mockserver_live.url + "/__admin/accounts").json() == {"accounts": []}
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_every_test_starts_at_the_same_clock_position(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import requests

        SEEN = []

        def _time(live):
            return requests.get(live.url + "/__admin/clock").json()["time"]

        def test_first_moves_the_clock(mockserver_live):
            SEEN.append(_time(mockserver_live))
            mockserver_live.advance(30 * 86400)

        def test_second_starts_where_the_first_started(mockserver_live):
            assert _time(mockserver_live) == SEEN[0]
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_each_test_gets_its_own_accounts_which_are_deleted_after(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import requests

        KEYS = []

        def _keys(live):
            return {a["app_key"] for a in requests.get(live.url + "/__admin/accounts").json()["accounts"]}

        def test_one(mockserver_accounts, mockserver_live):
            assert set(mockserver_accounts) == {"zto", "yto", "sto", "jt"}
            KEYS.extend(a.app_key for a in mockserver_accounts.values())
            assert set(KEYS) <= _keys(mockserver_live)
            assert "secret" not in repr(mockserver_accounts["zto"])

        def test_two(mockserver_accounts, mockserver_live):
            mine = {a.app_key for a in mockserver_accounts.values()}
            assert not mine & set(KEYS)
            assert not set(KEYS) & _keys(mockserver_live)
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_attaching_to_an_external_server_never_resets_it(pytester: pytest.Pytester) -> None:
    from mockserver.app import close_app, create_app
    from mockserver.serving import serve_in_thread

    app = create_app({"CLOCK": "manual"})
    url, stop = serve_in_thread(app)
    try:
        app.extensions["mockserver"].simulator.register_account("zto", "someone-else", "s")
        pytester.makepyfile(
            f"""
            import pytest
            from mockserver.pytest_plugin import MockServerError

            def test_external(mockserver_live, mockserver_accounts):
                assert mockserver_live.external and mockserver_live.url == "{url}"
                with pytest.raises(MockServerError):
                    mockserver_live.reset()
                account = mockserver_accounts["zto"]
                moved = mockserver_live.advance(600, account)
                assert moved["offset_seconds"] == 600
            """
        )
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", f"--mockserver-url={url}")
        result.assert_outcomes(passed=1)
        keys = {a.app_key for a in app.extensions["mockserver"].store.list_accounts("zto")}
        assert "someone-else" in keys  # the other job's account survived
        assert not any(k.startswith("pytest-") for k in keys)  # ours was deleted
    finally:
        stop()
        close_app(app)


def test_admin_errors_name_the_call_and_the_answer(mockserver_live: Any) -> None:
    from mockserver.pytest_plugin import MockServerError

    with pytest.raises(MockServerError) as caught:
        mockserver_live.admin("POST", "/clock/advance", {"seconds": -1})
    assert caught.value.status == 400
    assert caught.value.answer["field"] == "seconds"
    assert "/clock/advance answered 400" in str(caught.value)


def test_live_fixtures_work_under_xdist_with_one_server_per_worker(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mockserver

    # The workers are new processes: they must import this checkout's mockserver.
    monkeypatch.setenv("PYTHONPATH", str(Path(mockserver.__file__).parents[1]))
    pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_isolated(mockserver_live, mockserver_accounts, n):
            worker = os.environ["PYTEST_XDIST_WORKER"]
            assert all(a.app_key.startswith(f"pytest-{worker}-") for a in mockserver_accounts.values())
            assert mockserver_live.advance(60, mockserver_accounts["zto"])["offset_seconds"] == 60
        """
    )
    # Our plugin and xdist load from their entry points as in a user's project; the installed
    # plugins this project has nothing to do with stay out of the three processes (importing
    # schemathesis and hypothesis costs each of them about a second).
    unrelated = ("schemathesis", "benchmark", "anyio")
    blocked = [arg for name in unrelated for arg in ("-p", f"no:{name}")]
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *blocked, "-n", "2")
    result.assert_outcomes(passed=4)
