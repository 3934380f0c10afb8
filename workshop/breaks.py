"""The modules' breaks, read from ``workshop/modules/*.toml`` (one file per module).

A module file holds everything the tool and CI need about one guided break, in one place:
the exact edits (find a unique text, replace it), the checks an attendee runs (the command as
typed at the repository root) and, per check, a stable substring or regular expression its
output must show when the kit is broken and when it is whole. When a message of the kit
changes, update that one file (``make workshop-check`` says which module and which check).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODULES_DIR = Path(__file__).resolve().parent / "modules"
REPO_ROOT = Path(__file__).resolve().parents[1]


class WorkshopDataError(ValueError):
    """A module file is malformed; the message names the file, the field, the value and the fix."""


@dataclass(frozen=True)
class Expectation:
    """What a check's output must contain: a plain substring, or a regular expression."""

    text: str
    is_regex: bool = False

    def found_in(self, output: str) -> bool:
        if self.is_regex:
            return re.search(self.text, output, re.MULTILINE) is not None
        return self.text in output

    def describe(self) -> str:
        return f"regex {self.text!r}" if self.is_regex else repr(self.text)


@dataclass(frozen=True)
class Edit:
    """Replace the one occurrence of ``find`` in ``file`` (relative to the repository root)."""

    file: str
    find: str
    replace: str


@dataclass(frozen=True)
class Check:
    """A command an attendee runs at the repository root, and what it shows either way."""

    name: str
    command: str
    broken: Expectation  # printed (with a non-zero exit) while the break is applied
    clean: Expectation  # printed (with exit 0) on the unbroken kit
    where: str  # what kind of check it is, for the guide's table: "synth", "perimeter", ...
    #: The command whose run on the unbroken kit proves ``clean`` (default: ``command``). Local-mode
    #: checks name ``make local``: one full run of every scenario proves them all at once.
    baseline: str = ""

    @property
    def baseline_command(self) -> str:
        return self.baseline or self.command


@dataclass(frozen=True)
class Module:
    number: int
    slug: str
    title: str
    article_point: str
    minutes: int
    guide: str
    summary: str
    edits: tuple[Edit, ...]
    checks: tuple[Check, ...]
    goal: str
    question: str
    hint: str
    answer: str
    cost: str
    #: Edits an attendee's fix makes on the broken tree (``make workshop-solution N`` shows them;
    #: ``make workshop-check`` applies them and proves the reset still restores the kit).
    solution: tuple[Edit, ...]
    #: Prefixes of the logical ids drawn red in the module's architecture picture.
    highlight: tuple[str, ...]
    lead_note: str = ""

    @property
    def source(self) -> str:
        return f"workshop/modules/{self.number:02d}-{self.slug}.toml"


def _expectation(raw: dict[str, Any], key: str, problems: list[str], where: str) -> Expectation:
    text, regex = raw.get(key), raw.get(f"{key}_regex")
    if (text is None) == (regex is None):
        problems.append(f"{where}: give exactly one of `{key}` (a substring) or `{key}_regex`")
        return Expectation("")
    if regex is not None:
        try:
            re.compile(regex)
        except re.error as error:
            problems.append(f"{where}: `{key}_regex` = {regex!r} is not a regular expression ({error})")
        return Expectation(regex, is_regex=True)
    if not isinstance(text, str) or not text.strip():
        problems.append(f"{where}: `{key}` = {text!r}; give a non-empty substring of the output")
    return Expectation(str(text))


def _required(raw: dict[str, Any], key: str, kind: type, problems: list[str], where: str) -> Any:
    value = raw.get(key)
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        problems.append(f"{where}: `{key}` = {value!r}; expected a non-empty {kind.__name__}")
    return value


