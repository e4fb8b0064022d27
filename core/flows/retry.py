"""Bounded retries of CRM calls, honouring Retry-After: the one retry loop of the harness.

Only failures that may pass are retried: rate limits (429), server errors (5xx) and lost
connections. A write whose outcome is unknown (no answer, or a 5xx after the CRM had the
request) is not simply repeated: `look_first` asks the CRM whether the write happened, and a
found result ends the loop, so a retry never makes a second CRM record (see flows.create).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from appconnect.connectors.errors import CRMError

if TYPE_CHECKING:
    from appconnect.core.config import RetryConfig

T = TypeVar("T")
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

#: (could the CRM be asked, what it holds for this write or None).
LookFirst = Callable[[], tuple[bool, Any]]


@dataclass(frozen=True)
class RetryPolicy:
    #: Tries in all, the first included; 1 means no retry.
    attempts: int = 3
    base_delay: float = 0.2
    max_delay: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def retryable(self, error: CRMError) -> bool:
        return error.status is None or error.status in RETRYABLE_STATUSES

    def delay(self, error: CRMError, attempt: int) -> float:
        """Retry-After when the CRM gives one, else exponential backoff; both capped."""
        if error.retry_after is not None:
            return min(error.retry_after, self.max_delay)
        backoff: float = self.base_delay * 2.0 ** (attempt - 1)
        return min(backoff, self.max_delay)


NO_RETRY = RetryPolicy(attempts=1)


def configured_policy(retries: RetryConfig) -> RetryPolicy:
    """The config's `[retries]` as the pipeline's policy."""
    return RetryPolicy(
        attempts=retries.attempts, base_delay=retries.base_delay, max_delay=retries.max_delay
    )


def retrying(
    policy: RetryPolicy,
    fn: Callable[..., T],
    *args: Any,
    safe_to_retry: Callable[[CRMError], bool] | None = None,
    look_first: LookFirst | None = None,
) -> T:
    """Call `fn`, retrying retryable CRM failures by `policy`.

    `safe_to_retry` can veto a retry (a contact create whose outcome is unknown is never
    repeated). `look_first` runs when an outcome is unknown: a result it finds is returned;
    if it could not look, the failure stands (repeating blindly could duplicate).
    """
    attempt = 1
    while True:
        try:
            return fn(*args)
        except CRMError as exc:
            if exc.outcome_unknown and look_first is not None:
                checked, found = look_first()
                if found is not None:
                    return found  # type: ignore[no-any-return]
                if not checked:
                    raise
            if attempt >= policy.attempts or not policy.retryable(exc):
                raise
            if safe_to_retry is not None and not safe_to_retry(exc):
                raise
            policy.sleep(policy.delay(exc, attempt))
            attempt += 1
