"""The README's examples work, and every command is in the README's tour."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from appconnect.cli import app

Run = Callable[..., Result]
README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_scenario_example_runs_green(run: Run, tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(), re.DOTALL)
    (example,) = [b for b in blocks if b.startswith('name = "recording-after-edit"')]
    path = tmp_path / "example.toml"
    path.write_text(example)
    result = run("simulate", str(path), "--json")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["ok"] is True


def test_every_command_is_in_the_readme_tour() -> None:
    text = README.read_text()
    names = [c.name for c in app.registered_commands]
    names += [g.name for g in app.registered_groups]
    for name in names:
        assert f"appconnect {name}" in text, name


def test_set_up_commands_are_the_two_make_targets() -> None:
    text = README.read_text()
    assert "make demo" in text and "make test" in text
    assert "python -m appconnect" in text and "@app-connect/cli" in text


def test_the_sample_config_is_valid_and_changes_nothing_by_default() -> None:
    import tomllib

    from appconnect.core.config import HarnessConfig, parse_config

    sample = README.parent / "fixtures" / "appconnect.sample.toml"
    config = parse_config(tomllib.loads(sample.read_text()), str(sample))
    assert config == HarnessConfig()  # every setting shown is the default or commented out
