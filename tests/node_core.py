"""The real `@app-connect/core` for tests: install it once into a cache, serve our JS connector
on it (fixtures/node-connector/), and drive it over HTTP as App Connect's client does.

- `ensure_installed()` runs `npm ci` into `<repo>/.cache/node-connector/<key>/` (or
  `$APPCONNECT_NODE_CACHE/<key>/`), keyed by package.json, package-lock.json and the Node
  version (sqlite3 is a native module), so later runs reuse it and a change reinstalls.
- `NodeCoreServer` starts `node server.js` on 127.0.0.1 (port 0) with its own SQLite file
  (or the PostgreSQL database it is given),
  waits for `GET /isAlive`, and always stops the process.
- `AppConnectClient` sends App Connect's client calls (ref §8) with `Authorization: Bearer`.

`NodeUnavailable` means "skip": no node/npm, APPCONNECT_SKIP_NODE set, or the npm registry
cannot be reached. Any other install or start-up failure is an error.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = ROOT / "fixtures" / "node-connector"
PLATFORM = "fixture"
INSTALL_TIMEOUT = 900.0  # the first install compiles sqlite3 (about a minute)
START_TIMEOUT = 60.0

_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
# npm's messages when the registry cannot be reached at all.
_OFFLINE = re.compile(r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|ENETUNREACH")


class NodeUnavailable(Exception):
    """The real core cannot run here; the reason is a skip message."""


def cache_root() -> Path:
    return Path(os.environ.get("APPCONNECT_NODE_CACHE") or ROOT / ".cache" / "node-connector")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise NodeUnavailable(f"`{name}` is not on PATH: the real @app-connect/core needs Node")
    return path


def _install_key(node: str) -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((NODE_DIR / name).read_bytes())
    version = subprocess.run(
        [node, "-p", "process.version + process.platform + process.arch"],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    digest.update(version.encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Installed:
    node_modules: Path
    fresh: bool  # installed by this call (else reused from the cache)
    seconds: float


def ensure_installed() -> Installed:
    """The cached `node_modules` of fixtures/node-connector, installing it when missing."""
    if os.environ.get("APPCONNECT_SKIP_NODE"):
        raise NodeUnavailable("APPCONNECT_SKIP_NODE is set")
    started = time.monotonic()
    node, npm = _tool("node"), _tool("npm")
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / _install_key(node)
    fresh = False
    if not (target / ".complete").exists():
        # One installer at a time (parallel test processes); the others wait, then reuse.
        with open(root / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (target / ".complete").exists():
                _install(npm, root, target)
                fresh = True
                for stale in root.iterdir():  # earlier keys: a changed package.json or Node
                    if stale.is_dir() and stale != target:
                        shutil.rmtree(stale, ignore_errors=True)
    return Installed(target / "node_modules", fresh, time.monotonic() - started)


def _install(npm: str, root: Path, target: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="install-", dir=root))
    try:
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(NODE_DIR / name, work / name)
        started = time.monotonic()
        # Its own process group, so a timeout also ends the compilers npm started.
        npm_ci = subprocess.Popen(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            stdin=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "npm_config_update_notifier": "false"},
        )  # fmt: skip
        try:
            output, _ = npm_ci.communicate(timeout=INSTALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(npm_ci.pid, signal.SIGKILL)
            npm_ci.communicate()
            raise RuntimeError(f"npm ci took longer than {INSTALL_TIMEOUT:.0f}s") from None
        if npm_ci.returncode != 0:
            if _OFFLINE.search(output):
                raise NodeUnavailable("the npm registry is unreachable: cannot install the core")
            raise RuntimeError(f"npm ci failed ({npm_ci.returncode}):\n{output[-4000:]}")
        seconds = time.monotonic() - started
        (work / ".complete").write_text(f"installed in {seconds:.1f}s\n")
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


class NodeCoreServer:
    """`node fixtures/node-connector/server.js` on 127.0.0.1, in a context manager."""

    #: The server script (a subclass may run another one on the same installed core).
    script = NODE_DIR / "server.js"

    def __init__(
        self,
        node_modules: Path,
        crm_url: str,
        workdir: Path,
        *,
        log_format: str = "text/plain",
        hash_key: str = "",
        database_url: str | None = None,
    ) -> None:
        self.workdir = workdir
        self.db_path = workdir / "db.sqlite"
        self.log_path = workdir / "node-server.log"
        self.secret = secrets.token_urlsafe(24)
        self.hash_key = hash_key
        # A fresh environment: no proxy variables (axios would send loopback calls through
        # them), no USE_CACHE or DynamoDB settings from the developer's shell.
        self._env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(workdir),
            "TZ": "UTC",
            "NODE_PATH": str(node_modules),
            "NODE_NO_WARNINGS": "1",
            "PORT": "0",
            # App Connect's production setting is PostgreSQL (`postgres://…`, the `pg` driver).
            "DATABASE_URL": database_url or f"sqlite:{self.db_path}",
            "APP_SERVER_SECRET_KEY": self.secret,
            "HASH_KEY": hash_key,
            "FIXTURE_CRM_URL": crm_url,
            "FIXTURE_LOG_FORMAT": log_format,
        }
        self._process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.started_in = 0.0

    def __enter__(self) -> NodeCoreServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.stop()

    def start(self) -> None:
        started = time.monotonic()
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(
                [_tool("node"), str(self.script)],
                cwd=self.workdir, env=self._env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        try:
            self.url = self._wait_for_port(started)
            self._wait_alive(started)
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - started

    def _wait_for_port(self, started: float) -> str:
        assert self._process is not None
        while time.monotonic() - started < START_TIMEOUT:
            match = _LISTENING.search(self.log())
            if match:
                return match.group(1)
            if self._process.poll() is not None:
                raise RuntimeError(f"the Node server exited ({self._process.returncode}):\n"
                                   f"{self.log()[-4000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"the Node server did not listen within {START_TIMEOUT:.0f}s")

    def _wait_alive(self, started: float) -> None:
        # /isAlive answers once core's database set-up is done (core holds requests until then).
        with httpx.Client(base_url=self.url, timeout=5, trust_env=False) as client:
            while time.monotonic() - started < START_TIMEOUT:
                with contextlib.suppress(httpx.HTTPError):
                    if client.get("/isAlive").text == "OK":
                        return
                time.sleep(0.1)
        raise RuntimeError(f"GET /isAlive did not answer within {START_TIMEOUT:.0f}s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def call_logs(self) -> list[dict[str, Any]]:
        """The server's `callLogs` rows (read-only), in insertion order."""
        return _read_rows(self.db_path, "SELECT * FROM callLogs ORDER BY rowid")

    def users(self) -> list[dict[str, Any]]:
        return _read_rows(self.db_path, "SELECT * FROM users ORDER BY rowid")


