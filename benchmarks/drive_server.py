"""Drive any App Connect-compatible server over HTTP and report what each route costs.

    .venv/bin/python benchmarks/drive_server.py --url http://127.0.0.1:6066 --platform fixture \
        --api-key-env CRM_KEY --contact-id ct-1 --sessions 500 --clients 1 8

Each session is one call's life as App Connect's client sends it: POST /callLog, then
`--patches` PATCH /callLog (default 1), then GET /callLog?sessionIds=. Every client is one
thread with one keep-alive connection and its own sessions. The report gives, per route,
p50/p95/p99 latency, requests/s (that route's requests over the whole run's wall time) and the
p50 of the first and last 10% of that route's requests (in issue order, so growth with N shows),
plus lifecycles/s. Figures are measurements, never pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

ROUTES = ("POST /callLog", "PATCH /callLog", "GET /callLog")


@dataclass
class Target:
    url: str
    platform: str
    api_key: str
    contact_id: str
    transport: httpx.BaseTransport | None = None  # tests drive a WSGI app in-process


@dataclass
class Samples:
    """Latencies per route, in seconds, each with its global issue order."""

    by_route: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    failures: int = 0
    _counter: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, route: str, seconds: float, ok: bool) -> None:
        with self._lock:
            self._counter += 1
            self.by_route.setdefault(route, []).append((self._counter, seconds))
            self.failures += 0 if ok else 1


def login(target: Target) -> str:
    with _client(target, "") as client:
        reply = client.post("/apiKeyLogin",
                            json={"platform": target.platform, "apiKey": target.api_key})
    if reply.status_code != 200 or "jwtToken" not in reply.json():
        raise SystemExit(f"Error: POST /apiKeyLogin answered {reply.status_code} ({target.url})")
    return str(reply.json()["jwtToken"])


def _client(target: Target, token: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=target.url, headers=headers, timeout=60, trust_env=False,
                        transport=target.transport)


def _call_body(session: str, contact_id: str) -> dict[str, Any]:
    return {
        "logInfo": {
            "id": f"id-{session}", "sessionId": session, "telephonySessionId": f"t-{session}",
            "direction": "Inbound", "startTime": "2024-01-15T18:30:00.000Z", "duration": 65,
            "result": "Call connected",
            "from": {"phoneNumber": "+16505550101"}, "to": {"phoneNumber": "+16505550999"},
        },
        "contactId": contact_id, "contactName": "Dana Doe", "contactType": "Contact",
        "note": f"benchmark {session}", "extensionNumber": "101",
    }


def _lifecycle(client: httpx.Client, target: Target, session: str, patches: int,
               samples: Samples) -> None:
    def timed(route: str, send: Callable[[], httpx.Response]) -> None:
        started = time.perf_counter()
        reply = send()
        elapsed = time.perf_counter() - started
        ok = reply.status_code == 200 and reply.json().get("successful") is not False
        samples.add(route, elapsed, ok)

    timed("POST /callLog", lambda: client.post("/callLog", json=_call_body(session,
                                                                           target.contact_id)))
    for n in range(patches):
        patch = {"sessionId": session, "extensionNumber": "101", "note": f"edit {n}",
                 "subject": f"Call {n}"}
        timed("PATCH /callLog", lambda patch=patch: client.patch("/callLog", json=patch))
    timed("GET /callLog", lambda: client.get(
        "/callLog", params={"sessionIds": session, "extensionNumber": "101"}))


def drive(target: Target, *, sessions: int, clients: int, patches: int = 1) -> dict[str, Any]:
    """Run `sessions` lifecycles over `clients` threads; the report as a dict."""
    token = login(target)
    run_id = uuid.uuid4().hex[:8]
    samples = Samples()
    per_client = [list(range(c, sessions, clients)) for c in range(clients)]

    def work(numbers: list[int]) -> None:
        with _client(target, token) as client:
            for n in numbers:
                _lifecycle(client, target, f"b{run_id}-{n}", patches, samples)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(work, per_client))
    wall = time.perf_counter() - started
    return report(samples, wall, sessions=sessions, clients=clients, patches=patches)


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def report(samples: Samples, wall: float, **run: int) -> dict[str, Any]:
    routes: dict[str, Any] = {}
    for route in ROUTES:
        timed = sorted(samples.by_route.get(route, []))
        if not timed:
            continue
        values = [s for _, s in timed]
        tenth = max(1, len(values) // 10)
        routes[route] = {
            "count": len(values),
            "p50_ms": _ms(values, 0.50), "p95_ms": _ms(values, 0.95), "p99_ms": _ms(values, 0.99),
            "requests_per_s": round(len(values) / wall, 1),
            "first10_p50_ms": round(1000 * statistics.median(values[:tenth]), 2),
            "last10_p50_ms": round(1000 * statistics.median(values[-tenth:]), 2),
        }
    return {**run, "wall_s": round(wall, 3), "failures": samples.failures,
            "lifecycles_per_s": round(run["sessions"] / wall, 1), "routes": routes}


def format_report(result: dict[str, Any], label: str = "") -> str:
    head = (f"{label} clients={result['clients']} sessions={result['sessions']} "
            f"lifecycles/s={result['lifecycles_per_s']} failures={result['failures']}")
    lines = [head.strip(), f"  {'route':<16}{'p50':>8}{'p95':>8}{'p99':>8}{'req/s':>9}"
                           f"{'first10%':>10}{'last10%':>9}"]
    for route, r in result["routes"].items():
        lines.append(f"  {route:<16}{r['p50_ms']:>8}{r['p95_ms']:>8}{r['p99_ms']:>8}"
                     f"{r['requests_per_s']:>9}{r['first10_p50_ms']:>10}{r['last10_p50_ms']:>9}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--platform", required=True)
    parser.add_argument("--api-key-env", required=True,
                        help="environment variable holding the CRM API key (never printed)")
    parser.add_argument("--contact-id", required=True)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--patches", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    key = os.environ.get(args.api_key_env)
    if not key:
        raise SystemExit(f"Error: ${args.api_key_env} is not set (--api-key-env)")
    target = Target(args.url, args.platform, key, args.contact_id)
    results = [drive(target, sessions=args.sessions, clients=c, patches=args.patches)
               for c in args.clients]
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    else:
        print("\n".join(format_report(r) for r in results))


if __name__ == "__main__":
    main()
