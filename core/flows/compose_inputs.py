"""The parameter objects the flows hand to the composer, in App Connect's shape.

JS semantics matter here: a key that is absent is `undefined` to the composer and skips its
section, while null (None) does not; so only keys that were given are passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appconnect.connectors.contract import CallLogRecord, ContactRef, User

#: The RingSense fields App Connect passes through to composition and the connector.
RINGSENSE_KEYS = (
    "ringSenseTranscript",
    "ringSenseSummary",
    "ringSenseAIScore",
    "ringSenseBulletedSummary",
    "ringSenseLink",
)
_UPDATE_COMPOSE_KEYS = (
    "note",
    "aiNote",
    "transcript",
    "recordingLink",
    "voicemailLink",
    "subject",
    "startTime",
    "duration",
    "result",
)


def given(source: Mapping[str, Any], keys: Mapping[str, str]) -> dict[str, Any]:
    """`{param: source[key]}` for the keys present in `source` (absent stays absent)."""
    return {param: source[key] for param, key in keys.items() if key in source}


def user_params(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "timezoneOffset": user.timezoneOffset,
        "userSettings": dict(user.userSettings),
    }


def create_params(
    log_format: str,
    body: Mapping[str, Any],
    data: Mapping[str, Any],
    contact: ContactRef,
    user: User,
) -> dict[str, Any]:
    """composeCallLog's arguments on create: `body` as posted, `data` after the plugins."""
    log_info: Mapping[str, Any] = body["logInfo"]
    recording = log_info.get("recording") or {}
    voicemail = log_info.get("voicemail") or {}
    params: dict[str, Any] = {
        "logFormat": log_format,
        "existingBody": "",
        "callLog": log_info,
        "contactInfo": {
            "id": contact.id,
            "phoneNumber": contact.phoneNumber,
            "type": contact.type,
            "name": contact.name,
        },
        "user": user_params(user),
        **given(data, {"note": "note"}),
        **given(body, {"aiNote": "aiNote", "transcript": "transcript"}),
        **given(recording, {"recordingLink": "link"}),
        **given(
            log_info,
            {
                "subject": "customSubject",
                "startTime": "startTime",
                "duration": "duration",
                "result": "result",
            },
        ),
        **given(body, {key: key for key in RINGSENSE_KEYS}),
    }
    voicemail_link = body.get("voicemailLink")
    if voicemail_link is None:  # App Connect's `??`
        voicemail_link = voicemail.get("link")
    if voicemail_link is not None:
        params["voicemailLink"] = voicemail_link
    return params


def update_params(
    log_format: str, existing_body: str, row: CallLogRecord, data: Mapping[str, Any], user: User
) -> dict[str, Any]:
    """composeCallLog's arguments on update: the CRM's body re-composed with what changed."""
    call_log = {
        "sessionId": row.sessionId,
        **given(data, {key: key for key in ("startTime", "duration", "result")}),
        **given(data, {key: key for key in ("direction", "from", "to")}),
        "legs": data.get("legs") or [],
    }
    return {
        "logFormat": log_format,
        "existingBody": existing_body,
        "callLog": call_log,
        "contactInfo": None,
        "user": user_params(user),
        **given(data, {key: key for key in (*_UPDATE_COMPOSE_KEYS, *RINGSENSE_KEYS)}),
    }
