"""Render a connector project from the templates into a new (or empty) directory."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from appconnect.core.errors import BadInput
from appconnect.core.user_files import shown

KINDS = ("python", "proxy", "node")
#: Names the harness resolves before any plugin (connectors/registry.py): never a new one's.
RESERVED = frozenset({"fixture", "fixture-proxy"})
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
MAX_NAME = 40
#: What `connector new` renders besides the kind's own files.
_COMMON = "common"


class _Template(string.Template):
    delimiter = "%%"


@dataclass(frozen=True)
class Project:
    """What the templates are rendered with."""

    name: str
    kind: str

    @property
    def module(self) -> str:
        # A suffix so a name like `email` or `json` never shadows a standard module.
        return self.name.replace("-", "_") + "_connector"

    @property
    def class_name(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("-")) + "Connector"

    @property
    def display_name(self) -> str:
        return " ".join(part.capitalize() for part in self.name.split("-"))

    def values(self) -> dict[str, str]:
        return {
            "name": self.name,
            "kind": self.kind,
            "module": self.module,
            "class_name": self.class_name,
            "display_name": self.display_name,
            "connector_ref": self.connector_ref,
        }

    @property
    def connector_ref(self) -> str:
        """What `connector.name` selects in the generated appconnect.toml."""
        if self.kind == "python":
            return f"{self.module}.connector:{self.class_name}"
        if self.kind == "proxy":
            return f"{self.name}.proxy.json"
        return self.name  # node: the platform the server registers


def project_for(name: str, kind: str) -> Project:
    """The project for `name` and `kind`, or BadInput saying what is wrong with them."""
    if kind not in KINDS:
        raise BadInput(f"unknown kind '{shown(kind)}' (one of: {', '.join(KINDS)})", "--kind")
    if len(name) > MAX_NAME or not _NAME.match(name):
        raise BadInput(
            f"connector name '{shown(name)}' must be lowercase letters and digits, words "
            f"joined by single hyphens, starting with a letter, at most {MAX_NAME} characters",
            "connector new",
        )
    if name in RESERVED:
        raise BadInput(f"connector name '{name}' is built in; choose another", "connector new")
    return Project(name, kind)


def create_project(project: Project, directory: Path) -> list[Path]:
    """Render the project into `directory` (created; it must not exist or be empty).

    Returns the files written, relative to `directory`."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BadInput("the directory exists and is not empty", shown(directory))
    rendered = _render_all(project)  # every template rendered before anything is written
    written = []
    for relative, text in rendered.items():
        target = directory / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"cannot write the project: {exc.strerror}", shown(target)) from None
        if target.suffix in (".sh",):
            target.chmod(0o755)
        written.append(Path(relative))
    return written


def _render_all(project: Project) -> dict[str, str]:
    root = resources.files("appconnect.core.scaffold").joinpath("templates")
    values = project.values()
    out: dict[str, str] = {}
    for folder in (_COMMON, project.kind):
        for relative, entry in _walk(root.joinpath(folder), ""):
            path = _Template(_output_path(relative)).substitute(values)
            text = _Template(entry.read_text(encoding="utf-8")).substitute(values)
            out[path] = text
    return dict(sorted(out.items()))


def _walk(node: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    found = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        name = f"{prefix}{child.name}"
        if child.is_dir():
            found.extend(_walk(child, f"{name}/"))
        elif child.name.endswith(".tmpl"):
            found.append((name, child))
    return found


def _output_path(relative: str) -> str:
    parts = relative.removesuffix(".tmpl").split("/")
    return "/".join("." + p[4:] if p.startswith("dot-") else p for p in parts)
