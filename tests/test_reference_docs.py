"""The construct reference builds from the docstrings (pdoc), and documents every public name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import secure_serverless

ROOT = Path(__file__).resolve().parents[1]


def test_reference_builds_and_documents_every_public_name(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "reference_docs.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    pages = "".join(
        page.read_text()
        for package in ("secure_serverless", "secure_serverless_checks")
        for page in (tmp_path / package).glob("*.html")
    )
    missing = [name for name in secure_serverless.__all__ if f'id="{name}"' not in pages]
    assert missing == []
