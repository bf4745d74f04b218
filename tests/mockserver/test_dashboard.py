"""The dashboard at /__admin/ui: packaged pages that load nothing from elsewhere and only call the admin API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from pagelinks import links

from mockserver.admin.ui import PAGES

WAYBILL = "73100130019486"
ACCOUNT = {"carrier": "zto", "app_key": "qa-dash", "app_secret": "qa-dash-secret"}
SCRIPT = Path(__file__).parents[2] / "mockserver" / "admin" / "ui" / "static" / "dashboard.js"


def dashboard_urls() -> list[str]:
    base = f"/__admin/ui/{ACCOUNT['carrier']}/{ACCOUNT['app_key']}"
    return ["/__admin/ui", *[f"{base}/{page}" for page in PAGES]]


@pytest.mark.parametrize("url", dashboard_urls())
def test_every_page_and_asset_is_served_by_the_mock_itself(mock_client: Any, url: str) -> None:
    page = mock_client.get(url)
    assert page.status_code == 200 and page.mimetype == "text/html"
    found = links(page.get_data(as_text=True))
    assert any(link.endswith("dashboard.js") for link in found)
    for link in found:
        target = urlsplit(urljoin("http://mock.test" + url, link))
        assert target.netloc == "mock.test", f"{url} links outside the server: {link}"
        if link.startswith("/__admin/ui/static/") or link.startswith("/__admin/docs/"):
            assert mock_client.get(target.path).status_code == 200, link


def test_pages_hold_no_data_of_their_own(mock_client: Any) -> None:
    mock_client.post("/__admin/accounts", json=ACCOUNT)
    html = mock_client.get(dashboard_urls()[1]).get_data(as_text=True)
    assert 'data-carrier="zto"' in html and 'data-app-key="qa-dash"' in html
    assert ACCOUNT["app_secret"] not in html


def test_an_account_name_is_escaped_in_the_page(mock_client: Any) -> None:
    html = mock_client.get('/__admin/ui/zto/qa"><img src=x onerror=alert(1)>/parcels').get_data(as_text=True)
    assert "<img src=x" not in html and "qa&#34;&gt;&lt;img src=x" in html


def test_an_unknown_page_is_a_json_404_naming_the_pages(mock_client: Any) -> None:
    answer = mock_client.get("/__admin/ui/zto/qa-dash/timeline")
    assert answer.status_code == 404
    error = answer.get_json()
    assert error["field"] == "page" and "parcels" in error["message"] and "'timeline'" in error["message"]


def test_an_unknown_carrier_is_a_400_naming_the_known_ones(mock_client: Any) -> None:
    answer = mock_client.get("/__admin/ui/dhl/qa-dash/parcels")
    assert answer.status_code == 400
    error = answer.get_json()
    assert error["field"] == "carrier" and "'dhl'" in error["message"] and "zto" in error["message"]


def test_an_unknown_asset_is_a_404(mock_client: Any) -> None:
    assert mock_client.get("/__admin/ui/static/nothing.js").status_code == 404
    assert mock_client.get("/__admin/ui/static/../__init__.py").status_code == 404


def _script_calls() -> set[tuple[str, str]]:
    """(method, path) of every admin API call in the dashboard's script, query strings dropped."""
    text = SCRIPT.read_text("utf-8")
    calls = set()
    for method, path in re.findall(r'api\("(GET|POST|PUT|DELETE)", "(/[^"?]*)"', text):
        if path.endswith("/"):  # "/pushes/" + id + "/resend", "/scenarios/" + id
            rest = re.search(re.escape(f'api("{method}", "{path}"') + r' \+ [^+]+(?:\+ "([^"]*)")?', text)
            path += "{id}" + ((rest.group(1) or "") if rest else "")
        calls.add((method.lower(), "/__admin" + path))
    return calls


def test_every_call_of_the_script_is_a_documented_admin_route(mock_client: Any) -> None:
    document = mock_client.get("/__admin/openapi.json").get_json()
    calls = _script_calls()
    actions = {
        ("post", "/__admin/clock/advance"),
        ("post", "/__admin/scenarios"),
        ("delete", "/__admin/scenarios/{id}"),
        ("post", "/__admin/pushes/{id}/resend"),
        ("post", "/__admin/reset"),
    }
    assert actions <= calls
    for method, path in calls:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
        documented = [p for p, ops in document["paths"].items() if method in ops]
        assert any(re.fullmatch(pattern, re.sub(r"\{[^}]+\}", "x", p)) for p in documented), (method, path)


def test_the_parcel_list_shows_each_scan_on_the_accounts_own_clock(mock_client: Any) -> None:
    mock_client.post("/__admin/accounts", json=ACCOUNT)
    scope = {"carrier": "zto", "app_key": "qa-dash"}
    assert mock_client.post("/__admin/parcels", json={**scope, "waybill": WAYBILL, "stage": "picked_up"})
    before = mock_client.get("/__admin/parcels", query_string=scope).get_json()
    (parcel,) = before["parcels"]
    seen = sum(scan["visible"] for scan in parcel["route"])
    assert parcel["waybill"] == WAYBILL and 0 < seen < len(parcel["route"])
    mock_client.post("/__admin/clock/advance", json={**scope, "seconds": 30 * 24 * 3600})
    after = mock_client.get("/__admin/parcels", query_string=scope).get_json()
    assert after["now"] > before["now"]
    assert all(scan["visible"] for scan in after["parcels"][0]["route"])
    other = mock_client.get("/__admin/parcels", query_string={"carrier": "zto", "app_key": "zto-demo"})
    assert other.get_json()["parcels"] == []


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({"app_key": "qa-dash"}, 400, "carrier"),
        ({"carrier": "dhl", "app_key": "qa-dash"}, 400, "carrier"),
        ({"carrier": "zto"}, 400, "app_key"),
        ({"carrier": "zto", "app_key": "nobody"}, 404, "app_key"),
    ],
)
def test_the_parcel_list_names_what_is_wrong(
    mock_client: Any, query: dict[str, str], status: int, field: str
) -> None:
    answer = mock_client.get("/__admin/parcels", query_string=query)
    assert answer.status_code == status and answer.get_json()["field"] == field
