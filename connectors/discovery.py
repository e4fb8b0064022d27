"""Where connectors come from: built in, bundled proxy files, and installed entry points.

Third-party packages register Python connectors in the `appconnect.connectors` entry-point
group (`name = "package.module:ConnectorClass"`); listing reads package metadata only, so a
broken plugin cannot break `appconnect connector list`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

__all__ = [
    "ENTRY_POINT_GROUP",
    "ConnectorSource",
    "available_connectors",
    "bundled_proxy_path",
    "entry_point",
]

ENTRY_POINT_GROUP = "appconnect.connectors"
#: Proxy connector files shipped in `appconnect.fixtures/connectors`, by connector name.
BUNDLED_PROXIES = {"fixture-proxy": "fixture-crm.proxy.json"}


@dataclass(frozen=True, slots=True)
class ConnectorSource:
    name: str
    #: `built-in`, `bundled-proxy` or `entry-point`.
    kind: str
    #: What it is: `module:Class` or a file path.
    target: str
    #: Where it comes from: `appconnect-harness`, or the installed distribution `name version`.
    origin: str


def bundled_proxy_path(name: str) -> Path | None:
    filename = BUNDLED_PROXIES.get(name)
    if filename is None:
        return None
    entry = resources.files("appconnect.fixtures").joinpath("connectors", filename)
    return Path(str(entry))


def _entry_points() -> list[metadata.EntryPoint]:
    return sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def entry_point(name: str) -> metadata.EntryPoint | None:
    return next((ep for ep in _entry_points() if ep.name == name), None)


def _origin(ep: metadata.EntryPoint) -> str:
    dist = ep.dist
    return f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"


def available_connectors() -> list[ConnectorSource]:
    from appconnect.connectors.registry import BUILTIN

    found = [
        ConnectorSource(name, "built-in", f"{cls.__module__}:{cls.__qualname__}", "appconnect")
        for name, cls in sorted(BUILTIN.items())
    ]
    for name in sorted(BUNDLED_PROXIES):
        path = bundled_proxy_path(name)
        found.append(ConnectorSource(name, "bundled-proxy", str(path), "appconnect"))
    taken = {source.name for source in found}
    for ep in _entry_points():
        if ep.name not in taken:  # built-in names win, as they do when resolving
            found.append(ConnectorSource(ep.name, "entry-point", ep.value, _origin(ep)))
            taken.add(ep.name)
    return found
