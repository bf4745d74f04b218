"""Swagger UI at /__admin/docs: a packaged copy over the server's own document, which "Try it out" can call."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import jsonschema
import pytest
from pagelinks import links

import mockserver.admin.docs_ui as docs_ui
from mockserver.admin.openapi import EXAMPLES, TAGS, build_document


def test_the_page_and_every_asset_it_loads_come_from_the_server(mock_client: Any) -> None:
    page = mock_client.get("/__admin/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert '"url": "/__admin/openapi.json"' in html
    assert '"validatorUrl": null' in html  # the default badge would call validator.swagger.io
    found = links(html)
    assert any(link.endswith("swagger-ui-bundle.js") for link in found)
    for link in found:
        target = urlsplit(urljoin("http://mock.test/__admin/docs", link))
        assert target.netloc == "mock.test", link
        asset = mock_client.get(target.path)
        assert asset.status_code == 200 and asset.data, link


def test_an_unknown_asset_is_a_404(mock_client: Any) -> None:
    assert mock_client.get("/__admin/docs/nothing.js").status_code == 404


def test_without_the_package_the_page_says_what_to_install(
    mock_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(docs_ui, "swagger_ui_dir", lambda: None)
    for url in ("/__admin/docs", "/__admin/docs/swagger-ui-bundle.js"):
        answer = mock_client.get(url)
        assert answer.status_code == 501
        assert "flask-swagger-ui" in answer.get_json()["message"]


def test_the_document_names_a_relative_server_so_try_it_out_calls_the_same_origin(mock_client: Any) -> None:
    document = mock_client.get("/__admin/openapi.json").get_json()
    assert document["servers"]
    for server in document["servers"]:
        assert not urlsplit(server["url"]).netloc and server["url"].startswith("/")


def test_every_operation_has_a_tag_the_document_lists(mock_client: Any) -> None:
    document = mock_client.get("/__admin/openapi.json").get_json()
    listed = [tag["name"] for tag in document["tags"]]
    assert len(listed) == len(set(listed))
    assert {"world", "clock", "journal", "scenarios", "pushes", "dashboard"} <= set(listed)
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            assert spec["tags"] and set(spec["tags"]) <= set(listed), (method, path)


def test_an_operation_keeps_the_tags_it_names() -> None:
    document = build_document(("mockserver.admin.ui",))
    assert {t for ops in document["paths"].values() for op in ops.values() for t in op["tags"]} == {
        "dashboard"
    }
    assert set(TAGS) >= {"mockserver.admin.world", "mockserver.admin.docs_ui"}


def test_every_example_fits_its_schema_and_is_accepted_by_the_server(mock_client: Any, zto: Any) -> None:
    document = mock_client.get("/__admin/openapi.json").get_json()
    mock_client.post("/__admin/accounts", json=EXAMPLES[("post", "/__admin/accounts")])
    zto.intercept("73123456789012", "r-example")  # what the verify and wait examples look for
    for (method, path), example in EXAMPLES.items():
        content = document["paths"][path][method]["requestBody"]["content"]["application/json"]
        assert content["example"] == example
        jsonschema.validate(example, content["schema"])
        if path.startswith("/__admin/wait/"):  # no real waiting here: 200 or the documented 408 at once
            answer = mock_client.open(path, method=method.upper(), json={**example, "timeout": 0})
            assert answer.status_code in (200, 408), (path, answer.get_json())
            continue
        answer = mock_client.open(path, method=method.upper(), json=example)
        assert answer.status_code < 300, (path, answer.get_json())
