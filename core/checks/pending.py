"""What the store's own protocols left unfinished: creates whose outcome is unknown (session
claims) and half-done updates (update intents). Both fail check-interfaces until a later
log, a later update or `repair` settles them."""

from __future__ import annotations

from collections.abc import Iterable

from appconnect.core.checks.problems import (
    BODY_OVERWRITTEN,
    OUTCOME_UNKNOWN,
    UPDATE_INCOMPLETE,
    Problem,
)
from appconnect.core.flows.pipeline import Pipeline
from appconnect.core.store import claims, intents


def pending_problems(pipeline: Pipeline, session_id: str | None) -> list[Problem]:
    found: list[Problem] = []
    for claim in pipeline.store.claims():
        if session_id is not None and claim["sessionId"] != session_id:
            continue
        if claims.settled(claim):
            found.append(
                Problem(
                    OUTCOME_UNKNOWN,
                    claim["sessionId"],
                    "",
                    f"a create of session {claim['sessionId']} ended without an answer "
                    f"({claims.status(claim)}); the next log of the session looks for its CRM "
                    "log first, or run `appconnect repair`",
                )
            )
    for intent in intents.half_done(pipeline.store, pipeline.platform):
        if session_id is not None and intent["sessionId"] != session_id:
            continue
        found.append(
            Problem(
                UPDATE_INCOMPLETE,
                intent["sessionId"],
                intent["thirdPartyLogId"],
                f"an {intent['interface']} of CRM log {intent['thirdPartyLogId']} was sent and "
                "never recorded in the store (interrupted); run `appconnect repair`",
            )
        )
    return found


def explained(problems: Iterable[Problem], pending: Iterable[Problem]) -> list[Problem]:
    """Drop `body-overwritten` for a log with a half-done update: the store's composed body
    is the stale one, and the drift is the update's, not a stranger's."""
    half_done = {p.thirdPartyLogId for p in pending if p.code == UPDATE_INCOMPLETE}
    return [
        p for p in problems if not (p.code == BODY_OVERWRITTEN and p.thirdPartyLogId in half_done)
    ]
