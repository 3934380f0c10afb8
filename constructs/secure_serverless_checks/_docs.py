"""Where the kit's documentation pages are: in the checkout's docs/, and inside the installed wheel."""

from __future__ import annotations

from pathlib import Path

_DOCS = Path(__file__).resolve().parent / "docs"


def doc_path(page: str) -> str:
    """The path of ``docs/<page>`` as installed with the package (the wheel carries docs/*.md)."""
    return str(_DOCS / page)
