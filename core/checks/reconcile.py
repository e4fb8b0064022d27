"""callLogs <-> CRM reconciliation: every row's CRM log fetched and compared with the row.

App Connect never checks that its callLogs rows and the CRM agree; this does. Worker threads
only talk to the CRM (bounded concurrency, an optional rate limit); the SQLite store is read on
the calling thread alone, because a sqlite3 connection must not cross threads.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from appconnect.connectors.contract import (
    CallLogInfo,
    CallLogRecord,
    CRMCallLog,
    GetCallLogRequest,
    GetCallLogResult,
    ListCallLogsRequest,
)
from appconnect.connectors.errors import CRMError
from appconnect.core.checks.compare import compare_row, shape_problem
from appconnect.core.checks.pending import explained, pending_problems
from appconnect.core.checks.problems import (
    BODY_EDITED_BY_USER,
    BODY_OVERWRITTEN,
    BODY_UNVERIFIABLE,
    CONNECTOR_ERROR,
    CONTRACT_VIOLATION,
    CRM_UNREADABLE,
    DUPLICATE_CRM_LOGS,
    DUPLICATE_ROWS,
    ORPHANED_ROW,
    PROBE_SESSION_PREFIX,
    UNLINKED_CRM_LOG,
    UNVERIFIABLE,
    Problem,
    problem,
)
from appconnect.core.errors import UnknownSession
from appconnect.core.flows.auth import auth_header
from appconnect.core.flows.pipeline import Pipeline

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Reconciliation:
    ok: bool
    checked: int
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which rows to check. `since` is in the store's timestamp text (see `store.now_timestamp`)."""

    session_id: str | None = None
    since: str | None = None


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    reconciliation: Reconciliation
    notes: list[Problem]
    skipped_other_platform: int
    crm_listing: str  # "checked", or why the CRM-side checks were skipped
    last_row: CallLogRecord | None = None  # the newest row checked (the contract probe reads it)


