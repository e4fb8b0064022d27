"""`appconnect smoke`: green on the fixture connector, red on the right rows for broken ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from typer.testing import Result

Run = Callable[..., Result]
CHECKS = [
    "connect", "interfaces", "contact", "log-call", "server-side", "edit", "recording", "user-edit",
]  # fmt: skip
JUNIT_XSD = Path(__file__).parent / "data" / "junit.xsd"


def smoke_json(run: Run, *args: str) -> tuple[int, dict[str, Any]]:
    result = run("smoke", "--json", *args)
    return result.exit_code, json.loads(result.stdout)


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["status"] for check in report["checks"]}


def reasons(report: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["reason"] for check in report["checks"]}


def test_smoke_passes_on_the_fixture_connector(run: Run, home: Path) -> None:
    code, report = smoke_json(run)
    assert code == 0, report
    assert [c["id"] for c in report["checks"]] == CHECKS
    assert set(statuses(report).values()) == {"pass"}
    assert report["counts"] == {"pass": 8, "fail": 0, "skip": 0}
    assert reasons(report)["edit"] == "getLogFormatType -> getCallLog -> updateCallLog"
    assert not (home / "appconnect.db").exists()  # the home is never touched


def test_human_output_ends_with_the_counts(run: Run) -> None:
    result = run("smoke")
    assert result.exit_code == 0
    assert result.stderr.endswith("OK: 8 passed, 0 failed, 0 skipped\n")


def test_connector_that_overwrites_the_body_fails_edit_and_user_edit(run: Run) -> None:
    code, report = smoke_json(run, "--connector", "broken_connectors:OverwritesBody")
    assert code == 1
    got = statuses(report)
    assert got["log-call"] == "pass"
    # The first update already drops what it was not meant to touch.
    assert got["edit"] == "fail"
    assert reasons(report)["edit"] == (
        "the update dropped '- Date/Time: 2024-01-15 10:30:00 AM' from CRM log act-1 "
        "(sections: date/time, duration, result)"
    )
    assert got["recording"] == "skip"
    assert got["user-edit"] == "fail"
    assert reasons(report)["user-edit"] == "the update overwrote the CRM user's edit of act-1"


def test_connector_that_ignores_the_log_id_fails_edit(run: Run) -> None:
    code, report = smoke_json(run, "--connector", "broken_connectors:IgnoresLogId")
    assert code == 1
    assert statuses(report)["edit"] == "fail"
    assert reasons(report)["edit"] == "CRM log act-1 subject is 'Inbound Call from Dana Doe'"


def test_connector_without_log_id_fails_log_call_and_skips_what_needs_it(run: Run) -> None:
    code, report = smoke_json(run, "--connector", "broken_connectors:NoLogId")
    assert code == 1
    got = statuses(report)
    assert got["log-call"] == "fail"
    assert reasons(report)["log-call"] == (
        "createCallLog returned no logId (Error creating call log); no callLogs row"
    )
    assert got["server-side"] == "fail"
    for check in ("edit", "user-edit"):
        assert got[check] == "skip"
        assert reasons(report)[check] == "needs log-call"
    assert got["recording"] == "skip"
    assert reasons(report)["recording"] == "needs edit"


def test_unknown_connector_is_a_config_error(run: Run) -> None:
    result = run("smoke", "--connector", "nope")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: unknown connector 'nope' (built in: fixture; or a proxy file *.json, an "
        "installed plugin name, or module:Class; see `connector list`) (connector.name)\n"
    )


@pytest.mark.parametrize("connector", [None, "broken_connectors:NoLogId"])
def test_junit_report_validates_against_the_junit_schema(
    run: Run, tmp_path: Path, connector: str | None
) -> None:
    out = tmp_path / "reports" / "smoke.xml"
    args = ["smoke", "--junit", str(out)] + (["--connector", connector] if connector else [])
    run(*args)
    xmlschema.XMLSchema(JUNIT_XSD).validate(out)
    text = out.read_text()
    assert '<testcase classname="appconnect.smoke.fixture" name="log-call"' in text
    if connector:
        assert '<failure message="createCallLog returned no logId' in text
        assert '<skipped message="needs log-call"' in text


def test_a_connector_exception_is_a_failed_row_and_json_still_prints(run: Run) -> None:
    code, report = smoke_json(run, "--connector", "broken_connectors:RaisesOnUpdate")
    assert code == 1
    assert statuses(report)["log-call"] == "pass"
    assert reasons(report)["edit"] == (
        "the connector raised ValueError: unexpected shape of the PATCH answer"
    )
