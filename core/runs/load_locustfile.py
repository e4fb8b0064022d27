"""Locust's side of `appconnect load`: simulated agents driving an App Connect server's routes
as the extension does, one call after another.

Imported only by Locust's own processes (`python -m locust -f <this file>`): Locust
monkey-patches the standard library with gevent when it is imported, so the harness never
imports this module. It reads the plan (core/runs/load_plan.py) that the harness wrote; the
master passes it to its workers with Locust's custom arguments.

Each simulated agent logs in (`POST /apiKeyLogin`, or the harness's minted JWT), then handles
calls: `GET /callLog` and `GET /contact` before `POST /callLog`, then the updates spread over
the call's life (`PATCH /callLog`, `PUT /callDisposition`). App Connect answers business
failures with HTTP 200 and `successful: false` (a duplicate warning among them): Locust
counts those as failures. What the server acknowledged is kept per session and reported to
the master, whose controller stops the run (time or request cap) and writes it for the
verdict.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import gevent  # type: ignore[import-untyped]
from locust import events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

ACKS_MESSAGE = "appconnect_acks"
SESSION = "@@SESSION@@"  # load_plan.SESSION (not imported: this file stays light)
PLACEHOLDER_CONTACT = "createNewContact"
CSV_SETTLE_SECONDS = 1.5


class _Process:
    """This process's share of the run: the plan, the acknowledgements, the request budget."""

    def __init__(self) -> None:
        self.plan: dict[str, Any] = {}
        self.tag = secrets.token_hex(3)
        self.acks: dict[str, dict[str, Any]] = {}
        self.collected: dict[str, dict[str, Any]] = {}
        self.sent = 0
        self.budget: int | None = None
        self.agents = 0


STATE = _Process()


def _options(parser: Any, **_: Any) -> None:
    parser.add_argument("--appconnect-plan", default="", help="appconnect load's plan file")


def _init(environment: Environment, **_: Any) -> None:
    runner, options = environment.runner, environment.parsed_options
    if isinstance(runner, WorkerRunner) or options is None:
        return  # a worker receives the plan's text from the master with each spawn
    with open(options.appconnect_plan, encoding="utf-8") as file:
        options.appconnect_plan_text = file.read()
    if isinstance(runner, MasterRunner):
        runner.register_message(ACKS_MESSAGE, _collect)


def _collect(environment: Environment, msg: Any, **_: Any) -> None:
    STATE.collected.update(msg.data)


def _plan(environment: Environment) -> dict[str, Any]:
    if not STATE.plan:
        options = environment.parsed_options
        STATE.plan = json.loads(getattr(options, "appconnect_plan_text", "") or "{}")
        cap, runner = STATE.plan.get("max_requests"), environment.runner
        if cap:
            workers = max(1, int(STATE.plan.get("expect_workers") or 1))
            index = runner.worker_index if isinstance(runner, WorkerRunner) else 0
            single = not isinstance(runner, WorkerRunner)
            STATE.budget = cap if single else cap // workers + (index < cap % workers)
    return STATE.plan


def _start(environment: Environment, **_: Any) -> None:
    if not isinstance(environment.runner, WorkerRunner):
        gevent.spawn(_control, environment, _plan(environment))


def _control(environment: Environment, plan: dict[str, Any]) -> None:
    """Stop after the run time or the request cap: stop first (workers then report their
    acknowledgements and final statistics before they confirm), then quit."""
    deadline = time.monotonic() + float(plan["run_time"])
    cap = plan.get("max_requests")
    while time.monotonic() < deadline:
        if cap and environment.stats.total.num_requests >= cap:
            break
        gevent.sleep(0.1)
    runner = environment.runner
    assert runner is not None
    runner.stop()
    # Locust's CSV writer rewrites its files every second: let it write the final figures.
    gevent.sleep(CSV_SETTLE_SECONDS)
    runner.quit()


