"""What check-interfaces reports: the stable problem and note codes (the JSON report's
`code`; docs/check-interfaces.md explains each) and the `Problem` they name."""

from __future__ import annotations

from dataclasses import dataclass

from appconnect.connectors.contract import CallLogRecord

# Stable problem codes (the JSON report's `code`); docs/check-interfaces.md explains each.
ORPHANED_ROW = "orphaned-row"
CRM_UNREADABLE = "crm-unreadable"
CONTACT_MISMATCH = "contact-mismatch"
USER_MISMATCH = "user-mismatch"
UNVERIFIABLE = "unverifiable"
CONNECTOR_ERROR = "connector-error"
CONTRACT_VIOLATION = "contract-violation"
DUPLICATE_ROWS = "duplicate-rows"
DUPLICATE_CRM_LOGS = "duplicate-crm-logs"
UNLINKED_CRM_LOG = "unlinked-crm-log"
BODY_OVERWRITTEN = "body-overwritten"
#: A create got no answer and the CRM could not be asked (or its process died): the session
#: stays claimed until a later log or `repair` finds out whether the CRM holds its log.
OUTCOME_UNKNOWN = "outcome-unknown"
#: An update reached (or may have reached) the CRM and its process ended before the store
#: recorded it; `repair` re-reads the CRM log and records it.
UPDATE_INCOMPLETE = "update-incomplete"
#: Against a server: its GET /callLog does not match a row of its own callLogs.
NOT_FOUND_BY_SERVER = "not-found-by-server"
# Note codes: reported, never a failure.
BODY_EDITED_BY_USER = "body-edited-by-user"
BODY_UNVERIFIABLE = "body-unverifiable"

#: Session ids of `--probe-writes` logs; such CRM logs never count as unlinked.
PROBE_SESSION_PREFIX = "appconnect-probe-"


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    sessionId: str
    thirdPartyLogId: str
    message: str


def problem(row: CallLogRecord, code: str, message: str) -> Problem:
    return Problem(code, row.sessionId, row.thirdPartyLogId, message)
