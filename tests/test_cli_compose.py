"""`appconnect compose`: the composer from the shell, with one-line errors for bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner, Result

from appconnect.cli import app

Run = Callable[..., Result]
PARAMS = {
    "logFormat": "text/plain",
    "note": "hi",
    "subject": "S",
    "callLog": {"sessionId": "1", "startTime": "2024-01-15T18:30:00Z", "direction": "Inbound"},
    "user": {"timezoneOffset": "0"},
    "duration": 65,
    "result": "Call connected",
}
PLAIN = (
    "- Note: hi\n- Summary: S\n- Date/Time: 2024-01-15 06:30:00 PM\n"
    "- Duration: 1 minute, 5 seconds\n- Result: Call connected\n"
)


def stdin(text: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["compose", *args], input=text, catch_exceptions=False)


def test_compose_from_a_file(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "params.json"
    path.write_text(json.dumps(PARAMS))
    result = run("compose", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == PLAIN


def test_compose_from_stdin_with_format_override_and_json() -> None:
    result = stdin(json.dumps(PARAMS), "--format", "text/html", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["logFormat"] == "text/html"
    assert answer["body"].startswith("<b>Agent notes</b><br>hi<br><br><b>Call details</b><br>")
    assert "<li><b>Summary</b>: S</li>" in answer["body"]


def test_recompose_from_an_existing_body_is_stable() -> None:
    first = stdin(json.dumps(PARAMS)).stdout
    again = stdin(json.dumps({**PARAMS, "existingBody": first})).stdout
    assert again == first


def test_custom_format_composes_nothing() -> None:
    """App Connect returns undefined, not '': said on stderr, null in --json."""
    result = stdin(json.dumps({**PARAMS, "logFormat": "custom"}))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.startswith("no body: the connector composes")
    as_json = stdin(json.dumps({**PARAMS, "logFormat": "custom"}), "--json")
    assert json.loads(as_json.stdout) == {"logFormat": "custom", "body": None}
    # A custom format with nothing that App Connect's upserts drop: the body passes through.
    kept = stdin(json.dumps({"logFormat": "custom", "user": {}, "existingBody": "x",
                             "duration": 5}))  # fmt: skip
    assert kept.stdout == "x"


def test_input_app_connect_throws_on_is_one_line_exit_2() -> None:
    """App Connect's composer throws without `user`: its create/update would fail."""
    result = stdin(json.dumps({"subject": "S"}))
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: App Connect's composer fails on this input: no user (user.userSettings is "
        "read unguarded) (stdin)\n"
    )


def test_bad_input_is_one_line_and_exit_2(run: Run, tmp_path: Path) -> None:
    assert stdin("{nope").stderr == (
        "Error: invalid JSON: Expecting property name enclosed in double quotes at line 1 "
        "(stdin)\n"
    )
    assert stdin("[1]").stderr == "Error: the parameter object must be a JSON object (stdin)\n"
    wrong = stdin(json.dumps({"user": {"userSettings": []}}))
    assert wrong.exit_code == 2
    assert wrong.stderr == "Error: 'user.userSettings' must be an object (stdin)\n"
    legs = stdin(json.dumps({"callLog": {"legs": "x"}}))
    assert legs.stderr == "Error: 'callLog.legs' must be an array (stdin)\n"
    missing = run("compose", str(tmp_path / "absent.json"))
    assert missing.exit_code == 2
    assert missing.stderr == f"Error: compose input not found ({tmp_path / 'absent.json'})\n"
