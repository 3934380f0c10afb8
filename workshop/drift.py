"""No drift: every number, command and output excerpt the workshop's docs quote is checked against a run.

The docs mark what they quote, so a check can find it and compare it with what a real run prints:

- a fact, inline: ``<!-- fact: local-scenarios -->27/27<!-- /fact -->``. ``workshop/facts.toml``
  names the command that produces each fact and a regular expression whose first group is the
  value; the marked text must equal the value a run of that command printed (or lie within the
  fact's ``tolerance``, for sizes that vary by platform).
- an output excerpt: ``<!-- output: make local -->`` (the unbroken kit) or
  ``<!-- output: module 3: make synth -->`` (module 3's break applied) on the line before a fenced
  code block. Every line of the block must appear, in order, in the run's output; ``...`` on a line
  of its own skips output lines, and ``...`` inside a line matches anything. Volatile parts (ids,
  timings, the scratch copy's path) are masked on both sides.
- commands: every ``make <target>`` the pages name must be a target of the Makefile, and every
  ``--only a,b`` must name local-mode scenarios that exist.

``make workshop-check`` runs the commands (sharing the runs its module checks make anyway) and
fails on the first page that no longer matches, naming the file, the line, what it says and what
the run printed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .breaks import MODULES_DIR, Module, WorkshopDataError

FACTS_FILE = MODULES_DIR.parent / "facts.toml"
#: The pages whose quotes are checked, relative to the repository root.
PAGES = ("README.md", "docs/workshop/*.md")

_FACT = re.compile(r"<!-- fact: *([a-z0-9-]+) *-->(.*?)<!-- /fact -->")
_OUTPUT = re.compile(r"<!-- output: *(?:module (\d+): *)?(.+?) *-->")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_MAKE = re.compile(r"(?:^|[;&|(]\s*)make ([a-z][a-z0-9-]*)")
_ONLY = re.compile(r"--only ([a-z0-9,-]+)")
_VOLATILE = (
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"),
    (re.compile(r"[^\s(]*/workshop-check-[^/\s]+"), "<checkout>"),  # the scratch copy's path
    (re.compile(r"\b\d+(?:\.\d+)? ?(?:s|seconds)\b"), "<n> s"),
    (re.compile(r"\b[0-9A-Z]{12,}\b"), "<id>"),
)


@dataclass(frozen=True)
class Fact:
    name: str
    command: str
    regex: str
    tolerance: float = 0.0  # relative, for numbers that differ by platform (sizes)

    def value_in(self, output: str) -> str | None:
        found = re.search(self.regex, output, re.MULTILINE)
        return found.group(1) if found else None

    def matches(self, quoted: str, actual: str) -> bool:
        if self.tolerance and _number(quoted) is not None and _number(actual) is not None:
            q, a = _number(quoted), _number(actual)
            assert q is not None and a is not None
            return abs(q - a) <= self.tolerance * max(abs(a), 1.0)
        return quoted.strip() == actual.strip()


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").strip())
    except ValueError:
        return None


def load_facts(path: Path = FACTS_FILE) -> dict[str, Fact]:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    facts: dict[str, Fact] = {}
    problems = []
    for index, entry in enumerate(raw.get("fact", [])):
        try:
            fact = Fact(
                str(entry["name"]), str(entry["command"]), str(entry["regex"]), float(entry.get("tolerance", 0))
            )
            re.compile(fact.regex)
        except (KeyError, re.error, ValueError) as error:
            problems.append(f"{path.name} fact[{index}]: {error}; give name, command and regex (one group)")
            continue
        facts[fact.name] = fact
    if problems:
        raise WorkshopDataError("invalid facts file:\n" + "\n".join(f"  - {p}" for p in problems))
    return facts


@dataclass(frozen=True)
class Quote:
    """Something a page quotes: a fact's value, or an output excerpt of a command."""

    page: str
    line: int
    command: str
    module: int | None  # None: the unbroken kit
    fact: str = ""  # a fact's name, or "" for an excerpt
    text: str = ""  # the fact's quoted value, or the excerpt's lines

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages(root: Path) -> list[Path]:
    found: list[Path] = []
    for pattern in PAGES:
        found.extend(sorted(root.glob(pattern)))
    return found


def read_quotes(root: Path, facts: dict[str, Fact]) -> tuple[list[Quote], list[str]]:
    """Every marked quote of the pages, and the problems of the markers themselves."""
    quotes: list[Quote] = []
    problems: list[str] = []
    for page in pages(root):
        relative = str(page.relative_to(root))
        lines = page.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            for match in _FACT.finditer(line):
                fact = facts.get(match.group(1))
                if fact is None:
                    problems.append(
                        f"{relative}:{number}: unknown fact {match.group(1)!r}; add it to {FACTS_FILE.name}"
                    )
                    continue
                quotes.append(Quote(relative, number, fact.command, None, fact.name, match.group(2)))
            marker = _OUTPUT.fullmatch(line.strip())
            if marker is None:
                continue
            block = _fenced_block(lines, number)
            if block is None:
                problems.append(f"{relative}:{number}: an output marker must be followed by a fenced code block")
                continue
            module = int(marker.group(1)) if marker.group(1) else None
            quotes.append(Quote(relative, number, marker.group(2).strip(), module, text="\n".join(block)))
    return quotes, problems


