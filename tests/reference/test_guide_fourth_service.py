"""docs/guide-fourth-service.md is executed: its code blocks run in order, its outputs are checked.

The guide's python blocks form one script; each ``text`` block is output the script must print
(in that order). So the code the guide shows is the code tested, and its outputs are real.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide-fourth-service.md"
_BLOCK = re.compile(r"^```(python|text)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    return [(kind, body) for kind, body in _BLOCK.findall(GUIDE.read_text())]


def test_the_guide_runs_and_prints_what_it_shows(tmp_path: Path) -> None:
    blocks = _blocks()
    script = "\n\n".join(body for kind, body in blocks if kind == "python")
    expected = [body.strip() for kind, body in blocks if kind == "text"]
    assert script and expected
    (tmp_path / "guide.py").write_text(script)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'constructs'}", "CDK_DISABLE_STACK_TRACE": "1"}
    result = subprocess.run(
        [sys.executable, str(tmp_path / "guide.py")], cwd=tmp_path, capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout
    position = 0
    for block in expected:
        found = output.find(block, position)
        assert found >= 0, f"the guide shows:\n{block}\nbut the code printed:\n{output}"
        position = found + len(block)
