"""Body diffs: per composed section in every log format, and where the CLI shows them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from appconnect.core.runs.body_diff import TOP, body_diff

Run = Callable[..., Result]

PLAIN = (
    "- Note: Dana asked about renewing.\n- Date/Time: 2024-01-15 10:30:00 AM\n"
    "- Duration: 1 minute, 5 seconds\n- Result: Call connected\n"
)
HTML = (
    "<b>Agent notes</b><br>Dana asked about renewing.<br><br><b>Call details</b><br><ul>"
    "<li><b>Date/time</b>: 2024-01-15 10:30:00 AM</li><li><b>Duration</b>: 1 minute, 5 seconds"
    "</li><li><b>Result</b>: Call connected</li></ul>"
)
MARKDOWN = (
    "## Agent notes\nDana asked about renewing.\n\n## Call details\n"
    "**Date/time**: 2024-01-15 10:30:00 AM\n**Duration**: 1 minute, 5 seconds\n"
)


def test_a_plain_text_update_shows_only_the_changed_section() -> None:
    diff = body_diff(PLAIN, PLAIN.replace("1 minute, 5", "2 minutes, 5"))
    assert diff.text() == (
        "@@ duration\n- - Duration: 1 minute, 5 seconds\n+ - Duration: 2 minutes, 5 seconds\n"
    )


def test_a_one_line_html_body_diffs_section_by_section() -> None:
    after = HTML.replace("1 minute, 5", "2 minutes, 5").replace(
        "</ul>", '<li><b>Call recording link</b>: <a href="https://media.test/r/1">open</a></li></ul>'
    )
    assert "\n" not in HTML  # one line, as the composer writes it
    diff = body_diff(HTML, after)
    assert [(s.section, s.lines) for s in diff.sections] == [
        (
            "duration",
            [
                ("-", "**Duration**: 1 minute, 5 seconds"),
                ("+", "**Duration**: 2 minutes, 5 seconds"),
            ],
        ),
        ("call recording link", [("+", "**Call recording link**: https://media.test/r/1")]),
    ]


def test_markdown_sections_keep_their_lines_apart() -> None:
    after = MARKDOWN.replace("Dana asked about renewing.", "Dana asked about renewing.\nCall back")
    diff = body_diff(MARKDOWN, after)
    assert [(s.section, s.lines) for s in diff.sections] == [("note", [("+", "Call back")])]


def test_a_create_adds_every_line_and_a_user_line_above_labels_is_the_body() -> None:
    created = body_diff("", PLAIN)
    assert {op for s in created.sections for op, _ in s.lines} == {"+"}
    assert [s.section for s in created.sections] == ["note", "date/time", "duration", "result"]
    edited = body_diff(PLAIN, "Called back, all fine.\n" + PLAIN)
    assert [(s.section, s.lines) for s in edited.sections] == [
        (TOP, [("+", "Called back, all fine.")])
    ]


def test_no_change_says_so() -> None:
    diff = body_diff(HTML, HTML)
    assert not diff.changed and diff.text() == "(body unchanged)\n"
    assert diff.as_dict() == {"changed": False, "sections": []}


# --- the CLI ---------------------------------------------------------------------------------


def test_edit_log_shows_the_diff_by_default_plain_when_piped(run: Run) -> None:
    assert run("log-call").exit_code == 0
    result = run("edit-log", "4001000101", "--note", "Quote sent.")
    assert result.exit_code == 0, result.output
    assert "--- CRM body\n@@ note\n- - Note: Dana asked" in result.stdout
    assert "+ - Note: Quote sent.\n" in result.stdout
    assert "\x1b[" not in result.stdout
    quiet = run("edit-log", "4001000101", "--note", "Again.", "--no-diff")
    assert "--- CRM body" not in quiet.stdout
    assert "@@" not in run("edit-log", "4001000101", "--note", "x", "--json").stdout


def test_on_a_terminal_removed_lines_are_red_and_added_green(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    run("log-call")
    out = run("simulate-recording", "4001000101").stdout
    assert "\x1b[32m+ - Call recording link: " in out  # green
    out = run("edit-log", "4001000101", "--note", "Quote sent.").stdout
    assert "\x1b[31m- - Note: Dana asked" in out  # red


def test_simulate_diff_per_step_on_an_html_body(run: Run) -> None:
    Path("appconnect.toml").write_text('[connector]\nlog_format = "text/html"\n')
    result = run("simulate", "answered-inbound", "--diff")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "--- step 4: recording lands\n@@ call recording link\n+ **Call recording link**" in out
    assert (
        "--- step 6: final duration\n@@ duration\n- **Duration**: 1 minute, 5 seconds\n"
        "+ **Duration**: 2 minutes, 5 seconds\n"
    ) in out
    assert "--- step 2" not in out  # an assert step writes nothing
    assert "--- step" not in run("simulate", "answered-inbound").stdout  # --diff is opt-in


def test_smoke_shows_what_a_failing_update_did_to_the_body(run: Run) -> None:
    result = run("smoke", "--connector", "broken_connectors:OverwritesBody")
    assert result.exit_code == 1
    out = result.stdout
    edit = out.split("--- edit: the CRM body before and after\n")[1].split("\n---")[0]
    assert edit.startswith("@@ note\n- - Note: smoke ")  # the edit itself ...
    assert "\n@@ duration\n- - Duration: 1 minute, 5 seconds\n" in edit  # ... and what it lost
    assert "--- log-call:" not in out  # passing rows show no diff
    report = json.loads(run("smoke", "--json").stdout)
    assert report["ok"]
