"""Call plugins: App Connect core's plugin hooks (ref §3.2 steps 8 and 12) for Python.

A plugin sees the request data of every create and update. A *sync* plugin runs before
composition and returns replacement data (or None to keep it); App Connect then reads `note`
back from it, and so do we. An *async* plugin runs after the flow and cannot change it (App
Connect dispatches those fire-and-forget); its errors are reported with the result.

Plugins are enabled by name in the config's `plugins` list: the name of an entry point in the
`appconnect.plugins` group (installed packages declare them), or `module:callable`. An entry
point may name a function (a sync plugin) or a `Plugin`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Literal

from appconnect.core.errors import ConfigError, HarnessError

ENTRY_POINT_GROUP = "appconnect.plugins"

PluginFunction = Callable[[dict[str, Any]], Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Plugin:
    name: str
    run: PluginFunction
    mode: Literal["sync", "async"] = "sync"


class PluginError(HarnessError):
    """A sync plugin raised: the flow stops before anything reaches the CRM."""

    exit_code = 1


def available_plugins() -> dict[str, str]:
    """Installed plugins: entry-point name -> `module:attr`."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load_plugins(specs: Sequence[str]) -> list[Plugin]:
    installed = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    plugins: list[Plugin] = []
    for index, spec in enumerate(specs):
        where = f"plugins[{index}]"
        if spec in installed:
            target = _load(installed[spec].load, spec, where)
        elif ":" in spec:
            target = _load(functools.partial(_import_attr, spec), spec, where)
        else:
            known = ", ".join(sorted(installed)) or "none installed"
            raise ConfigError(f"unknown plugin '{spec}' (installed: {known})", where)
        if isinstance(target, Plugin):
            plugins.append(target)
        elif callable(target):
            plugins.append(Plugin(name=spec, run=target))
        else:
            raise ConfigError(f"plugin '{spec}' is not a callable or Plugin", where)
    return plugins


def _load(loader: Callable[[], object], spec: str, where: str) -> object:
    try:
        return loader()
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load plugin '{spec}': {exc}", where) from None


def _import_attr(spec: str) -> object:
    module_name, _, attr = spec.partition(":")
    target: object = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


def run_sync_plugins(plugins: Sequence[Plugin], data: dict[str, Any]) -> dict[str, Any]:
    """Each sync plugin's reply replaces the data, in order. A failure stops the flow."""
    for plugin in plugins:
        if plugin.mode != "sync":
            continue
        try:
            reply = plugin.run(dict(data))
        except Exception as exc:
            raise PluginError(
                f"plugin '{plugin.name}' failed: {type(exc).__name__}: {exc}", "plugins"
            ) from exc
        if reply is not None:
            data = dict(reply)
    return data


def run_async_plugins(plugins: Sequence[Plugin], data: Mapping[str, Any]) -> list[str]:
    """Run the async plugins after a flow; their failures come back as messages."""
    errors: list[str] = []
    for plugin in plugins:
        if plugin.mode != "async":
            continue
        try:
            plugin.run(dict(data))
        except Exception as exc:
            errors.append(f"plugin '{plugin.name}' failed: {type(exc).__name__}: {exc}")
    return errors
