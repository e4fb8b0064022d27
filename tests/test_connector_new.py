"""`appconnect connector new`: each kind's project passes `appconnect smoke` as generated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import Result

Run = Callable[..., Result]
ROOT = Path(__file__).resolve().parents[1]
COMMON = {"appconnect.toml", "scenarios/first-call.json", ".github/workflows/smoke.yml",
          ".gitignore", "README.md"}  # fmt: skip


def _files(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()}


@pytest.fixture
def forget_modules() -> Iterator[None]:
    """Generated Python connectors are imported in-process: drop them afterwards."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.endswith("_connector") or "_connector." in name:
            del sys.modules[name]


def _smoke(run: Run, project: Path, home: Path) -> dict[str, object]:
    os.chdir(project)  # the project's appconnect.toml, module:Class from its folder
    result = run("--home", str(home), "smoke", "--json")
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_python_kind_passes_smoke_and_its_own_tests(
    run: Run, tmp_path: Path, forget_modules: None
) -> None:
    result = run("connector", "new", "acme-crm", "--kind", "python", "--dir", str(tmp_path / "p"))
    assert result.exit_code == 0, result.output
    project = tmp_path / "p"
    assert _files(project) == COMMON | {
        "pyproject.toml", "acme_crm_connector/__init__.py", "acme_crm_connector/connector.py",
        "tests/test_connector.py",
    }  # fmt: skip
    assert not any("%%" in (project / f).read_text() for f in _files(project))
    # The entry point names the class the config selects.
    meta = tomllib.loads((project / "pyproject.toml").read_text())
    entry = meta["project"]["entry-points"]["appconnect.connectors"]
    config = tomllib.loads((project / "appconnect.toml").read_text())
    assert entry == {"acme-crm": "acme_crm_connector.connector:AcmeCrmConnector"}
    assert config["connector"]["name"] == entry["acme-crm"]

    report = _smoke(run, project, tmp_path / "home")
    assert report["counts"] == {"pass": 8, "fail": 0, "skip": 0}
    assert report["platform"] == "acme-crm"
    scenario = run("--home", str(tmp_path / "h2"), "simulate", "scenarios/first-call.json")
    assert scenario.exit_code == 0, scenario.output
    _lint_clean(project)
    _workflow_runs(project, "python -m appconnect smoke --junit reports/smoke.xml")
    # Its pytest test, through our pytest plugin (installed with the harness), in a subprocess.
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout


def test_python_kind_installed_is_found_by_its_entry_point_name(tmp_path: Path) -> None:
    """`pip install .` (offline, into a folder on PYTHONPATH): `--connector NAME` works from
    anywhere, through the `appconnect.connectors` entry point the pyproject declares."""
    project, site = tmp_path / "project", tmp_path / "site"
    create = [sys.executable, "-m", "appconnect", "connector", "new", "delta-crm", "--dir"]
    subprocess.run([*create, str(project)], check=True, capture_output=True, timeout=60)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(project)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(site)}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def appconnect(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "appconnect", "--home", str(tmp_path / "home"), *args],
            cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    listed = {c["name"]: c for c in json.loads(appconnect("connector", "list", "--json"))}
    assert listed["delta-crm"]["kind"] == "entry-point"
    assert listed["delta-crm"]["origin"] == "delta-crm-connector 0.1.0"
    logged = json.loads(appconnect("--connector", "delta-crm", "log-call", "--json"))
    assert logged["successful"] is True and logged["callLog"]["platform"] == "delta-crm"


def _workflow_runs(project: Path, command: str) -> None:
    """.github/workflows/smoke.yml is a GitHub Actions workflow with a step running `command`."""
    import yaml

    workflow = yaml.safe_load((project / ".github/workflows/smoke.yml").read_text())
    steps = workflow["jobs"]["smoke"]["steps"]
    assert any(command in step.get("run", "") for step in steps), steps
    assert workflow[True] == ["push", "pull_request"]  # YAML 1.1 reads `on:` as True