def _stop(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.send_message(ACKS_MESSAGE, STATE.acks)
        # The final statistics go before Locust's own "client_stopped", so the master's
        # report counts every request (a worker otherwise sends them only on quit).
        getattr(runner, "_send_stats")()  # noqa: B009 - Locust's own (private) method
        return
    results = _plan(environment).get("results")
    if results:
        merged = {**STATE.collected, **STATE.acks}
        with open(results, "w", encoding="utf-8") as file:
            json.dump({"acks": merged}, file)


def _take() -> bool:
    """A request may be sent (the cap, this process's share, is not spent)."""
    if STATE.budget is not None and STATE.sent >= STATE.budget:
        return False
    STATE.sent += 1
    return True


def _filled(value: Any, session: str) -> Any:
    if isinstance(value, str):
        return value.replace(SESSION, session)
    if isinstance(value, dict):
        return {key: _filled(item, session) for key, item in value.items()}
    if isinstance(value, list):
        return [_filled(item, session) for item in value]
    return value


class Agent(FastHttpUser):
    """One simulated agent: its own calls (sessions), back to back."""

    def on_start(self) -> None:
        self.plan = _plan(self.environment)
        STATE.agents += 1
        self.number, self.calls = STATE.agents, 0
        self.token = self.plan.get("token") or self._login()

    def _login(self) -> str:
        body = {"platform": self.plan["platform"], "apiKey": self.plan["api_key"]}
        data = self._send("POST", "/apiKeyLogin", "POST /apiKeyLogin", body, auth=False)
        token = data.get("jwtToken") if isinstance(data, dict) else None
        if not token:
            raise RuntimeError("the server refused the API key login")
        return str(token)

    @task
    def call(self) -> None:
        self.calls += 1
        session = f"{self.plan['prefix']}-{STATE.tag}-{self.number}-{self.calls}"
        steps = self.plan["steps"]
        # A call's updates spread over its life, each call a little longer or shorter.
        life = float(self.plan["call_seconds"]) * random.uniform(0.5, 1.5)
        started = time.monotonic()
        if not self._log(session, steps[0]):
            gevent.sleep(max(0.0, started + life - time.monotonic()))
            return
        for number, step in enumerate(steps[1:], start=1):
            gevent.sleep(max(0.0, started + life * number / (len(steps) - 1) - time.monotonic()))
            body = _filled(step["body"], session)
            data = self._send(step["method"], step["path"], _name(step), body, sscl=step["sscl"])
            if _successful(data):
                STATE.acks[session]["done"].append(number)

    def _log(self, session: str, step: dict[str, Any]) -> bool:
        """The extension's log: is the session logged? which contact? then POST /callLog."""
        lookup, body = step["lookup"], _filled(step["body"], session)
        query = {"sessionIds": session, "extensionNumber": lookup["extensionNumber"],
                 "hashedExtensionId": lookup["hashedExtensionId"]}  # fmt: skip
        known = self._send("GET", f"/callLog?{urlencode(query)}", "GET /callLog", None)
        if _matched(known):
            return False  # a fresh session already logged: counted as a failure by _send
        if step["sscl"] and lookup.get("cachedNote") is not None:
            note = {"sessionId": session, "note": lookup["cachedNote"]}
            self._send("POST", "/callLog/cacheNote", "POST /callLog/cacheNote", note)
        elif lookup["phoneNumber"] and not body.get("contactId"):
            self._match_contact(body, lookup)
        data = self._send("POST", "/callLog", _name(step), body, sscl=step["sscl"])
        if not _successful(data):
            return False
        STATE.acks[session] = {"logId": str(data.get("logId") or ""), "done": []}
        return True

    def _match_contact(self, body: dict[str, Any], lookup: dict[str, Any]) -> None:
        is_extension = "true" if lookup["isExtension"] else "false"
        query = urlencode({"phoneNumber": lookup["phoneNumber"], "isExtension": is_extension})
        found = self._send("GET", f"/contact?{query}", "GET /contact", None)
        contacts = found.get("contact") if isinstance(found, dict) else None
        for contact in contacts if isinstance(contacts, list) else []:
            if not isinstance(contact, dict) or contact.get("isNewContact"):
                continue
            if str(contact.get("id")) == PLACEHOLDER_CONTACT:
                continue
            body.update(contactId=str(contact.get("id")), contactName=contact.get("name") or "",
                        contactType=contact.get("type") or "")  # fmt: skip
            return

    def _send(
        self, method: str, path: str, name: str, body: dict[str, Any] | None, *,
        sscl: bool = False, auth: bool = True,
    ) -> Any:  # fmt: skip
        """One request; HTTP errors and App Connect's `successful: false` are failures."""
        while not _take():
            gevent.sleep(1)  # the request cap is spent: wait for the controller to stop
        headers = {"User-Agent": "SSCL"} if sscl else {}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        with self.client.request(
            method, path, name=name, json=body, headers=headers, catch_response=True
        ) as response:
            try:
                data = response.json()
            except (ValueError, TypeError):
                data = response.text
            refreshed = response.headers.get("x-refreshed-jwt-token") if response.headers else None
            if refreshed:
                self.token = refreshed
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {str(data)[:120]}")
            elif isinstance(data, dict) and data.get("successful") is False:
                message = data.get("returnMessage")
                text = message.get("message") if isinstance(message, dict) else None
                response.failure(f"successful: false: {text or 'no message'}")
            elif name == "GET /callLog" and _matched(data):
                response.failure("a new session is already logged (duplicate session)")
            else:
                response.success()
        return data


def _name(step: dict[str, Any]) -> str:
    return f"{step['method']} {step['path']} ({step['name']})"


def _successful(data: Any) -> bool:
    return isinstance(data, dict) and data.get("successful") is True


def _matched(data: Any) -> bool:
    logs = data.get("logs") if isinstance(data, dict) else None
    return isinstance(logs, list) and any(isinstance(e, dict) and e.get("matched") for e in logs)


# Registered by call, not as decorators: Locust's EventHook.add_listener is untyped.
for _hook, _listener in (
    (events.init_command_line_parser, _options), (events.init, _init),
    (events.test_start, _start), (events.test_stop, _stop),
):  # fmt: skip
    _hook.add_listener(_listener)  # type: ignore[no-untyped-call]
