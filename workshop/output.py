"""Errors first: the kit's own message before the Python and jsii traceback that carries it.

A failed synth prints about 40 lines of Python and jsii (Node.js) stack frames before the line
that says what is wrong. ``python -m workshop run N`` prints the kit's lines first (the module's
marker, then lines that read as a finding or an error), and the rest of the output with the
stack frames folded into one line that says how many were hidden.
"""

from __future__ import annotations

import re

from .breaks import Expectation

#: Lines that say what is wrong, whatever the tool: the kit's validation, cdk-nag, the perimeter
#: check, pytest and local mode.
_MESSAGE = re.compile(
    r"^\s*(?:\[[^\]]+\] |ERROR |FAILED |E   )|ValidationFailed|invalid configuration|SecureServerless-|"
    r"NOT as expected|refused to start|scenarios behaved as expected|^\s*- |\bpassed\b|\bfailed\b"
)
_FRAME_START = re.compile(
    r"^Traceback \(most recent call last\):|^jsii\.errors\.|^\s*@jsii/kernel|^The above exception"
)
_FRAME = re.compile(r'^\s+(?:File "|at |\^|~)|^\s{4,}\S|^\s*$')


def fold_traceback(output: str) -> tuple[list[str], int]:
    """The output's lines with stack frames removed, and how many lines were removed."""
    kept: list[str] = []
    hidden = 0
    in_frames = False
    for line in output.splitlines():
        if _FRAME_START.search(line):
            in_frames = True
            hidden += 1
            continue
        if in_frames and _FRAME.search(line):
            hidden += 1
            continue
        in_frames = False
        kept.append(line)
    return kept, hidden


def kit_messages(output: str, expectation: Expectation | None = None, limit: int = 12) -> list[str]:
    """The lines that say what is wrong (or right), the module's marker first, without duplicates."""
    lines, _ = fold_traceback(output)
    first: list[str] = []
    if expectation is not None:
        if expectation.is_regex:
            found = re.search(expectation.text, output, re.MULTILINE)
            if found:
                first.extend(found.group(0).splitlines())
        else:
            first.extend(line for line in lines if expectation.text in line)
    rest = [line for line in lines if _MESSAGE.search(line)]
    seen: set[str] = set()
    ordered = []
    for line in first + rest:
        if line.strip() and line not in seen:
            seen.add(line)
            ordered.append(line)
    return ordered[:limit]


def errors_first(output: str, expectation: Expectation | None = None, tail: int = 30) -> str:
    """The kit's messages, then the end of the output with its stack frames folded."""
    messages = kit_messages(output, expectation)
    lines, hidden = fold_traceback(output)
    parts = ["What the check says:"] + [f"  {line[:400]}" for line in messages]
    shown = lines[-tail:]
    parts.append("")
    omitted = len(lines) - len(shown)
    note = []
    if hidden:
        note.append(f"{hidden} lines of Python/jsii stack frames folded")
    if omitted > 0:
        note.append(f"{omitted} earlier lines not shown")
    parts.append("The end of the output" + (f" ({'; '.join(note)})" if note else "") + ":")
    parts.extend(f"  | {line[:400]}" for line in shown)
    return "\n".join(parts)
