"""Build the construct reference from the docstrings with pdoc: ``python tools/reference_docs.py OUT``.

The modules documented are those that define the public names of ``secure_serverless.__all__``
(the one list of public names; some live in the checks package ``secure_serverless_checks``), plus the
perimeter package.
"""

from __future__ import annotations

import os
import subprocess
import sys


def public_modules() -> list[str]:
    import secure_serverless

    # A relative entry (".secure_table") is a module of the constructs; an absolute one
    # ("secure_serverless_checks.access_levels") a module of the checks package the names come from.
    modules = {
        f"secure_serverless{module}" if module.startswith(".") else module
        for module in secure_serverless._EXPORTS.values()
    }
    return sorted(modules | {"secure_serverless_checks.perimeter"})


def main(out: str) -> int:
    env = {**os.environ, "PDOC_ALLOW_EXEC": "1"}  # importing aws_cdk starts jsii's Node.js process
    command = [sys.executable, "-m", "pdoc", *public_modules(), "-o", out, "-d", "restructuredtext"]
    return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "build/reference"))
