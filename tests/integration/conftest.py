"""Fixtures for running the same calls through the real `@app-connect/core` and ours.

The real core is installed once per cache key (tests/node_core.py) and a fresh Node server,
with its own SQLite file, runs per test; every process and temp dir is gone afterwards.
Its tests are marked `node` and skipped with a reason when Node or the npm registry is
missing (`-m "not node"` deselects it; APPCONNECT_SKIP_NODE=1 skips it).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

_TESTS = str(Path(__file__).resolve().parents[1])  # tests/, for node_core
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from core_pair import HASH_KEY, NodeSide, OurSide, loopback_crm, our_crm_path  # noqa: E402
from node_core import Installed, NodeCoreServer, NodeUnavailable, ensure_installed  # noqa: E402

_timings: dict[str, list[float]] = {"start": []}
_install: list[Installed] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "node: runs the real @app-connect/core (needs node, npm)")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _install:
        return
    installed = _install[0]
    how = "installed" if installed.fresh else "reused from the cache"
    starts = _timings["start"]
    line = f"@app-connect/core {how} in {installed.seconds:.1f}s"
    if starts:
        line += f"; {len(starts)} Node server starts, {min(starts):.2f}-{max(starts):.2f}s each"
    terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The real core's node_modules (installed on first use), or a skip saying why not."""
    try:
        installed = ensure_installed()
    except NodeUnavailable as exc:
        pytest.skip(f"real @app-connect/core unavailable: {exc}")
    _install.append(installed)
    return installed.node_modules


Pair = tuple[NodeSide, OurSide]


@pytest.fixture
def core_pair(node_modules: Path, tmp_path: Path) -> Iterator[Callable[..., Pair]]:
    """`core_pair(config)`, once per test: the real core and ours, each logged in to its own
    fixture CRM on loopback. `config` holds sections of our HarnessConfig; its
    `connector.log_format` (and the shared HASH_KEY) apply to the Node server too."""
    with ExitStack() as stack:

        def make(config: Mapping[str, Any] | None = None) -> Pair:
            config = dict(config or {})
            log_format = config.get("connector", {}).get("log_format", "text/plain")
            node_crm = stack.enter_context(loopback_crm(None))
            work = tmp_path / "node"
            work.mkdir()
            server = NodeCoreServer(
                node_modules, node_crm.url, work, log_format=log_format, hash_key=HASH_KEY
            )
            started = time.monotonic()
            stack.enter_context(server)
            _timings["start"].append(time.monotonic() - started)
            node = NodeSide(server, node_crm)
            stack.callback(node.close)

            home = tmp_path / "ours"
            home.mkdir()
            our_crm = stack.enter_context(loopback_crm(our_crm_path(home)))
            ours = OurSide(home, our_crm, config)
            stack.callback(ours.close)
            node.login()
            ours.login()
            return node, ours

        yield make
