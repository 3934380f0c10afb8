"""Build the construct reference from the docstrings with pdoc: ``python tools/reference_docs.py OUT``.

The modules documented are those that define the public names of ``secure_serverless.__all__``
(the one list of public names; some live in the checks package ``secure_serverless_checks``), plus the
perimeter package.

pdoc lists a class's inherited members only when they come from a documented module (pdoc's
default template hides the others, https://github.com/mitmproxy/pdoc/issues/715), but it still
builds every inherited member before hiding it: for a kit construct whose base is an aws-cdk-lib
class, that means parsing aws-cdk-lib's generated modules (tens of thousands of lines, once per
base class) and running their ``TYPE_CHECKING`` imports to evaluate each inherited property's
type: about 31 of the 40 CPU s a build took. So pdoc here walks only the class itself and the
bases of the kit's own packages and of the standard library (``enum.Enum`` and the like, which
pdoc's own special cases read): 9 CPU s. The pages are the same byte for byte (with one
``PYTHONHASHSEED``; compare with ``--every-base``, pdoc's default walk) but for two links that
pointed at entries pdoc never writes (``#SecureBucket.grant_read``, ``#SecureTopic.add_subscription``:
aws-cdk-lib members named in a docstring), which are now plain code text.
"""

from __future__ import annotations

import os
import sys
from functools import cached_property
from typing import Any


def public_modules() -> list[str]:
    import secure_serverless

    # A relative entry (".secure_table") is a module of the constructs; an absolute one
    # ("secure_serverless_checks.access_levels") a module of the checks package the names come from.
    modules = {
        f"secure_serverless{module}" if module.startswith(".") else module
        for module in secure_serverless._EXPORTS.values()
    }
    return sorted(modules | {"secure_serverless_checks.perimeter"})


def shown_bases_only(documented: list[str]) -> None:
    """Make pdoc walk only the base classes whose members its pages can show (see the module docstring)."""
    from pdoc import doc

    everything = doc.Class._bases.func  # type: ignore[attr-defined]

    kit = {module.partition(".")[0] for module in documented}

    def walked(base: type) -> bool:
        package = (getattr(base, "__module__", "") or "").partition(".")[0]
        return package in kit or package in sys.stdlib_module_names or package == "builtins"

    def _bases(self: doc.Class) -> tuple[type, ...]:
        return tuple(base for base in everything(self) if base is self.obj or walked(base))

    prop: Any = cached_property(_bases)
    prop.__set_name__(doc.Class, "_bases")
    doc.Class._bases = prop  # type: ignore[method-assign]


def main(out: str, *, every_base: bool = False) -> int:
    """Write the reference into ``out``; ``every_base`` builds it the slow way pdoc does by default."""
    os.environ["PDOC_ALLOW_EXEC"] = "1"  # importing aws_cdk starts jsii's Node.js process
    from pdoc.__main__ import cli

    modules = public_modules()
    if not every_base:
        shown_bases_only(modules)
    try:
        cli([*modules, "-o", out, "-d", "restructuredtext"])
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


if __name__ == "__main__":
    arguments = [argument for argument in sys.argv[1:] if argument != "--every-base"]
    raise SystemExit(main(arguments[0] if arguments else "build/reference", every_base="--every-base" in sys.argv))
