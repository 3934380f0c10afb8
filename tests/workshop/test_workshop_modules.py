"""The module files: well-formed, applicable to today's code, and shown truthfully by the guide."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workshop.breaks import REPO_ROOT, WorkshopDataError, load_modules, parse_module
from workshop.tree import planned_contents

MODULES = load_modules()
ARTICLE_POINTS = ("authentication", "api-gateway", "least-privilege", "data", "misconfiguration", "monitoring")
#: The topics of a security workshop the article's points leave out (issue 24).
MORE_TOPICS = ("secrets", "supply-chain", "waf", "encryption", "quotas", "injection")


def test_the_articles_points_come_first_then_the_other_topics() -> None:
    assert [m.slug for m in MODULES] == [*ARTICLE_POINTS, *MORE_TOPICS]
    assert len(MODULES) >= 10


def test_the_facilitators_agenda_has_every_module_and_adds_up() -> None:
    guide = (REPO_ROOT / "docs" / "workshop" / "facilitator.md").read_text()
    rows = re.findall(r"^\| (\d\d):(\d\d) \| (\d+) \| (.*) \|$", guide, re.MULTILINE)
    starts = [int(h) * 60 + int(m) for h, m, _, _ in rows]
    minutes = [int(n) for _, _, n, _ in rows]
    assert starts == [sum(minutes[:i]) for i in range(len(rows))], "each row starts when the previous one ends"
    total = re.search(r"^Total: (\d+) minutes", guide, re.MULTILINE)
    assert total and int(total.group(1)) == sum(minutes)
    for module in MODULES:
        assert any(
            f"Module {module.number}:" in what and n == module.minutes
            for n, (_, _, _, what) in zip(minutes, rows, strict=True)
        ), f"agenda row of module {module.number} ({module.minutes} minutes)"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.slug)
def test_every_break_applies_to_the_current_code(module) -> None:  # type: ignore[no-untyped-def]
    contents = planned_contents(REPO_ROOT, module)
    assert contents and all(before != after for before, after in contents.values())


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.slug)
def test_the_guide_shows_each_check_and_the_output_it_expects(module) -> None:  # type: ignore[no-untyped-def]
    text = (REPO_ROOT / module.guide).read_text()
    for edit in module.edits:
        assert f"`{edit.file}`" in text, f"{module.guide} does not name {edit.file}"
    for check in module.checks:
        assert check.command in text, f"{module.guide} does not show the command {check.command!r}"
        assert check.broken.found_in(text), f"{module.guide} does not show the broken output {check.broken.describe()}"
    assert "make workshop-reset" in text and f"make workshop-break {module.number}" in text
    assert f"make workshop-run {module.number}" in text


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.slug)
def test_every_module_says_what_it_would_cost_and_how_it_is_caught(module) -> None:  # type: ignore[no-untyped-def]
    assert len(module.cost) > 80, "say what the break would cost in a real account"
    assert module.checks and all(check.where for check in module.checks)
    assert module.goal.endswith(".") and module.question.endswith("?")


def test_the_least_privilege_break_is_the_natural_cdk_grant() -> None:
    """The trap the issue found: CDK's grant_read_data on a kit function must be the break, and caught."""
    module = MODULES[2]
    assert "self.profiles.table.table.grant_read_data(self.notes.lambda_function)" in module.edits[0].replace
    assert module.checks[0].command == "make synth"


def test_a_malformed_module_file_names_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "07-broken.toml"
    path.write_text(
        'module = 7\nslug = "broken"\ntitle = ""\n[[edits]]\nfile = "x"\nfind = "a"\nreplace = "a"\n'
        '[[checks]]\nname = "c"\ncommand = "true"\nwhere = "w"\nbroken_output = "x"\nbroken_output_regex = "y"\n'
    )
    with pytest.raises(WorkshopDataError) as raised:
        parse_module(path)
    message = str(raised.value)
    for expected in (
        "`title` = ''",
        "`replace` must be a string that differs",
        "exactly one of `broken_output`",
        "exactly one of `clean_output`",
        "`minutes`",
        "`guide`",
        "`goal`",
        "`question`",
        "`hint`",
        "`answer`",
        "`cost`",
        "no [[solution]]",
        "`highlight`",
    ):
        assert expected in message


def test_a_file_named_unlike_its_module_is_refused(tmp_path: Path) -> None:
    source = (REPO_ROOT / MODULES[0].source).read_text()
    path = tmp_path / "09-other.toml"
    path.write_text(source)
    with pytest.raises(WorkshopDataError, match=r"must be named 01-authentication\.toml"):
        parse_module(path)