def _read_rows(path: Path, query: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(query)]
    finally:
        conn.close()


class AppConnectClient:
    """App Connect's client calls (ref §8) against a running App Connect server."""

    def __init__(self, url: str, platform: str = PLATFORM) -> None:
        self.platform = platform
        self._http = httpx.Client(base_url=url, timeout=30, trust_env=False)
        self.token = ""

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AppConnectClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(
        self, method: str, path: str, *, body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None, sscl: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if sscl:  # server-side call logging identifies itself by this exact User-Agent
            headers["User-Agent"] = "SSCL"
        response = self._http.request(method, path, json=body, params=params, headers=headers)
        # App Connect answers business failures with 200; anything else is a broken call here.
        assert response.status_code == 200, (method, path, response.status_code, response.text)
        data = response.json()
        assert isinstance(data, dict), data
        return data

    def login(self, api_key: str, *, hostname: str | None = None) -> dict[str, Any]:
        body = {"platform": self.platform, "apiKey": api_key}
        if hostname is not None:
            body["hostname"] = hostname
        reply = self._send("POST", "/apiKeyLogin", body=body)
        self.token = reply["jwtToken"]
        return reply

    def implemented_interfaces(self) -> dict[str, Any]:
        return self._send("GET", "/implementedInterfaces", params={"platform": self.platform})

    def find_contact(self, number: str, *, is_extension: bool = False) -> dict[str, Any]:
        params = {"phoneNumber": number}
        if is_extension:
            params["isExtension"] = "true"
        return self._send("GET", "/contact", params=params)

    def create_call_log(self, body: Mapping[str, Any], *, sscl: bool = False) -> dict[str, Any]:
        return self._send("POST", "/callLog", body=body, sscl=sscl)

    def get_call_logs(
        self, session_ids: list[str], *, require_details: bool = False,
        identity: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        params = {"sessionIds": ",".join(session_ids), **(identity or {})}
        if require_details:
            params["requireDetails"] = "true"
        return self._send("GET", "/callLog", params=params)

    def update_call_log(self, body: Mapping[str, Any], *, sscl: bool = False) -> dict[str, Any]:
        return self._send("PATCH", "/callLog", body=body, sscl=sscl)

    def upsert_call_disposition(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._send("PUT", "/callDisposition", body=body)

