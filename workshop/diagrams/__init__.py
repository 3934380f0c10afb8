"""``make diagrams``: the architecture diagram and the perimeter pictures, from a synthesized assembly.

The DOT sources are written next to the SVG images: they are deterministic for a given template,
so a test regenerates them from a fresh synth and fails when the committed ones are stale.
Rendering needs Graphviz's ``dot`` (``make diagrams`` installs Debian's ``graphviz`` when it
runs as root); the DOT sources do not.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from secure_serverless_checks.perimeter import analyze, load_path

from ..breaks import load_modules
from .architecture import architecture_graph
from .modules import module_graph
from .perimeters import function_slug, perimeter_graph

SERVICE_STACK_SUFFIX = "-NotesService"


class GraphvizMissingError(RuntimeError):
    """``dot`` is not installed; the message says how to get it."""


def diagram_sources(assembly: Path) -> dict[str, str]:
    """``{file stem: DOT source}`` for the architecture and each function's perimeter."""
    templates = load_path(assembly)
    service = [name for name in sorted(templates) if name.endswith(SERVICE_STACK_SUFFIX)]
    if not service:
        raise ValueError(f"{assembly}: no *{SERVICE_STACK_SUFFIX} stack; synthesize the reference app first")
    sources = {"architecture": architecture_graph(templates[service[0]]).source}
    for module in load_modules():
        sources[f"module-{module.number:02d}-{module.slug}"] = module_graph(templates[service[0]], module).source
    report = analyze(templates)
    for perimeter in sorted(report.matrix, key=lambda p: (p.template, p.function)):
        sources[f"perimeter-{function_slug(perimeter)}"] = perimeter_graph(report, perimeter).source
    return sources


def write_diagrams(*, assembly: Path, images: Path, render: bool = True) -> list[Path]:
    """Write ``<stem>.dot`` (and, with ``render``, ``<stem>.svg``) for every diagram into ``images``."""
    import graphviz

    if render and shutil.which("dot") is None:
        raise GraphvizMissingError(
            "Graphviz's `dot` is not installed. `make diagrams` installs it when run as root on Debian/Ubuntu "
            "(apt-get install graphviz); otherwise install it yourself (sudo apt-get install graphviz, "
            "brew install graphviz, or choco install graphviz) and run `make diagrams` again. "
            "`python -m workshop diagrams cdk.out --dot-only` writes the DOT sources without it."
        )
    images.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, source in diagram_sources(assembly).items():
        dot_path = images / f"{stem}.dot"
        dot_path.write_text(source, encoding="utf-8")
        written.append(dot_path)
        if render:
            svg = graphviz.Source(source).pipe(format="svg")
            (images / f"{stem}.svg").write_bytes(svg)
            written.append(images / f"{stem}.svg")
    return written
