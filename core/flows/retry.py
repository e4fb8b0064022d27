"""Bounded retries of CRM calls, honouring Retry-After.

Only failures that may pass are retried: rate limits (429), server errors (5xx) and lost
connections. A create is special: when its outcome is unknown (no answer, or a 5xx after the
CRM had the request) the flow looks for the log first instead of retrying blindly, so a retry
never makes a second CRM activity (see flows.create_call_log).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from appconnect.connectors.errors import CRMError

T = TypeVar("T")
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


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


def retrying(policy: RetryPolicy, fn: Callable[..., T], *args: Any) -> T:
    """Call `fn`, retrying retryable CRM failures by `policy` (for calls outside a flow)."""
    attempt = 1
    while True:
        try:
            return fn(*args)
        except CRMError as exc:
            if attempt >= policy.attempts or not policy.retryable(exc):
                raise
            policy.sleep(policy.delay(exc, attempt))
            attempt += 1
