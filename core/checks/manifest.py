"""Manifest checks: the App Connect manifest fields that matter to call logging (ref §7).

Only what changes call logging is checked — the platform's name and auth type (they must match
the connector), server-side logging, the extension-number setting, the call-log page's
additional fields and the settings ids — plus the absence of a `logFormat` key, which App
Connect does not have (the connector's getLogFormatType decides).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appconnect.core.errors import BadInput
from appconnect.core.user_files import parse_json, read_input_text, shown

_SSCL_TYPES: dict[str, tuple[type, str]] = {
    "url": (str, "a string"),
    "useAdminAssignedUserToken": (bool, "a boolean"),
    "enableUserMapping": (bool, "a boolean"),
    "additionalFields": (list, "an array"),
}


@dataclass(frozen=True, slots=True)
class ManifestIssue:
    field: str
    expected: str
    got: str


@dataclass(frozen=True, slots=True)
class ManifestReport:
    path: str
    ok: bool
    violations: list[ManifestIssue] = field(default_factory=list)


def load_manifest(path: Path) -> dict[str, Any]:
    """The manifest as a JSON object; a missing or malformed file is bad input (exit 2)."""
    # The same bounded, UTF-8-checked reading as every other file a user hands the CLI.
    text = read_input_text(path, "manifest file", BadInput)
    data = parse_json(text, shown(path), BadInput)
    if not isinstance(data, dict):
        raise BadInput("the manifest is not a JSON object", str(path))
    return data


def check_manifest(path: Path, platform: str, auth_type: str) -> ManifestReport:
    issues = list(manifest_issues(load_manifest(path), platform, auth_type))
    return ManifestReport(path=str(path), ok=not issues, violations=issues)


def manifest_issues(
    data: Mapping[str, Any], platform: str, auth_type: str
) -> Iterator[ManifestIssue]:
    platforms = data.get("platforms")
    if not isinstance(platforms, Mapping):
        yield ManifestIssue("platforms", "an object keyed by platform name", _show(platforms))
        return
    entry = platforms.get(platform)
    base = f"platforms.{platform}"
    if not isinstance(entry, Mapping):
        yield ManifestIssue(base, "an entry for the configured platform", _keys(platforms))
        return
    if entry.get("name") != platform:
        yield ManifestIssue(f"{base}.name", repr(platform), _show(entry.get("name", ...)))
    auth = entry.get("auth")
    got_type = auth.get("type", ...) if isinstance(auth, Mapping) else ...
    if got_type != auth_type:
        yield ManifestIssue(
            f"{base}.auth.type", f"{auth_type!r} (the connector's getAuthType)", _show(got_type)
        )
    if "logFormat" in entry:
        yield ManifestIssue(
            f"{base}.logFormat",
            "absent: App Connect has no logFormat key (getLogFormatType decides)",
            _show(entry["logFormat"]),
        )
    yield from _sscl(entry.get("serverSideLogging", ...), f"{base}.serverSideLogging")
    ext = entry.get("enableExtensionNumberLoggingSetting", ...)
    if ext is not ... and not isinstance(ext, bool):
        yield ManifestIssue(f"{base}.enableExtensionNumberLoggingSetting", "a boolean", _show(ext))
    yield from _additional_fields(entry, base)
    yield from _settings(entry.get("settings", ...), f"{base}.settings")


def _sscl(value: Any, where: str) -> Iterator[ManifestIssue]:
    if value is ...:
        return
    if not isinstance(value, Mapping):
        yield ManifestIssue(where, "an object", _show(value))
        return
    for key, (kind, expected) in _SSCL_TYPES.items():
        if key in value and not isinstance(value[key], kind):
            yield ManifestIssue(f"{where}.{key}", expected, _show(value[key]))


def _additional_fields(entry: Mapping[str, Any], base: str) -> Iterator[ManifestIssue]:
    page = entry.get("page")
    call_log = page.get("callLog") if isinstance(page, Mapping) else None
    if not isinstance(call_log, Mapping) or "additionalFields" not in call_log:
        return
    where = f"{base}.page.callLog.additionalFields"
    fields = call_log["additionalFields"]
    if not isinstance(fields, list):
        yield ManifestIssue(where, "an array", _show(fields))
        return
    seen: set[str] = set()
    for index, item in enumerate(fields):
        here = f"{where}[{index}]"
        if not isinstance(item, Mapping):
            yield ManifestIssue(here, "an object", _show(item))
            continue
        for key in ("const", "title", "type"):
            if not isinstance(item.get(key), str) or not item[key]:
                yield ManifestIssue(
                    f"{here}.{key}", "a non-empty string", _show(item.get(key, ...))
                )
        if "contactDependent" in item and not isinstance(item["contactDependent"], bool):
            yield ManifestIssue(
                f"{here}.contactDependent", "a boolean", _show(item["contactDependent"])
            )
        const = item.get("const")
        if isinstance(const, str) and const:
            # additionalSubmission is keyed by const: a repeat silently shadows a field.
            if const in seen:
                yield ManifestIssue(f"{here}.const", "unique among additionalFields", repr(const))
            seen.add(const)


def _settings(value: Any, where: str) -> Iterator[ManifestIssue]:
    if value is ...:
        return
    if not isinstance(value, list):
        yield ManifestIssue(where, "an array", _show(value))
        return
    seen: set[str] = set()
    # Sections nest their settings under `items`; ids are one namespace (userSettings.<id>).
    stack = [(f"{where}[{i}]", item) for i, item in enumerate(value)]
    while stack:
        here, item = stack.pop(0)
        if not isinstance(item, Mapping):
            yield ManifestIssue(here, "an object", _show(item))
            continue
        setting_id = item.get("id")
        if not isinstance(setting_id, str) or not setting_id:
            yield ManifestIssue(f"{here}.id", "a non-empty string", _show(item.get("id", ...)))
        elif setting_id in seen:
            yield ManifestIssue(f"{here}.id", "unique among settings", repr(setting_id))
        else:
            seen.add(setting_id)
        items = item.get("items")
        if isinstance(items, list):
            stack.extend((f"{here}.items[{i}]", sub) for i, sub in enumerate(items))


def _keys(platforms: Mapping[str, Any]) -> str:
    return "platforms " + (", ".join(sorted(map(str, platforms))) or "(none)")


def _show(value: Any, limit: int = 60) -> str:
    if value is ...:
        return "missing"
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[: limit - 3] + "..."
