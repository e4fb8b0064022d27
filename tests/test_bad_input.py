"""The bad-input corpus: every case is one `Error: ... (<where>)` line, exit 2, and neither the
store nor the fixture CRM changes.

Corpus files live in tests/data/bad_input/<kind>/ and `expected.json` pins a fragment of each
one's message; oversized inputs are generated here rather than committed. Names, traversal
attempts and session ids are parametrized below.
"""

from __future__ import annotations

import json
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
