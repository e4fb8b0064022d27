"""The CRM listed directly, for `check-interfaces --target server --reads listing`.

A server target normally reads CRM logs only through the server. To reconcile a large deployed
`callLogs` table, the CRM's own listing is far cheaper than two server requests per row, so
this builds the configured connector (`[connector]`) against the CRM at `crm.url` and lists
with the credential the server itself holds for the user (its `users` row's accessToken).
"""

from __future__ import annotations

from types import TracebackType

import httpx

from appconnect.connectors.contract import Connector, CRMCallLog, ListCallLogsRequest, User
from appconnect.connectors.errors import CRMError
from appconnect.connectors.registry import ConnectorNotFound, build_connector
from appconnect.core.config import HarnessConfig
from appconnect.core.errors import BadInput, ConfigError, ConnectError
from appconnect.core.flows.auth import auth_header
from appconnect.core.redaction import redact_url


class CrmLister:
    """`lister(after, limit)`: one page of the CRM's call logs (of one session, when given)."""

    def __init__(
        self,
        config: HarnessConfig,
        user: User,
        session_id: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if config.crm.url is None and transport is None:
            raise ConfigError("--reads listing on a server target needs crm.url", "crm.url")
        self._where = redact_url(config.crm.url or "crm")
        self._client = httpx.Client(
            base_url=config.crm.url or "http://crm.invalid",
            transport=transport,
            timeout=config.crm.timeout,
        )
        self.connector = self._build(config)
        if self.connector.list_call_logs is None:
            self.close()
            raise BadInput("the connector has no listCallLogs to list the CRM with", "--reads")
        self._user = user
        self._session_id = session_id
        self._header = auth_header(self.connector, user)

    def _build(self, config: HarnessConfig) -> Connector:
        try:
            return build_connector(
                config.connector.name,
                self._client,
                log_format=config.connector.log_format,
                options={"auth_type": config.connector.auth},
            )
        except ConnectorNotFound as exc:
            self._client.close()
            raise ConfigError(str(exc), "connector.name") from None

    def __call__(self, after: str | None, limit: int) -> list[CRMCallLog]:
        lister = self.connector.list_call_logs
        assert lister is not None
        request = ListCallLogsRequest(
            user=self._user,
            auth_header=self._header,
            session_id=self._session_id,
            after=after,
            limit=limit,
        )
        try:
            return lister(request)
        except CRMError as exc:
            raise ConnectError(f"cannot list the CRM's call logs: {exc}", self._where) from None

    def close(self) -> None:
        if hasattr(self, "connector"):
            self.connector.close()
        self._client.close()

    def __enter__(self) -> CrmLister:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
