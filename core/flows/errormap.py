"""App Connect's `handleApiError`: a CRM failure becomes a user-facing warning (ref §3.8)."""

from __future__ import annotations

from appconnect.connectors.contract import ReturnMessage

_PER_OPERATION = {
    "createCallLog": (
        "Error creating call log",
        "Please check if your account has permission to CREATE logs.",
    ),
    "updateCallLog": (
        "Error updating call log",
        "Please check if the log entity still exists on {platform} and your account has "
        "permission to EDIT logs.",
    ),
    "getCallLog": (
        "Error getting call log",
        "Please check if your account has permission to READ logs.",
    ),
    "findContact": (
        "Error finding contact",
        "Please check if your account has permission to GET contacts.",
    ),
    "createContact": (
        "Error creating contact",
        "Please check if your account has permission to CREATE contacts.",
    ),
}


def api_error_message(operation: str, platform: str, status: int | None) -> ReturnMessage:
    """The message App Connect shows for a failed `operation`; `status` None means no response."""
    if status == 429:
        message = "Rate limit exceeded"
        detail = (
            f"You have exceeded the maximum number of requests allowed by {platform}. "
            "Please try again in the next minute. If the problem persists please contact support."
        )
    elif status is not None and 400 <= status <= 409:
        message = "Authorization error"
        detail = (
            f"It seems like there's something wrong with your authorization of {platform}. "
            f"Please Logout and then Connect your {platform} account within this extension."
        )
    else:
        message, detail = _PER_OPERATION.get(
            operation,
            (
                f"Error performing {operation}",
                "Please check if your account has the necessary permissions.",
            ),
        )
        detail = detail.format(platform=platform)
    return ReturnMessage(
        message=message,
        messageType="warning",
        ttl=5000,
        details=[{"title": "Details", "items": [{"id": "1", "type": "text", "text": detail}]}],
    )


def warning(message: str, ttl: int) -> ReturnMessage:
    return ReturnMessage(message=message, messageType="warning", ttl=ttl)
