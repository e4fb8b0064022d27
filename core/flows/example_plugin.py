"""The bundled example plugin `note-tag`: adds a line to the agent note of every logged call.

Enable it with `plugins = ["note-tag"]` in appconnect.toml. It is registered through the same
`appconnect.plugins` entry-point group a third-party plugin package uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appconnect.core.flows.plugins import Plugin

TAG_LINE = "Logged through appconnect-harness."


def add_note_line(data: dict[str, Any]) -> Mapping[str, Any] | None:
    note = data.get("note")
    if note is None:  # an update that does not touch the note: leave it alone
        return None
    if TAG_LINE in note:
        return None
    data["note"] = f"{note}\n{TAG_LINE}" if note else TAG_LINE
    return data


note_tag = Plugin(name="note-tag", run=add_note_line)
