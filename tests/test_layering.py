"""The layering is a contract checked by import-linter, not a hope: cli -> core -> connectors;
fixtures import none of them; core (and cli) reach fixtures only through the embedded
target's `core/targets/fixture_crm.py`. The contracts live in pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path, package_parent: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(package_parent)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy_package(tmp_path: Path) -> Path:
    """The repository's Python files as an importable `appconnect` package in tmp_path."""
    package = tmp_path / "src" / "appconnect"
    for source in ROOT.rglob("*.py"):
        relative = source.relative_to(ROOT)
        if relative.parts[0] in {".venv", "build", "tests", "benchmarks", ".cache"}:
            continue
        if "node_modules" in relative.parts:
            continue
        target = package / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return package


def test_the_repository_keeps_its_layers() -> None:
    done = lint_imports(ROOT, ROOT / "build" / "__no_such_dir__")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 3 kept, 0 broken." in done.stdout


def test_a_forbidden_import_breaks_the_build(tmp_path: Path) -> None:
    package = _copy_package(tmp_path)
    clean = lint_imports(tmp_path, tmp_path / "src")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # The scenario runner reaching for the fixture CRM directly, as core once did.
    runner = package / "core" / "runs" / "runner.py"
    runner.write_text(runner.read_text() + "\nfrom appconnect.fixtures.crm import CRMState\n")
    broken = lint_imports(tmp_path, tmp_path / "src")
    assert broken.returncode == 1
    assert "core reaches fixtures only from the embedded target BROKEN" in broken.stdout
    assert "appconnect.core.runs.runner -> appconnect.fixtures.crm" in broken.stdout
    # And a connector importing core breaks the layers.
    runner.write_text(
        runner.read_text().replace("\nfrom appconnect.fixtures.crm import CRMState\n", "")
    )
    contract = package / "connectors" / "contract.py"
    contract.write_text(contract.read_text() + "\nimport appconnect.core.flows.pipeline\n")
    layered = lint_imports(tmp_path, tmp_path / "src")
    assert "cli -> core -> connectors BROKEN" in layered.stdout
