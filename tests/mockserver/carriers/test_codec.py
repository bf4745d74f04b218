"""Tests for mockserver.carriers.codec: the answers kept while what they were made from is the same."""

from __future__ import annotations

import json

from flask import Response

from mockserver.carriers.codec import AnswerCache, compact_json, json_response, json_response_with_data


class _Renders:
    """Renders a JSON answer naming its source, counting how often it was asked to."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, source: object) -> Response:
        self.count += 1
        return json_response({"source": repr(source)}, status=201)


def test_answer_cache_sends_the_stored_answer_while_the_source_is_the_same() -> None:
    cache, render = AnswerCache(), _Renders()
    source = ("scan-1", "scan-2")
    first = cache.response("key", source, lambda: render(source))
    again = cache.response("key", source, lambda: render(source))
    assert render.count == 1
    assert (again.get_data(), again.status_code, again.content_type) == (
        first.get_data(),
        201,
        "application/json; charset=utf-8",
    )
    assert again is not first  # each request gets a response of its own to send (or damage)


def test_answer_cache_renders_again_when_the_source_changes() -> None:
    cache, render = AnswerCache(), _Renders()
    cache.response("key", ("scan-1",), lambda: render(("scan-1",)))
    answer = cache.response("key", ("scan-1", "scan-2"), lambda: render(("scan-1", "scan-2")))
    assert render.count == 2
    assert answer.get_json() == {"source": "('scan-1', 'scan-2')"}


def test_answer_cache_reuses_an_answer_for_an_equal_source_that_is_another_object() -> None:
    cache, render = AnswerCache(), _Renders()
    first, equal = (float("1.5"),), (float("1.5"),)  # as scans read again from SQLite would be
    assert first[0] is not equal[0]
    cache.response("key", first, lambda: render("first"))
    answer = cache.response("key", equal, lambda: render("second"))
    cache.response("key", equal, lambda: render("third"))
    assert render.count == 1
    assert answer.get_json() == {"source": "'first'"}


def test_answer_cache_keeps_answers_apart_by_key() -> None:
    cache, render = AnswerCache(), _Renders()
    cache.response("a", ("same",), lambda: render("for a"))
    answer = cache.response("b", ("same",), lambda: render("for b"))
    assert render.count == 2
    assert answer.get_json() == {"source": "'for b'"}


def test_answer_cache_forgets_its_answers_when_full() -> None:
    cache, render = AnswerCache(size=2), _Renders()
    for key in ("a", "b", "c"):  # "c" finds the cache full
        cache.response(key, (), lambda: render("x"))
    cache.response("a", (), lambda: render("x"))
    assert render.count == 4


def test_data_json_is_rendered_once_while_the_source_is_the_same() -> None:
    cache, renders = AnswerCache(), []
    for _ in range(2):
        text = cache.data_json("key", ("scan",), lambda: renders.append(1) or {"中": [1, 2]})
    assert (text, len(renders)) == ('{"中":[1,2]}', 1)


def test_an_envelope_with_data_as_json_text_is_the_bytes_of_the_whole_envelope() -> None:
    envelope = {"code": "1", "msg": "success", "data": None, "requestId": "abc"}
    data = {"list": ["中通", {"n": 1}], "note": "@@ not a slot @@"}
    made = json_response_with_data(envelope, compact_json(data), status=201)
    whole = json_response({**envelope, "data": data}, status=201)
    assert (made.get_data(), made.status_code, made.content_type) == (
        whole.get_data(),
        201,
        whole.content_type,
    )
    assert list(json.loads(made.get_data())) == ["code", "msg", "data", "requestId"]  # data keeps its place


def test_an_envelope_whose_data_holds_a_lone_surrogate_goes_out_in_ascii_escapes() -> None:
    made = json_response_with_data({"data": None}, compact_json(["\ud800"]))
    assert made.get_data() == json_response({"data": ["\ud800"]}).get_data() == b'{"data":["\\ud800"]}'
