"""`simulate --report` and `smoke --report`: one self-contained HTML page per run, checked as
written and as a person sees it in a real headless Chromium (Debian's package)."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import Result

from appconnect.fixtures.crm import CRMState

Run = Callable[..., Result]
ROOT = Path(__file__).resolve().parents[1]
#: Where a failing browser test leaves its screenshot and page (CI keeps it as an artifact).
ARTIFACTS = Path(os.environ.get("APPCONNECT_TEST_ARTIFACTS", ROOT / ".artifacts"))
#: The failing row's background and border colours (report_html.py's CSS), as RGB.
FAIL_BACKGROUND, FAIL_BORDER = (0xFD, 0xEC, 0xEA), (0xB3, 0x26, 0x1E)

SCENARIO = {
    "name": "report-demo",
    "steps": [
        {"kind": "log", "name": "user logs the call"},
        {"kind": "assert", "name": "the CRM body holds a word it does not",
         "crm": {"bodyContains": ["no such words"]}},
        {"kind": "recording", "name": "recording lands"},
        {"kind": "assert", "row": {"exists": True}},
    ],
}  # fmt: skip


@pytest.fixture
def failing_run(run: Run) -> tuple[Result, Path]:
    Path("demo.json").write_text(json.dumps(SCENARIO))
    result = run("--trace", "http", "simulate", "demo.json", "--report", "out/run.html")
    return result, Path("out/run.html")


class Page(HTMLParser):
    """What the page holds: its title, and each `li.step` with its classes and text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.title, self.steps, self.tags = "", [], []
        self._in_title = False
        self.opened: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        self._in_title = tag == "title"
        if tag == "li" and "step" in (found.get("class") or "").split():
            self.steps.append((found["class"] or "", found.get("id") or ""))
        if tag == "details" and "open" in found and self.steps:
            self.opened.append(self.steps[-1][1])

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False


def test_the_report_is_one_page_that_fetches_nothing(
    failing_run: tuple[Result, Path], home: Path
) -> None:
    result, path = failing_run
    assert result.exit_code == 1
    assert "report written to out/run.html" in result.stderr
    html = path.read_text()
    page = Page(html)
    assert page.title == "appconnect simulate: report-demo (failed)"
    assert [c for c, _ in page.steps] == ["step pass", "step fail", "step pass", "step pass"]
    assert page.opened == ["step-2"]  # the failing row is open
    for tag, attrs in page.tags:  # no script, no stylesheet, image or frame from anywhere
        assert tag not in ("script", "link", "img", "iframe", "object", "embed"), tag
        assert "src" not in attrs and not (attrs.get("href") or "").startswith("http"), attrs
    assert "url(" not in html and "@import" not in html
    assert "default-src 'none'" in html
    assert "4 steps: 3 passed, 1 failed, 0 skipped" in html
    assert "expected the CRM body to contain" in html or "no such words" in html


def test_each_step_holds_its_calls_exchanges_row_and_diff(
    failing_run: tuple[Result, Path], home: Path
) -> None:
    html = failing_run[1].read_text()
    first = html.split('id="step-1"')[1].split('id="step-2"')[0]
    assert "Interface calls (3)" in first and "HTTP exchanges (3)" in first
    assert "POST</b> http://fixture-crm.embedded/v1/activities → " in first
    assert "callLogs row" in first and "<th>thirdPartyLogId</th><td>act-1</td>" in first
    assert '<span class="add">+ - Note: ' in first  # the created body, line by line
    recording = html.split('id="step-3"')[1].split('id="step-4"')[0]
    assert '<span class="hunk">@@ call recording link</span><span class="add">' in recording
    assert "&quot;authorization&quot;: &quot;Basic ***&quot;" in html
    key = CRMState(home / "fixture-crm.json").api_key
    assert key not in html


def test_smoke_report_marks_the_failed_checks(run: Run) -> None:
    result = run("smoke", "--connector", "broken_connectors:OverwritesBody", "--report", "s.html")
    assert result.exit_code == 1
    page = Page(Path("s.html").read_text())
    assert page.title == "appconnect smoke: fixture (failed)"
    statuses = {sid: cls.split()[1] for cls, sid in page.steps}
    assert statuses["step-1"] == "pass" and "fail" in statuses.values()
    assert page.opened == [sid for sid, status in statuses.items() if status == "fail"]
    html = Path("s.html").read_text()
    assert "8 checks:" in html
    log_call = html.split('id="step-4"')[1].split('id="step-5"')[0]
    assert "log a call" in log_call and "<th>thirdPartyLogId</th><td>act-1</td>" in log_call
    assert run("smoke", "--report", "ok.html").exit_code == 0
    assert Page(Path("ok.html").read_text()).title == "appconnect smoke: fixture (passed)"


