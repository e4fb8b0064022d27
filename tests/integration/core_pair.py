"""Two App Connect cores side by side, each with its own fixture CRM on loopback:

- `NodeSide`: the real `@app-connect/core` (tests/node_core.py) driven over HTTP;
- `OurSide`: our embedded core (`EmbeddedTarget` + `core.flows`) against a CRM URL.

Both expose the same client calls and return App Connect's reply shapes, so a test can run
one sequence through both and compare replies, CRM end states and `callLogs` rows.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from node_core import AppConnectClient, NodeCoreServer

from appconnect.connectors.contract import FindContactRequest, implemented_interfaces
from appconnect.core.config import HarnessConfig
from appconnect.core.flows.auth import auth_header
from appconnect.core.flows.create import create_call_log
from appconnect.core.flows.disposition import upsert_call_disposition
from appconnect.core.flows.identity import Identity
from appconnect.core.flows.lookup import get_call_logs
from appconnect.core.flows.pipeline import FlowResult
from appconnect.core.flows.update import update_call_log
from appconnect.core.home import fixture_crm_path
from appconnect.core.store.db import Store
from appconnect.core.targets.embedded import EmbeddedTarget
from appconnect.fixtures.crm import CRMState, make_server

HASH_KEY = "integration-hash-key"  # App Connect's HASH_KEY, the same on both sides
_IDENTITY_KEYS = ("extensionNumber", "hashedExtensionId", "rcExtensionId", "accountId")
# What differs between two CRMs by construction (ids aside, both number from 1).
_VOLATILE_ACTIVITY_KEYS = ("id", "createdAt", "updatedAt", "revision")


@dataclasses.dataclass
class LoopbackCRM:
    state: CRMState
    url: str


@contextmanager
def loopback_crm(path: Path | None) -> Iterator[LoopbackCRM]:
    """A fixture CRM served on 127.0.0.1 (port 0) in a thread, shut down on exit."""
    state = CRMState(path)
    server, port = make_server(state, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield LoopbackCRM(state, f"http://127.0.0.1:{port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Side(Protocol):
    """App Connect's client calls, answered in App Connect's reply shapes (ref §3, §8)."""

    crm: LoopbackCRM

    def login(self) -> None: ...
    def implemented_interfaces(self) -> dict[str, Any]: ...
    def find_contact(self, number: str, *, is_extension: bool = False) -> dict[str, Any]: ...
    def create_call_log(self, body: Mapping[str, Any], *, sscl: bool = False) -> dict[str, Any]: ...
    def get_call_logs(
        self, session_ids: list[str], *, require_details: bool = False,
        identity: Mapping[str, str] | None = None,
    ) -> dict[str, Any]: ...  # fmt: skip
    def update_call_log(self, body: Mapping[str, Any], *, sscl: bool = False) -> dict[str, Any]: ...
    def upsert_call_disposition(self, body: Mapping[str, Any]) -> dict[str, Any]: ...
    def call_logs(self) -> list[dict[str, Any]]: ...


class NodeSide:
    """The real core: its HTTP routes, its SQLite file."""

    def __init__(self, server: NodeCoreServer, crm: LoopbackCRM) -> None:
        self.server, self.crm = server, crm
        self.client = AppConnectClient(server.url)

    def close(self) -> None:
        self.client.close()

    def login(self) -> None:
        # `hostname` as the extension sends it for this CRM (stored in users.hostname).
        self.client.login(self.crm.state.api_key, hostname="127.0.0.1")

    def implemented_interfaces(self) -> dict[str, Any]:
        return self.client.implemented_interfaces()

    def find_contact(self, number: str, *, is_extension: bool = False) -> dict[str, Any]:
        return clean(self.client.find_contact(number, is_extension=is_extension))

    def create_call_log(self, body: Mapping[str, Any], *, sscl: bool = False) -> dict[str, Any]:
        return clean(self.client.create_call_log(body, sscl=sscl))

    def get_call_logs(
        self, session_ids: list[str], *, require_details: bool = False,
        identity: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        reply = self.client.get_call_logs(
            session_ids, require_details=require_details, identity=identity
        )
        return _lookup_reply(reply["successful"], reply["logs"])

    def update_call_log(self, body: Mapping[str, Any], *, sscl: bool = False) -> dict[str, Any]:
        return clean(self.client.update_call_log(body, sscl=sscl))

    def upsert_call_disposition(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return clean(self.client.upsert_call_disposition(body))

    def call_logs(self) -> list[dict[str, Any]]:
        return [row_fields(row) for row in self.server.call_logs()]


class OurSide:
    """Our core: `core.flows` on a EmbeddedTarget whose connector talks to a loopback CRM, with the
    identity taken from each request body as App Connect's routes take it (ref §3.2)."""

    def __init__(self, home: Path, crm: LoopbackCRM, config: Mapping[str, Any]) -> None:
        self.crm = crm
        self.config = harness_config(crm, config)
        self.harness = EmbeddedTarget(self.config, home)

    def close(self) -> None:
        self.harness.close()

    def login(self) -> None:
        self.harness.pipeline()  # connects the user with getUserInfo, as /apiKeyLogin does

    def implemented_interfaces(self) -> dict[str, Any]:
        use_cache = self.config.app_connect.use_cache
        return implemented_interfaces(self.harness.connector, cache_call_note=use_cache)

    def find_contact(self, number: str, *, is_extension: bool = False) -> dict[str, Any]:
        pipeline = self.harness.pipeline()
        user, connector = pipeline.user, pipeline.connector
        assert user is not None and connector.find_contact is not None
        found = connector.find_contact(
            FindContactRequest(user=user, auth_header=auth_header(connector, user),
                               phone_number=number, is_extension=is_extension)
        )  # fmt: skip
        return clean({
            "successful": found.successful,
            "returnMessage": _message(found.returnMessage),
            "contact": [c.model_dump() for c in found.matchedContactInfo],
        })  # fmt: skip

    def _identity(self, body: Mapping[str, Any]) -> Identity:
        nested = body.get("logInfo") or {}
        found = {key: str(nested[key]) for key in _IDENTITY_KEYS if nested.get(key)}
        found.update({key: str(body[key]) for key in _IDENTITY_KEYS if body.get(key)})
        return self.harness.identity(found)

    def create_call_log(self, body: Mapping[str, Any], *, sscl: bool = False) -> dict[str, Any]:
        body = _as_sent(body, sscl)
        return flow_reply(create_call_log(self.harness.pipeline(), body, self._identity(body)))

    def get_call_logs(
        self, session_ids: list[str], *, require_details: bool = False,
        identity: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        entries = get_call_logs(
            self.harness.pipeline(), session_ids, self._identity(identity or {}),
            require_details=require_details,
        )  # fmt: skip
        return _lookup_reply(True, [dataclasses.asdict(entry) for entry in entries])

    def update_call_log(self, body: Mapping[str, Any], *, sscl: bool = False) -> dict[str, Any]:
        body = _as_sent(body, sscl)
        return flow_reply(update_call_log(self.harness.pipeline(), body, self._identity(body)))

    def upsert_call_disposition(self, body: Mapping[str, Any]) -> dict[str, Any]:
        pipeline = self.harness.pipeline()
        result = upsert_call_disposition(pipeline, dict(body), self._identity(body))
        reply = flow_reply(result)
        reply.pop("logId", None)  # the route answers {successful, returnMessage} only
        return reply

    def call_logs(self) -> list[dict[str, Any]]:
        return [row_fields(dataclasses.asdict(row)) for row in self.harness.store.iter_call_logs()]


def _as_sent(body: Mapping[str, Any], sscl: bool) -> dict[str, Any]:
    """A private copy; our flows learn of server-side logging from `isFromSSCL` in the body
    (App Connect's route sets it from `User-Agent: SSCL`)."""
    sent = copy.deepcopy(dict(body))
    if sscl:
        sent["isFromSSCL"] = True
    return sent


def harness_config(crm: LoopbackCRM, extra: Mapping[str, Any]) -> HarnessConfig:
    """Our config for a loopback CRM: the fixture connector with the CRM's key, HASH_KEY."""
    data: dict[str, Any] = {
        "crm": {"url": crm.url, "api_key": crm.state.api_key},
        "identity": {"hash_key": HASH_KEY},
    }
    for section, values in extra.items():
        data.setdefault(section, {}).update(values)
    return HarnessConfig.model_validate(data)


def our_crm_path(home: Path) -> Path:
    """Our CRM's data file: the home's, so a scenario's `crm-edit` step reaches it."""
    return fixture_crm_path(home)


def read_our_rows(home: Path) -> list[dict[str, Any]]:
    from appconnect.core.home import db_path

    store = Store.open(db_path(home))
    try:
        return [row_fields(dataclasses.asdict(row)) for row in store.iter_call_logs()]
    finally:
        store.close()


# --- normalising -------------------------------------------------------------------------


def clean(value: Any) -> Any:
    """Drop null members recursively: JSON `null` and an absent key mean the same here."""
    if isinstance(value, Mapping):
        return {key: clean(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value


def _message(message: Any) -> dict[str, Any] | None:
    return None if message is None else message.model_dump(exclude_none=True)


def flow_reply(result: FlowResult) -> dict[str, Any]:
    """A flow's result as App Connect's route answers it."""
    return clean({
        "successful": result.successful,
        "logId": result.log_id,
        "updatedNote": result.updated_note,
        "returnMessage": _message(result.return_message),
    })  # fmt: skip


def _lookup_reply(successful: bool, logs: list[dict[str, Any]]) -> dict[str, Any]:
    # The reply's returnMessage is only the last getCallLog's; the logs are what matters.
    for entry in logs:
        details = entry.get("logData")
        if isinstance(details, dict) and isinstance(details.get("fullLogResponse"), dict):
            details["fullLogResponse"] = activity_fields(details["fullLogResponse"])
    return clean({"successful": successful, "logs": logs})


def row_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """A callLogs row: every App Connect column except createdAt/updatedAt."""
    return {key: value for key, value in row.items() if key not in ("createdAt", "updatedAt")}


def activity_fields(activity: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in activity.items() if key not in _VOLATILE_ACTIVITY_KEYS}


def crm_end_state(state: CRMState) -> dict[str, Any]:
    """What the CRM holds, comparable across two CRMs: contacts and activities."""
    return {
        "contacts": state.find_contacts(),
        "activities": [activity_fields(a) for a in state.list_activities()],
    }
