"""What each operation's templates may use, and what its responseMapping reads (ref §6).

A variable tree maps a name to its known children, or to None when its children are open (a
value from the CRM or the call, such as `callLog.*`). Lint checks templates against it.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APP_CONNECT_OPERATIONS",
    "CALL_RECORD",
    "COMMON",
    "HARNESS_OPERATIONS",
    "HARNESS_VARIABLES",
    "MAPPING_KEYS",
    "OPERATION_INPUTS",
    "variables_for",
]

Tree = dict[str, Any]

_USER: Tree = dict.fromkeys(
    ("accessToken", "id", "hostname", "timezoneName", "timezoneOffset", "platform",
     "refreshToken", "tokenExpiry"),
) | {"platformAdditionalInfo": None}  # fmt: skip
_CONTACT_REF: Tree = dict.fromkeys(("id", "phoneNumber", "type", "name"))
_PARTY: Tree = dict.fromkeys(("phoneNumber", "extensionNumber", "name", "location", "device"))
#: `callLog`: the RingCentral call record (its documented fields). Its members are open, but a
#: path outside them renders undefined and silently drops the field: lint warns about that.
CALL_RECORD: Tree = {
    **dict.fromkeys(
        ("id", "uri", "sessionId", "telephonySessionId", "partyId", "accountId", "startTime",
         "duration", "durationMs", "type", "internalType", "direction", "action", "result",
         "reason", "reasonDescription", "customSubject", "legs", "billing", "transport",
         "lastModifiedTime", "extension", "delegate", "message", "sipUuidInfo"),
    ),
    "from": _PARTY,
    "to": _PARTY,
    "recording": dict.fromkeys(("id", "uri", "type", "contentUri", "link", "downloadLink")),
}  # fmt: skip
_CALL_LOG_ROW: Tree = dict.fromkeys(
    ("id", "sessionId", "extensionNumber", "hashedExtensionId", "platform", "thirdPartyLogId",
     "userId", "contactId", "createdAt", "updatedAt"),
)  # fmt: skip
_RINGSENSE = dict.fromkeys(
    ("ringSenseTranscript", "ringSenseSummary", "ringSenseAIScore", "ringSenseBulletedSummary",
     "ringSenseLink"),
)  # fmt: skip

#: In every operation's context.
COMMON: Tree = {"user": _USER, "authHeader": None, "apiKey": None, "secretKey": None}

OPERATION_INPUTS: dict[str, Tree] = {
    "getUserInfo": dict.fromkeys(("additionalInfo", "apiKey", "hostname", "platform", "userEmail")),
    "findContact": dict.fromkeys(
        ("phoneNumber", "parsedPhoneNumber", "overridingFormat", "isExtension", "extensionNumber")
    ),
    "findContactWithName": {"name": None},
    "createContact": dict.fromkeys(
        ("phoneNumber", "newContactName", "newContactType", "additionalSubmission")
    ),
    "createCallLog": {
        "contactInfo": _CONTACT_REF,
        "callLog": CALL_RECORD,
        **dict.fromkeys(
            (
                "note",
                "additionalSubmission",
                "aiNote",
                "transcript",
                "voicemailLink",
                "voicemailMessageId",
                "composedLogDetails",
                "hashedAccountId",
                "isFromSSCL",
                "subject",
                "startTime",
                "endTime",
                "durationSeconds",
            ),
        ),
        **_RINGSENSE,
    },  # fmt: skip
    "getCallLog": dict.fromkeys(("thirdPartyLogId", "contactId")),
    "updateCallLog": {
        "existingCallLog": _CALL_LOG_ROW,
        **dict.fromkeys(
            (
                "thirdPartyLogId",
                "recordingLink",
                "recordingDownloadLink",
                "voicemailLink",
                "voicemailMessageId",
                "subject",
                "note",
                "startTime",
                "endTime",
                "duration",
                "result",
                "aiNote",
                "transcript",
                "legs",
                "additionalSubmission",
                "composedLogDetails",
                "existingCallLogDetails",
                "hashedAccountId",
                "isFromSSCL",
                "durationSeconds",
            ),
        ),
        **_RINGSENSE,
    },  # fmt: skip
    "upsertCallDisposition": {
        "thirdPartyLogId": None,
        "existingCallLog": _CALL_LOG_ROW,
        "dispositions": None,
    },  # fmt: skip
    "createMessageLog": {
        "contactInfo": _CONTACT_REF,
        **dict.fromkeys(
            (
                "message",
                "additionalSubmission",
                "recordingLink",
                "faxDocLink",
                "faxDownloadLink",
                "imageLink",
                "videoLink",
                "creationTime",
            ),
        ),
    },  # fmt: skip
    "updateMessageLog": {
        "contactInfo": _CONTACT_REF,
        **dict.fromkeys(
            (
                "existingMessageLog",
                "thirdPartyLogId",
                "message",
                "additionalSubmission",
                "imageLink",
                "videoLink",
                "creationTime",
            ),
        ),
    },  # fmt: skip
    "getUserList": {},
    "getLicenseStatus": dict.fromkeys(("userId", "platform")),
    "unAuthorize": {},
    # harness extensions
    "listCallLogs": {"sessionId": None},
    "deleteCallLog": {"thirdPartyLogId": None},
    "editCallLogAsUser": dict.fromkeys(("thirdPartyLogId", "subject", "body", "append")),
}

APP_CONNECT_OPERATIONS = tuple(
    name
    for name in OPERATION_INPUTS
    if name not in ("listCallLogs", "deleteCallLog", "editCallLogAsUser")
)
#: Operations only the harness runs (App Connect ignores them).
HARNESS_OPERATIONS = ("listCallLogs", "deleteCallLog", "editCallLogAsUser")
#: Variables only the harness fills; App Connect leaves them undefined (the key is dropped).
HARNESS_VARIABLES = {
    "durationSeconds": "the call's duration when it is a number",
    "extensionNumber": "the number looked up when isExtension is true",
}

#: responseMapping keys each operation reads (`type` is descriptive and always allowed).
MAPPING_KEYS: dict[str, frozenset[str]] = {
    "getUserInfo": frozenset(
        {
            "idPath",
            "namePath",
            "timezoneNamePath",
            "overridingApiKeyPath",
            "messagePath",
            "platformAdditionalInfoPaths",
        }
    ),  # fmt: skip
    "findContact": frozenset({"listPath", "item"}),
    "findContactWithName": frozenset({"listPath", "item"}),
    "createContact": frozenset({"idPath", "namePath", "typePath"}),
    "createCallLog": frozenset({"idPath"}),
    "createMessageLog": frozenset({"idPath"}),
    "getCallLog": frozenset({"subjectPath", "notePath", "fullBodyPath", "fullLogResponsePath"}),
    "getUserList": frozenset({"listPath", "idPath", "namePath", "emailPath"}),
    "getLicenseStatus": frozenset(
        {"isLicenseValidPath", "licenseStatusPath", "licenseStatusDescriptionPath"}
    ),
    "listCallLogs": frozenset({"listPath", "item"}),
}


def variables_for(operation: str | None) -> Tree:
    """The variable tree of an operation's context (None: only what every operation has)."""
    inputs = OPERATION_INPUTS.get(operation, {}) if operation else {}
    return {**inputs, **COMMON}
