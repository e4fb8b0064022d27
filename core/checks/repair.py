"""`repair`: close the window between a CRM create and the callLogs row that records it.

A create that succeeded in the CRM but whose row was never written (a crash, `kill -9`, a
full disk) leaves a CRM log no row points to, and possibly an open session claim. `repair`
finds them through the connector's listCallLogs and, where the answer is unambiguous (one
CRM log for the session, no row), adopts the CRM log into callLogs; a claim with no CRM log
behind it is simply cleared. Anything ambiguous (several CRM logs for one session) is
reported, never guessed.

The guarantee, with repair: every CRM log the harness created ends up linked by exactly one
row, or reported; a session is never logged twice by the harness itself (the claim).
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

from appconnect.connectors.contract import CallLogRecord, CRMCallLog, ListCallLogsRequest
from appconnect.core.errors import ConfigError
from appconnect.core.flows.auth import auth_header
from appconnect.core.flows.pipeline import Pipeline

Kind = Literal["adopted", "claim-cleared", "claim-kept", "reported"]
STALE_CLAIM_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class RepairAction:
    kind: Kind
    sessionId: str
    thirdPartyLogId: str
    message: str


def repair(
    pipeline: Pipeline,
    *,
    dry_run: bool = False,
    stale_after: float = STALE_CLAIM_SECONDS,
    now: float | None = None,
) -> list[RepairAction]:
    lister, user = pipeline.connector.list_call_logs, pipeline.user
    if lister is None or user is None:
        raise ConfigError(
            "the connector cannot list CRM call logs (listCallLogs), so there is nothing to "
            "repair from",
            "repair",
        )
    header = auth_header(pipeline.connector, user)
    logs = pipeline.call_retrying("listCallLogs", lister, ListCallLogsRequest(user, header))
    by_session: dict[str, list[CRMCallLog]] = defaultdict(list)
    for log in logs:
        if log.sessionId:
            by_session[log.sessionId].append(log)
    linked = {row.thirdPartyLogId for row in pipeline.store.iter_call_logs()}
    claims = {claim["sessionId"]: claim for claim in pipeline.store.claims()}
    moment = time.time() if now is None else now
    actions: list[RepairAction] = []
    live: set[str] = set()

    for session_id, claim in claims.items():
        if _claim_is_live(claim, moment, stale_after):
            live.add(session_id)  # its process will write the row itself: hands off
            actions.append(
                RepairAction("claim-kept", session_id, "", "still being logged by a live process")
            )
            continue
        if not by_session.get(session_id) and not dry_run:
            pipeline.store.release_claim(
                session_id,
                extension_number=claim["extensionNumber"],
                hashed_extension_id=claim["hashedExtensionId"],
            )
        if not by_session.get(session_id):
            actions.append(RepairAction("claim-cleared", session_id, "", "no CRM log was created"))

    for session_id, session_logs in sorted(by_session.items()):
        unlinked = [log for log in session_logs if log.id not in linked]
        if not unlinked or session_id in live:
            continue
        if len(session_logs) > 1:
            ids = ", ".join(log.id for log in session_logs)
            actions.append(
                RepairAction(
                    "reported", session_id, unlinked[0].id,
                    f"{len(session_logs)} CRM logs for one session ({ids}): resolve by hand",
                )
            )  # fmt: skip
            continue
        (log,) = unlinked
        if pipeline.store.find_call_log(session_id) is not None:
            actions.append(
                RepairAction(
                    "reported", session_id, log.id, "a row for this session points elsewhere"
                )
            )
            continue
        if not dry_run:
            _adopt(pipeline, log, claims.get(session_id), user.id)
        actions.append(RepairAction("adopted", session_id, log.id, "CRM log adopted into callLogs"))
    return actions


def _claim_is_live(claim: dict[str, Any], now: float, stale_after: float) -> bool:
    """A claim younger than `stale_after` whose process still runs may finish by itself."""
    if now - float(claim["claimedAt"]) >= stale_after:
        return False
    try:
        os.kill(int(claim["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _adopt(pipeline: Pipeline, log: CRMCallLog, claim: dict[str, Any] | None, user_id: str) -> None:
    record = CallLogRecord(
        # The telephony session id died with the process; the session id stands in for it.
        id=log.sessionId or log.id,
        sessionId=log.sessionId or "",
        extensionNumber=claim["extensionNumber"] if claim else "",
        hashedExtensionId=claim["hashedExtensionId"] if claim else "",
        platform=pipeline.platform,
        thirdPartyLogId=log.id,
        userId=log.ownerId or user_id,
        contactId=log.contactId or "",
    )
    pipeline.store.insert_call_log(record)  # also removes the claim, in one transaction
