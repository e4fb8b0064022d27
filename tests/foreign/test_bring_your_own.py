"""The docs' "bring your own connector" path, step by step (issue 13 items 6 and 8), and the
edit-as-a-CRM-user capability of the built-in connector."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from appconnect.connectors.contract import User, UserEditRequest
from appconnect.connectors.fixture import FixtureConnector
from appconnect.fixtures.crm import CRMState
from appconnect.fixtures.crm.app import FixtureCRM, basic_auth_header

from .conftest import Run, failed, rows

DOCS = Path(__file__).resolve().parents[2] / "docs" / "writing-a-connector.md"


def minimal_connector() -> str:
    """The first Python block of the docs' "A minimal connector", as written."""
    section = DOCS.read_text().split("## A minimal connector", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def test_the_docs_minimal_connector_passes_smoke_as_written(run: Run) -> None:
    Path("my_crm.py").write_text(minimal_connector())
    result = run("smoke", "--connector", "my_crm:MyCRMConnector", "--json")
    report = json.loads(result.stdout)
    report["exitCode"] = result.exit_code
    assert failed(report) == {}, rows(report)
    assert rows(report)["log-call"][0] == "pass"
    assert result.exit_code == 0


def test_module_class_imports_from_the_cwd_with_the_console_script(tmp_path: Path) -> None:
    """`.venv/bin/appconnect --connector my_crm:MyCRMConnector` (item 6), not only python -m."""
    script = Path(sys.executable).with_name("appconnect")
    assert script.exists(), script
    (tmp_path / "my_crm.py").write_text(minimal_connector())
    env = {**os.environ, "APPCONNECT_HOME": str(tmp_path / "home")}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(script), "--connector", "my_crm:MyCRMConnector", "log-call"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Call logged" in done.stderr


def test_the_fixture_connector_edits_as_a_crm_user() -> None:
    state = CRMState(None)
    client = httpx.Client(base_url="http://fixture-crm.test",
                          transport=httpx.WSGITransport(app=FixtureCRM(state)))  # fmt: skip
    connector = FixtureConnector(client)
    activity = state.create_activity(
        {"contactId": "ct-1", "subject": "Call", "body": "- Note: hi\n"}, by="api"
    )
    header = basic_auth_header(state.api_key)
    user = User(id="fx-user-1", platform="fixture", accessToken=state.api_key)
    assert connector.edit_call_log_as_user is not None
    connector.edit_call_log_as_user(UserEditRequest(
        user=user, auth_header=header, call_log_id=activity["id"], append="Prefers email.\n",
    ))  # fmt: skip
    edited = state.get_activity(activity["id"])
    assert edited["body"] == "- Note: hi\nPrefers email.\n"
    assert edited["lastEditedBy"] == "user"  # the CRM knows a user made it
    assert edited["subject"] == "Call"
    connector.close()
