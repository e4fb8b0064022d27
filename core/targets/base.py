"""The one contract every target keeps: what a command or the scenario runner can ask of
App Connect's core, whether it runs in-process (`embedded`) or behind a server (`server`).

A target declares what it can do beyond the common operations as `Capabilities`; a command
given an option its target cannot honour refuses (`require`) instead of ignoring it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from appconnect.connectors.contract import CallLogRecord, CRMCallLog, User
from appconnect.core.errors import BadInput
from appconnect.core.extension.call_fixtures import CallFixture, request_body
from appconnect.core.extension.requests import LogCallOutcome, edit_body
from appconnect.core.flows.pipeline import FlowResult
from appconnect.core.flows.trace import InterfaceCall
from appconnect.core.targets.crm_access import CrmAccess, CrmRecord

if TYPE_CHECKING:
    from appconnect.core.checks.interfaces import CheckOptions, CheckReport
    from appconnect.core.checks.reconcile import Progress
    from appconnect.core.checks.repair import RepairReport
    from appconnect.core.transports.faults import FaultPlan
    from appconnect.core.transports.http_trace import HttpExchange


@dataclass(frozen=True, slots=True)
class Capabilities:
    #: The trace holds the connector's interface calls (not only a server's routes).
    interface_trace: bool = False
    #: Faults can be injected under the connector's HTTP client.
    faults: bool = False
    #: A log can be edited as a CRM user would (`crm-edit` steps, smoke's user-edit).
    crm_user_edit: bool = False
    #: `repair` can act on this target's callLogs and CRM.
    repair: bool = False
    #: The harness maps server-side logs to CRM users (getUserList); a server maps its own.
    user_mapping: bool = False
    #: User settings can be set for one run (a server keeps its users' settings).
    user_settings: bool = False
    #: check-interfaces can probe the connector's contract and read the CRM in bulk.
    contract_checks: bool = False

    def names(self) -> list[str]:
        return [name for name in self.__slots__ if getattr(self, name)]


#: What each capability is called where a refusal names it.
CAPABILITY_TEXT = {
    "interface_trace": "the connector's interface calls",
    "faults": "fault injection",
    "crm_user_edit": "editing a CRM log as a CRM user",
    "repair": "repair",
    "user_mapping": "server-side user mapping",
    "user_settings": "per-run user settings",
    "contract_checks": "contract probes and bulk CRM reads",
}


class Target(ABC):
    """Everything a command or a scenario needs of App Connect's core."""

    #: Which kind of target this is ("embedded" or "server"), for messages.
    kind: str = ""
    capabilities: Capabilities = Capabilities()

    # --- life --------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @abstractmethod
    def close(self) -> None: ...

    def require(self, capability: str, option: str) -> None:
        """Refuse `option` (exit 2) when this target cannot honour it."""
        if not getattr(self.capabilities, capability):
            what = CAPABILITY_TEXT.get(capability, capability)
            raise BadInput(f"the {self.kind} target has no {what}", option)

    @property
    @abstractmethod
    def platform(self) -> str: ...

    @property
    @abstractmethod
    def calls(self) -> list[InterfaceCall]:
        """What was called so far: interface calls, or a server's routes."""

    @property
    def http_exchanges(self) -> list[HttpExchange]:
        """The HTTP exchanges recorded so far (`[trace] http` on), else none."""
        trace = getattr(self, "http_trace", None)
        return trace.exchanges if trace is not None else []

    @property
    def ephemeral(self) -> bool:
        """Does nothing a run makes outlive it (an in-memory store and CRM)?"""
        return False

    @property
    def faults(self) -> FaultPlan | None:
        """The fault plan under the connector (None where faults cannot be injected)."""
        return None

    @property
    @abstractmethod
    def crm(self) -> CrmAccess:
        """How checks reach the CRM (reading, listing, deleting, user edits)."""

    # --- what the extension does --------------------------------------------------------------

    @abstractmethod
    def connect(self) -> str:
        """Log in (App Connect's connect step); the user's id."""

    @abstractmethod
    def implemented(self) -> dict[str, bool]:
        """`/implementedInterfaces`."""

    @abstractmethod
    def composes(self) -> bool:
        """Does core compose the body (a text/html/markdown log format)?"""

    @abstractmethod
    def match_contact(self, body: dict[str, Any], create_name: str | None) -> bool:
        """The extension's contact match into `body`; whether a contact was created."""

    @abstractmethod
    def log_body(
        self,
        body: dict[str, Any],
        identity_overrides: Mapping[str, str],
        *,
        create_contact_name: str | None = None,
        as_user: User | None = None,
    ) -> LogCallOutcome:
        """Match the contact as the extension does, then `POST /callLog` with `body`."""

    @abstractmethod
    def update_log(self, body: Mapping[str, Any]) -> FlowResult:
        """`PATCH /callLog` with `body` (App Connect's key names)."""

    @abstractmethod
    def disposition(self, session_id: str, dispositions: Mapping[str, Any]) -> FlowResult:
        """`PUT /callDisposition`."""

    @abstractmethod
    def cache_note(self, session_id: str, note: str) -> None:
        """`POST /callLog/cacheNote`."""

    def server_side_user(
        self, rc_extension_id: str, rc_extensions: Sequence[Mapping[str, Any]]
    ) -> User | None:
        """The CRM user a server-side log belongs to, where the harness maps users."""
        return None

    def use_user_settings(self, settings: Mapping[str, Any]) -> None:
        """Extra userSettings for this run only."""
        if settings:
            self.require("user_settings", "userSettings")

    def log_call(
        self,
        fixture: CallFixture,
        *,
        session_id: str | None = None,
        subject: str | None = None,
        note: str | None = None,
        create_contact_name: str | None = None,
    ) -> LogCallOutcome:
        """The user logs a call from the extension (`POST /callLog`)."""
        body = request_body(fixture, session_id=session_id, subject=subject, note=note)
        return self.log_body(
            body, fixture.identity_overrides(), create_contact_name=create_contact_name
        )

    def edit_log(self, session_id: str, *, subject: str | None, note: str | None) -> FlowResult:
        """The user edits the log's subject and/or note in the extension."""
        return self.update_log(edit_body(session_id, subject=subject, note=note))

    # --- what checks read ---------------------------------------------------------------------

    @abstractmethod
    def call_logs(self, session_id: str | None = None) -> Iterator[CallLogRecord]:
        """The callLogs rows (one session's, when given)."""

    def open_claims(self, session_id: str | None = None) -> list[dict[str, Any]]:
        """Creates not finished (harness table sessionClaims); a server has none of ours."""
        return []

    def rows(self, session_id: str) -> list[CallLogRecord]:
        return list(self.call_logs(session_id))

    def read_crm_log(self, row: CallLogRecord) -> CrmRecord | None:
        return self.crm.read(row)

    def list_crm_logs(self, session_id: str) -> list[CRMCallLog] | None:
        return self.crm.list(session_id)

    def delete_crm_logs(self, log_ids: Sequence[str]) -> list[str]:
        """Delete CRM logs a run made; the ids that could not be deleted."""
        return [log_id for log_id in log_ids if not self.crm.delete(log_id)]

    @abstractmethod
    def check(self, options: CheckOptions, *, progress: Progress | None = None) -> CheckReport:
        """check-interfaces: implemented interfaces, contract, manifest, reconciliation."""

    def repair(self, *, dry_run: bool = False) -> RepairReport:
        """Adopt CRM logs no row points to and clear abandoned claims."""
        self.require("repair", "repair")
        raise AssertionError("a target with the repair capability implements repair")
