"""Which connector to run, by name (config `connector.name`, or `--connector`).

In this order:
1. `fixture`: the built-in Python connector for the fixture CRM;
2. `fixture-proxy`: the bundled proxy file for the fixture CRM;
3. a path to a proxy connector JSON file (`*.json`, relative to the working directory);
4. the name of an installed plugin (entry-point group `appconnect.connectors`);
5. `module:Class`, a Connector subclass importable from the working directory or sys.path.

A connector class is constructed with an `httpx.Client` already pointed at the configured CRM
(base URL, timeout, and the in-process fixture CRM when no URL is set); it gets the
configured `log_format` too when its constructor takes one. A proxy connector gets the same
client: its file gives the paths, the client the CRM (see `connectors/proxy/engine.py`).
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from appconnect.connectors.contract import Connector
from appconnect.connectors.discovery import bundled_proxy_path, entry_point
from appconnect.connectors.fixture import FixtureConnector

BUILTIN: dict[str, type[Connector]] = {"fixture": FixtureConnector}


class ConnectorNotFound(LookupError):
    """The named connector does not exist, cannot be loaded, or is not a Connector."""


def proxy_path(name: str) -> Path | None:
    """The proxy connector file `name` refers to, or None when it names no proxy file."""
    bundled = bundled_proxy_path(name)
    if bundled is not None:
        return bundled
    if name.endswith(".json"):
        return Path(name).expanduser()
    return None


def connector_class(name: str) -> type[Connector]:
    if name in BUILTIN:
        return BUILTIN[name]
    ep = entry_point(name)
    if ep is not None:
        try:
            target: object = ep.load()
        except Exception as exc:  # a broken plugin is a config problem, not a crash
            raise ConnectorNotFound(
                f"cannot load connector plugin '{name}' ({ep.value}): {type(exc).__name__}: {exc}"
            ) from None
        return _connector_subclass(target, f"plugin '{name}' ({ep.value})")
    module_name, _, attr = name.partition(":")
    if not module_name or not attr:
        raise ConnectorNotFound(
            f"unknown connector '{name}' (built in: {', '.join(sorted(BUILTIN))}; or a proxy "
            "file *.json, an installed plugin name, or module:Class; see `connector list`)"
        )
    try:
        target = _import_from_cwd(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ConnectorNotFound(f"cannot load connector '{name}': {exc}") from None
    return _connector_subclass(target, f"'{name}'")


def _import_from_cwd(module_name: str) -> object:
    """Import `module_name` as `python -m` would: the working directory first.

    A console script (`.venv/bin/appconnect`) puts its own bin directory on sys.path, not the
    cwd, so `--connector my_crm:MyCRM` would fail there while `python -m appconnect` works;
    the cwd is put first for this import, which is what the docs promise."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        # Left in place, as `python -m` leaves it: the connector's own lazy imports of its
        # sibling modules must keep working after this one.
        sys.path.insert(0, cwd)
    return importlib.import_module(module_name)


def _connector_subclass(target: object, what: str) -> type[Connector]:
    if not (isinstance(target, type) and issubclass(target, Connector)):
        raise ConnectorNotFound(f"{what} is not a Connector subclass")
    return target


def build_connector(
    name: str,
    client: httpx.Client,
    *,
    log_format: str,
    options: Mapping[str, Any] | None = None,
) -> Connector:
    """The named connector on `client`. A Python connector class also gets `log_format` and
    any `options` its constructor has parameters for (the built-in one: auth settings)."""
    path = proxy_path(name) if name not in BUILTIN else None
    if path is not None:
        from appconnect.connectors.proxy import (
            ProxyConfigError,
            build_proxy_connector,
            load_proxy_config,
        )

        try:
            config = load_proxy_config(path)
        except ProxyConfigError as exc:
            raise ConnectorNotFound(f"{exc.where}: {exc.message}") from None
        return build_proxy_connector(config, client, source=str(path))
    cls = connector_class(name)
    accepted = inspect.signature(cls).parameters
    given = {"log_format": log_format, **(options or {})}
    kwargs = {key: value for key, value in given.items() if key in accepted}
    return cls(client, **kwargs)  # type: ignore[call-arg]
