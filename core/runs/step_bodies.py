"""What each scenario step sends: the `PATCH /callLog` body App Connect's extension (or its
server-side logger) sends for it, and the extension's auto-log rule."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from appconnect.core.runs.scenarios import (
    AiNoteStep,
    AutoLogRule,
    EditStep,
    FinalDataStep,
    RecordingStep,
    RingSenseStep,
    SsclUpdateStep,
    Step,
    TranscriptStep,
    VoicemailStep,
)

ANSWERED_RESULTS = frozenset({"Accepted", "Call connected", "Answered"})
DEFAULT_RECORDING_HOST = "https://media.ringcentral.test/recording"
DEFAULT_VOICEMAIL_HOST = "https://media.ringcentral.test/voicemail"


def update_body(step: Step, session: str) -> dict[str, Any]:
    """The PATCH /callLog body for an update step of the call logged as `session`."""
    body: dict[str, Any] = {"sessionId": session}
    if isinstance(step, EditStep):
        body.update(given(subject=step.subject, note=step.note))
    elif isinstance(step, RecordingStep):
        body["recordingLink"] = step.link or f"{DEFAULT_RECORDING_HOST}/{session}"
    elif isinstance(step, VoicemailStep):
        body["voicemailLink"] = step.link or f"{DEFAULT_VOICEMAIL_HOST}/{session}"
    elif isinstance(step, FinalDataStep):
        body.update(duration=step.duration, result=step.result)
    elif isinstance(step, AiNoteStep):
        body["aiNote"] = step.aiNote
    elif isinstance(step, TranscriptStep):
        body["transcript"] = step.transcript
    elif isinstance(step, RingSenseStep):
        body.update(
            given(
                ringSenseTranscript=step.transcript,
                ringSenseSummary=step.summary,
                ringSenseAIScore=step.score,
                ringSenseBulletedSummary=step.bulletedSummary,
                ringSenseLink=step.link,
            )
        )
    elif isinstance(step, SsclUpdateStep):
        body.update(
            given(
                duration=step.duration,
                result=step.result,
                recordingLink=step.recordingLink,
                note=step.note,
            )
        )
        body["isFromSSCL"] = True
    return body


def sscl_body(body: dict[str, Any]) -> dict[str, Any]:
    """What App Connect's server-side logging service sends for a call: flagged, without the
    agent's note (it does not know it), with the start time in epoch milliseconds."""
    body["isFromSSCL"] = True
    body.pop("note", None)
    log_info = body["logInfo"]
    start = log_info.get("startTime")
    if isinstance(start, str):
        log_info["startTime"] = epoch_ms(start)
    return body


def rule_rejects(rule: AutoLogRule, log_info: Mapping[str, Any]) -> str | None:
    """Why the extension's auto-log rule would not log this call, or None."""
    direction = log_info.get("direction")
    if direction not in rule.directions:
        return f"{direction} calls are not auto-logged"
    if rule.onlyAnswered and log_info.get("result") not in ANSWERED_RESULTS:
        return f"only answered calls are auto-logged (result: {log_info.get('result')})"
    duration = log_info.get("duration")
    if isinstance(duration, int | float) and duration < rule.minDuration:
        return f"shorter than {rule.minDuration:g} seconds"
    return None


def given(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def epoch_ms(text: str) -> int | str:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return int(moment.timestamp() * 1000)
