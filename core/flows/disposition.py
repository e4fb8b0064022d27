"""PUT /callDisposition: App Connect's disposition flow (ref §3.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appconnect.connectors.contract import DispositionRequest
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
    user, header = pipeline.authorize(user)
    request = DispositionRequest(
        user=user,
        existing_call_log=row,
        auth_header=header,
        dispositions=body.get("dispositions") or {},
    )
    try:
        result = pipeline.call_retrying("upsertCallDisposition", upsert, request)
    except CRMError as exc:
        return failure(
            api_error_message("upsertCallDisposition", pipeline.platform, exc.status), record=row
        )
    return FlowResult(
        successful=bool(result.logId),
        return_message=result.returnMessage,
        log_id=result.logId,
        record=row,
    )
