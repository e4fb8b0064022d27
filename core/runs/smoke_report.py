"""What a smoke run reports: one `Check` per checklist row, and the run's `SmokeReport`
(its verdict and its JSON shape, the same for the CLI, JUnit and the pytest plugin)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from appconnect.core.flows.trace import InterfaceCall
    from appconnect.core.runs.body_diff import BodyDiff
    from appconnect.core.transports.http_trace import HttpExchange

Status = Literal["pass", "fail", "skip"]


@dataclass
class Check:
    id: str
    title: str
    status: Status = "pass"
    reason: str = ""
    seconds: float = 0.0
    #: What the check made the connector do: its interface calls and (with `[trace] http`)
    #: HTTP exchanges, for the run report.
    calls: list[InterfaceCall] = field(default_factory=list)
    http: list[HttpExchange] = field(default_factory=list)
    #: The CRM body as the check read it first and last (before and after its update; from
    #: nothing for a new log), so a failed row can show what changed.
    bodies: tuple[str, str] | None = None
    #: The callLogs row the check's last flow answered with, if any.
    row: dict[str, Any] | None = None

    def body_change(self) -> BodyDiff | None:
        if self.bodies is None:
            return None
        from appconnect.core.runs.body_diff import body_diff

        return body_diff(*self.bodies)


@dataclass
class SmokeReport:
    platform: str
    run_id: str
    checks: list[Check]
    left_in_crm: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.status != "fail" for check in self.checks)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for c in self.checks if c.status == s) for s in ("pass", "fail", "skip")}

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "runId": self.run_id,
            "ok": self.ok,
            "counts": self.counts(),
            "checks": [
                {
                    "id": c.id,
                    "title": c.title,
                    "status": c.status,
                    "reason": c.reason,
                    **({"http": [x.as_dict() for x in c.http]} if c.http else {}),
                }
                for c in self.checks
            ],
            "leftInCrm": self.left_in_crm,
        }
