"""Swagger UI in a real browser: it lists the admin operations and "Try it out" calls this server."""

from __future__ import annotations

from typing import Any, Callable

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect


def test_swagger_ui_lists_the_operations_by_tag_and_tries_one_out_same_origin(
    page: Any, live: str, screenshot: Callable[..., None]
) -> None:
    page.goto(f"{live}/__admin/docs")
    for tag in ("world", "clock", "journal", "scenarios", "pushes", "dashboard"):
        expect(page.locator(f"#operations-tag-{tag}")).to_be_visible()
    health = page.locator("#operations-world-get___admin_health")
    expect(health).to_contain_text("/__admin/health")
    screenshot(page, "swagger-ui", full_page=False)

    health.locator(".opblock-summary").click()
    health.get_by_role("button", name="Try it out").click()
    with page.expect_response(f"{live}/__admin/health") as answer:
        health.get_by_role("button", name="Execute").click()
    assert answer.value.status == 200 and answer.value.json()["status"] == "ok"
    expect(health.locator(".responses-wrapper .live-responses-table")).to_contain_text("200")
