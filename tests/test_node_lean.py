"""The test run's Node.js for jsii (tests/bin/node-lean, set by tests/conftest.py): the node on PATH, two V8 flags."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

NODE_LEAN = Path(__file__).parent / "bin" / "node-lean"


def _node(*command: str) -> str:
    return subprocess.run([*command], capture_output=True, text=True, check=True).stdout.strip()


def test_node_lean_is_the_node_on_path_with_two_compiler_flags(tmp_path: Path) -> None:
    script = tmp_path / "flags.js"
    script.write_text("console.log(JSON.stringify(process.execArgv))\n")
    exec_argv = json.loads(_node(str(NODE_LEAN), str(script)))

    assert exec_argv == ["--single-threaded", "--liftoff-only"]
    assert _node(str(NODE_LEAN), "--version") == _node("node", "--version")


def test_the_run_gives_it_to_jsii_unless_told_otherwise() -> None:
    if os.environ.get("KIT_TEST_PLAIN_NODE") == "1":
        assert os.environ.get("JSII_NODE") != str(NODE_LEAN)
    else:
        assert os.environ.get("JSII_NODE") == str(NODE_LEAN)
