"""The proxy connector file format (ref §6) as pydantic models.

Loading is as lenient as App Connect's: keys the format does not name are kept (App Connect
ignores them), and only wrong types or a missing `url` stop a file from loading. `lint.py`
reports the unknown keys and everything else that would make a file fail at run time.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Auth",
    "ItemMapping",
    "Meta",
    "Operation",
    "ProxyConfig",
    "RequestDefaults",
    "ResponseMapping",
]


class _Open(BaseModel):
    # App Connect ignores keys it does not know; so does loading (lint reports them).
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Meta(_Open):
    name: str = ""
    displayName: str = ""
    #: What getLogFormatType returns; `custom` (core composes nothing) when unset.
    logFormat: str | None = None


class Auth(_Open):
    type: Literal["apiKey", "oauth"] | None = None
    #: Prefix before the credential (`Basic`, `Bearer`); none when empty.
    scheme: str | None = None
    headerName: str | None = None
    #: Rendered with the request context; when unset, core's auth header is sent.
    credentialTemplate: str | None = None
    #: `base64` (the default) or `none`.
    encode: Literal["base64", "none"] | None = None
    clientId: str | None = None
    clientSecret: str | None = Field(default=None, repr=False)
    tokenUrl: str | None = None
    redirectUri: str | None = None


class RequestDefaults(_Open):
    #: Absolute or relative; the harness keeps its path and sends to its own CRM URL.
    baseUrl: str = ""
    timeoutSeconds: float | None = Field(default=None, gt=0)
    defaultHeaders: dict[str, Any] = Field(default_factory=dict)


class ItemMapping(_Open):
    """Paths relative to one list item (findContact, getUserList, listCallLogs)."""

    idPath: str | None = None
    namePath: str | None = None
    phonePath: str | None = None
    typePath: str | None = None
    titlePath: str | None = None
    companyPath: str | None = None
    createdDatePath: str | None = None
    mostRecentActivityDatePath: str | None = None
    additionalInfoPath: str | None = None
    # harness extension listCallLogs
    sessionIdPath: str | None = None
    contactIdPath: str | None = None
    ownerIdPath: str | None = None
    subjectPath: str | None = None
    bodyPath: str | None = None


class ResponseMapping(_Open):
    """Dot paths over `{body: <response JSON>}` (list items: relative to the item)."""

    type: str | None = None
    idPath: str | None = None
    namePath: str | None = None
    typePath: str | None = None
    emailPath: str | None = None
    listPath: str | None = None
    item: ItemMapping | None = None
    messagePath: str | None = None
    timezoneNamePath: str | None = None
    overridingApiKeyPath: str | None = None
    platformAdditionalInfoPaths: dict[str, str] | None = None
    subjectPath: str | None = None
    notePath: str | None = None
    fullBodyPath: str | None = None
    #: Harness extension: where getCallLog's `fullLogResponse` is (App Connect: the whole body).
    fullLogResponsePath: str | None = None
    isLicenseValidPath: str | None = None
    licenseStatusPath: str | None = None
    licenseStatusDescriptionPath: str | None = None


class Operation(_Open):
    method: str = "GET"
    url: str
    headers: dict[str, Any] = Field(default_factory=dict)
    query: dict[str, Any] = Field(default_factory=dict)
    body: Any = None
    auth: Auth | None = None
    responseMapping: ResponseMapping | None = None


class ProxyConfig(_Open):
    meta: Meta = Field(default_factory=Meta)
    auth: Auth = Field(default_factory=Auth)
    requestDefaults: RequestDefaults = Field(default_factory=RequestDefaults)
    operations: dict[str, Operation] = Field(default_factory=dict)
    #: App Connect's decoded connector secret (`{{secretKey}}`); not part of the file upstream.
    secretKey: str | None = Field(default=None, repr=False)

    @property
    def platform(self) -> str:
        """The platform name: `meta.name`, else `proxy` (App Connect's fallback connector)."""
        return self.meta.name or "proxy"
