"""Deliberately broken connectors (loaded as `broken_connectors:Name`): smoke must catch each."""

from __future__ import annotations

from appconnect.connectors.contract import (
    CreateCallLogRequest,
    CreateCallLogResult,
    UpdateCallLogRequest,
    UpdateCallLogResult,
)
from appconnect.connectors.fixture import FixtureConnector


class OverwritesBody(FixtureConnector):
    """Replaces the whole body with its own note line on every update."""

    def update_call_log(self, request: UpdateCallLogRequest) -> UpdateCallLogResult:
        log_id = request.existing_call_log.thirdPartyLogId
        changes = {"body": f"- Note: {request.note or ''}\n"}
        if request.subject is not None:
            changes["subject"] = request.subject
        self._request("PATCH", f"/v1/activities/{log_id}", request.auth_header, json=changes)
        return UpdateCallLogResult()


class IgnoresLogId(FixtureConnector):
    """Updates the newest CRM activity instead of existingCallLog.thirdPartyLogId."""

    def update_call_log(self, request: UpdateCallLogRequest) -> UpdateCallLogResult:
        listed = self._request("GET", "/v1/activities", request.auth_header)["activities"]
        newest = listed[-1]["id"]
        changes = {"body": request.composed_log_details}
        if request.subject is not None:
            changes["subject"] = request.subject
        self._request("PATCH", f"/v1/activities/{newest}", request.auth_header, json=changes)
        return UpdateCallLogResult()


class NoLogId(FixtureConnector):
    """Creates the CRM activity but never returns its id."""

    def create_call_log(self, request: CreateCallLogRequest) -> CreateCallLogResult:
        super().create_call_log(request)
        return CreateCallLogResult(logId=None)


class RaisesOnUpdate(FixtureConnector):
    """A connector bug: updateCallLog raises a plain exception, not a CRMError."""

    def update_call_log(self, request: UpdateCallLogRequest) -> UpdateCallLogResult:
        raise ValueError("unexpected shape of the PATCH answer")


class DuplicatesOnCreate(FixtureConnector):
    """Retries its create without an idempotency key: every call gets two CRM activities."""

    def create_call_log(self, request: CreateCallLogRequest) -> CreateCallLogResult:
        super().create_call_log(request)
        return super().create_call_log(request)
