"""Locating the Python line that created a construct (pure: small source trees written by the test)."""

from __future__ import annotations

from pathlib import Path

from secure_serverless_checks._source_locator import ConstructSourceIndex

ROOT = Path(__file__).resolve().parents[2]

APP = """\
from secure_serverless import TableFunction

def build(stack, helper):
    orders = TableFunction(stack, "Orders", handler="app.handler")
    helper("Payments", "payments")
    Bucket(stack, "Resource")
    Queue(stack, "Resource")
    return template.get("Policy")
"""


def index(tmp_path: Path, *extra_roots: Path) -> ConstructSourceIndex:
    (tmp_path / "app").mkdir(parents=True, exist_ok=True)
    (tmp_path / "app" / "stack.py").write_text(APP)
    (tmp_path / "tests").mkdir(exist_ok=True)
    (tmp_path / "tests" / "test_stack.py").write_text('TableFunction(stack, "Orders")\n')
    return ConstructSourceIndex([tmp_path, *extra_roots], base=tmp_path)


def test_the_deepest_id_one_call_creates_is_the_location(tmp_path: Path) -> None:
    site = index(tmp_path).locate("Stack/Orders/Function/Resource")

    assert site is not None
    assert (site.file, site.line, site.construct_id, site.form) == ("app/stack.py", 4, "Orders", "scope-and-id")


def test_an_id_several_calls_create_is_skipped(tmp_path: Path) -> None:
    assert index(tmp_path).locate("Stack/Resource") is None


def test_a_helper_s_first_argument_names_an_id_no_call_creates(tmp_path: Path) -> None:
    site = index(tmp_path).locate("Stack/Payments/Function/Resource")

    assert site is not None
    assert (site.line, site.form) == (5, "first-argument")


def test_the_app_line_wins_over_the_kit_line(tmp_path: Path) -> None:
    """The kit's TableFunction creates "Function" (one call); the app's line for "Orders" is reported."""
    site = index(tmp_path, ROOT / "constructs").locate("Stack/Orders/Function/Resource")

    assert site is not None and site.file == "app/stack.py"


def test_an_id_the_kit_creates_is_not_matched_by_an_unrelated_first_argument(tmp_path: Path) -> None:
    """``template.get("Policy")`` is not a creation: the kit creates "Policy" (twice), so nothing is reported."""
    assert index(tmp_path).locate("Stack/Unknown/Policy/Resource") is not None  # alone, the loose form matches
    assert index(tmp_path / "with-kit", ROOT / "constructs").locate("Stack/Unknown/Policy/Resource") is None


def test_a_changed_file_is_read_again_in_the_same_process(tmp_path: Path) -> None:
    # each file's calls are parsed once per version (path, mtime, size): an edit is never missed
    assert index(tmp_path).locate("Stack/Invoices") is None
    source = tmp_path / "app" / "stack.py"
    source.write_text(APP.replace('"Payments"', '"Invoices"') + "\n\n")

    site = ConstructSourceIndex([tmp_path], base=tmp_path).locate("Stack/Invoices")

    assert site is not None and (site.file, site.line, site.form) == ("app/stack.py", 5, "first-argument")
