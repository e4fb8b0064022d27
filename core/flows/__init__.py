"""App Connect's call-logging flows: one module per route, over one `Pipeline`."""

from appconnect.core.flows.create import create_call_log
from appconnect.core.flows.disposition import upsert_call_disposition
from appconnect.core.flows.lookup import LookupEntry, get_call_logs, pick_row
from appconnect.core.flows.pipeline import EXISTING_LOG, FlowResult, Pipeline
from appconnect.core.flows.update import update_call_log

__all__ = [
    "EXISTING_LOG",
    "FlowResult",
    "LookupEntry",
    "Pipeline",
    "create_call_log",
    "get_call_logs",
    "pick_row",
    "update_call_log",
    "upsert_call_disposition",
]