def _edits(raw: dict[str, Any], key: str, problems: list[str], name: str) -> list[Edit]:
    edits = []
    for index, edit in enumerate(raw.get(key, [])):
        where = f"{name} {key}[{index}]"
        file = _required(edit, "file", str, problems, where)
        find = _required(edit, "find", str, problems, where)
        replace = edit.get("replace")
        if not isinstance(replace, str) or replace == find:
            problems.append(f"{where}: `replace` must be a string that differs from `find`")
        edits.append(Edit(file=str(file), find=str(find), replace=str(replace)))
    return edits


def parse_module(path: Path) -> Module:
    """Read and validate one module file; every problem is reported at once."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise WorkshopDataError(f"{path}: cannot read the module file: {error}") from error
    problems: list[str] = []
    number = _required(raw, "module", int, problems, path.name)
    slug = _required(raw, "slug", str, problems, path.name)
    if isinstance(number, int) and isinstance(slug, str) and path.name != f"{number:02d}-{slug}.toml":
        problems.append(f"{path.name}: the file must be named {number:02d}-{slug}.toml (module and slug)")
    edits = _edits(raw, "edits", problems, path.name)
    if not edits:
        problems.append(f"{path.name}: no [[edits]]; a break changes at least one file")
    solution = _edits(raw, "solution", problems, path.name)
    if not solution:
        problems.append(f"{path.name}: no [[solution]]; give the edit an attendee's fix makes on the broken tree")
    highlight = raw.get("highlight", [])
    if not isinstance(highlight, list) or not highlight or not all(isinstance(h, str) and h for h in highlight):
        problems.append(f"{path.name}: `highlight` = {highlight!r}; list the logical-id prefixes to draw red")
        highlight = []
    checks = []
    for index, check in enumerate(raw.get("checks", [])):
        where = f"{path.name} checks[{index}]"
        checks.append(
            Check(
                name=str(_required(check, "name", str, problems, where)),
                command=str(_required(check, "command", str, problems, where)),
                broken=_expectation(check, "broken_output", problems, where),
                clean=_expectation(check, "clean_output", problems, where),
                where=str(_required(check, "where", str, problems, where)),
                baseline=str(check.get("baseline", "")),
            )
        )
    if not checks:
        problems.append(f"{path.name}: no [[checks]]; name at least one check that catches the break")
    fields = {
        key: _required(raw, key, str, problems, path.name)
        for key in ("title", "article_point", "guide", "goal", "question", "hint", "answer", "cost")
    }
    summary = _required(raw, "summary", str, problems, path.name)
    minutes = _required(raw, "minutes", int, problems, path.name)
    if problems:
        raise WorkshopDataError("invalid workshop module file:\n" + "\n".join(f"  - {p}" for p in problems))
    return Module(
        number=number,
        slug=slug,
        title=fields["title"],
        article_point=fields["article_point"],
        minutes=minutes,
        guide=fields["guide"],
        summary=summary.strip(),
        edits=tuple(edits),
        checks=tuple(checks),
        goal=fields["goal"].strip(),
        question=fields["question"].strip(),
        hint=fields["hint"].strip(),
        answer=fields["answer"].strip(),
        cost=fields["cost"].strip(),
        solution=tuple(solution),
        highlight=tuple(highlight),
        lead_note=str(raw.get("lead_note", "")).strip(),
    )


def load_modules(directory: Path = MODULES_DIR) -> list[Module]:
    """Every module, by number; module numbers must run 1, 2, 3, ... without gaps."""
    modules = sorted((parse_module(path) for path in directory.glob("*.toml")), key=lambda m: m.number)
    numbers = [m.number for m in modules]
    if numbers != list(range(1, len(modules) + 1)):
        raise WorkshopDataError(f"{directory}: module numbers are {numbers}; number them 1..{len(modules)}")
    return modules


def module_by_number(modules: list[Module], number: int | str) -> Module:
    try:
        wanted = int(number)
    except ValueError:
        wanted = -1
    for module in modules:
        if module.number == wanted:
            return module
    known = ", ".join(f"{m.number} ({m.slug})" for m in modules)
    raise WorkshopDataError(f"no workshop module {number!r}; known modules: {known}")
