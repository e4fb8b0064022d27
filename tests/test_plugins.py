"""Call plugins: discovered by entry point, sync ones change the data, errors are reported."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from appconnect.core.config import parse_config
from appconnect.core.extension.call_fixtures import load_call_fixture
from appconnect.core.flows.example_plugin import TAG_LINE
from appconnect.core.flows.plugins import Plugin, available_plugins
from appconnect.core.targets.embedded import EmbeddedTarget
from appconnect.fixtures.crm import CRMState

Run = Callable[..., Result]


@pytest.fixture
def plugin_module() -> Iterator[types.ModuleType]:
    """A throwaway module holding plugins, importable as `harness_test_plugins`."""
    module = types.ModuleType("harness_test_plugins")

    def boom(data: dict[str, Any]) -> None:
        raise ValueError("boom")

    module.boom = boom  # type: ignore[attr-defined]
    module.late_boom = Plugin("late-boom", boom, mode="async")  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


def test_the_bundled_plugin_is_found_through_its_entry_point() -> None:
    assert available_plugins()["note-tag"] == "appconnect.core.flows.example_plugin:note_tag"


def test_note_tag_adds_a_line_to_the_note(run: Run, home: Path, tmp_path: Path) -> None:
    config = tmp_path / "appconnect.toml"
    config.write_text('plugins = ["note-tag"]\n')
    assert run("--config", str(config), "log-call").exit_code == 0
    body = CRMState(home / "fixture-crm.json").get_activity("act-1")["body"]
    assert body.startswith(
        "- Note: Dana asked about renewing the annual plan; send the quote by Friday.\n"
        f"{TAG_LINE}\n"
    )
    # An update that changes the note gets the tag once, not twice.
    run("--config", str(config), "edit-log", "4001000101", "--note", "Second")
    body = CRMState(home / "fixture-crm.json").get_activity("act-1")["body"]
    assert body.startswith(f"- Note: Second\n{TAG_LINE}\n")
    assert body.count(TAG_LINE) == 1


def test_a_failing_sync_plugin_stops_the_flow_before_the_crm(
    run: Run, home: Path, tmp_path: Path, plugin_module: types.ModuleType
) -> None:
    config = tmp_path / "appconnect.toml"
    config.write_text('plugins = ["harness_test_plugins:boom"]\n')
    result = run("--config", str(config), "log-call")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: plugin 'harness_test_plugins:boom' failed: ValueError: boom (plugins)\n"
    )
    assert CRMState(home / "fixture-crm.json").list_activities() == []


def test_a_failing_async_plugin_is_reported_not_swallowed(
    home: Path, plugin_module: types.ModuleType
) -> None:
    config = parse_config({"plugins": ["harness_test_plugins:late_boom"]}, "test")
    with EmbeddedTarget(config, home) as harness:
        result = harness.log_call(load_call_fixture("inbound-answered")).result
    assert result.successful  # async plugins run after the flow and cannot undo it
    assert result.plugin_errors == ("plugin 'late-boom' failed: ValueError: boom",)


def test_unknown_plugin_name(run: Run, tmp_path: Path) -> None:
    config = tmp_path / "appconnect.toml"
    config.write_text('plugins = ["nope"]\n')
    result = run("--config", str(config), "log-call")
    assert result.exit_code == 2
    assert result.stderr == "Error: unknown plugin 'nope' (installed: note-tag) (plugins[0])\n"
