"""The construct reference builds from the docstrings (pdoc), and documents every public name and member."""

from __future__ import annotations

import inspect
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
    # tools/reference_docs.py lets pdoc walk only the kit's and the standard library's base
    # classes: every public member a kit class defines itself must still have its entry.
    members = [
        f"{name}.{member}"
        for name in secure_serverless.__all__
        if inspect.isclass(cls := getattr(secure_serverless, name))
        for member in [*vars(cls), *vars(cls).get("__annotations__", {})]
        if not member.startswith("_")
    ]
    assert len(members) > 100
    assert [member for member in members if f'id="{member}"' not in pages] == []
