"""Find the Python source line that created a construct, from its construct path.

CDK records a creation stack trace per construct (``aws:cdk:creationStack`` in the assembly's
metadata, ``stackTraces`` in ``validation-report.json``), but it is a JavaScript stack: in a
Python app, jsii runs the construct library in Node.js and the trace holds only jsii and Node
frames ("no user code in 10 frames"). So the kit reads the app's Python source instead: a call
whose second positional argument (or ``id=``) is a string literal is a construct creation
``Kind(scope, "Id", ...)``; a call whose first argument is one (``add_resource("notes")``, a
helper ``service("Notes", ...)``) may be one, for an id that no ``Kind(scope, "Id")`` creates. A construct path ``Stack/Orders/Function/Resource``
is located at the deepest of its ids that exactly one such call uses, the ``Kind(scope, "Id")``
form first. The app's own code wins over the kit's library (a reviewer wants the line of their
``TableFunction(stack, "Orders")``, not the kit's line inside it); a library line is used only
when no app line names any id of the path. Ids used by several calls (``Resource``, ``Default``)
or built at run time are skipped: it reports nothing rather than guess between two calls.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

#: Folders never scanned: environments, build output, dependencies, and tests (test code
#: creates constructs with the same ids as the app and deploys none of them).
SKIPPED_FOLDERS = frozenset(
    {".git", ".venv", "venv", "node_modules", "__pycache__", "site-packages", "tests", "test", "build", "dist"}
)


#: The kit's construct package, installed beside this one (found by path: the checks never import it).
#: Its construct creations are the library's, not the app's.
_KIT_PACKAGE = Path(__file__).resolve().parent.parent / "secure_serverless"


@dataclass(frozen=True)
class SourceLine:
    """Where a construct id is created: a file (relative to the base folder) and a 1-based line."""

    file: str
    line: int
    construct_id: str
    #: "scope-and-id" for ``Kind(scope, "Id")``, "first-argument" for ``helper("Id", ...)``.
    form: str = "scope-and-id"
    in_kit: bool = False


class ConstructSourceIndex:
    """Every string-literal construct id of the Python files under some folders."""

    def __init__(self, roots: Iterable[Path], *, base: Path) -> None:
        self._base = base.resolve()
        self._sites: dict[str, list[SourceLine]] = defaultdict(list)
        self._first_argument_sites: dict[str, list[SourceLine]] = defaultdict(list)
        for file in sorted({file for root in roots for file in _python_files(root)}):
            self._index(file)

    def _index(self, file: Path) -> None:
        calls = _calls_of(file)
        if not calls:
            return
        relative = relative_uri(file, self._base)
        in_kit = file.resolve().is_relative_to(_KIT_PACKAGE)
        for line, construct_id, first in calls:
            if construct_id is not None:
                self._sites[construct_id].append(SourceLine(relative, line, construct_id, in_kit=in_kit))
            if first is not None:
                self._first_argument_sites[first].append(SourceLine(relative, line, first, "first-argument", in_kit))

    def locate(self, construct_path: str) -> SourceLine | None:
        """The creation site of the deepest id of ``construct_path`` that one call alone uses (app code first)."""
        ids = list(reversed(construct_path.strip("/").split("/")))
        for construct_id in ids:
            created = self._sites.get(construct_id, [])
            # An id some Kind(scope, "Id") creates (even only in the kit) is never matched by the
            # looser first-argument form: those calls are something else (``template.get("Policy")``).
            candidates = created or self._first_argument_sites.get(construct_id, [])
            app_sites = [site for site in candidates if not site.in_kit]
            if len(app_sites) == 1:
                return app_sites[0]
        for construct_id in ids:
            sites = self._sites.get(construct_id, [])
            if len(sites) == 1:
                return sites[0]
        return None


#: (line, Kind(scope, "Id") id, helper("Id") id) of each call with a string-literal id, per file version
_Calls = tuple[tuple[int, str | None, str | None], ...]
_CALLS: dict[tuple[str, int, int], _Calls] = {}


def _calls_of(file: Path) -> _Calls:
    """The id-bearing calls of ``file``, parsed once per version of the file (path, mtime, size) per process."""
    try:
        stat = file.stat()
        key = (str(file.resolve()), stat.st_mtime_ns, stat.st_size)
        if key not in _CALLS:
            tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
            calls = (
                (node.lineno, _construct_id(node), _first_string_argument(node))
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
            )
            _CALLS[key] = tuple(call for call in calls if call[1] is not None or call[2] is not None)
    except (OSError, UnicodeDecodeError, SyntaxError):
        return ()  # not this tool's job to report unreadable sources: the location is just not found
    return _CALLS[key]


def _construct_id(node: ast.Call) -> str | None:
    if len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
        return node.args[1].value
    for keyword in node.keywords:
        if keyword.arg in {"id", "construct_id"} and isinstance(keyword.value, ast.Constant):
            return keyword.value.value if isinstance(keyword.value.value, str) else None
    return None


def _first_string_argument(node: ast.Call) -> str | None:
    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def _python_files(root: Path) -> Iterator[Path]:
    if root.is_file() and root.suffix == ".py":
        yield root
        return
    if not root.is_dir():
        return
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and entry.name not in SKIPPED_FOLDERS and not entry.name.startswith("cdk.out"):
            yield from _python_files(entry)
        elif entry.is_file() and entry.suffix == ".py":
            yield entry


def relative_uri(file: Path, base: Path) -> str:
    """``file`` as a URI reference: relative to ``base`` (a repository root) when inside it, else ``file://``."""
    resolved = file.resolve()
    try:
        return resolved.relative_to(base.resolve()).as_posix()
    except ValueError:
        return resolved.as_uri()
