"""Test-wide set-up: import path for test helpers, and the project-local Node.js for jsii."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

# jsii runs CDK on Node.js: use the project-local Node 24 when `make setup` installed one.
_LOCAL_NODE = ROOT / "tools" / "node24" / "node_modules" / ".bin"
if (_LOCAL_NODE / "node").exists() and str(_LOCAL_NODE) not in os.environ.get("PATH", ""):
    os.environ["PATH"] = f"{_LOCAL_NODE}{os.pathsep}{os.environ.get('PATH', '')}"
