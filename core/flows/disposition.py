"""PUT /callDisposition: App Connect's disposition flow (ref §3.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appconnect.connectors.contract import CallLogRecord, DispositionRequest, User
from appconnect.connectors.errors import CRMError
from appconnect.core.flows.errormap import api_error_message, warning
from appconnect.core.flows.identity import Identity
from appconnect.core.flows.pipeline import (
    FlowResult,
    Pipeline,
    connected_user,
    failure,
    revoked_session_answers,
)
from appconnect.core.store import intents


@revoked_session_answers
def upsert_call_disposition(
    pipeline: Pipeline, body: Mapping[str, Any], identity: Identity
) -> FlowResult:
    """Row, user, auth, then the connector; `successful` is whether a logId came back."""
    row = pipeline.find_row(str(body["sessionId"]), identity)
    if row is None:
        return failure(warning("Cannot find log", 3000))
    user = connected_user(pipeline)
    if user is None:
        return failure(warning("Cannot find user", 3000))
    upsert = pipeline.connector.upsert_call_disposition
    if upsert is None:
        return failure(warning("Not supported", 2000), record=row)
    # Serialised with the log's other updates (store.intents); no body to journal.
    with intents.held(
        pipeline.store, pipeline.platform, row.thirdPartyLogId, row.sessionId,
        "upsertCallDisposition",
    ) as lock:  # fmt: skip
        return _upsert_locked(pipeline, body, row, user, upsert, lock)


def _upsert_locked(
    pipeline: Pipeline,
    body: Mapping[str, Any],
    row: CallLogRecord,
    user: User,
    upsert: Any,
    lock: intents.UpdateLock,
) -> FlowResult:
    user, header = pipeline.authorize(user)
    request = DispositionRequest(
        user=user,
        existing_call_log=row,
        auth_header=header,
        dispositions=body.get("dispositions") or {},
    )
    intents.mark_sent(pipeline.store, lock, "", "")
    try:
        result = pipeline.call_retrying("upsertCallDisposition", upsert, request)
    except CRMError as exc:
        lock.outcome_unknown = exc.outcome_unknown
        return failure(
            api_error_message("upsertCallDisposition", pipeline.platform, exc.status), record=row
        )
    intents.complete(pipeline.store, lock, None)
    return FlowResult(
        successful=bool(result.logId),
        return_message=result.returnMessage,
        log_id=result.logId,
        record=row,
    )
