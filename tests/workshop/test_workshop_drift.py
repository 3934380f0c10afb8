"""No drift: the marked facts and excerpts of the pages are compared with real output, and fail when stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop import drift
from workshop.breaks import REPO_ROOT, load_modules
from workshop.drift import Fact, Quote, compare, excerpt_problem, read_quotes

FACTS = {
    "scenarios": Fact("scenarios", "make local", r"(\d+/\d+) scenarios behaved as expected"),
    "size": Fact("size", "du -sm .venv/", r"^(\d+)", tolerance=0.1),
}
RUN = """[26/27] Attack: replay a stale update
  received: 409 {"message": "conflict", "correlationId": "c99f45d8-3157-4eb2-925b-cf80d986b5e0"}
  => behaved as expected

27/27 scenarios behaved as expected
[local] done in 39.0 s
"""


def _page(tmp_path: Path, text: str) -> Path:
    (tmp_path / "docs" / "workshop").mkdir(parents=True, exist_ok=True)
    (tmp_path / "docs" / "workshop" / "page.md").write_text(text)
    (tmp_path / "README.md").write_text("# kit\n")
    return tmp_path


def test_a_fact_that_a_new_run_changed_is_reported_with_both_values(tmp_path: Path) -> None:
    root = _page(tmp_path, "It must end with <!-- fact: scenarios -->18/18<!-- /fact --> scenarios.\n")
    (quote,), problems = read_quotes(root, FACTS)
    assert problems == [] and quote.fact == "scenarios" and quote.command == "make local" and quote.line == 1
    problem = compare(quote, RUN, FACTS)
    assert problem == "docs/workshop/page.md:1: says '18/18' for scenarios; a run of `make local` gives '27/27'"
    assert compare(quote, RUN.replace("27/27", "18/18"), FACTS) is None


def test_a_size_within_its_tolerance_holds_and_one_outside_does_not() -> None:
    quote = Quote("p.md", 1, "du -sm .venv/", None, "size", "863")
    assert compare(quote, "1040\t.venv/\n", FACTS) is not None
    assert compare(quote, "930\t.venv/\n", FACTS) is None


def test_an_excerpt_holds_when_its_lines_appear_in_order_with_ids_and_timings_masked(tmp_path: Path) -> None:
    excerpt = """[26/27] Attack: replay a stale update
  received: 409 {"message": "conflict", "correlationId": "00000000-1111-2222-3333-444444444444"}
...
[local] done in 12.5 s
"""
    assert excerpt_problem(excerpt, RUN) is None
    assert excerpt_problem("  => behaved as expected\n[26/27] Attack: replay a stale update\n", RUN) == (
        "[26/27] Attack: replay a stale update"
    )
    assert excerpt_problem("  received: 409 ...conflict...\n", RUN) is None
    assert excerpt_problem("  received: 200 ...\n", RUN) == "received: 200 ..."


def test_an_output_marker_reads_the_fenced_block_and_its_module(tmp_path: Path) -> None:
    root = _page(tmp_path, "text\n<!-- output: module 3: make synth -->\n\n```\nline one\nline two\n```\n")
    (quote,), problems = read_quotes(root, FACTS)
    assert problems == []
    assert (quote.module, quote.command, quote.text) == (3, "make synth", "line one\nline two")
    assert compare(quote, None, FACTS) is not None and "which no check runs" in str(compare(quote, None, FACTS))


def test_markers_that_cannot_be_checked_are_problems(tmp_path: Path) -> None:
    root = _page(tmp_path, "<!-- fact: nonesuch -->1<!-- /fact -->\n<!-- output: make local -->\nno block\n")
    quotes, problems = read_quotes(root, FACTS)
    assert quotes == []
    assert any("unknown fact 'nonesuch'" in p for p in problems)
    assert any("must be followed by a fenced code block" in p for p in problems)


def test_unknown_make_targets_and_scenarios_are_reported(tmp_path: Path) -> None:
    root = _page(
        tmp_path, "Run `make local` then `make lcoal`.\n```bash\nmake nonesuch\n```\n`--only no-token,no-such`\n"
    )
    (root / "Makefile").write_text("local: setup\n\t@true\n")
    problems = drift.command_problems(root, {"no-token"})
    assert problems == [
        "docs/workshop/page.md:1: `make lcoal` is not a target of the Makefile",
        "docs/workshop/page.md:3: `make nonesuch` is not a target of the Makefile",
        "docs/workshop/page.md:5: --only no-such: no local-mode scenario has that key",
    ]


def test_the_real_pages_mark_facts_and_excerpts_that_a_check_run_produces() -> None:
    facts = drift.load_facts()
    quotes, problems = read_quotes(REPO_ROOT, facts)
    assert problems == []
    assert {q.fact for q in quotes if q.fact} >= {"local-scenarios", "venv-mb", "workshop-modules"}
    readme = [q for q in quotes if q.page == "README.md" and q.fact == "local-scenarios"]
    assert readme, "README.md's local-mode count is marked"
    modules = load_modules()
    commands = {(m.number, c.command) for m in modules for c in m.checks}
    for quote in quotes:
        if quote.module is not None:
            assert (quote.module, quote.command) in commands, quote.where
    assert {q.module for q in quotes if q.module} == {m.number for m in modules}, "every module page quotes its run"


def test_the_module_pages_open_with_goal_and_question_and_hide_the_answer() -> None:
    assert drift.module_page_problems(REPO_ROOT, load_modules()) == []


def test_a_page_that_gives_the_answer_away_is_reported(tmp_path: Path) -> None:
    module = load_modules()[0]
    (tmp_path / "docs" / "workshop").mkdir(parents=True)
    (tmp_path / "docs" / "workshop" / "README.md").write_text(f"| 1 | x | {module.minutes} |\n")
    (tmp_path / module.guide).write_text(f"# M\n\n**Goal.** {module.goal}\n\n## Answer\n\n{module.answer}\n")
    problems = drift.module_page_problems(tmp_path, [module])
    assert any("**Question.**" in p for p in problems)
    assert any("gives away the answer" in p for p in problems)
    assert any("make workshop-hint 1" in p for p in problems)


@pytest.mark.parametrize("page", drift.pages(REPO_ROOT), ids=lambda p: p.name)
def test_no_page_quotes_a_scenario_count_without_its_marker(page: Path) -> None:
    import re

    text = re.sub(r"<!-- fact: [a-z-]+ -->.*?<!-- /fact -->", "", page.read_text())
    text = re.sub(r"<!-- output: [^>]*-->\s*```.*?```", "", text, flags=re.DOTALL)  # checked excerpts
    assert re.findall(r"\b\d+/\d+ scenarios\b", text) == [], f"{page.name}: mark the count as a fact"


def test_the_real_pages_name_only_existing_targets_and_scenarios() -> None:
    from workshop.check import _scenario_keys

    assert drift.command_problems(REPO_ROOT, _scenario_keys()) == []
