"""`--record CASSETTE` / `--replay CASSETTE`: a command's CRM traffic saved, then played back.

Built on vcrpy (a maintained VCR port: the cassette format, request matching, record modes),
which patches httpx's transports, so it sits under every wrapper of ours (faults, timing,
traces): what is recorded is what went over the wire, and a replayed answer still passes
through the fault rules. Secrets are scrubbed by `scrub.Scrubber` in vcrpy's
`before_record_*` hooks, so they never reach the in-memory cassette, let alone the file.

- record: a fresh cassette of this command's requests, in order (the file is replaced);
- replay: each request is answered by the first unplayed recorded one with the same method,
  URL and body (secrets normalised); a request the cassette does not hold is an error
  naming it (exit 2: the cassette no longer fits the commands, re-record it).

Only the embedded target's connector traffic to a CRM over HTTP (`crm.url`) is recorded:
the embedded fixture CRM is read by the harness directly and needs no cassette.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from appconnect.core.config import HarnessConfig
from appconnect.core.config_secrets import known_secrets
from appconnect.core.errors import BadInput, HarnessError
from appconnect.core.transports.scrub import Scrubber
from appconnect.core.user_files import shown

Mode = Literal["record", "replay"]
#: vcrpy's matchers: method, the whole URL (scheme, host, port, path, query) and the body
#: (JSON and form bodies compared parsed).
MATCH_ON = ("method", "uri", "body")
#: Every HTTP library vcrpy knows but httpx, the one connectors are given.
_SKIPPED = ("httplib", "requests", "boto3", "urllib3", "httplib2", "tornado", "aiohttp", "httpx2")


#: The cassette of the running command, for `stable_value`.
_active: ContextVar[Any] = ContextVar("appconnect_cassette", default=None)


def stable_value(key: str, make: Callable[[], str]) -> str:
    """`make()`, kept in the cassette when one records and read back from it on replay.

    For what a run draws at random and sends to the CRM (smoke's run id, a sandboxed
    scenario's session suffix): the replayed requests then match the recorded ones."""
    held = _active.get()
    if held is None:
        return make()
    from vcr.errors import MissingMetadataError

    try:
        return str(held.get_metadata(key, make()))
    except MissingMetadataError:  # replaying a cassette recorded without it: requests differ
        return make()


class CassetteMiss(HarnessError):
    """A replayed command made a request its cassette does not hold."""


@dataclass
class CassetteRun:
    mode: Mode
    path: Path
    #: Requests recorded (record) or answered from the cassette (replay), after the run.
    requests: int = 0
    misses: list[str] = field(default_factory=list)


def scrubber_for(config: HarnessConfig) -> Scrubber:
    return Scrubber.build(known_secrets(config), config.redaction.fields)


@contextmanager
def cassette(
    mode: Mode, path: Path, config: HarnessConfig, *, target_kind: str = "embedded"
) -> Iterator[CassetteRun]:
    """Record or replay the CRM traffic of what runs inside."""
    import vcr  # only commands run with --record/--replay pay for vcrpy (and PyYAML)

    # Its warnings (an old cassette it cannot read, before a re-recording replaces it) would
    # reach stderr with a traceback through logging's last-resort handler: ours say enough.
    logging.getLogger("vcr").addHandler(logging.NullHandler())

    where = shown(path)
    flag = f"--{mode}"
    if target_kind != "embedded":
        raise BadInput(f"{flag} records a connector's CRM traffic: use --target embedded", where)
    if config.crm.url is None:
        raise BadInput(
            f"{flag} needs a CRM over HTTP (crm.url); the embedded fixture CRM needs no cassette",
            where,
        )
    serializer = "json" if path.suffix.lower() == ".json" else "yaml"
    if mode == "replay":
        _check_readable(path, serializer)
    scrubber = scrubber_for(config)
    run = CassetteRun(mode, path)
    recorder = vcr.VCR(
        serializer=serializer,
        record_mode="all" if mode == "record" else "none",
        match_on=MATCH_ON,
        decode_compressed_response=True,  # scrub and store the text, not gzip
        before_record_request=lambda request: _scrub_request(scrubber, request),
        before_record_response=lambda response: _scrub_response(scrubber, response),
        skip_patchers=_SKIPPED,
    )
    # A recording goes to a fresh file beside the cassette, which replaces it once written
    # (atomically): the old cassette is never read, and survives a run that records nothing.
    written = path
    if mode == "record":
        written = path.with_name(f".{path.name}.recording")
        written.unlink(missing_ok=True)  # what a killed recording left
    manager = recorder.use_cassette(str(written))
    held = manager.__enter__()
    token = _active.set(held)
    try:
        _track_misses(held, run, scrubber)
        yield run
    finally:
        _active.reset(token)
        run.requests = len(held.data) if mode == "record" else held.play_count
        try:
            manager.__exit__(None, None, None)  # saves what was recorded, even on an error
            if written != path and written.exists():
                written.replace(path)
        except OSError as exc:
            raise BadInput(f"cannot write the cassette: {exc.strerror}", where) from None
        if run.misses:  # whatever the connector made of the error, the run is void
            raise CassetteMiss(
                f"the cassette holds no answer for {run.misses[0]} "
                f"({len(run.misses)} unmatched; re-record it with --record)",
                where,
            ) from None


def _check_readable(path: Path, serializer: str) -> None:
    from vcr.serialize import deserialize

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput("cassette not found (record it first with --record)", shown(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read the cassette: {exc}", shown(path)) from None
    try:
        deserialize(text, _serializer(serializer))
    except Exception as exc:  # vcrpy raises YAML/JSON/ValueError/KeyError alike
        raise BadInput(f"not a cassette: {type(exc).__name__}", shown(path)) from None


def _serializer(name: str) -> Any:
    from vcr.serializers import jsonserializer, yamlserializer

    return jsonserializer if name == "json" else yamlserializer


def _track_misses(held: Any, run: CassetteRun, scrubber: Scrubber) -> None:
    """Remember each request the cassette could not answer (method and scrubbed URL)."""
    if run.mode != "replay":
        return
    can_play = held.can_play_response_for

    def tracked(request: Any) -> bool:
        playable = bool(can_play(request))
        if not playable:
            run.misses.append(f"{request.method} {scrubber.url(request.uri)}")
        return playable

    held.can_play_response_for = tracked


def _scrub_request(scrubber: Scrubber, request: Any) -> Any:
    request.uri = scrubber.url(request.uri)
    content_type = request.headers.get("Content-Type", "")
    request.headers = {
        name: scrubber.header(name, value) for name, value in request.headers.items()
    }
    request.body = scrubber.body(request.body_bytes, content_type)
    return request


def _scrub_response(scrubber: Scrubber, response: dict[str, Any]) -> dict[str, Any]:
    headers: dict[str, list[str]] = response.get("headers", {})
    types = [values[0] for name, values in headers.items() if name.lower() == "content-type"]
    content_type = types[0] if types else ""
    body = scrubber.body(response["body"]["string"], content_type)
    response["body"]["string"] = body
    scrubbed = {}
    for name, values in headers.items():
        if name.lower() == "content-length" and body is not None:
            size = len(body.encode() if isinstance(body, str) else body)
            scrubbed[name] = [str(size)]
        else:
            scrubbed[name] = [scrubber.header(name, value) for value in values]
    response["headers"] = scrubbed
    return response