def _lint_clean(project: Path) -> None:
    """The generated Python passes ruff's stock rules (as a new project of its own)."""
    ruff = Path(sys.executable).with_name("ruff")
    rules = "E,F,W,I,B,UP,SIM"
    command = [str(ruff), "check", "--isolated", "--select", rules, "--line-length", "100", "."]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_proxy_kind_lints_clean_and_passes_smoke(run: Run, tmp_path: Path) -> None:
    assert run("connector", "new", "beta-crm", "--kind", "proxy").exit_code == 0
    project = Path("beta-crm").resolve()
    assert _files(project) == COMMON | {"beta-crm.proxy.json"}
    lint = run("connector", "lint", str(project / "beta-crm.proxy.json"), "--json")
    assert lint.exit_code == 0, lint.output
    assert json.loads(lint.stdout)["findings"] == []
    report = _smoke(run, project, tmp_path / "home")
    assert report["counts"] == {"pass": 8, "fail": 0, "skip": 0}
    scenario = run("--home", str(tmp_path / "h2"), "simulate", "scenarios/first-call.json")
    assert scenario.exit_code == 0, scenario.output
    _workflow_runs(project, "python -m appconnect connector lint beta-crm.proxy.json")


def test_node_kind_passes_smoke_against_the_real_core(run: Run, tmp_path: Path) -> None:
    from tests.node_core import NODE_DIR, NodeUnavailable, ensure_installed

    assert run("connector", "new", "gamma", "--kind", "node", "--dir", "gamma").exit_code == 0
    project = Path("gamma").resolve()
    assert _files(project) == COMMON | {
        "package.json", "server.js", "connector.js", "manifest.json", "scripts/smoke.py",
    }  # fmt: skip
    # The same pinned packages as the integration suite's server: one install serves both.
    ours = json.loads((NODE_DIR / "package.json").read_text())["dependencies"]
    assert json.loads((project / "package.json").read_text())["dependencies"] == ours
    try:
        installed = ensure_installed()
    except NodeUnavailable as exc:
        pytest.skip(f"real @app-connect/core unavailable: {exc}")
    _lint_clean(project)  # scripts/smoke.py
    _workflow_runs(project, "python scripts/smoke.py --junit reports/smoke.xml")
    (project / "node_modules").symlink_to(installed.node_modules, target_is_directory=True)
    smoke = subprocess.run(
        [sys.executable, "scripts/smoke.py", "--json"],
        cwd=project, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    report = json.loads(smoke.stdout)
    assert report["platform"] == "gamma"
    assert report["counts"] == {"pass": 7, "fail": 0, "skip": 1}


def test_an_existing_non_empty_directory_is_refused_and_left_alone(run: Run) -> None:
    Path("taken").mkdir()
    (Path("taken") / "keep.txt").write_text("mine")
    result = run("connector", "new", "acme", "--dir", "taken")
    assert result.exit_code == 2
    assert result.stderr == "Error: the directory exists and is not empty (taken)\n"
    assert _files(Path("taken")) == {"keep.txt"}
    Path("empty").mkdir()  # an empty one is fine
    assert run("connector", "new", "acme", "--dir", "empty").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Acme"], "connector name 'Acme' must be lowercase letters and digits"),
        (["acme--crm"], "connector name 'acme--crm' must be"),
        (["1acme"], "connector name '1acme' must be"),
        (["a" * 41], "at most 40 characters"),
        (["fixture"], "connector name 'fixture' is built in; choose another"),
        (["acme", "--kind", "ruby"], "unknown kind 'ruby' (one of: python, proxy, node) (--kind)"),
    ],
)
def test_bad_names_and_kinds_are_one_line_errors(run: Run, args: list[str], message: str) -> None:
    result = run("connector", "new", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert list(Path(".").iterdir()) == []
