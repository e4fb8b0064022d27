"""`appconnect connector new`: a working connector project rendered from templates.

The templates are package data (`templates/<kind>/...`, `templates/common/...`); every file
name and text in them is rendered with `%%name`-style placeholders (not `$`, which shell,
JavaScript and GitHub Actions use). A file or folder named `dot-x` is written as `.x`
(package-data globs skip hidden names).
"""

from __future__ import annotations

from appconnect.core.scaffold.project import KINDS, Project, create_project, project_for

__all__ = ["KINDS", "Project", "create_project", "project_for"]
