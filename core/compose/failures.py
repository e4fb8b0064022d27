"""Where App Connect's composer throws, ours raises ComposeError instead of composing.

App Connect's composeCallLog reads `user.userSettings`, `callLog.direction` (when the user
name or number setting is on) and every leg's `from`/`to` without a guard, so those
inputs throw a TypeError and App Connect's create/update fails. A harness that composed a
body there would turn App Connect's failure into a green.
"""

from __future__ import annotations

from typing import Literal

from appconnect.connectors.contract import ReturnMessage
from appconnect.core.flows.errormap import api_error_message


class ComposeError(Exception):
    """App Connect's composer would throw on these parameters; `str()` says what it read."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def failed_log(
    operation: Literal["createCallLog", "updateCallLog"], platform: str
) -> ReturnMessage:
    """App Connect's answer when composing threw inside createCallLog/updateCallLog.

    The handler's catch-all passes the TypeError to handleApiError, which finds no HTTP
    response (status 'unknown') and returns the operation's default message, e.g.
    "Error creating call log" with "Please check if your account has permission to CREATE
    logs." Nothing was written to the CRM or to callLogs.
    """
    return api_error_message(operation, platform, None)
