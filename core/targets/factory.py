"""The one place that chooses a target: our core in-process, or a running server."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import httpx

from appconnect.core.config import HarnessConfig
from appconnect.core.errors import BadInput
from appconnect.core.targets.base import Target

TargetKind = Literal["embedded", "server"]
TARGET_KINDS: tuple[TargetKind, ...] = ("embedded", "server")


def open_target(
    config: HarnessConfig,
    *,
    kind: str = "embedded",
    home: Path,
    config_path: Path | None = None,
    sandbox: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> Target:
    """The configured target. Options the target cannot honour are refused here, before
    anything runs: faults need the connector's HTTP client, which a server keeps to itself."""
    if kind == "server":
        from appconnect.core.targets.server import ServerTarget

        if config.faults.rules or config.faults.rate:
            raise BadInput(
                "faults cannot be injected through a server: it makes its own CRM calls",
                "--fault",
            )
        config_dir = config_path.parent if config_path else None
        return ServerTarget(config, config_dir=config_dir, transport=transport)
    if kind != "embedded":
        raise BadInput(f"unknown target '{kind}' (one of: {', '.join(TARGET_KINDS)})", "--target")
    from appconnect.core.targets.embedded import EmbeddedTarget

    return EmbeddedTarget(
        config, home, config_path=config_path, sandbox=sandbox, transport=transport
    )
