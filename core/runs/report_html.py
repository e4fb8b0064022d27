"""The HTML run report (`simulate --report`, `smoke --report`): one self-contained page.

Each step (or smoke check) is a row of a timeline with its verdict and reasons, the interface
calls it made, its HTTP exchanges (already redacted by the trace), the callLogs row and the
CRM body diff; a failing row is highlighted and opened. Inline CSS only, no script, and a
Content-Security-Policy that forbids every fetch: the page shows the same offline, in a CI
artifact viewer, years later.

Built with `html.escape` and string assembly: the page is one fixed layout filled from a few
lists, which a template engine would not shorten, and it keeps the report free of a
dependency the harness does not otherwise need.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from appconnect.core.flows.trace import redact
from appconnect.core.redaction import Redactor, redact_urls
from appconnect.core.runs.body_diff import BodyDiff

if TYPE_CHECKING:
    from appconnect.core.runs.runner import ScenarioRun
    from appconnect.core.runs.smoke_report import SmokeReport


@dataclass
class ReportRow:
    index: int
    title: str
    kind: str
    status: str
    reasons: list[str] = field(default_factory=list)
    seconds: float | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    http: list[dict[str, Any]] = field(default_factory=list)
    row: dict[str, Any] | None = None
    diff: BodyDiff | None = None


@dataclass
class RunReport:
    title: str
    subtitle: str
    rows: list[ReportRow]
    notes: list[str] = field(default_factory=list)
    #: What a row is called in the summary ("steps" of a scenario, "checks" of smoke).
    unit: str = "steps"

    @property
    def ok(self) -> bool:
        return all(row.status != "fail" for row in self.rows)


def scenario_report(run: ScenarioRun, redact_names: Sequence[str] = ()) -> RunReport:
    """The report of a scenario run; `redact_names` (the config's `[redaction] fields`) are hidden
    in the interface calls too, as the HTTP trace hid them in the exchanges."""
    hide = Redactor(redact_names).data
    rows = []
    for step in run.steps:
        reasons = list(dict.fromkeys([step.message, *step.failures]))
        record = step.flow.record if step.flow is not None else None
        rows.append(
            ReportRow(
                step.index,
                step.name,
                step.kind,
                step.status,
                [r for r in reasons if r],
                calls=[hide(call.as_dict()) for call in step.calls],
                http=[exchange.as_dict() for exchange in step.http],
                row=hide(redact(asdict(record))) if record is not None else None,
                diff=step.body_change(),
            )
        )
    notes = [f"left in the CRM: {', '.join(run.left_in_crm)}"] if run.left_in_crm else []
    subtitle = f"session {run.session_id}" if run.session_id else ""
    return RunReport(f"appconnect simulate: {run.scenario}", subtitle, rows, notes)


def smoke_report(report: SmokeReport, redact_names: Sequence[str] = ()) -> RunReport:
    hide = Redactor(redact_names).data
    rows = [
        ReportRow(
            index,
            check.title,
            check.id,
            check.status,
            [check.reason] if check.reason else [],
            seconds=check.seconds,
            calls=[hide(call.as_dict()) for call in check.calls],
            http=[exchange.as_dict() for exchange in check.http],
            row=hide(redact(check.row)) if check.row else None,
            diff=check.body_change(),
        )
        for index, check in enumerate(report.checks, start=1)
    ]
    notes = [f"left in the CRM: {', '.join(report.left_in_crm)}"] if report.left_in_crm else []
    title = f"appconnect smoke: {report.platform}"
    return RunReport(title, f"run {report.run_id}", rows, notes, unit="checks")


def render_html(report: RunReport) -> str:
    counts = {s: sum(1 for r in report.rows if r.status == s) for s in ("pass", "fail", "skip")}
    verdict = "passed" if report.ok else "failed"
    summary = (
        f"{len(report.rows)} {report.unit}: {counts['pass']} passed, {counts['fail']} failed, "
        f"{counts['skip']} skipped"
    )
    title = f"{report.title} ({verdict})"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Nothing may be fetched: no scripts, fonts, images or styles from anywhere.
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>",
        f'<body class="{"ok" if report.ok else "failed"}">',
        f"<header><h1>{_e(report.title)}</h1>",
        f'<p class="verdict {verdict}" id="summary">{_e(verdict.upper())} · {_e(summary)}</p>',
        f'<p class="sub">{_e(report.subtitle)}</p>' if report.subtitle else "",
        *(f'<p class="note">{_e(note)}</p>' for note in report.notes),
        "</header>",
        '<ol class="timeline">',
        *(_row(row) for row in report.rows),
        "</ol></body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _row(row: ReportRow) -> str:
    timing = f" · {row.seconds * 1000:.0f} ms" if row.seconds is not None else ""
    head = (
        f'<summary><span class="badge">{_e(row.status.upper())}</span> '
        f'<span class="index">{row.index}.</span> <span class="title">{_e(row.title)}</span> '
        f'<span class="kind">{_e(row.kind)}{timing}</span></summary>'
    )
    reasons = "".join(f"<li>{_e(reason)}</li>" for reason in row.reasons)
    body = [
        f'<ul class="reasons">{reasons}</ul>' if reasons else "",
        _section("CRM body diff", _diff(row.diff)) if row.diff is not None else "",
        _section(f"Interface calls ({len(row.calls)})", _calls(row.calls)) if row.calls else "",
        _section(f"HTTP exchanges ({len(row.http)})", _exchanges(row.http)) if row.http else "",
        _section("callLogs row", _fields(row.row)) if row.row else "",
    ]
    opened = " open" if row.status == "fail" else ""
    return (
        f'<li class="step {_e(row.status)}" id="step-{row.index}" data-status="{_e(row.status)}">'
        f"<details{opened}>{head}{''.join(body)}</details></li>"
    )


def _section(heading: str, content: str) -> str:
    return f"<section><h3>{_e(heading)}</h3>{content}</section>"


def _diff(diff: BodyDiff | None) -> str:
    if diff is None or not diff.changed:
        return '<p class="muted">body unchanged</p>'
    lines = []
    for section in diff.sections:
        lines.append(f'<span class="hunk">@@ {_e(section.section)}</span>')
        for op, text in section.lines:
            css = "del" if op == "-" else "add"
            lines.append(f'<span class="{css}">{_e(op)} {_e(text)}</span>')
    # Each line is a block of its own (a coloured band): no newlines between them.
    return f'<pre class="diff">{"".join(lines)}</pre>'


def _calls(calls: Sequence[dict[str, Any]]) -> str:
    items = []
    for call in calls:
        status = "ok" if call.get("ok") else f"error: {call.get('error')}"
        detail = _json({"arguments": call.get("arguments"), "result": call.get("result")})
        items.append(
            f'<details class="call"><summary>{_e(call["interface"])} '
            f'<span class="muted">({_e(status)})</span></summary><pre>{detail}</pre></details>'
        )
    return "".join(items)


def _exchanges(exchanges: Sequence[dict[str, Any]]) -> str:
    items = []
    for ex in exchanges:
        status = ex["status"] if ex["status"] is not None else (ex.get("error") or "no answer")
        via = f" · {ex['interface']}" if ex.get("interface") else ""
        sent, got = ex["request"], ex["response"]
        items.append(
            f'<details class="http"><summary><b>{_e(ex["method"])}</b> {_e(ex["url"])} → '
            f'<span class="status">{_e(str(status))}</span> '
            f'<span class="muted">{ex["ms"]} ms{_e(via)}</span></summary>'
            f"<h4>request</h4><pre>{_json(sent['headers'])}</pre>"
            f"{_pre(sent['body'])}<h4>response</h4><pre>{_json(got['headers'])}</pre>"
            f"{_pre(got['body'])}</details>"
        )
    return "".join(items)


def _fields(values: dict[str, Any] | None) -> str:
    rows = "".join(
        f"<tr><th>{_e(key)}</th><td>{_e('' if value is None else str(value))}</td></tr>"
        for key, value in (values or {}).items()
    )
    return f'<table class="fields">{rows}</table>'


def _pre(text: str) -> str:
    return f"<pre>{_e(text)}</pre>" if text else ""


def _json(data: Any) -> str:
    return _e(json.dumps(data, indent=2, ensure_ascii=False))


def _e(text: str) -> str:
    """Escaped for HTML, with any URL credential redacted (belt and braces)."""
    return escape(redact_urls(text))


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d232a;
background:#f6f7f9}
header{padding:16px 24px;background:#fff;border-bottom:1px solid #dde1e6}
h1{font-size:20px;margin:0 0 4px}
.verdict{font-weight:600;margin:4px 0}.verdict.passed{color:#146c2e}.verdict.failed{color:#b3261e}
.sub,.muted{color:#5f6b76}.note{color:#8a5a00}
ol.timeline{list-style:none;margin:16px 24px;padding:0 0 0 14px;border-left:3px solid #c9d0d8}
li.step{margin:0 0 10px;background:#fff;border:1px solid #dde1e6;border-radius:6px;
position:relative}
li.step::before{content:"";position:absolute;left:-23px;top:12px;width:12px;height:12px;
border-radius:50%;background:#8fa0b0}
li.step.pass::before{background:#2e9e4f}li.step.skip::before{background:#b0b7bf}
li.step.fail{background:#fdecea;border-color:#b3261e;border-left:6px solid #b3261e}
li.step.fail::before{background:#b3261e}
summary{cursor:pointer;padding:8px 12px}
details>details,details>section,details>ul{margin:0 12px 8px}
.badge{display:inline-block;min-width:36px;text-align:center;font-size:11px;font-weight:700;
border-radius:3px;padding:1px 4px;color:#fff;background:#2e9e4f}
.skip .badge{background:#8a949e}.fail .badge{background:#b3261e}
.kind{color:#5f6b76;font-size:12px;margin-left:6px}
h3{font-size:13px;margin:10px 0 4px;color:#37414b}h4{font-size:12px;margin:6px 0 2px}
pre{background:#f3f5f7;border:1px solid #e3e7eb;border-radius:4px;padding:6px 8px;
overflow:auto;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap}
pre.diff .del{color:#b3261e;background:#fde2e0;display:block}
pre.diff .add{color:#146c2e;background:#dff3e4;display:block}
pre.diff .hunk{color:#5f6b76;display:block}
table.fields{border-collapse:collapse;font-size:12px}
table.fields th,table.fields td{border:1px solid #e3e7eb;padding:2px 8px;text-align:left}
.reasons{margin:0 12px 8px;padding-left:18px}
"""
