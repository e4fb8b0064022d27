"""`appconnect connector lint`: what would make a proxy connector file fail, with JSON paths.

Errors: schema errors, unknown operations, operations call logging needs, response mappings
that point nowhere or are missing where App Connect needs them. Warnings: keys App Connect
ignores, recommended operations, harness-only extensions, and template variables that render
undefined (not among the operation's inputs, or a path its value does not have).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from appconnect.connectors.proxy.loader import decode_json, read_text, schema_problems
from appconnect.connectors.proxy.models import Operation, ProxyConfig, ResponseMapping
from appconnect.connectors.proxy.templating import expressions, json_key
from appconnect.connectors.proxy.variables import (
    APP_CONNECT_OPERATIONS,
    HARNESS_OPERATIONS,
    HARNESS_VARIABLES,
    MAPPING_KEYS,
    variables_for,
)

__all__ = ["Finding", "lint_data", "lint_file"]

Severity = Literal["error", "warning"]
REQUIRED = ("createCallLog", "updateCallLog", "getUserInfo")
RECOMMENDED = ("findContact", "getCallLog")
_WHY_REQUIRED = {
    "createCallLog": "App Connect answers 'Not supported' and no call is ever logged",
    "updateCallLog": "App Connect answers 'Not supported' to every edit, recording and update",
    "getUserInfo": "an API-key user cannot connect (App Connect: 'Could not load user "
    "information')",
}
_WHY_RECOMMENDED = {
    "findContact": "calls are never matched to a contact",
    "getCallLog": "updates recompose from an empty body instead of the CRM's",
}
_HARNESS_USE = {
    "listCallLogs": "check-interfaces lists the CRM's logs with it",
    "deleteCallLog": "smoke and --probe-writes delete what they created with it",
    "editCallLogAsUser": "crm-edit steps and smoke's user-edit edit as a CRM user with it",
}
#: Roots a response path may start at (getUserInfo also sees its inputs).
_RESPONSE_ROOTS = ("body",)
_USER_INFO_ROOTS = ("body", "additionalInfo", "apiKey", "hostname", "platform")
#: responseMapping keys whose paths are relative to one list item.
_ITEM_RELATIVE = {"getUserList": ("idPath", "namePath", "emailPath")}


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    problem: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}: {prefix}{self.problem}"


def lint_file(path: Path) -> list[Finding]:
    """Lint a file; ProxyConfigError only when it cannot be read (a bad argument, not a finding)."""
    text = read_text(path, "file", missing="no such file")
    try:
        data = decode_json(text)
    except json.JSONDecodeError as exc:
        return [Finding("$", f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]
    return lint_data(data)


def lint_data(data: Any) -> list[Finding]:
    if not isinstance(data, dict):
        return [Finding("$", "a proxy connector is a JSON object")]
    problems = schema_problems(data)
    if problems:
        return [Finding(path, problem) for path, problem in problems]
    config = ProxyConfig.model_validate(data)
    findings = list(_unknown_keys(config, "$"))
    findings.extend(_operations(config))
    findings.extend(_templates(config))
    for name, op in config.operations.items():
        findings.extend(_mapping(name, op, f"$.operations{json_key(name)}"))
    return findings


# --- keys and operations -------------------------------------------------------------------


def _unknown_keys(model: BaseModel, where: str) -> Iterator[Finding]:
    for key in model.model_extra or {}:
        yield Finding(f"{where}{json_key(key)}", "unknown key (App Connect ignores it)", "warning")
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _unknown_keys(value, f"{where}{json_key(name)}")
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    yield from _unknown_keys(item, f"{where}{json_key(name)}{json_key(key)}")


def _operations(config: ProxyConfig) -> Iterator[Finding]:
    known = (*APP_CONNECT_OPERATIONS, *HARNESS_OPERATIONS)
    for name in config.operations:
        if name not in known:
            yield Finding(
                f"$.operations{json_key(name)}",
                f"unknown operation '{name}' (App Connect runs: {', '.join(APP_CONNECT_OPERATIONS)}"
                f"; the harness also: {', '.join(HARNESS_OPERATIONS)})",
            )
    for name in REQUIRED:
        if name not in config.operations:
            yield Finding("$.operations", f"missing {name}: {_WHY_REQUIRED[name]}")
    for name in RECOMMENDED:
        if name not in config.operations:
            yield Finding("$.operations", f"no {name}: {_WHY_RECOMMENDED[name]}", "warning")
    for name in HARNESS_OPERATIONS:
        if name in config.operations:
            yield Finding(
                f"$.operations{json_key(name)}",
                f"{name} is a harness extension ({_HARNESS_USE[name]}); App Connect ignores it",
                "warning",
            )


# --- templates -----------------------------------------------------------------------------


def _op_templates(op: Operation, where: str) -> Iterator[tuple[str, str]]:
    yield from expressions(op.url, f"{where}.url")
    yield from expressions(op.headers, f"{where}.headers")
    yield from expressions(op.query, f"{where}.query")
    yield from expressions(op.body, f"{where}.body")
    if op.auth is not None and op.auth.credentialTemplate:
        yield from expressions(op.auth.credentialTemplate, f"{where}.auth.credentialTemplate")


def _templates(config: ProxyConfig) -> Iterator[Finding]:
    shared = variables_for(None)
    defaults = config.requestDefaults.defaultHeaders
    for where, expr in expressions(defaults, "$.requestDefaults.defaultHeaders"):
        yield from _variable(expr, where, shared, "every operation")
    if config.auth.credentialTemplate:
        template = config.auth.credentialTemplate
        for where, expr in expressions(template, "$.auth.credentialTemplate"):
            yield from _variable(expr, where, shared, "every operation")
    for name, op in config.operations.items():
        if name not in (*APP_CONNECT_OPERATIONS, *HARNESS_OPERATIONS):
            continue  # reported as an unknown operation
        tree = variables_for(name)
        for where, expr in _op_templates(op, f"$.operations{json_key(name)}"):
            yield from _variable(expr, where, tree, name)
            if name == "updateCallLog" and expr.split(".")[0] in ("startTime", "endTime"):
                yield Finding(
                    where,
                    f"'{expr}' in updateCallLog: an update that carries no startTime (an edit, "
                    "a recording) renders the current time, so this overwrites the call's date",
                    "warning",
                )


def _variable(expr: str, where: str, tree: dict[str, Any], scope: str) -> Iterator[Finding]:
    """Warnings, never errors: App Connect renders an unknown name as empty (undefined in a
    body drops the key), so a file that uses one still works there, minus that value."""
    parts = expr.split(".")
    level: dict[str, Any] | None = tree
    for depth, part in enumerate(parts):
        if level is None:
            return  # open: values from the CRM or the call
        if part not in level:
            name = ".".join(parts[: depth + 1])
            known = ", ".join(sorted(level))
            if depth == 0:
                problem = (
                    f"template variable '{name}' is not among the inputs of {scope}: App "
                    f"Connect renders it empty and drops the field (known: {known})"
                )
            else:
                problem = (
                    f"'{expr}' renders undefined in {scope}: '{parts[depth - 1]}' has no "
                    f"'{part}', so the field is dropped (known: {known})"
                )
            yield Finding(where, problem, "warning")
            return
        if depth == 0 and part in HARNESS_VARIABLES:
            yield Finding(
                where,
                f"'{part}' is a harness extension ({HARNESS_VARIABLES[part]}); App Connect "
                "leaves it undefined, so the value is dropped there",
                "warning",
            )
        level = level[part]


# --- response mappings ---------------------------------------------------------------------


def _mapping(name: str, op: Operation, where: str) -> Iterator[Finding]:
    mapping = op.responseMapping
    at = f"{where}.responseMapping"
    if mapping is None:
        if name == "createCallLog":
            yield Finding(
                where,
                "no responseMapping: createCallLog returns no logId, so every log fails "
                "(idPath defaults to body.id only when a mapping exists)",
            )
        elif name == "getUserInfo":
            yield Finding(where, "no responseMapping: users.id would be 'undefined-<platform>'")
        elif name in ("findContact", "findContactWithName", "listCallLogs"):
            yield Finding(where, f"no responseMapping: {name} never finds anything", "warning")
        return
    used = MAPPING_KEYS.get(name, frozenset())
    item_relative = _ITEM_RELATIVE.get(name, ())
    roots = _USER_INFO_ROOTS if name == "getUserInfo" else _RESPONSE_ROOTS
    for key in sorted(ResponseMapping.model_fields):
        value = getattr(mapping, key)
        if value is None or key == "type":
            continue
        path = f"{at}{json_key(key)}"
        if key not in used:
            yield Finding(path, f"{name} does not read {key} (ignored)", "warning")
            continue
        if key == "item":
            yield from _item_paths(value, path)
        elif key == "platformAdditionalInfoPaths":
            for sub, expr in value.items():
                yield from _rooted(expr, f"{path}{json_key(sub)}", roots)
        elif key in item_relative:
            yield from _relative(value, path)
        else:
            yield from _rooted(value, path, roots)
    if name == "getUserInfo" and not mapping.idPath:
        yield Finding(at, "no idPath: users.id would be 'undefined-<platform>'")
    if name == "createContact" and not mapping.idPath:
        yield Finding(at, "no idPath: createContact returns no contact", "warning")
    if name == "getUserList" and not mapping.listPath:
        yield Finding(at, "no listPath: getUserList returns no users", "warning")


def _rooted(expr: str, where: str, roots: tuple[str, ...]) -> Iterator[Finding]:
    if not expr or expr == "$":
        return  # empty: the default path; `$`: the whole context
    if expr.split(".")[0] not in roots:
        yield Finding(
            where,
            f"'{expr}' points nowhere: paths start at {' or '.join(roots)} "
            f"(did you mean 'body.{expr}'?)",
        )


def _relative(expr: str, where: str) -> Iterator[Finding]:
    if expr.startswith("body."):
        yield Finding(
            where,
            f"'{expr}' is read from each list item, not from the response: "
            f"it looks for a 'body' key in the item",
            "warning",
        )


def _item_paths(item: BaseModel, where: str) -> Iterator[Finding]:
    for key in type(item).model_fields:
        value = getattr(item, key)
        if isinstance(value, str):
            yield from _relative(value, f"{where}{json_key(key)}")
