"""A Python connector in an installed package is found by name through the
`appconnect.connectors` entry-point group: a throwaway package, installed offline into a
temporary venv, shows up in `connector list` and runs `smoke`."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

PYPROJECT = """\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "acme-appconnect"
version = "0.3.1"

[tool.setuptools]
py-modules = ["acme_connector"]

[project.entry-points."appconnect.connectors"]
acme = "acme_connector:AcmeConnector"
"""

MODULE = '''\
"""A connector for the (pretend) Acme CRM: the fixture CRM's API under another name."""

from appconnect.connectors.fixture import FixtureConnector


class AcmeConnector(FixtureConnector):
    platform = "acme"
'''


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("discovery")
    package = root / "acme"
    package.mkdir()
    (package / "pyproject.toml").write_text(PYPROJECT)
    (package / "acme_connector.py").write_text(MODULE)
    env_dir = root / "venv"
    try:
        # No pip of its own (fast, offline): this interpreter's pip installs into it.
        venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    except Exception as exc:  # noqa: BLE001 - any failure here means "cannot test this here"
        pytest.skip(f"cannot create a venv here: {type(exc).__name__}: {exc}")
    python = env_dir / "bin" / "python"
    if not python.exists():
        pytest.skip("the venv has no bin/python (not a POSIX venv)")
    # The venv sees this environment's packages (appconnect, its dependencies, setuptools)
    # the way --system-site-packages would see a system-wide install.
    ours = sysconfig.get_paths()["purelib"]
    probe = _run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    site_dir = Path(probe.stdout.strip())
    (site_dir / "_appconnect_parent.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    installed = _run(
        sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
        "--no-deps", "--no-build-isolation", "--no-index", str(package),
    )  # fmt: skip
    if installed.returncode != 0:
        pytest.fail(f"pip install failed:\n{installed.stdout}\n{installed.stderr}")
    return python


def test_an_installed_connector_is_listed_by_name_with_its_source(plugin_venv: Path) -> None:
    done = _run(str(plugin_venv), "-m", "appconnect", "connector", "list", "--json")
    assert done.returncode == 0, done.stderr
    listed = {c["name"]: c for c in json.loads(done.stdout)}
    assert listed["acme"] == {
        "name": "acme",
        "kind": "entry-point",
        "target": "acme_connector:AcmeConnector",
        "origin": "acme-appconnect 0.3.1",
    }
    assert listed["fixture"]["kind"] == "built-in"


def test_the_installed_connector_runs_by_name(plugin_venv: Path) -> None:
    done = _run(str(plugin_venv), "-m", "appconnect", "smoke", "--connector", "acme", "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    report = json.loads(done.stdout)
    assert report["platform"] == "acme"
    assert report["counts"] == {"pass": 8, "fail": 0, "skip": 0}


def test_this_environment_does_not_have_it() -> None:
    from appconnect.connectors.discovery import available_connectors

    assert "acme" not in {c.name for c in available_connectors()}
