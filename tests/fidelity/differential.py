"""The composer differential: App Connect's composeCallLog under Node against ours.

For each generated case (tests/fidelity/generator.py), App Connect composes once and
again on its own result; ours composes once and again. The verdict:

- App Connect throws → ours raises ComposeError ("error"); App Connect returns
  `undefined` → ours returns None ("no-body").
- App Connect is stable (its result comes back unchanged) and loses nothing → ours is
  byte-equal ("byte-equal").
- App Connect loses data (a kept line, or a Summary/Date/Duration/Result line ours writes)
  or is not stable → ours must be idempotent and keep every kept line ("idempotent").

Anything else is a difference, reported by the case's kind.

`python -m tests.fidelity.differential --seed N --cases M` is the long mode (make fidelity).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appconnect.core.compose.composer import compose_call_log, owned_sections
from appconnect.core.compose.failures import ComposeError
from tests.fidelity.generator import OWNED_PARAMS, PLAIN_FIELDS, Case, cases
from tests.node_core import ensure_installed
from tests.timezones import server_timezone

DRIVER = Path(__file__).with_name("compose_driver.js")
SERVER_TZ = "America/Los_Angeles"  # a zone with DST and a non-zero offset
# Field labels: one in ours but not in App Connect's body is a line App Connect lost
# (swallowed by a block, a note holding a section label, a glued line; issue 14).
WRITTEN_LABELS = (*PLAIN_FIELDS, "Date/time", "Caller phone number", "Recipient phone number")
BATCH = 2000


@dataclass
class Verdict:
    kind: str
    fmt: str
    outcome: str  # error, no-body, byte-equal, idempotent, or a difference
    detail: str = ""


def run_node(batch: list[dict[str, Any]], node_modules: Path) -> list[dict[str, Any]]:
    """App Connect's results for a batch, one Node process per BATCH cases."""
    env = {"PATH": os.environ.get("PATH", ""), "TZ": SERVER_TZ, "NODE_PATH": str(node_modules)}
    results: list[dict[str, Any]] = []
    for start in range(0, len(batch), BATCH):
        done = subprocess.run(
            ["node", str(DRIVER)], input=json.dumps(batch[start : start + BATCH]),
            capture_output=True, text=True, env=env, check=True, timeout=300,
        )  # fmt: skip
        results.extend(json.loads(done.stdout))
    return results


def _ours(params: dict[str, Any]) -> tuple[str | None, str | None]:
    """(body, error): ours composing once."""
    try:
        return compose_call_log(params), None
    except ComposeError as error:
        return None, str(error)


def _rewrites(case: Case, param: str) -> bool:
    """This compose rewrites the existing body's section of `param` (``legs``: the call's
    legs; a note or block only where its setting is on too)."""
    if param in OWNED_PARAMS:  # a note or block: only when this compose writes it
        return param in {key for key, _ in owned_sections(case.params)}
    return bool(param and case.params.get(param))


def _lost(case: Case, theirs: str, ours: str) -> list[str]:
    """What ours keeps that App Connect's body lost."""
    lost = []
    for entry in case.keep:
        param, _, text = entry.partition("|")
        if not _rewrites(case, param) and text in ours and text not in theirs:
            lost.append(text)
    for key in ("note", "subject"):  # a note holding a label: App Connect rewrites its text
        value = case.params.get(key)
        if isinstance(value, str) and value and value in ours and value not in theirs:
            lost.append(key)
    # The note and blocks as written: App Connect found another section's label inside
    # one (`<b>Summary</b>:` in an HTML note) and rewrote part of it (issue 14, class 5).
    for key, text in owned_sections(case.params):
        if text in ours and text not in theirs:
            lost.append(key)
    for label in WRITTEN_LABELS:
        if any(f"{label}{end}" in ours and f"{label}{end}" not in theirs
               for end in (": ", "**: ", "</b>: ")):  # fmt: skip
            lost.append(label)
    return lost


