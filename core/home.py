"""Where the harness keeps its state: one function decides, so tests can point it anywhere."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "APPCONNECT_HOME"
CONFIG_ENV = "APPCONNECT_CONFIG"
DB_NAME = "appconnect.db"
FIXTURE_CRM_NAME = "fixture-crm.db"
# What homes held before the fixture CRM moved to SQLite; CRMState migrates it once, on open.
LEGACY_FIXTURE_CRM_NAME = "fixture-crm.json"


def harness_home() -> Path:
    """`$APPCONNECT_HOME`, else `./.appconnect/` (per project, like a venv)."""
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else Path.cwd() / ".appconnect"


def db_path(home: Path) -> Path:
    return home / DB_NAME


def fixture_crm_path(home: Path) -> Path:
    return home / FIXTURE_CRM_NAME
