"""JUnit XML for CI: one <testsuite> of <testcase>s, the shape CI systems render.

The common (Jenkins / Ant) JUnit format: `testsuites > testsuite(name, tests, failures,
errors, skipped, time, timestamp) > testcase(classname, name, time)`, with a `failure` or
`skipped` child carrying a `message`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal


@dataclass(frozen=True, slots=True)
class Case:
    classname: str
    name: str
    status: Literal["pass", "fail", "skip"]
    message: str = ""
    seconds: float = 0.0


def junit_xml(suite: str, cases: Sequence[Case], *, timestamp: datetime | None = None) -> str:
    moment = (timestamp or datetime.now(UTC)).replace(microsecond=0, tzinfo=None)
    failures = sum(1 for c in cases if c.status == "fail")
    skipped = sum(1 for c in cases if c.status == "skip")
    total = f"{sum(c.seconds for c in cases):.3f}"
    root = ET.Element(
        "testsuites", name=suite, tests=str(len(cases)), failures=str(failures), time=total
    )
    element = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=total,
        timestamp=moment.isoformat(),
        hostname="localhost",
        id="0",
        package="appconnect",
    )
    ET.SubElement(element, "properties")
    for case in cases:
        node = ET.SubElement(
            element,
            "testcase",
            classname=case.classname,
            name=case.name,
            time=f"{case.seconds:.3f}",
        )
        if case.status == "fail":
            failure = ET.SubElement(node, "failure", message=case.message, type="AssertionError")
            failure.text = case.message
        elif case.status == "skip":
            ET.SubElement(node, "skipped", message=case.message)
    ET.SubElement(element, "system-out")
    ET.SubElement(element, "system-err")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
