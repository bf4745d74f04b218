"""Over a real socket (waitress): wire faults on every carrier, and many concurrent jobs isolated by account."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from carrier_calls import CARRIERS, HttpClient

from mockserver import create_app
from mockserver.carriers import carrier_slugs
from mockserver.serving import serve_in_thread

SLUGS = [slug for slug in carrier_slugs() if slug in CARRIERS]


@pytest.fixture
def live() -> Iterator[tuple[str, Any]]:
    app = create_app({"CLOCK": "manual", "TESTING": True})
    url, stop = serve_in_thread(app, threads=8)
    try:
        yield url, app
    finally:
        stop()


def _fault(url: str, kind: str) -> None:
    answer = requests.post(
        f"{url}/__admin/scenarios", json={"outcome": {"type": "http_fault", "kind": kind}}, timeout=5
    )
    assert answer.status_code == 201


@pytest.mark.parametrize("slug", SLUGS)
def test_connection_reset_drops_the_connection_without_an_answer(live: Any, slug: str) -> None:
    url, _ = live
    _fault(url, "connection_reset")
    with pytest.raises(requests.ConnectionError):
        CARRIERS[slug](HttpClient(url)).track()


@pytest.mark.parametrize("slug", SLUGS)
def test_truncated_body_breaks_the_read(live: Any, slug: str) -> None:
    url, app = live
    requests.post(
        f"{url}/__admin/parcels",
        timeout=5,
        json={
            "carrier": slug,
            "app_key": f"{slug}-demo",
            "waybill": CARRIERS[slug].waybill,
            "stage": "in_transit",
        },
    )
    _fault(url, "truncated_body")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        CARRIERS[slug](HttpClient(url)).track()
    assert "truncated" in app.extensions["mockserver"].journal.entries()[-1].error


@pytest.mark.parametrize("slug", SLUGS)
def test_slow_response_sleeps_in_the_server_then_answers(live: Any, slug: str) -> None:
    url, app = live
    slept: list[float] = []
    app.extensions["mockserver"].sleep = slept.append
    requests.post(
        f"{url}/__admin/scenarios",
        timeout=5,
        json={"outcome": {"type": "http_fault", "kind": "slow", "delay_seconds": 12.5}},
    )
    assert CARRIERS[slug](HttpClient(url)).track().status_code == 200
    assert slept == [12.5]


JOBS, ROUNDS = 8, 24


def test_concurrent_jobs_are_isolated_and_every_request_is_journalled(live: Any) -> None:
    url, app = live
    admin = requests.Session()
    for job in range(JOBS):
        for slug in SLUGS:
            admin.post(
                f"{url}/__admin/accounts",
                timeout=5,
                json={"carrier": slug, "app_key": f"job-{job}", "app_secret": f"secret-{job}"},
            )
    failures: list[BaseException] = []
    outcomes: dict[int, dict[str, int]] = {}

    def run(job: int) -> None:
        try:
            client = HttpClient(url)
            key = f"job-{job}"
            if job % 2 == 0:  # even jobs make their own intercepts fail; odd jobs must not notice
                answer = client.session.post(
                    f"{url}/__admin/scenarios?account={key}",
                    timeout=10,
                    json={"outcome": {"type": "intercept", "result": "fail", "reason": "other"}},
                )
                assert answer.status_code == 201
            statuses: dict[str, int] = {}
            for round_ in range(ROUNDS):
                slug = SLUGS[round_ % len(SLUGS)]
                carrier = CARRIERS[slug](client, key=key, secret=f"secret-{job}")
                if round_ < len(SLUGS):
                    body = carrier.intercept().get_data(as_text=True)
                    statuses[slug] = int(carrier.codes["other"] in body)
                else:
                    assert carrier.track().status_code == 200
                if round_ % 6 == 5:
                    count = client.session.get(f"{url}/__admin/requests/count?app_key={key}", timeout=10)
                    assert count.json()["count"] == round_ + 1
            outcomes[job] = statuses
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in range(JOBS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "deadlock: a job did not finish"
    assert failures == []
    journal = app.extensions["mockserver"].journal
    assert len(journal) == JOBS * ROUNDS
    assert len({entry.id for entry in journal.entries()}) == JOBS * ROUNDS
    for job in range(JOBS):
        assert journal.count(account=f"job-{job}") == ROUNDS
        assert outcomes[job] == {slug: int(job % 2 == 0) for slug in SLUGS}
    intercepts = admin.get(f"{url}/__admin/intercepts", timeout=5).json()["intercepts"]
    assert sorted({r["app_key"] for r in intercepts}) == sorted(f"job-{j}" for j in range(1, JOBS, 2))
