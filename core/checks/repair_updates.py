"""`repair` for half-done updates (store.intents): an update whose process ended between its
CRM write and its store write. The CRM log is read again; when it holds the update's body,
that body is recorded as the one core composed (the store catches up with the CRM), else the
update never landed and only its intent goes. Either way check-interfaces then judges the
log against what the CRM really holds."""

from __future__ import annotations

from typing import Any

from appconnect.connectors.errors import CRMError
from appconnect.core.checks.compare import missing_sections
from appconnect.core.flows.auth import auth_header
from appconnect.core.flows.pipeline import Pipeline
from appconnect.core.flows.update import fetch_call_log
from appconnect.core.store import intents
from appconnect.core.store.db import ComposedBody

#: (kind, sessionId, thirdPartyLogId, message); repair.RepairAction's fields.
Settled = tuple[str, str, str, str]


def settle_updates(pipeline: Pipeline, dry_run: bool) -> list[Settled]:
    settled: list[Settled] = []
    for intent in intents.abandoned(pipeline.store, pipeline.platform):
        session, log_id = intent["sessionId"], intent["thirdPartyLogId"]
        if intent["state"] != intents.SENT:
            if not dry_run:
                intents.settle(pipeline.store, intent, None)
            settled.append(("update-cleared", session, log_id, "an update that sent nothing"))
            continue
        try:
            recorded = _what_the_crm_holds(pipeline, intent)
        except CRMError as exc:
            message = f"an interrupted update; the CRM log could not be read: {exc}"
            settled.append(("reported", session, log_id, message))
            continue
        if not dry_run:
            intents.settle(pipeline.store, intent, recorded)
        if recorded is not None:
            message = "the CRM holds the interrupted update: recorded in the store"
            settled.append(("update-recorded", session, log_id, message))
        else:
            message = "the interrupted update never reached the CRM: intent dropped"
            settled.append(("update-dropped", session, log_id, message))
    return settled


def _what_the_crm_holds(pipeline: Pipeline, intent: dict[str, Any]) -> ComposedBody | None:
    """The update's body when the CRM log holds every section of it, else None."""
    body, log_format = str(intent["body"]), str(intent["logFormat"])
    if not body:
        return None  # nothing composed (a disposition, a custom format): nothing to record
    rows = [
        row
        for row in pipeline.store.iter_call_logs(intent["sessionId"])
        if row.thirdPartyLogId == intent["thirdPartyLogId"]
    ]
    user = pipeline.user
    if not rows or user is None:
        return None
    fetched = fetch_call_log(pipeline, rows[0], user, auth_header(pipeline.connector, user))
    info = fetched.callLogInfo if fetched is not None else None
    crm_body = (info.fullBody or info.note or "") if info is not None else ""
    if not crm_body or missing_sections(body, crm_body, log_format):
        return None
    return ComposedBody(
        pipeline.platform, intent["thirdPartyLogId"], intent["sessionId"], log_format, body
    )
