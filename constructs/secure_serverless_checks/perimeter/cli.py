"""``python -m secure_serverless_checks.perimeter``: analyze templates and exit 0 / 1 / 2.

Exit status is the contract for CI and workshops: 0 every function stays within its declared
perimeter, 1 at least one violation, 2 the input could not be analyzed (one line on stderr,
never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .._docs import doc_path
from . import diff_cli
from .analyzer import analyze
from .errors import PerimeterInputError
from .loader import load_path
from .report import Report

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2

_RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": Report.to_text,
    "json": lambda report: report.to_json() + "\n",
    "markdown": Report.to_markdown,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m secure_serverless_checks.perimeter",
        description=(
            "Check that every Lambda function's role reaches only the resources and actions its "
            "SecureServerless::Perimeter metadata declares."
        ),
        epilog=(
            "exit status: 0 every function within its perimeter, 1 violations found, "
            "2 input cannot be analyzed. Rules, formats and limits: " + doc_path("perimeter.md")
        ),
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a cloud assembly directory (cdk.out) or CloudFormation JSON template files",
    )
    parser.add_argument(
        "--format",
        choices=sorted(_RENDERERS),
        default="text",
        help="output format (default: text)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["diff"]:  # a subcommand; a path named "diff" is given as ./diff
        return diff_cli.main(argv[1:])
    arguments = build_parser().parse_args(argv)
    try:
        report = analyze(load_path(arguments.paths))
    except PerimeterInputError as error:
        print(f"perimeter: error: {_one_line(str(error))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (RecursionError, MemoryError, OSError) as error:
        print(f"perimeter: error: cannot read the input: {type(error).__name__}", file=sys.stderr)
        return EXIT_BAD_INPUT
    sys.stdout.write(_RENDERERS[arguments.format](report))
    return EXIT_OK if report.ok else EXIT_VIOLATIONS


def _one_line(text: str) -> str:
    """Messages may quote template values: keep the contract of one line on stderr."""
    return " ".join(text.split())
