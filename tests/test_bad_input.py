"""The bad-input corpus: every case is one `Error: ... (<where>)` line, exit 2, and neither the
store nor the fixture CRM changes.

Corpus files live in tests/data/bad_input/<kind>/ and `expected.json` pins a fragment of each
one's message; oversized inputs are generated here rather than committed. Names, traversal
attempts and session ids are parametrized below.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from appconnect.cli import app
from appconnect.core.home import DB_NAME, FIXTURE_CRM_NAME
from appconnect.core.user_files import MAX_INPUT_BYTES
from tests.state_snapshot import fingerprint

Run = Callable[..., Result]
CORPUS = Path(__file__).parent / "data" / "bad_input"
BUNDLED_MISSED = Path(__file__).parents[1] / "fixtures" / "calls" / "missed.json"
EXPECTED: dict[str, str] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def corpus(kind: str) -> list[str]:
    return sorted(p.relative_to(CORPUS).as_posix() for p in (CORPUS / kind).iterdir())


def state_hashes(home: Path) -> dict[str, str]:
    return {
        name: fingerprint(home / name) for name in (DB_NAME, FIXTURE_CRM_NAME)
    }


@pytest.fixture
def logged(run: Run, home: Path) -> Iterator[dict[str, str]]:
    """One successful log first, so both state files exist; after the test, both unchanged."""
    assert run("log-call").exit_code == 0
    before = state_hashes(home)
    yield before
    assert state_hashes(home) == before, "a failed command changed the store or the CRM"


def assert_one_error(result: Result, fragment: str = "", where: str | None = None) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert result.exit_code == 2, output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("Error: ") and line.endswith(")"), line
    assert "unexpected" not in line
    assert fragment in line, line
    if where is not None:
        assert line.endswith(f"({where})"), line


def stdin_run(data: bytes, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "compose"], input=data, catch_exceptions=False)


# --- corpus files ---------------------------------------------------------------------------


def test_every_corpus_file_has_an_expectation() -> None:
    files = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file()}
    assert files - {"expected.json"} == set(EXPECTED)


@pytest.mark.parametrize("name", corpus("config"))
def test_config_file(name: str, run: Run, logged: dict[str, str]) -> None:
    path = CORPUS / name
    result = run("--config", str(path), "log-call")
    where = None if "env" in name or "plugin" in name or "connector" in name else str(path)
    assert_one_error(result, EXPECTED[name], where)


@pytest.mark.parametrize("name", corpus("calls"))
def test_call_fixture(name: str, run: Run, logged: dict[str, str]) -> None:
    path = CORPUS / name
    assert_one_error(run("log-call", str(path)), EXPECTED[name], str(path))


@pytest.mark.parametrize("name", corpus("scenarios"))
@pytest.mark.parametrize("keep", [False, True], ids=["sandbox", "keep"])
def test_scenario_file(name: str, keep: bool, run: Run, logged: dict[str, str]) -> None:
    path = CORPUS / name
    args = ("simulate", "--keep", str(path)) if keep else ("simulate", str(path))
    assert_one_error(run(*args), EXPECTED[name], str(path))


def _compose_cases() -> list[object]:
    return [name for name in corpus("compose")]


@pytest.mark.parametrize("name", _compose_cases())
def test_compose_file(name: str, run: Run, logged: dict[str, str]) -> None:
    path = CORPUS / name
    assert_one_error(run("compose", str(path)), EXPECTED[name], str(path))


@pytest.mark.parametrize("name", _compose_cases())
def test_compose_stdin(name: str, logged: dict[str, str]) -> None:
    assert_one_error(stdin_run((CORPUS / name).read_bytes()), EXPECTED[name], "stdin")


# --- oversized inputs, generated ------------------------------------------------------------


def _oversized(tmp_path: Path, name: str, head: str) -> Path:
    """A syntactically plausible file just over the cap (one write, no 5 MB string kept)."""
    path = tmp_path / name
    with path.open("w", encoding="utf-8") as handle:
        handle.write(head)
        handle.write(" " * (MAX_INPUT_BYTES + 1 - len(head)))
    return path


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("big.toml", ("--config", "{}", "log-call")),
        ("big.json", ("log-call", "{}")),
        ("big-scenario.json", ("simulate", "{}")),
        ("big-scenario.toml", ("simulate", "{}")),
        ("big-params.json", ("compose", "{}")),
    ],
)
def test_oversized_file(
    name: str, args: tuple[str, ...], run: Run, logged: dict[str, str], tmp_path: Path
) -> None:
    path = _oversized(tmp_path, name, "# x\n" if name.endswith(".toml") else "{}")
    result = run(*(str(path) if arg == "{}" else arg for arg in args))
    assert_one_error(result, "is larger than 5 MB", str(path))


def test_oversized_stdin(logged: dict[str, str]) -> None:
    result = stdin_run(b"{}" + b" " * MAX_INPUT_BYTES)
    assert_one_error(result, "is larger than 5 MB", "stdin")


# --- names: a bundled name never resolves outside the bundled folder ------------------------

ODD_NAMES = [
    pytest.param("../../etc/passwd", id="etc-passwd"),
    pytest.param("../fixtures/calls/missed", id="relative-fixtures"),
    pytest.param("../calls/missed", id="sibling-calls"),
    pytest.param("../scenarios/voicemail", id="sibling-scenarios"),
    pytest.param("calls/missed", id="subfolder"),
    pytest.param("missed/", id="trailing-slash"),
    pytest.param("missed.json.json", id="double-suffix"),
    pytest.param(".", id="dot"),
    pytest.param("", id="empty"),
    pytest.param(" ", id="space"),
    pytest.param("a\nb", id="newline"),
    pytest.param("a\x00b", id="nul"),
    pytest.param("x" * 5000, id="huge"),
    pytest.param("missed\u202e", id="bidi-override"),
    pytest.param("mi\u0301ssed", id="combining-accent"),
    pytest.param("📞", id="emoji"),
]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_call_fixture_name(name: str, run: Run, logged: dict[str, str]) -> None:
    assert_one_error(run("log-call", name), "no such call fixture")


@pytest.mark.parametrize("name", ODD_NAMES)
def test_scenario_name(name: str, run: Run, logged: dict[str, str]) -> None:
    assert_one_error(run("simulate", name), "no such scenario")


def test_odd_names_are_shown_escaped_and_cut(run: Run, logged: dict[str, str]) -> None:
    assert run("log-call", "a\nb").stderr.endswith("(a\\nb)\n")
    assert run("simulate", "a\x00b").stderr.endswith("(a\\x00b)\n")
    assert len(run("log-call", "x" * 5000).stderr) < 500


def test_an_explicit_path_is_still_read(run: Run, logged: dict[str, str]) -> None:
    """A name lookup never traverses, but an existing file named by path is fine to read."""
    copy = Path("my-call.json")
    copy.write_text((CORPUS / "calls" / "missing-direction.json").read_text(encoding="utf-8"))
    assert_one_error(run("log-call", "my-call.json"), "'logInfo.direction'", "my-call.json")


# --- session ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "session_id",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="spaces"),
        pytest.param("\t\n", id="whitespace"),
        pytest.param("40010\x000101", id="nul"),
        pytest.param("4001\n0101", id="newline"),
        pytest.param("9" * 100_000, id="huge"),
        pytest.param("\u202e4001000101", id="bidi-override"),
    ],
)
def test_session_id_option(session_id: str, run: Run, logged: dict[str, str]) -> None:
    assert_one_error(run("log-call", "--session-id", session_id), "the session id", "--session-id")


def test_check_session_id() -> None:
    from appconnect.core.errors import BadInput
    from appconnect.core.extension.call_fixtures import check_session_id

    assert check_session_id("4001000101") == "4001000101"
    assert check_session_id("x" * 255) == "x" * 255
    for bad, message in [
        ("", "the session id is empty"),
        ("x" * 256, "the session id is longer than 255 characters (256)"),
        ("1\x002", "the session id contains control characters: 1\\x002"),
    ]:
        with pytest.raises(BadInput) as caught:
            check_session_id(bad)
        assert str(caught.value) == f"{message} (--session-id)"


# --- unicode that is *good* input: accepted and kept exactly ----------------------------------


def test_bom_rtl_emoji_and_nfd_are_kept(run: Run, home: Path) -> None:
    from appconnect.fixtures.crm import CRMState

    call = json.loads(BUNDLED_MISSED.read_text(encoding="utf-8"))
    note = "cafe\u0301 \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 📞👋🏽"
    call["note"] = note
    path = Path("cafe\u0301-\u05e9.json")  # an NFD file name, found as given
    path.write_bytes(("\ufeff" + json.dumps(call, ensure_ascii=False)).encode("utf-8"))
    result = run("log-call", str(path))
    assert result.exit_code == 0, result.output
    bodies = [a["body"] for a in CRMState(home / FIXTURE_CRM_NAME).list_activities()]
    assert any(note in body for body in bodies)  # not NFC-normalised, not escaped


def test_bom_in_config_and_toml_scenario(run: Run, tmp_path: Path) -> None:
    config = tmp_path / "appconnect.toml"
    config.write_bytes("\ufeff[crm]\ntimeout = 5\n".encode())
    assert run("--config", str(config), "logs").exit_code == 0
    scenario = tmp_path / "s.toml"
    scenario.write_bytes('\ufeffname = "bom"\n[[steps]]\nkind = "log"\n'.encode())
    assert run("simulate", str(scenario)).exit_code == 0


# --- command-line values Click rejects: one line too, not a usage block (issue 15, item 11) ---


@pytest.mark.parametrize(
    ("args", "fragment", "where"),
    [
        pytest.param(
            ("--config", ".", "log-call"),
            "is a directory",
            "--config / $APPCONNECT_CONFIG",
            id="config-dir",
        ),
        pytest.param(
            ("--home", "a-file", "log-call"),
            "is a file",
            "--home / $APPCONNECT_HOME",
            id="home-is-a-file",
        ),
        pytest.param(
            ("--fault-rate", "nan", "log-call"),
            "invalid value",
            "--fault-rate",
            id="fault-rate-nan",
        ),
        pytest.param(
            ("--fault-rate", "inf", "log-call"),
            "invalid value",
            "--fault-rate",
            id="fault-rate-inf",
        ),
        pytest.param(("bench", "-n", "0"), "invalid value", "--lifecycles / -n", id="bench-zero"),
        pytest.param(
            ("--target", "nope", "logs"),
            "'nope' is not one of",
            "--target / $APPCONNECT_TARGET",
            id="target",
        ),
        pytest.param(
            ("log-call", "--bogus"),
            "no such option: --bogus",
            "appconnect log-call --help",
            id="unknown-option",
        ),
        pytest.param(
            ("no-such-command",), "no such command", "appconnect --help", id="unknown-command"
        ),
        pytest.param(
            ("fixture-crm", "edit-activity"), "missing argument", None, id="missing-argument"
        ),
        pytest.param(("serve", "--port", "70000"), "invalid value", "--port", id="serve-port"),
        pytest.param(
            ("fixture-crm", "serve", "--port", "-1"), "invalid value", "--port", id="crm-port"
        ),
        pytest.param(
            ("smoke", "--junit", "/proc/no-such-dir/report.xml"),
            "cannot write the JUnit report",
            "/proc/no-such-dir/report.xml",
            id="smoke-junit-unwritable",
        ),
    ],
)
def test_click_usage_errors_are_one_line(
    args: tuple[str, ...], fragment: str, where: str | None, run: Run, logged: dict[str, str]
) -> None:
    Path("a-file").write_text("")
    assert_one_error(run(*args), fragment, where)


def test_config_env_naming_a_directory_is_one_line(
    run: Run, logged: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPCONNECT_CONFIG", ".")
    assert_one_error(run("logs"), "is a directory", "--config / $APPCONNECT_CONFIG")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("log-call", "--note", "caf\udce9"), id="note"),  # b"caf\xe9" from argv
        pytest.param(("log-call", "--session-id", "\udcff"), id="session-id"),
        pytest.param(("log-call", "x\udcff.json"), id="fixture-name"),
        pytest.param(("log-call", "--note", "\ud800"), id="lone-surrogate"),
    ],
)
def test_arguments_that_are_not_utf8_are_refused(
    args: tuple[str, ...], run: Run, logged: dict[str, str]
) -> None:
    assert_one_error(run(*args), "is not UTF-8 text", "command line")


# --- FIFOs and other non-files: refused, never opened for a blocking read (item 9) ----------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        pytest.param(("--config", "{}", "logs"), "is not a regular file", id="config"),
        pytest.param(
            ("check-interfaces", "--manifest", "{}"), "is not a regular file", id="manifest"
        ),
        pytest.param(("compose", "{}"), "is not a regular file", id="compose-params"),
        # Not a file, so looked up as a bundled name (and not found): never opened either.
        pytest.param(("log-call", "{}"), "no such call fixture", id="call-fixture"),
        pytest.param(("simulate", "{}"), "no such scenario", id="scenario"),
    ],
)
def test_a_fifo_is_refused(
    template: tuple[str, ...], fragment: str, fifo: Path, run: Run, logged: dict[str, str]
) -> None:
    args = [str(fifo) if arg == "{}" else arg for arg in template]
    assert_one_error(run(*args), fragment, str(fifo))


def test_a_fifo_in_the_config_env_is_refused(
    fifo: Path, run: Run, logged: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPCONNECT_CONFIG", str(fifo))
    assert_one_error(run("logs"), "is not a regular file", str(fifo))


# --- a reader that leaves early (item 8) ----------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("logs", "--json"),
        ("logs",),
        ("call-fixtures",),
        ("call-fixtures", "missed"),
        ("fixture-crm", "activities", "--json"),
        ("check-interfaces", "--json"),
    ],
    ids=["logs-json", "logs-table", "fixtures", "fixture-text", "crm-json", "check-json"],
)
def test_a_closed_stdout_ends_quietly(args: tuple[str, ...], run: Run, home: Path) -> None:
    """`appconnect logs --json | head -1`: the reader is gone before the first write."""
    assert run("log-call").exit_code == 0
    reader, writer = os.pipe()
    os.close(reader)  # as `head` does once it has its line
    env = {**os.environ, "APPCONNECT_HOME": str(home)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "appconnect", *args],
            stdout=writer,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
    finally:
        os.close(writer)
    assert done.stderr == b"" or b"OK:" in done.stderr, done.stderr
    assert b"unexpected" not in done.stderr and b"Exception ignored" not in done.stderr
    assert done.returncode == 1


# --- every identifier that becomes a key or is printed is checked (item 10) -----------------

BAD_IDS = [
    pytest.param("a\nb", "contains control characters: a\\nb", id="newline"),
    pytest.param("a\x00b", "contains control characters: a\\x00b", id="nul"),
    pytest.param("\u202eab", "contains control characters: \\u202eab", id="bidi-override"),
    pytest.param("9" * 100_000, "is longer than 255 characters (100000)", id="huge"),
    pytest.param("", "is empty", id="empty"),
]


@pytest.mark.parametrize(("value", "problem"), BAD_IDS)
@pytest.mark.parametrize(
    ("args", "what", "where"),
    [
        pytest.param(("edit-log", "{}", "--note", "n"), "session id", "SESSION_ID", id="edit-log"),
        pytest.param(("simulate-recording", "{}"), "session id", "SESSION_ID", id="recording"),
        pytest.param(("logs", "--session-id", "{}"), "session id", "--session-id", id="logs"),
        pytest.param(
            ("check-interfaces", "--session-id", "{}"), "session id", "--session-id", id="check"
        ),
        pytest.param(
            ("fixture-crm", "activities", "--session-id", "{}"),
            "session id",
            "--session-id",
            id="crm-activities",
        ),
        pytest.param(
            ("fixture-crm", "edit-activity", "{}", "--body", "b"),
            "activity id",
            "ACTIVITY_ID",
            id="crm-edit",
        ),
        pytest.param(
            ("fixture-crm", "delete-activity", "{}"), "activity id", "ACTIVITY_ID", id="crm-delete"
        ),
    ],
)
def test_identifiers_on_the_command_line(
    args: tuple[str, ...],
    what: str,
    where: str,
    value: str,
    problem: str,
    run: Run,
    logged: dict[str, str],
) -> None:
    result = run(*(value if arg == "{}" else arg for arg in args))
    assert_one_error(result, f"the {what} {problem}", where)
    assert len(result.stderr) < 500
