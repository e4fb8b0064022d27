"""Shell completion of the names commands take: bundled scenarios, call fixtures, connectors.

Typer calls these (`autocompletion=`) only while completing, so nothing here is imported
for a normal run; each also offers matching files, since those arguments take a path too.
"""

from __future__ import annotations

from pathlib import Path


def _matching(names: list[str], incomplete: str) -> list[str]:
    return [name for name in names if name.startswith(incomplete)]


def _files(incomplete: str, suffixes: tuple[str, ...]) -> list[str]:
    """Files and folders under the typed path whose names end in `suffixes`."""
    folder, _, stem = incomplete.rpartition("/")
    base = Path(folder or ".")
    try:
        entries = sorted(base.iterdir())
    except OSError:
        return []
    prefix = f"{folder}/" if folder else ""
    return [
        f"{prefix}{entry.name}{'/' if entry.is_dir() else ''}"
        for entry in entries
        if entry.name.startswith(stem)
        and not entry.name.startswith(".")
        and (entry.is_dir() or entry.name.endswith(suffixes))
    ]


def scenario_names(incomplete: str) -> list[str]:
    from appconnect.core.runs.scenarios import bundled_scenarios

    return _matching(bundled_scenarios(), incomplete) + _files(incomplete, (".json", ".toml"))


def call_fixture_names(incomplete: str) -> list[str]:
    from appconnect.core.extension.call_fixtures import bundled_names

    return _matching(bundled_names(), incomplete) + _files(incomplete, (".json",))


def connector_names(incomplete: str) -> list[str]:
    """Built-in, bundled and installed (entry-point) connectors, and proxy files."""
    from appconnect.connectors.discovery import available_connectors

    names = [source.name for source in available_connectors()]
    return _matching(names, incomplete) + _files(incomplete, (".json",))


def connector_kinds(incomplete: str) -> list[str]:
    from appconnect.core.scaffold import KINDS

    return _matching(list(KINDS), incomplete)
