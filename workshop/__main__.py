"""``python -m workshop list|break N|run N|hint N|solution N|reset|status|check|doctor|diagrams``: see ``workshop/__init__.py``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .breaks import REPO_ROOT, WorkshopDataError, load_modules, module_by_number
from .check import DEFAULT_JOBS
from .output import errors_first
from .tree import WorkshopTreeError, applied_module, apply_break, reset, solution_diff

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


def _list(args: argparse.Namespace) -> int:
    modules = load_modules()
    for module in modules:
        print(f"{module.number}. {module.title}  ({module.minutes} min, {module.guide})")
        print(f"   goal: {module.goal}")
        for check in module.checks:
            print(f"   check ({check.where}): {check.command}")
    print(f"{len(modules)} modules, {sum(m.minutes for m in modules)} minutes")
    return EXIT_OK


def _break(args: argparse.Namespace) -> int:
    module = module_by_number(load_modules(), args.module)
    changes = apply_break(args.root, module)
    print(f"Module {module.number} break applied: {module.summary}\n")
    for change in changes:
        print(change.diff)
    print(f"Goal: {module.goal}\nQuestion: {module.question}\n")
    print(f"Run the module's checks and read what catches the break: make workshop-run {module.number}")
    for check in module.checks:
        print(f"  ({check.where}) {check.command}")
    print(f"\nStuck? make workshop-hint {module.number}. The answer: make workshop-solution {module.number}.")
    print(f"The page: {module.guide}. Undo the break (after your fix too): make workshop-reset")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from .check import run_check

    module = module_by_number(load_modules(), args.module)
    broken = applied_module(args.root) == module.number
    print(f"Module {module.number}: {'the break is applied' if broken else 'the break is not applied'}.\n")
    caught = 0
    for check in module.checks:
        print(f"$ {check.command}   ({check.where})")
        run = run_check(args.root, check)
        expectation = check.broken if broken else check.clean
        print(errors_first(run.output, expectation))
        verdict = "FAILS: it catches the break" if run.exit_code else "passes"
        print(f"=> exit {run.exit_code} after {run.seconds:.0f} s: {verdict}\n")
        caught += run.exit_code != 0
    print(f"{caught}/{len(module.checks)} check(s) failed.", end=" ")
    if broken and caught:
        print(f"Think about the question; stuck: make workshop-hint {module.number}")
    elif broken:
        print("Every check passes with the break applied: your fix holds. Then: make workshop-reset")
    else:
        print(f"No break applied here: make workshop-break {module.number}")
    return EXIT_OK


def _hint(args: argparse.Namespace) -> int:
    module = module_by_number(load_modules(), args.module)
    print(f"Module {module.number} hint: {module.hint}")
    print(f"\nThe question was: {module.question}\nThe answer: make workshop-solution {module.number}")
    return EXIT_OK


def _solution(args: argparse.Namespace) -> int:
    module = module_by_number(load_modules(), args.module)
    print(f"Module {module.number} answer: {module.answer}\n")
    print(f"In a real account: {module.cost}\n")
    print("The fix, on the broken tree (make it by hand, then run the checks again):")
    print(solution_diff(module))
    print("Then: make workshop-reset (your edits are saved as a patch under .workshop/saved/)")
    return EXIT_OK


def _reset(args: argparse.Namespace) -> int:
    result = reset(args.root)
    if result.module is None:
        print("No workshop break is applied: nothing to reset.")
        return EXIT_OK
    if result.saved is not None:
        print(
            f"Your edits since the break are saved in {result.saved.relative_to(args.root)} (git apply it to redo them)."
        )
    if result.restored:
        print(f"Module {result.module} break undone: restored {', '.join(result.restored)} to the kit's version.")
    else:
        print(f"Module {result.module} break undone: the files were already the kit's version.")
    return EXIT_OK


def _doctor(args: argparse.Namespace) -> int:
    from .doctor import main as doctor

    return doctor(args.root)


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
        args.root,
        modules,
        out=lambda line: print(line, flush=True),
        transcripts=transcripts,
        jobs=args.jobs,
        docs=not args.modules and not args.no_docs,
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
    run = commands.add_parser("run", help="run module N's checks here, the kit's message first")
    run.add_argument("module", help="the module number")
    hint = commands.add_parser("hint", help="a hint for module N")
    hint.add_argument("module", help="the module number")
    solution = commands.add_parser("solution", help="module N's answer, its cost in a real account, and the fix")
    solution.add_argument("module", help="the module number")
    undo = commands.add_parser("reset", help="undo the applied break (edits since are saved as a patch)")
    undo.add_argument("--force", action="store_true", help="accepted for compatibility; the reset always restores")
    commands.add_parser("doctor", help="is this machine ready? Python, npm, Node.js, disk, ports")
    commands.add_parser("status", help="which break is applied, if any")
    check = commands.add_parser("check", help="apply every break in a scratch copy and prove its checks catch it")
    check.add_argument("modules", nargs="*", help="only these module numbers (default: all)")
    check.add_argument("--transcripts", help="write each check's full output into this directory")
    check.add_argument("--no-docs", action="store_true", help="skip the drift check of the docs")
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
        "run": _run,
        "hint": _hint,
        "solution": _solution,
        "doctor": _doctor,
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
