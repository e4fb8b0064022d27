"""How a flow's answer is shown: the returnMessage, the linked row, the interfaces called."""

from __future__ import annotations

from typing import TYPE_CHECKING

from appconnect.cli.terminal import Terminal

if TYPE_CHECKING:
    from appconnect.core.flows.pipeline import FlowResult
    from appconnect.core.flows.trace import InterfaceCall


def show_flow(
    terminal: Terminal,
    result: FlowResult,
    calls: list[InterfaceCall],
    *,
    as_json: bool,
    show_body: bool = False,
) -> None:
    if as_json:
        terminal.json(result.as_dict(calls))
        return
    message = result.return_message
    text = message.message if message else ("done" if result.successful else "failed")
    if result.successful and (message is None or message.messageType == "success"):
        terminal.success(text)
    elif result.successful or result.logged:  # App Connect's own warnings ("Existing log…")
        terminal.warning(text)
    else:
        terminal.failure(text)
    for error in result.plugin_errors:
        terminal.warning(error)
    if result.record is not None:
        row = result.record
        terminal.fields(
            "callLogs row",
            {
                "sessionId": row.sessionId,
                "thirdPartyLogId": row.thirdPartyLogId,
                "contactId": row.contactId,
                "userId": row.userId,
                "platform": row.platform,
            },
        )
    terminal.info("interfaces called: " + (" -> ".join(c.interface for c in calls) or "none"))
    if show_body and result.composed_log_details:
        terminal.text("composedLogDetails", result.composed_log_details)
