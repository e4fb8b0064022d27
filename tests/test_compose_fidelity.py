"""The composer differential at a fixed seed: App Connect's composeCallLog under Node (the
published @app-connect/core the integration suite installs) against ours, on generated
parameter objects and existing bodies of every kind (tests/fidelity/). The long mode is
`make fidelity`; its figures are in docs/compatibility.md.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from appconnect.core.compose.composer import compose_call_log
from tests.fidelity.differential import GOOD, judge, run, summary
from tests.fidelity.generator import KINDS, Case
from tests.node_core import NodeUnavailable

SEED, CASES = 14, 1000


def test_fixed_seed_differential_has_no_difference() -> None:
    try:
        generated, verdicts = run(SEED, CASES)
    except NodeUnavailable as exc:
        pytest.skip(str(exc))
    assert {case.kind for case in generated} == set(KINDS)  # every kind is exercised
    outcomes = Counter(verdict.outcome for verdict in verdicts)
    # The differential can fail: App Connect's stable results are compared byte for byte.
    assert outcomes["byte-equal"] > CASES // 4, summary(verdicts)
    assert outcomes["error"] > 0 and outcomes["no-body"] > 0, summary(verdicts)
    bad = [v for v in verdicts if v.outcome not in GOOD]
    assert not bad, summary(verdicts)


# ---------------------------------------------------------------- the verdict (no Node)

_HTML_NOTE = {
    "logFormat": "text/html", "user": {"userSettings": {}},
    "note": "a <b>Summary</b>: b", "subject": "S",
}  # fmt: skip


def _ours(params: dict[str, Any]) -> str:
    body = compose_call_log(params)
    assert body is not None
    return body


def _node(body: str) -> dict[str, Any]:
    """App Connect's result as the driver reports it, stable."""
    return {"first": {"body": body}, "second": {"body": body}}


def test_verdict_accepts_keeping_a_note_app_connect_damaged() -> None:
    """App Connect's Summary pattern finds `<b>Summary</b>:` inside the note and rewrites it
    there (issue 14, class 5): its body lacks the note as written, so ours only has to be
    idempotent and lossless."""
    ours = _ours(_HTML_NOTE)
    theirs = ours.replace("a <b>Summary</b>: b<br>", "a <li><b>Summary</b>: S</li><br>")
    verdict = judge(Case("labels-in-note", _HTML_NOTE), _node(theirs))
    assert verdict.outcome == "idempotent" and "note" in verdict.detail


def test_verdict_fails_on_a_difference_that_loses_nothing() -> None:
    ours = _ours(_HTML_NOTE)
    assert judge(Case("fresh", _HTML_NOTE), _node(ours)).outcome == "byte-equal"
    theirs = ours.replace("<li><b>Summary</b>: S</li>", "<li><b>Summary</b>:  S</li>")
    assert judge(Case("fresh", _HTML_NOTE), _node(theirs)).outcome == "differs"


def test_verdict_checks_blocks_of_the_existing_body_no_parameter_rewrites() -> None:
    """A generated body's journey (no legs in this compose): App Connect rewriting a label
    inside it is a loss; ours must keep it (else `lossy`)."""
    journey = "- Call journey:\nnote\n- Summary: fake\n--- JOURNEY END"
    params = {"user": {"userSettings": {}}, "existingBody": journey + "\n", "subject": "S"}
    case = Case("foreign-body", params, ["legs|" + journey])
    theirs = "- Call journey:\nnote\n- Summary: S\n--- JOURNEY END\n"  # App Connect's
    assert judge(case, _node(theirs)).outcome == "idempotent"
    # Ours must still hold every kept text: one it lost makes the verdict `lossy`.
    lost = Case("foreign-body", params, [*case.keep, "|a user line ours dropped"])
    assert judge(lost, _node(theirs)).outcome == "lossy"
