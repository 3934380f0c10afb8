"""``python -m secure_serverless_checks.perimeter diff OLD NEW``: what a change does to each function's reach.

Exit status: 0 no function can do more than before (narrowed or unchanged), 1 reach widened
(even when the new reach is declared: a reviewer should see it), 2 an input cannot be analyzed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .._docs import doc_path
from .analyzer import analyze
from .diff import PerimeterDiff, diff_reports
from .errors import PerimeterInputError
from .loader import load_path
from .report import Report

EXIT_NOT_WIDENED = 0
EXIT_WIDENED = 1
EXIT_BAD_INPUT = 2

_RENDERERS: dict[str, Callable[[PerimeterDiff], str]] = {
    "text": PerimeterDiff.to_text,
    "json": PerimeterDiff.to_json,
    "markdown": PerimeterDiff.to_markdown,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m secure_serverless_checks.perimeter diff",
        description=(
            "Compare what every Lambda function can reach in OLD (the base of a change) and NEW (its head): "
            "reach added and removed per function, new and removed functions, role changes, wildcards, "
            "shared resources, new and resolved perimeter violations."
        ),
        epilog="exit status: 0 reach not widened, 1 reach widened, 2 input cannot be analyzed. See "
        + doc_path("pull-requests.md"),
    )
    parser.add_argument("old", metavar="OLD", help="the base version: a cloud assembly directory or a template file")
    parser.add_argument("new", metavar="NEW", help="the changed version: a cloud assembly directory or a template file")
    parser.add_argument("--format", choices=sorted(_RENDERERS), default="text", help="output format (default: text)")
    parser.add_argument(
        "--output",
        metavar="FILE",
        type=Path,
        help="write the diff to FILE (e.g. a pull-request comment) and print only its summary line",
    )
    return parser


def _analyze(label: str, path: str) -> Report:
    try:
        return analyze(load_path(path))
    except PerimeterInputError as error:
        raise PerimeterInputError(f"{label} {path}: {' '.join(str(error).split())}") from error
    except (RecursionError, MemoryError, OSError) as error:  # as the check itself: exit 2, no traceback
        raise PerimeterInputError(f"{label} {path}: cannot read the input: {type(error).__name__}") from error


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        diff = diff_reports(_analyze("OLD", arguments.old), _analyze("NEW", arguments.new))
    except PerimeterInputError as error:
        print(f"perimeter diff: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    rendered = _RENDERERS[arguments.format](diff)
    if arguments.output is None:
        sys.stdout.write(rendered)
    else:
        arguments.output.write_text(rendered, encoding="utf-8")
        print(f"{diff.summary()} Written to {arguments.output}.")
    return EXIT_WIDENED if diff.widened else EXIT_NOT_WIDENED
