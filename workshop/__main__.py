"""``python -m workshop list|break N|reset|status|check|diagrams``: see ``workshop/__init__.py``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .breaks import REPO_ROOT, WorkshopDataError, load_modules, module_by_number
from .check import DEFAULT_JOBS
from .tree import WorkshopTreeError, applied_module, apply_break, reset

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


def _list(args: argparse.Namespace) -> int:
    for module in load_modules():
        print(f"{module.number}. {module.title}  ({module.minutes} min, {module.guide})")
        print(f"   break: {module.summary}")
        for check in module.checks:
            print(f"   check ({check.where}): {check.command}")
    return EXIT_OK


def _break(args: argparse.Namespace) -> int:
    module = module_by_number(load_modules(), args.module)
    changes = apply_break(args.root, module)
    print(f"Module {module.number} break applied: {module.summary}\n")
    for change in changes:
        print(change.diff)
    print("Now run the checks of the module and watch them catch it:")
    for check in module.checks:
        print(f"  {check.command}")
    print(f"\nThe guide: {module.guide}. Undo the break with: make workshop-reset")
    return EXIT_OK


def _reset(args: argparse.Namespace) -> int:
    number, restored = reset(args.root, force=args.force)
    if number is None:
        print("No workshop break is applied: nothing to reset.")
    elif restored:
        print(f"Module {number} break undone: restored {', '.join(restored)} to the kit's version.")
    else:
        print(f"Module {number} break undone: the files were already the kit's version.")
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    number = applied_module(args.root)
    print("No workshop break is applied." if number is None else f"Module {number}'s break is applied.")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from .check import check_modules

    modules = load_modules()
    if args.modules:
        modules = [module_by_number(modules, n) for n in args.modules]
    transcripts = Path(args.transcripts) if args.transcripts else None
    held = check_modules(
        args.root, modules, out=lambda line: print(line, flush=True), transcripts=transcripts, jobs=args.jobs
    )
    return EXIT_OK if held else EXIT_FAILED


def _diagrams(args: argparse.Namespace) -> int:
    from .diagrams import write_diagrams

    written = write_diagrams(assembly=Path(args.assembly), images=Path(args.output), render=not args.dot_only)
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workshop", description=__doc__)
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="the kit's tree (default: this repository)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the modules, their breaks and checks")
    apply = commands.add_parser("break", help="apply module N's break to the working tree")
    apply.add_argument("module", help="the module number")
    undo = commands.add_parser("reset", help="undo the applied break")
    undo.add_argument("--force", action="store_true", help="restore the kit's version over edits made since")
    commands.add_parser("status", help="which break is applied, if any")
    check = commands.add_parser("check", help="apply every break in a scratch copy and prove its checks catch it")
    check.add_argument("modules", nargs="*", help="only these module numbers (default: all)")
    check.add_argument("--transcripts", help="write each check's full output into this directory")
    check.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help="tasks at once (default: WORKSHOP_JOBS or 2)")
    diagrams = commands.add_parser("diagrams", help="write the architecture and perimeter diagrams")
    diagrams.add_argument("assembly", help="a synthesized cloud assembly (cdk.out)")
    diagrams.add_argument("--output", default=str(REPO_ROOT / "docs" / "workshop" / "images"))
    diagrams.add_argument("--dot-only", action="store_true", help="write the DOT sources only (no Graphviz `dot`)")
    args = parser.parse_args(argv)
    handlers = {
        "list": _list,
        "break": _break,
        "reset": _reset,
        "status": _status,
        "check": _check,
        "diagrams": _diagrams,
    }
    try:
        return handlers[args.command](args)
    except (WorkshopDataError, WorkshopTreeError, RuntimeError, ValueError) as error:
        print(f"workshop: {error}", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