class RateLimiter:
    """At most `rate` calls per second across threads: each caller reserves the next free slot."""

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def acquire(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            self._sleep(slot - now)


@dataclass(frozen=True, slots=True)
class _Fetched:
    """One row's CRM log, or the problem that stopped us reading it."""

    info: CallLogInfo | None = None
    problem: Problem | None = None


def reconcile(
    pipeline: Pipeline,
    scope: Scope = Scope(),
    *,
    concurrency: int = 4,
    limiter: RateLimiter | None = None,
    progress: Progress | None = None,
    reads: Literal["auto", "listing", "per-row"] = "auto",
) -> ReconcileResult:
    limiter = limiter or RateLimiter(None)
    all_rows = list(pipeline.store.iter_call_logs(scope.session_id))
    claimed = {claim["sessionId"] for claim in pipeline.store.claims()}
    if scope.session_id is not None and not all_rows and scope.session_id not in claimed:
        raise UnknownSession(f"no call log for session {scope.session_id}", "callLogs")
    mine = [r for r in all_rows if r.platform == pipeline.platform]
    rows = [r for r in mine if scope.since is None or r.createdAt >= scope.since]

    problems: list[Problem] = list(_duplicate_rows(rows))
    notes: list[Problem] = []
    total = len(rows)
    if progress:
        progress(0, total)

    # One listing of the CRM serves the CRM side and, for large tables, the rows too: rows
    # whose log it holds are compared with it (one request instead of one per row); the
    # rest are read with getCallLog, which small tables use for every row (it checks the
    # connector's getCallLog itself, row by row).
    listing, listed, listing_problem = _listing(pipeline, scope, limiter)
    if listing_problem is not None:
        problems.append(listing_problem)
    bulk = reads == "listing" or (reads == "auto" and len(rows) > BULK_READ_ROWS)
    by_id = {log.id: log for log in listed or ()} if bulk else {}
    composed_bodies = pipeline.store.composed_bodies(pipeline.platform)

    def compare(row: CallLogRecord, info: CallLogInfo) -> tuple[list[Problem], list[Problem]]:
        return compare_row(row, info, composed_bodies.get(row.thirdPartyLogId))

    unread: list[CallLogRecord] = []
    done = reported = 0
    for row in rows:
        log = by_id.get(row.thirdPartyLogId)
        judged = _judge_listed(row, log, compare)
        if judged is None:
            unread.append(row)  # not listed, or drift whose author only getCallLog can tell
            continue
        problems.extend(judged[0])
        notes.extend(judged[1])
        done += 1
        if progress and done % 500 == 0:
            progress(done, total)
            reported = done
    for row, got in zip(unread, _fetch_all(pipeline, unread, concurrency, limiter), strict=True):
        if got.problem is not None:
            problems.append(got.problem)
        elif got.info is not None:
            found, noted = compare(row, got.info)
            problems.extend(found)
            notes.extend(noted)
        done += 1
        if progress:
            progress(done, total)
            reported = done
    if progress and reported != total:
        progress(total, total)

    if listed is not None:
        problems.extend(_crm_side(pipeline, listed, mine, rows, scope))
    pending = pending_problems(pipeline, scope.session_id)
    problems = explained(problems, pending) + pending
    return ReconcileResult(
        reconciliation=Reconciliation(ok=not problems, checked=total, problems=problems),
        notes=notes,
        skipped_other_platform=len(all_rows) - len(mine),
        crm_listing=listing,
        last_row=rows[-1] if rows else None,
    )


Judged = tuple[list[Problem], list[Problem]]


def _judge_listed(
    row: CallLogRecord,
    log: CRMCallLog | None,
    compare: Callable[[CallLogRecord, CallLogInfo], Judged],
) -> Judged | None:
    """(problems, notes) for a row from its listed CRM log; None when only getCallLog can
    tell (the log was not listed, or its body drifted and the listing cannot say who did it)."""
    if log is None:
        return None
    found, noted = compare(row, _as_info(log))
    if any(p.code in _NEEDS_FULL_RECORD for p in found + noted):
        return None
    return found, noted


def _listing(
    pipeline: Pipeline, scope: Scope, limiter: RateLimiter
) -> tuple[str, list[CRMCallLog] | None, Problem | None]:
    """(what became of the CRM listing, the listing, a problem reading it)."""
    if pipeline.connector.list_call_logs is None:
        return "skipped: the connector has no listCallLogs", None, None
    if pipeline.user is None:
        return "skipped: no CRM user", None, None
    listed, problem_found = _list_crm(pipeline, scope, limiter)
    return "checked", listed, problem_found


def _as_info(log: CRMCallLog) -> CallLogInfo:
    """A listed CRM log seen as getCallLog's callLogInfo (what compare_row reads)."""
    record = log.model_dump(exclude_none=True)
    return CallLogInfo(subject=log.subject, fullBody=log.body, fullLogResponse=record)


# --- row side -------------------------------------------------------------------------------


def _duplicate_rows(rows: Sequence[CallLogRecord]) -> Iterator[Problem]:
    """Rows sharing session and identity: App Connect's lookup would pick one at random."""
    groups: dict[tuple[str, str, str], list[CallLogRecord]] = defaultdict(list)
    for row in rows:
        groups[(row.sessionId, row.extensionNumber, row.hashedExtensionId)].append(row)
    for group in groups.values():
        first = group[0]
        for extra in group[1:]:
            yield Problem(
                DUPLICATE_ROWS,
                extra.sessionId,
                extra.thirdPartyLogId,
                f"{len(group)} rows for session {extra.sessionId} and one identity "
                f"(extension '{extra.extensionNumber}', hash '{extra.hashedExtensionId}'); "
                f"the first points to CRM log {first.thirdPartyLogId}",
            )


def _fetch_all(
    pipeline: Pipeline, rows: Sequence[CallLogRecord], concurrency: int, limiter: RateLimiter
) -> Iterable[_Fetched]:
    getter, user = pipeline.connector.get_call_log, pipeline.user
    if getter is None or user is None:
        why = "the connector has no getCallLog" if getter is None else "no CRM user is connected"
        return (
            _Fetched(problem=problem(r, UNVERIFIABLE, f"{why}, so the CRM cannot be read"))
            for r in rows
        )
    header = auth_header(pipeline.connector, user)

    def fetch(row: CallLogRecord) -> _Fetched:
        request = GetCallLogRequest(
            user=user,
            telephony_session_id=row.id,
            call_log_id=row.thirdPartyLogId,
            contact_id=row.contactId,
            auth_header=header,
        )
        limiter.acquire()
        return _read(row, lambda: pipeline.call("getCallLog", getter, request))

    if concurrency <= 1:
        return map(fetch, rows)
    executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="reconcile")
    return _closing(executor, executor.map(fetch, rows))


def _closing(executor: ThreadPoolExecutor, results: Iterator[_Fetched]) -> Iterator[_Fetched]:
    with executor:  # map() submitted everything; results come back in row order
        yield from results


