"""A QA engineer's story in a real browser: set up, break, watch and move time through the dashboard."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Callable, Dict

import pytest
import requests

from kscarriers import Client, InterceptFailure, InterceptStatus

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

WAYBILL = "73100130019486"
STUB = "refuse-intercepts"


def _done(page: Any, action: str) -> None:
    expect(page.locator("#notice")).to_have_text(f"{action}: done")


def test_qa_story_refused_intercept_then_a_push_after_the_clock_moves(
    page: Any,
    live: str,
    receiver: str,
    sdk: Client,
    account: Dict[str, str],
    screenshot: Callable[..., None],
) -> None:
    created = requests.post(f"{live}/__admin/accounts", json={**account, "callback_url": receiver}, timeout=5)
    assert created.status_code == 201

    # Pick the account.
    page.goto(f"{live}/__admin/ui")
    row = page.locator("#accounts tr[data-app-key='qa-story']")
    expect(row).to_contain_text("zto")
    screenshot(page, "dashboard-accounts")
    row.get_by_role("link", name="Open").click()
    expect(page.locator("#account-name")).to_have_text("zto / qa-story")

    # Create a parcel: its timeline shows the scans so far and the planned ones.
    page.fill("#parcel-form [name=waybill]", WAYBILL)
    page.select_option("#parcel-form [name=stage]", "picked_up")
    page.click("#parcel-form button[type=submit]")
    _done(page, f"Create parcel {WAYBILL}")
    card = page.locator(f"article.parcel[data-waybill='{WAYBILL}']")
    expect(card.locator("li.scan.seen").first).to_be_visible()
    expect(card.locator("li.scan.planned").first).to_contain_text("planned")

    # Add an "intercept rejected" scenario for this account.
    page.get_by_role("link", name="Scenarios").click()
    page.select_option("#preset-select", "intercept_rejected")
    page.fill("#preset-form [name=args]", '{"reason": "already_signed"}')
    page.select_option("#preset-form [name=operation]", "intercept")
    page.fill("#preset-form [name=id]", STUB)
    page.click("#preset-form button[type=submit]")
    _done(page, "Add preset intercept_rejected")
    expect(page.locator(f"#stubs tr[data-stub-id='{STUB}']")).to_contain_text("already_signed")

    # The shop's SDK asks for the intercept and subscribes to the waybill's scans.
    refused = sdk.intercept(WAYBILL, reason="buyer cancelled the order")
    assert refused.status is InterceptStatus.FAILED and refused.failure is InterceptFailure.ALREADY_SIGNED
    assert sdk.subscribe(WAYBILL).waybill == WAYBILL

    # The refusal shows on the parcel, decided by the stub ...
    page.reload()
    expect(page.locator(f"#stubs tr[data-stub-id='{STUB}'] td").nth(6)).to_have_text("1")  # fired once
    screenshot(page, "dashboard-scenarios")
    page.get_by_role("link", name="Parcels").click()
    refusal = page.locator(f"article.parcel[data-waybill='{WAYBILL}'] table.intercept-requests tbody tr")
    expect(refusal).to_contain_text(STUB)
    expect(refusal).to_contain_text(refused.raw_code)
    screenshot(page, "dashboard-parcels")

    # ... and in the journal, with the request and the answer.
    page.get_by_role("link", name="Journal").click()
    page.select_option("#journal-filter [name=operation]", "intercept")
    page.click("#journal-filter button[type=submit]")
    entry = page.locator("details.entry").first
    expect(entry.locator("summary")).to_contain_text(f"decided by {STUB}")
    entry.locator("summary").click()
    expect(entry.locator("pre.request")).to_contain_text(WAYBILL)
    expect(entry.locator("pre.response")).to_contain_text(refused.raw_code)
    screenshot(page, "dashboard-journal")
    assert account["app_secret"] not in page.content()

    # Advance the account's clock a day from the dashboard: new scans are pushed to the shop.
    before = page.locator("#account-time").inner_text()
    page.fill("#advance-form [name=seconds]", "86400")
    page.click("#advance-button")
    _done(page, "Advance the clock by 86400 s")
    assert page.locator("#account-time").inner_text() > before
    page.get_by_role("link", name="Pushes").click()
    expect(page.locator("#callback")).to_contain_text(receiver)
    page.click("#flush-pushes")
    _done(page, "Deliver due pushes")
    push = page.locator("article.push.state-delivered").first
    expect(push.locator("table.attempts tbody tr").first).to_contain_text("yes")  # the shop acked it
    expect(push).to_contain_text(WAYBILL)
    screenshot(page, "dashboard-pushes")

    # Send a push again: a new push record, delivered once due pushes go out.
    pushes_before = page.locator("article.push").count()
    push.locator("button.resend").click()
    _done(page, f"Resend push {push.get_attribute('data-push-id')}")
    page.click("#flush-pushes")
    _done(page, "Deliver due pushes")
    expect(page.locator("article.push")).to_have_count(pushes_before + 1)
    expect(page.locator("article.push.state-delivered")).to_have_count(pushes_before + 1)

    page.get_by_role("link", name="Clock").click()
    expect(page.locator("#clock")).to_contain_text("86400")
    screenshot(page, "dashboard-clock")


def test_removing_the_stub_and_resetting_the_account_from_the_dashboard(
    page: Any, live: str, account: Dict[str, str]
) -> None:
    assert requests.post(f"{live}/__admin/accounts", json=account, timeout=5).status_code == 201
    scope = {"carrier": "zto", "app_key": account["app_key"]}
    assert requests.post(f"{live}/__admin/parcels", json={**scope, "waybill": WAYBILL}, timeout=5).ok
    stub = {"id": STUB, "preset": "intercept_rejected", "args": {"reason": "other"}}
    assert requests.post(f"{live}/__admin/scenarios?account=qa-story", json=stub, timeout=5).ok

    page.goto(f"{live}/__admin/ui/zto/qa-story/scenarios")
    row = page.locator(f"#stubs tr[data-stub-id='{STUB}']")
    row.locator("button.remove").click()
    _done(page, f"Remove stub {STUB}")
    expect(row).to_have_count(0)
    assert requests.get(f"{live}/__admin/scenarios", timeout=5).json()["stubs"] == []

    page.get_by_role("link", name="Parcels").click()
    expect(page.locator("article.parcel")).to_have_count(1)
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#reset-account")
    _done(page, "Reset the account")
    expect(page.locator("article.parcel")).to_have_count(0)
    assert requests.get(f"{live}/__admin/parcels", params=scope, timeout=5).json()["parcels"] == []


def test_an_api_error_is_shown_on_the_page(page: Any, live: str) -> None:
    page.goto(f"{live}/__admin/ui/zto/nobody/parcels")
    expect(page.locator("#notice")).to_contain_text("no zto account with app_key 'nobody'")


def test_a_secret_a_client_leaks_shows_masked_in_the_journal(
    page: Any, live: str, account: Dict[str, str]
) -> None:
    assert requests.post(f"{live}/__admin/accounts", json=account, timeout=5).status_code == 201
    secret = account["app_secret"]
    body = json.dumps({"billCode": WAYBILL, "note": f"secret is {secret}"}, ensure_ascii=False).encode()
    digest = base64.b64encode(hashlib.md5(body + secret.encode()).digest()).decode()
    headers = {"x-appKey": account["app_key"], "x-dataDigest": digest, "Content-Type": "application/json"}
    sent = requests.post(
        f"{live}/zto/zto.merchant.waybill.track.query", data=body, headers=headers, timeout=5
    )
    assert sent.status_code == 200

    page.goto(f"{live}/__admin/ui/zto/qa-story/journal")
    entry = page.locator("details.entry").first
    entry.locator("summary").click()
    expect(entry.locator("pre.request")).to_contain_text("secret is ***")
    assert secret not in page.content()
