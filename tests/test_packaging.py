"""A wheel holds one `appconnect` package (no bare cli/core) with its data, and imports alike."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (built,) = out.glob("appconnect_harness-*.whl")
    return built


def test_wheel_has_one_top_level_package_and_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"appconnect"}
    for expected in (
        "appconnect/__init__.py",
        "appconnect/py.typed",
        "appconnect/core/store/db.py",
        "appconnect/cli/__init__.py",
        "appconnect/connectors/contract.py",
        "appconnect/fixtures/crm/app.py",
        "appconnect/fixtures/calls/inbound-answered.json",
        "appconnect/fixtures/appconnect.sample.toml",
        "appconnect/fixtures/scenarios/answered-inbound.json",
        "appconnect/fixtures/scenarios/crm-user-edits.toml",
        "appconnect/fixtures/manifests/fixture.json",
        # `connector new`'s templates, hidden names (dot-*) and nested folders included
        "appconnect/core/scaffold/templates/common/dot-gitignore.tmpl",
        "appconnect/core/scaffold/templates/python/dot-github/workflows/smoke.yml.tmpl",
        "appconnect/core/scaffold/templates/python/%%module/connector.py.tmpl",
        "appconnect/core/scaffold/templates/node/scripts/smoke.py.tmpl",
    ):
        assert expected in names, expected
    assert not any(name.startswith("appconnect/tests/") for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "appconnect = appconnect.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_wheel_install_imports_like_the_editable_one(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
         str(wheel)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    probe = (
        "import sys, importlib.util; sys.path.insert(0, sys.argv[1]);"
        "import appconnect.core.store.db, appconnect.cli;"
        "assert appconnect.core.store.db.__file__.startswith(sys.argv[1]), appconnect.__file__;"
        "assert importlib.util.find_spec('core') is None;"
        "assert importlib.util.find_spec('cli') is None;"
        "from appconnect.core.extension.call_fixtures import bundled_names;"
        "print(','.join(bundled_names()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(site)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "inbound-answered,missed,outbound-recorded"