def judge(case: Case, node: dict[str, Any]) -> Verdict:
    body, error = _ours(case.params)
    first = node["first"]
    if "error" in first:
        ok = error is not None
        return Verdict(case.kind, _fmt(case), "error" if ok else "ours-composes", first["error"])
    if error is not None:
        return Verdict(case.kind, _fmt(case), "ours-throws", error)
    if first.get("undefined"):
        return Verdict(case.kind, _fmt(case), "no-body" if body is None else "ours-body")
    if body is None:
        return Verdict(case.kind, _fmt(case), "ours-no-body")
    again, _ = _ours({**case.params, "existingBody": body})
    theirs, second = first["body"], node["second"].get("body")
    lost = _lost(case, theirs, body)
    if theirs == second and not lost:
        if body == theirs:
            return Verdict(case.kind, _fmt(case), "byte-equal")
        if again == body and _unglued(theirs, body):
            return Verdict(case.kind, _fmt(case), "new-line")
        return Verdict(case.kind, _fmt(case), "differs")
    if again != body:
        return Verdict(case.kind, _fmt(case), "not-idempotent")
    missing = [text for text in _kept(case) if text not in body]
    return Verdict(case.kind, _fmt(case), "lossy" if missing else "idempotent", ",".join(lost))


def _fmt(case: Case) -> str:
    return str(case.params.get("logFormat", "text/plain")).removeprefix("text/")


# A plain-text note runs to the next `- X:` line: text below it is part of the note.
_PLAIN_NOTE = re.compile(r"- (?:Note|Agent notes): [\s\S]*?(?=\n- [A-Z][a-zA-Z\s/]*:|\n$|$)")


_MD_BLOCK = re.compile(r"### [^\n]*\n[\s\S]*?(?=\n#{2,3} |\n\*\*|\Z)")


def _unglued(theirs: str, ours: str) -> bool:
    """Ours is App Connect's body with a line break where it glued a section onto a field
    line (a deliberate difference: a later rewrite of that line would swallow it)."""
    return len(ours) == len(theirs) + 1 and any(
        ours == theirs[:at] + "\n" + theirs[at:]
        for at in range(len(theirs))
        if theirs.startswith(("- ", "**"), at)
    )


def _kept(case: Case) -> list[str]:
    texts = []
    body = str(case.params.get("existingBody", ""))
    # Text that App Connect and ours both read as part of a note or block (by format).
    owned = {"plain": _PLAIN_NOTE, "markdown": _MD_BLOCK}.get(_fmt(case))
    spans = [match.group() for match in owned.finditer(body)] if owned else []
    for entry in case.keep:
        param, _, text = entry.partition("|")
        if any(text in span for span in spans):
            continue
        if not _rewrites(case, param):
            texts.append(text)
    return texts


def run(seed: int, count: int) -> tuple[list[Case], list[Verdict]]:
    generated = cases(seed, count)
    node = run_node([case.params for case in generated], ensure_installed().node_modules)
    with server_timezone(SERVER_TZ):
        pairs = zip(generated, node, strict=True)
        return generated, [judge(case, result) for case, result in pairs]


GOOD = ("error", "no-body", "byte-equal", "idempotent", "new-line")


def summary(verdicts: list[Verdict]) -> str:
    outcomes = Counter(verdict.outcome for verdict in verdicts)
    lines = [f"cases: {len(verdicts)}"]
    lines += [f"  {name}: {outcomes[name]}" for name in GOOD]
    by_class = Counter((v.kind, v.fmt, v.outcome) for v in verdicts if v.outcome not in GOOD)
    lines.append(f"differences: {sum(by_class.values())}")
    lines += [
        f"  {kind} {fmt}: {outcome} {n}" for (kind, fmt, outcome), n in sorted(by_class.items())
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--show", type=int, default=0, help="print this many differing cases")
    args = parser.parse_args(argv)
    started = time.monotonic()
    generated, verdicts = run(args.seed, args.cases)
    print(summary(verdicts))
    print(f"seconds: {time.monotonic() - started:.1f}")
    shown = 0
    for case, verdict in zip(generated, verdicts, strict=True):
        if verdict.outcome not in GOOD and shown < args.show:
            shown += 1
            print(json.dumps({"kind": case.kind, "outcome": verdict.outcome,
                              "detail": verdict.detail, "params": case.params}))  # fmt: skip
    return 0 if all(v.outcome in GOOD for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