def _fenced_block(lines: list[str], marker_line: int) -> list[str] | None:
    index = marker_line  # the line after the marker (lines are 0-based, marker_line 1-based)
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines) or not lines[index].startswith("```"):
        return None
    end = index + 1
    while end < len(lines) and not lines[end].startswith("```"):
        end += 1
    return lines[index + 1 : end]


def mask(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def excerpt_problem(excerpt: str, output: str) -> str | None:
    """None when every line of ``excerpt`` appears in ``output`` in order; else the first line that does not."""
    lines = [mask(line.rstrip()) for line in output.splitlines()]
    position = 0
    for wanted in excerpt.splitlines():
        if not wanted.strip() or wanted.strip() == "...":
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in mask(wanted.rstrip()).split("...")))
        for index in range(position, len(lines)):
            if pattern.search(lines[index]):
                position = index + 1
                break
        else:
            return wanted.strip()
    return None


def compare(quote: Quote, output: str | None, facts: dict[str, Fact]) -> str | None:
    """What is wrong with ``quote`` given the run's ``output``; None when it holds."""
    run = f"`{quote.command}`" + (f" with module {quote.module}'s break" if quote.module else "")
    if output is None:
        return f"{quote.where}: quotes {run}, which no check runs; quote a command the checks run"
    if quote.fact:
        fact = facts[quote.fact]
        actual = fact.value_in(output)
        if actual is None:
            return f"{quote.where}: fact {fact.name}: {run} no longer prints {fact.regex!r}"
        if not fact.matches(quote.text, actual):
            return f"{quote.where}: says {quote.text!r} for {fact.name}; a run of {run} gives {actual!r}"
        return None
    missing = excerpt_problem(quote.text, output)
    if missing is not None:
        return f"{quote.where}: the excerpt of {run} shows {missing!r}, which the run no longer prints (in order)"
    return None


def makefile_targets(root: Path) -> set[str]:
    text = (root / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z0-9-]*):", text, re.MULTILINE))


def command_problems(root: Path, scenario_keys: set[str]) -> list[str]:
    """Every ``make <target>`` that is not a target, every ``--only`` key that is not a scenario."""
    targets = makefile_targets(root)
    problems = []
    for page in pages(root):
        relative = str(page.relative_to(root))
        text = page.read_text(encoding="utf-8")
        in_block = False
        for number, line in enumerate(text.splitlines(), start=1):
            if line.startswith("```"):
                in_block = not in_block
                continue
            spans = [line.strip()] if in_block else _CODE_SPAN.findall(line)
            names = [name for span in spans for name in _MAKE.findall(span.strip())]
            for name in names:
                if name not in targets:
                    problems.append(f"{relative}:{number}: `make {name}` is not a target of the Makefile")
            for keys in _ONLY.findall(line):
                for key in keys.split(","):
                    if key and key not in scenario_keys:
                        problems.append(f"{relative}:{number}: --only {key}: no local-mode scenario has that key")
    return problems


def module_page_problems(root: Path, modules: list[Module]) -> list[str]:
    """Each module page opens with its goal and question, hides the answer, and the index agrees on minutes.

    The goal and the question come first (before the first ``##`` heading) exactly as the module
    file states them (``make workshop-break N`` prints them too); the answer is not on the page
    (it sits behind ``make workshop-solution N``); the page names the hint and solution commands
    and shows the module's picture; docs/workshop/README.md's table gives each module's minutes.
    """
    problems = []
    index = (root / "docs" / "workshop" / "README.md").read_text(encoding="utf-8")
    for module in modules:
        page = root / module.guide
        if not page.is_file():
            problems.append(f"{module.source}: its page {module.guide} does not exist")
            continue
        text = page.read_text(encoding="utf-8")
        opening = text.split("\n## ", 1)[0]
        for label, value in (("Goal", module.goal), ("Question", module.question)):
            if f"**{label}.** {value}" not in opening.replace("\n", " "):
                problems.append(
                    f"{module.guide}: the opening must state **{label}.** as {module.source} does: {value!r}"
                )
        if f"**In a real account.** {module.cost}" not in text.replace("\n", " "):
            problems.append(f"{module.guide}: state **In a real account.** as {module.source}'s `cost` does")
        for command in (f"make workshop-hint {module.number}", f"make workshop-solution {module.number}"):
            if command not in text:
                problems.append(f"{module.guide}: name `{command}` (the answer sits behind it)")
        if module.answer[:60] in text.replace("\n", " "):
            problems.append(f"{module.guide}: the page gives away the answer; leave it to make workshop-solution")
        picture = f"images/module-{module.number:02d}-{module.slug}.svg"
        if picture not in text:
            problems.append(f"{module.guide}: show the module's picture ({picture})")
        row = re.search(rf"^\| {module.number} \|.*\| (\d+) \|$", index, re.MULTILINE)
        if row is None or int(row.group(1)) != module.minutes:
            problems.append(
                f"docs/workshop/README.md: the row of module {module.number} must end with its minutes, {module.minutes}"
            )
    return problems
