"""Show that a change to the perimeter analyzer changes no report: record its inputs, compare its outputs.

How issue 21's speed work was checked (docs/perimeter.md). Three steps:

1. Record every input the tests hand the analyzer (deep copies, pickled, one file per distinct input):

       PERIMETER_CORPUS=/tmp/corpus PYTHONPATH="$PYTHONPATH:tools" \\
           python -m pytest -p no:cacheprovider -p perimeter_equivalence tests/perimeter tests/layers

2. Hash every report of the corpus with the code before the change and with the code after it
   (``PYTHONPATH`` names the sources; fix ``PYTHONHASHSEED``: two actions differing only in case
   are listed in an order that depends on it):

       PYTHONHASHSEED=0 PYTHONPATH=<old sources> python tools/perimeter_equivalence.py hash /tmp/corpus before.json
       PYTHONHASHSEED=0 PYTHONPATH=<new sources> python tools/perimeter_equivalence.py hash /tmp/corpus after.json

3. ``python tools/perimeter_equivalence.py compare before.json after.json`` exits 1 naming each input
   whose report (``repr``, JSON, text, Markdown, or the input error) differs.

Each input is analyzed twice: as recorded, and as ``load_path`` gives it (a JSON round trip into
``LoadedTemplates``), when it is JSON.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import pickle
import sys
from pathlib import Path
from typing import Any


def _install_recorder() -> None:
    """As a pytest plugin (``-p perimeter_equivalence``): every ``analyze`` call records its input first."""
    import secure_serverless_checks.perimeter as package
    import secure_serverless_checks.perimeter.analyzer as analyzer_module
    import secure_serverless_checks.perimeter.cli
    import secure_serverless_checks.perimeter.diff_cli  # noqa: F401 (they import ``analyze`` by name)

    original = analyzer_module.analyze
    folder = Path(os.environ.get("PERIMETER_CORPUS", "perimeter-corpus"))
    folder.mkdir(parents=True, exist_ok=True)

    def analyze(templates: Any) -> Any:
        try:
            data = pickle.dumps(copy.deepcopy(templates), protocol=5)
        except Exception as error:  # an input that cannot be copied: say so, never break the test
            print(f"[perimeter_equivalence] not recorded: {error!r}", file=sys.stderr)
        else:
            path = folder / f"{hashlib.sha256(data).hexdigest()[:20]}.pickle"
            if not path.exists():
                partial = path.with_suffix(f".{os.getpid()}")
                partial.write_bytes(data)
                partial.replace(path)
        return original(templates)

    for module in [package, *sys.modules.values()]:
        if getattr(module, "analyze", None) is original:
            module.analyze = analyze  # type: ignore[attr-defined]


def _outcome(templates: Any) -> str:
    from secure_serverless_checks.perimeter import PerimeterInputError, analyze

    try:
        report = analyze(templates)
    except PerimeterInputError as error:
        return f"{type(error).__name__}: {error}"
    except Exception as error:  # a crash is an outcome to compare too
        return f"UNEXPECTED {type(error).__name__}: {error}"
    return "\n".join([repr(report), report.to_json(), report.to_text(), report.to_markdown(), report.summary()])


def hash_reports(corpus: Path) -> dict[str, str]:
    from secure_serverless_checks.perimeter.loader import LoadedTemplates

    hashes: dict[str, str] = {}
    for path in sorted(corpus.glob("*.pickle")):
        original = pickle.loads(path.read_bytes())  # noqa: S301 (a corpus this tool wrote)
        variants: list[tuple[str, Any]] = [("", original)]
        try:
            loaded = LoadedTemplates()
            loaded.update(json.loads(json.dumps(dict(original))))
            loaded.environments.update(getattr(original, "environments", {}))
            variants.append(("+loaded", loaded))
        except (TypeError, ValueError, RecursionError):
            pass  # not JSON: no template file holds it
        for suffix, templates in variants:
            hashes[path.name + suffix] = hashlib.sha256(_outcome(templates).encode()).hexdigest()
    return hashes


def main(arguments: list[str]) -> int:
    if len(arguments) == 3 and arguments[0] == "hash":
        hashes = hash_reports(Path(arguments[1]))
        Path(arguments[2]).write_text(json.dumps(hashes, indent=0, sort_keys=True))
        print(f"{len(hashes)} analyses hashed")
        return 0
    if len(arguments) == 3 and arguments[0] == "compare":
        before, after = (json.loads(Path(name).read_text()) for name in arguments[1:])
        differ = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
        for name in differ:
            print(f"DIFFERS {name}")
        print(f"{len(before)} analyses, {len(differ)} differ")
        return 1 if differ else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
elif "pytest" in sys.modules:
    _install_recorder()
