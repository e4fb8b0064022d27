"""bench's loopback transport: a fresh in-memory fixture CRM served on 127.0.0.1 from a
child process, and the config that points the connector at it."""

from __future__ import annotations

import multiprocessing
from typing import Any

import httpx

from appconnect.core.config import HarnessConfig
from appconnect.core.errors import BadInput


def loopback_config(config: HarnessConfig, url: str, api_key: str) -> HarnessConfig:
    crm = config.crm.model_copy(update={"url": url, "api_key": api_key, "api_key_env": None})
    return config.model_copy(update={"crm": crm})


class LoopbackServer:
    """A fresh in-memory fixture CRM served on 127.0.0.1 from a child process."""

    def __init__(self, process: Any, url: str, api_key: str) -> None:
        self.process, self.url, self.api_key = process, url, api_key

    @classmethod
    def start(cls) -> LoopbackServer:
        context = multiprocessing.get_context()
        parent, child = context.Pipe()
        process = context.Process(target=_serve_child, args=(child,), daemon=True)
        process.start()
        if not parent.poll(30):
            process.terminate()
            raise BadInput("the loopback fixture CRM did not start", "bench")
        port, api_key = parent.recv()
        return cls(process, f"http://127.0.0.1:{port}", api_key)

    def activities(self) -> list[tuple[str, str, int]]:
        from appconnect.core.targets.fixture_crm import basic_auth_header

        with httpx.Client(base_url=self.url, timeout=60) as client:
            response = client.get(
                "/v1/activities", headers={"Authorization": basic_auth_header(self.api_key)}
            )
            response.raise_for_status()
            return [(a["id"], a["sessionId"], a["revision"]) for a in response.json()["activities"]]

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(5)


def _serve_child(conn: Any) -> None:
    from appconnect.core.targets.fixture_crm import CRMState, make_server

    state = CRMState(None)
    server, port = make_server(state, host="127.0.0.1", port=0)
    conn.send((port, state.api_key))
    server.serve_forever()
