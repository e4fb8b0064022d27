"""App Connect's templating: one expression gives the raw value, mixed text interpolates, and
undefined (not there) is kept apart from null the way JSON.stringify and axios treat them."""

from __future__ import annotations

from appconnect.connectors.proxy.engine import base_path, join_url
from appconnect.connectors.proxy.inputs import default_subject, end_time, iso_utc
from appconnect.connectors.proxy.templating import UNDEFINED, get_by_path, render, to_json

CONTEXT = {"a": {"b": [10, {"c": "deep"}]}, "n": None, "flag": False, "num": 65.0, "obj": {"x": 1}}


def test_exactly_one_expression_is_the_raw_value() -> None:
    assert render("{{ a.b }}", CONTEXT) == [10, {"c": "deep"}]
    assert render("{{a.b.1.c}}", CONTEXT) == "deep"
    assert render("{{ n }}", CONTEXT) is None
    assert render("{{ missing.path }}", CONTEXT) is UNDEFINED


def test_mixed_text_interpolates_with_null_and_undefined_empty() -> None:
    assert render("x={{n}}|{{missing}}|{{flag}}|{{num}}|{{obj}}|{{a.b.0}}", CONTEXT) == (
        "x=||false|65|[object Object]|10"
    )


def test_undefined_members_are_dropped_and_null_is_sent() -> None:
    body = render({"keep": "{{n}}", "drop": "{{missing}}", "list": ["{{missing}}"]}, CONTEXT)
    assert to_json(body) == {"keep": None, "list": [None]}


def test_paths_stop_at_null() -> None:
    assert get_by_path({"a": None}, "a.b") is UNDEFINED
    assert get_by_path({"a": 1}, "$") == {"a": 1}


def test_url_joining_keeps_the_files_path_and_absolute_urls() -> None:
    assert base_path("https://api.acme.test/v2/") == "/v2/"
    assert base_path("/v1") == "/v1"
    assert join_url("/v2/", "/calls") == "/v2/calls"
    assert join_url("", "/calls") == "/calls"
    assert join_url("/v2", "https://other.test/x") == "https://other.test/x"


def test_computed_inputs_follow_moment_and_the_default_subject() -> None:
    assert iso_utc(1705343400000) == "2024-01-15T18:30:00.000Z"
    assert iso_utc("2024-01-15T10:30:00-08:00") == "2024-01-15T18:30:00.000Z"
    assert iso_utc("not a date") is None
    assert end_time("2024-01-15T18:30:00.000Z", 65) == "2024-01-15T18:31:05.000Z"
    assert end_time("2024-01-15T18:30:00.000Z", "pending") == "2024-01-15T18:30:00.000Z"
    assert default_subject({"direction": "Outbound"}, "Lee") == "Outbound Call to Lee"
    assert default_subject({"direction": "Inbound", "customSubject": ""}, "Lee") == ""  # ??