def _read(row: CallLogRecord, call: Callable[[], Any]) -> _Fetched:
    log_id = row.thirdPartyLogId
    try:
        result = call()
    except CRMError as exc:
        if exc.status in (404, 410):
            return _Fetched(
                problem=problem(row, ORPHANED_ROW, f"CRM log {log_id} no longer exists")
            )
        return _Fetched(
            problem=problem(row, CRM_UNREADABLE, f"CRM log {log_id} could not be read: {exc}")
        )
    except Exception as exc:  # the connector under test is the suspect: report, don't crash
        return _Fetched(
            problem=problem(row, CONNECTOR_ERROR, f"getCallLog raised {type(exc).__name__}: {exc}")
        )
    if not isinstance(result, GetCallLogResult):
        return _Fetched(
            problem=problem(
                row,
                CONNECTOR_ERROR,
                f"getCallLog returned {type(result).__name__}, not a GetCallLogResult",
            )
        )
    wrong = shape_problem(result)
    if wrong:
        # The record may well exist: the connector's answer is what is wrong, so say that
        # rather than "no longer exists" (issue 13 item 7).
        return _Fetched(problem=problem(row, CONTRACT_VIOLATION, f"getCallLog {wrong}"))
    if result.callLogInfo is None:
        return _Fetched(problem=problem(row, ORPHANED_ROW, f"CRM log {log_id} no longer exists"))
    return _Fetched(info=result.callLogInfo)


_NEEDS_FULL_RECORD = frozenset({BODY_OVERWRITTEN, BODY_EDITED_BY_USER, BODY_UNVERIFIABLE})
#: Above this many rows, "auto" reads rows from one CRM listing.
BULK_READ_ROWS = 1000


# --- CRM side -------------------------------------------------------------------------------


def _list_crm(
    pipeline: Pipeline, scope: Scope, limiter: RateLimiter
) -> tuple[list[CRMCallLog] | None, Problem | None]:
    """The CRM's call logs (of the scoped session), or the problem that stopped the listing."""
    lister, user = pipeline.connector.list_call_logs, pipeline.user
    assert lister is not None and user is not None
    request = ListCallLogsRequest(
        user=user, auth_header=auth_header(pipeline.connector, user), session_id=scope.session_id
    )
    limiter.acquire()
    session = scope.session_id or ""
    try:
        listed = pipeline.call("listCallLogs", lister, request)
    except CRMError as exc:
        return None, Problem(CRM_UNREADABLE, session, "", f"listCallLogs failed: {exc}")
    except Exception as exc:  # the connector under test is the suspect: report, don't crash
        message = f"listCallLogs raised {type(exc).__name__}: {exc}"
        return None, Problem(CONNECTOR_ERROR, session, "", message)
    if not isinstance(listed, list) or not all(isinstance(x, CRMCallLog) for x in listed):
        message = f"listCallLogs returned {type(listed).__name__}, not a list of CRMCallLog"
        return None, Problem(CONNECTOR_ERROR, session, "", message)
    return listed, None


def _crm_side(
    pipeline: Pipeline,
    listed: Sequence[CRMCallLog],
    mine: Sequence[CallLogRecord],
    checked: Sequence[CallLogRecord],
    scope: Scope,
) -> list[Problem]:
    """CRM logs this harness's user created for a session that no row points to."""
    user = pipeline.user
    assert user is not None
    linked = {r.thirdPartyLogId for r in mine}
    row_sessions = {r.sessionId for r in mine}
    # With --since, only the sessions of checked rows: older CRM logs are out of scope.
    in_scope = {r.sessionId for r in checked} if scope.since is not None else None
    problems: list[Problem] = []
    for log in _ours(listed, user.id):
        session = log.sessionId or ""
        if log.id in linked or (in_scope is not None and session not in in_scope):
            continue
        if session in row_sessions:
            message = f"session {session} has CRM log {log.id} besides the one its row points to"
            problems.append(Problem(DUPLICATE_CRM_LOGS, session, log.id, message))
        else:
            message = f"CRM log {log.id} (session {session}) has no callLogs row pointing to it"
            problems.append(Problem(UNLINKED_CRM_LOG, session, log.id, message))
    return problems


def _ours(listed: Iterable[CRMCallLog], user_id: str) -> Iterator[CRMCallLog]:
    """Call logs this harness would have created: a session id, and our user (or no owner)."""
    for log in listed:
        if not log.sessionId or log.sessionId.startswith(PROBE_SESSION_PREFIX):
            continue
        # (a proxy connector's user id is "<CRM id>-<platform>", ref §6)
        if log.ownerId is None or log.ownerId == user_id or user_id.startswith(f"{log.ownerId}-"):
            yield log
