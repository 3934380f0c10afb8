"""`make workshop-doctor` says what is wrong and how to fix it; `workshop run` shows the kit's message first."""

from __future__ import annotations

import socket
from pathlib import Path

from workshop import doctor
from workshop.breaks import Expectation
from workshop.output import errors_first, fold_traceback

SYNTH_FAILURE = """Traceback (most recent call last):
  File "/kit/app.py", line 12, in <module>
    app.synth()
  File "/kit/.venv/lib/python3.11/site-packages/aws_cdk/__init__.py", line 2000, in synth
    return typing.cast(...)
           ^^^^^^^^^^^^
jsii.errors.JavaScriptError:
  @jsii/kernel.RuntimeError: ValidationFailedWithErrors: Validation failed
      at Kernel._Kernel_ensureSync (/tmp/jsii-kernel/lib/kernel.js:300:27)
      at Kernel.invoke (/tmp/jsii-kernel/lib/kernel.js:100:102)

The above exception was the direct cause of the following exception:

RuntimeError: ValidationFailedWithErrors: Validation failed with the following errors:
  [Stack/Api] method GET /export has no Cognito authorizer (authorization type NONE). Add it with add_route().
python3 app.py: Subprocess exited with error 1
"""


def test_the_kits_message_comes_before_the_folded_traceback() -> None:
    shown = errors_first(SYNTH_FAILURE, Expectation("method GET /export has no Cognito authorizer"))
    lines = shown.splitlines()
    assert lines[0] == "What the check says:"
    assert "method GET /export has no Cognito authorizer" in lines[1]
    assert shown.index("no Cognito authorizer") < shown.index("The end of the output")
    assert 'File "/kit/app.py"' not in shown and "Kernel._Kernel_ensureSync" not in shown
    kept, hidden = fold_traceback(SYNTH_FAILURE)
    assert hidden >= 10 and any("Subprocess exited" in line for line in kept)
    assert "stack frames folded" in shown


def test_a_regex_marker_is_shown_whole() -> None:
    output = "x\n[1/1] Attack\n  received: 201 {}\n  => NOT as expected\n"
    shown = errors_first(output, Expectation(r"received: 201 .*\n(.*\n)*?  => NOT as expected", is_regex=True))
    assert shown.splitlines()[1:3] == ["  received: 201 {}", "    => NOT as expected"]


def test_each_failure_names_its_fix(tmp_path: Path) -> None:
    old = doctor.check_python((3, 10))
    assert old.status == "FAIL" and "3.11" in old.fix
    full = doctor.check_disk(tmp_path, free=lambda _: 1024**3)
    assert full.status == "FAIL" and "free some space" in full.fix and "needs 2.0 GB" in full.detail
    (tmp_path / ".venv").mkdir()
    assert doctor.check_disk(tmp_path, free=lambda _: 1024**3).status == "ok"
    missing = doctor.check_tool("no-such-tool-here", "install it")
    assert missing.status == "FAIL" and missing.fix == "install it"
    assert doctor.check_setup(tmp_path).status == "warn"


def test_a_port_in_use_is_a_warning_with_the_way_out() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        finding = doctor.check_port(port)
    assert finding.status == "warn" and f"PORT={port}" in finding.fix


def test_the_report_fails_only_on_failures(tmp_path: Path) -> None:
    lines: list[str] = []
    ok = [doctor.Finding("a", "ok", "fine"), doctor.Finding("b", "warn", "hmm", "do x")]
    assert doctor.report(ok, lines.append) == 0 and "fix: do x" in "\n".join(lines)
    assert doctor.report([doctor.Finding("c", "FAIL", "bad", "do y")], lines.append) == 1
    assert lines[-1] == "workshop-doctor: 1 problem(s)"