def test_a_report_that_cannot_be_written_stops_before_the_run(run: Run, home: Path) -> None:
    Path("taken").write_text("a file, not a folder")
    result = run("simulate", "answered-inbound", "--report", "taken/run.html")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: cannot write the report: ")
    assert result.stderr.count("\n") == 1 and result.stdout == ""


# --- in a real browser -------------------------------------------------------------------------


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        reason = "Chromium is not installed (apt-get install chromium, or .ci/install-chromium.sh)"
        if os.environ.get("APPCONNECT_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def browse(browser: str, page: Path, profile: Path, *args: str) -> str:
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
        # Half the pixels: flat colours stay exact, and decoding the PNG stays quick.
        "--force-device-scale-factor=0.5",
        f"--user-data-dir={profile}", *args, page.resolve().as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def png_colours(path: Path) -> set[tuple[int, int, int]]:
    """The RGB colours of an 8-bit, non-interlaced PNG (what Chromium's screenshots are)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, b"", b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos : pos + 4]), data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        chunks += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    size = 4 if colour == 6 else 3
    raw, stride, previous = zlib.decompress(chunks), width * size, bytearray(width * size)
    colours: set[tuple[int, int, int]] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, corner = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                near = min((abs(p - left), 0), (abs(p - up), 1), (abs(p - corner), 2))[1]
                line[i] = (line[i] + (left, up, corner)[near]) & 0xFF
        colours.update(zip(line[0::size], line[1::size], line[2::size], strict=True))
        previous = line
    return colours


@contextmanager
def kept_on_failure(*files: Path) -> Iterator[None]:
    """On a failed assertion, keep the screenshot and page where CI collects artifacts."""
    try:
        yield
    except AssertionError as exc:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        kept = [shutil.copy(f, ARTIFACTS / f.name) for f in files if f.exists()]
        raise AssertionError(f"{exc} (kept: {', '.join(map(str, kept))})") from exc


def test_a_person_sees_the_steps_and_the_failing_row_highlighted(
    failing_run: tuple[Result, Path], tmp_path: Path
) -> None:
    browser = chromium()
    page = failing_run[1]
    shot = tmp_path / "report-screenshot.png"
    size = "--window-size=1000,1200"
    dom = browse(browser, page, tmp_path / "profile", size, f"--screenshot={shot}", "--dump-dom")
    with kept_on_failure(shot, page):
        seen = Page(dom)  # the DOM as Chromium built it
        assert seen.title == "appconnect simulate: report-demo (failed)"
        assert len(seen.steps) == 4
        assert [sid for cls, sid in seen.steps if "fail" in cls.split()] == ["step-2"]
        assert "FAILED · 4 steps: 3 passed, 1 failed, 0 skipped" in dom
        colours = png_colours(shot)
        assert FAIL_BACKGROUND in colours, "the failing row's highlight is not on screen"
        assert FAIL_BORDER in colours


def test_a_passing_run_shows_no_failure_colours(run: Run, tmp_path: Path) -> None:
    browser = chromium()
    assert run("simulate", "missed-call", "--report", "ok.html").exit_code == 0
    shot = tmp_path / "ok-screenshot.png"
    browse(browser, Path("ok.html"), tmp_path / "p", f"--screenshot={shot}")
    with kept_on_failure(shot, Path("ok.html")):
        colours = png_colours(shot)
        assert FAIL_BACKGROUND not in colours and FAIL_BORDER not in colours
        assert (0x2E, 0x9E, 0x4F) in colours  # the green PASS badges


def test_configured_names_are_hidden_in_calls_and_exchanges_alike(run: Run) -> None:
    Path("appconnect.toml").write_text('[redaction]\nfields = ["phone", "phoneNumber"]\n')
    assert run("simulate", "answered-inbound", "--report", "r.html").exit_code == 0
    html = Path("r.html").read_text()
    assert "findContact" in html and "phone=***" in html
    assert "6505550101" not in html  # the caller's number, in no call, exchange or row
