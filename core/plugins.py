"""Synchronous call plugins: callables that see the call data before composition (ref §3.2 step 8).

A plugin takes the data dict and returns a replacement (or None to keep it). App Connect then
reads `note` back from the data; so do we. Plugins are named `module:callable` in the config.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from appconnect.core.errors import ConfigError

SyncPlugin = Callable[[dict[str, Any]], Mapping[str, Any] | None]


def load_plugins(specs: Sequence[str]) -> list[SyncPlugin]:
    plugins: list[SyncPlugin] = []
    for index, spec in enumerate(specs):
        where = f"plugins[{index}]"
        module_name, _, attr = spec.partition(":")
        if not module_name or not attr:
            raise ConfigError(f"plugin '{spec}' must be written module:callable", where)
        try:
            target: Any = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(
                f"cannot import plugin module '{module_name}': {exc}", where
            ) from None
        for part in attr.split("."):
            target = getattr(target, part, None)
        if not callable(target):
            raise ConfigError(f"plugin '{spec}' is not a callable", where)
        plugins.append(target)
    return plugins


def run_sync_plugins(plugins: Sequence[SyncPlugin], data: dict[str, Any]) -> dict[str, Any]:
    """Each plugin's reply replaces the data, in order."""
    for plugin in plugins:
        reply = plugin(dict(data))
        if reply is not None:
            data = dict(reply)
    return data
