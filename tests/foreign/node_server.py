"""The Ledger connector server (tests/foreign/node/) on the published @app-connect/core,
started with the integration suite's cached install (tests/node_core.py)."""

from __future__ import annotations

from pathlib import Path

from node_core import NodeCoreServer

SCRIPT = Path(__file__).parent / "node" / "server.js"
API_KEY = "ledger-key-91c2"


class LedgerServer(NodeCoreServer):
    """NodeCoreServer running our server.js, optionally with a bug switched on."""

    script = SCRIPT

    def __init__(self, node_modules: Path, workdir: Path, *, breakage: str = "") -> None:
        super().__init__(node_modules, "http://127.0.0.1:9", workdir)
        self._env["LEDGER_API_KEY"] = API_KEY
        self._env["FOREIGN_BREAK"] = breakage
