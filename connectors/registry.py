"""Which connector to run: `fixture` (built in) or a `module:Class` of the developer's own.

A connector class is constructed with an `httpx.Client` already pointed at the configured CRM
(base URL, timeout, and the in-process fixture CRM when no URL is set); it gets the
configured `log_format` too when its constructor takes one.
"""

from __future__ import annotations

import importlib
import inspect

import httpx

from appconnect.connectors.contract import Connector
from appconnect.connectors.fixture import FixtureConnector

BUILTIN: dict[str, type[Connector]] = {"fixture": FixtureConnector}


class ConnectorNotFound(LookupError):
    """The named connector does not exist or is not a Connector class."""


def connector_class(name: str) -> type[Connector]:
    if name in BUILTIN:
        return BUILTIN[name]
    module_name, _, attr = name.partition(":")
    if not module_name or not attr:
        known = ", ".join(sorted(BUILTIN))
        raise ConnectorNotFound(f"unknown connector '{name}' (built in: {known}; or module:Class)")
    try:
        target: object = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ConnectorNotFound(f"cannot load connector '{name}': {exc}") from None
    if not (isinstance(target, type) and issubclass(target, Connector)):
        raise ConnectorNotFound(f"'{name}' is not a Connector subclass")
    return target


def build_connector(name: str, client: httpx.Client, *, log_format: str) -> Connector:
    cls = connector_class(name)
    if "log_format" in inspect.signature(cls).parameters:
        return cls(client, log_format=log_format)  # type: ignore[call-arg]
    return cls(client)  # type: ignore[call-arg]
