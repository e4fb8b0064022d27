"""`appconnect connector lint`: each broken config is caught at the right JSON path."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from appconnect.connectors.proxy.lint import lint_data

Run = Callable[..., Result]
DATA = Path(__file__).parent / "data" / "proxy"
BUNDLED = Path(__file__).resolve().parents[1] / "fixtures" / "connectors" / "fixture-crm.proxy.json"

# file -> (path, the start of the problem) of its one error
BROKEN = {
    "wrong-method-type.json": (
        "$.operations.createCallLog.method",
        "Input should be a valid string",
    ),
    "missing-url.json": ("$.operations.getCallLog.url", "Field required"),
    "bad-encode.json": ("$.auth.encode", "Input should be 'base64' or 'none'"),
    "operations-not-object.json": ("$.operations", "Input should be a valid dictionary"),
    "not-json.json": ("$", "invalid JSON: Expecting property name"),
    "missing-update.json": ("$.operations", "missing updateCallLog"),
    "mapping-nowhere.json": (
        "$.operations.createCallLog.responseMapping.idPath",
        "'call.key' points nowhere: paths start at body (did you mean 'body.call.key'?)",
    ),
    "no-create-mapping.json": (
        "$.operations.createCallLog",
        "no responseMapping: createCallLog returns no logId",
    ),
    "user-info-no-id.json": (
        "$.operations.getUserInfo.responseMapping",
        "no idPath: users.id would be 'undefined-<platform>'",
    ),
}


# file -> (path, the start of the problem) of its one warning: App Connect renders a variable
# that is not among an operation's inputs as empty, so the file still works there (item 8).
WARNED = {
    "unknown-variable.json": (
        "$.operations.createCallLog.body.person",
        "template variable 'contact' is not among the inputs of createCallLog: App Connect "
        "renders it empty",
    ),
    "unknown-nested-variable.json": (
        "$.operations.createCallLog.body.email",
        "'contactInfo.email' renders undefined in createCallLog: 'contactInfo' has no 'email', "
        "so the field is dropped (known: id, name, phoneNumber, type)",
    ),
    "wrong-input-name.json": (
        "$.operations.getCallLog.url",
        "template variable 'callLogId' is not among the inputs of getCallLog",
    ),
}


def lint_json(run: Run, path: Path) -> tuple[int, dict[str, object]]:
    result = run("connector", "lint", str(path), "--json")
    return result.exit_code, json.loads(result.stdout)


def test_every_broken_config_has_a_data_file() -> None:
    named = set(BROKEN) | set(WARNED) | {"valid.json", "typo-operation.json"}
    assert named == {p.name for p in DATA.iterdir()}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_lint_catches_each_broken_config_at_its_path(run: Run, name: str) -> None:
    path, problem = BROKEN[name]
    result = run("connector", "lint", str(DATA / name))
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if ": warning: " not in line]
    assert len(errors) == 1, result.stdout
    assert errors[0].startswith(f"{path}: {problem}"), errors[0]
    assert result.stderr == f"{DATA / name}: 1 error(s), 0 warning(s)\n"


@pytest.mark.parametrize("name", sorted(WARNED))
def test_a_variable_outside_the_inputs_is_a_warning_not_an_error(run: Run, name: str) -> None:
    path, problem = WARNED[name]
    result = run("connector", "lint", str(DATA / name))
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith(f"{path}: warning: {problem}"), result.stdout
    assert result.stderr == f"OK: {DATA / name}: 0 error(s), 1 warning(s)\n"


def test_a_call_record_path_that_renders_undefined_is_a_warning() -> None:
    data = json.loads((DATA / "valid.json").read_text())
    data["operations"]["createCallLog"]["body"]["caller"] = "{{callLog.from.phone}}"
    data["operations"]["createCallLog"]["body"]["rec"] = "{{callLog.recording.link}}"
    found = [(f.path, f.severity, f.problem) for f in lint_data(data)]
    assert found == [
        ("$.operations.createCallLog.body.caller", "warning",
         "'callLog.from.phone' renders undefined in createCallLog: 'from' has no 'phone', so "
         "the field is dropped (known: device, extensionNumber, location, name, phoneNumber)"),
    ]  # fmt: skip


def test_harness_operations_are_flagged_as_the_docs_say() -> None:
    data = json.loads((DATA / "valid.json").read_text())
    for name in ("listCallLogs", "deleteCallLog", "editCallLogAsUser"):
        data["operations"][name] = {"method": "GET", "url": "/x"}
    found = {(f.path, f.severity) for f in lint_data(data) if "harness extension" in f.problem}
    assert found == {
        ("$.operations.listCallLogs", "warning"),
        ("$.operations.deleteCallLog", "warning"),
        ("$.operations.editCallLogAsUser", "warning"),
    }


def test_a_typo_in_an_operation_name_is_unknown_and_leaves_it_missing(run: Run) -> None:
    code, report = lint_json(run, DATA / "typo-operation.json")
    assert code == 1
    findings = [(f["path"], f["severity"], f["problem"]) for f in report["findings"]]  # type: ignore[attr-defined]
    assert findings[0][:2] == ("$.operations.createCalllog", "error")
    assert str(findings[0][2]).startswith("unknown operation 'createCalllog'")
    assert ("$.operations", "error", "missing createCallLog: App Connect answers 'Not supported' "
            "and no call is ever logged") in findings  # fmt: skip


def test_a_valid_config_is_clean(run: Run) -> None:
    result = run("connector", "lint", str(DATA / "valid.json"))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.endswith("0 error(s), 0 warning(s)\n")


def test_the_bundled_fixture_crm_proxy_has_only_harness_extension_warnings(run: Run) -> None:
    code, report = lint_json(run, BUNDLED)
    assert code == 0
    assert report["ok"] is True and report["errors"] == 0
    paths = [f["path"] for f in report["findings"]]  # type: ignore[attr-defined]
    assert paths == [
        "$.operations.listCallLogs",
        "$.operations.deleteCallLog",
        "$.operations.findContact.query.extension",
        "$.operations.createCallLog.body.duration",
        "$.operations.updateCallLog.body.duration",
    ]
    assert all("harness extension" in f["problem"] for f in report["findings"])  # type: ignore[attr-defined]


def test_warnings_for_ignored_keys_and_harness_only_choices() -> None:
    data = json.loads((DATA / "valid.json").read_text())
    data["meta"]["logformat"] = "text/plain"
    data["operations"]["updateCallLog"]["body"]["start"] = "{{startTime}}"
    data["operations"]["getCallLog"]["responseMapping"]["idPath"] = "body.call.key"
    found = {(f.path, f.severity, f.problem.split(":")[0]) for f in lint_data(data)}
    assert found == {
        ("$.meta.logformat", "warning", "unknown key (App Connect ignores it)"),
        ("$.operations.updateCallLog.body.start", "warning",
         "'startTime' in updateCallLog"),
        ("$.operations.getCallLog.responseMapping.idPath", "warning",
         "getCallLog does not read idPath (ignored)"),
    }  # fmt: skip


def test_recommended_operations_are_warnings() -> None:
    data = json.loads((DATA / "valid.json").read_text())
    del data["operations"]["findContact"], data["operations"]["getCallLog"]
    found = [(f.path, f.severity, f.problem) for f in lint_data(data)]
    assert found == [
        ("$.operations", "warning", "no findContact: calls are never matched to a contact"),
        ("$.operations", "warning",
         "no getCallLog: updates recompose from an empty body instead of the CRM's"),
    ]  # fmt: skip


def test_a_missing_file_is_bad_input(run: Run) -> None:
    result = run("connector", "lint", "nope.json")
    assert result.exit_code == 2
    assert result.stderr == "Error: no such file (nope.json)\n"


def test_a_json_nested_100k_deep_is_a_finding_not_a_crash(run: Run, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    result = run("connector", "lint", str(deep))
    assert result.exit_code == 1
    assert "$: invalid JSON: nested too deeply" in result.stdout
    assert "unexpected" not in result.output
    loaded = run("--connector", str(deep), "log-call")
    assert loaded.exit_code == 2
    assert "invalid JSON: nested too deeply" in loaded.stderr


def test_a_fifo_is_not_read(run: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    result = run("connector", "lint", str(fifo))
    assert result.exit_code == 2
    assert result.stderr == f"Error: the file is not a regular file ({fifo})\n"
    assert run("--connector", str(fifo), "log-call").exit_code == 2
