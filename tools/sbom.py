"""A CycloneDX 1.5 bill of materials of the kit, offline, from its pins and lock files.

``python tools/sbom.py [OUT]`` (default: print to stdout) lists every Python requirement pinned in
requirements*.txt (name, exact version, package URL), every npm package of package-lock.json and
tools/node24/package-lock.json with the SHA-512 hash the lock file records, and the AWS-managed
Powertools layer the functions deploy. No network: a vulnerability scan of the result (pip-audit,
npm audit, or any scanner that reads CycloneDX) needs one.

``pins_problems`` and ``lock_problems`` are the supply-chain checks tests/supply_chain runs: a
requirement not pinned with ``==``, an npm dependency with a range, or a locked package without
an integrity hash is a problem.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")
LOCKS = ("package-lock.json", "tools/node24/package-lock.json")
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>[A-Za-z0-9.+!-]+)$")


def _requirement_lines(path: Path) -> list[tuple[int, str]]:
    lines = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split(" #")[0].strip()
        if line and not line.startswith("#") and not line.startswith(("-r ", "-e ")):
            lines.append((number, line))
    return lines


def python_pins(root: Path = ROOT) -> tuple[dict[str, str], list[str]]:
    """``{name: version}`` of every requirement, and a problem per line that is not an exact pin."""
    pins: dict[str, str] = {}
    problems = []
    for name in REQUIREMENTS:
        for number, line in _requirement_lines(root / name):
            match = _PIN.match(line)
            if match is None:
                problems.append(f"{name}:{number}: {line!r} is not pinned; write name==version")
                continue
            pins[match["name"].lower()] = match["version"]
    return pins, problems


def npm_packages(root: Path = ROOT) -> tuple[list[dict[str, str]], list[str]]:
    """Every locked npm package with its SHA-512, and a problem per range or missing hash."""
    packages = []
    problems = []
    for name in LOCKS:
        path = root / name
        manifest = json.loads((path.parent / "package.json").read_text(encoding="utf-8"))
        for section in ("dependencies", "devDependencies"):
            for dependency, wanted in (manifest.get(section) or {}).items():
                if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", str(wanted)):
                    problems.append(f"{path.parent.name}/package.json: {dependency} {wanted!r} is a range; pin it")
        lock = json.loads(path.read_text(encoding="utf-8"))
        if int(lock.get("lockfileVersion", 0)) < 2:
            problems.append(f"{name}: lockfileVersion {lock.get('lockfileVersion')!r}; npm 7+ writes 2 or 3")
        for key, entry in (lock.get("packages") or {}).items():
            if not key:
                continue
            integrity = str(entry.get("integrity", ""))
            if not integrity.startswith("sha512-"):
                problems.append(f"{name}: {key} has no sha512 integrity hash")
                continue
            digest = base64.b64decode(integrity.removeprefix("sha512-")).hex()
            packages.append({"name": key.removeprefix("node_modules/"), "version": entry["version"], "sha512": digest})
    return packages, problems


def sbom(root: Path = ROOT) -> dict[str, Any]:
    sys.path.insert(0, str(root / "constructs"))
    from secure_serverless.powertools import POWERTOOLS_VERSION, powertools_parameter_name

    pins, _ = python_pins(root)
    packages, _ = npm_packages(root)
    components: list[dict[str, Any]] = [
        {"type": "library", "name": name, "version": version, "purl": f"pkg:pypi/{name}@{version}"}
        for name, version in sorted(pins.items())
    ]
    components += [
        {
            "type": "library",
            "name": package["name"],
            "version": package["version"],
            "purl": f"pkg:npm/{package['name']}@{package['version']}",
            "hashes": [{"alg": "SHA-512", "content": package["sha512"]}],
        }
        for package in packages
    ]
    components.append(
        {
            "type": "library",
            "name": "aws-lambda-powertools-python-layer",
            "version": POWERTOOLS_VERSION,
            "description": f"AWS-managed Lambda layer, resolved from the SSM parameter {powertools_parameter_name()}",
        }
    )
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {"component": {"type": "application", "name": "secure-serverless-kit"}},
        "components": components,
    }


def main(argv: list[str]) -> int:
    document = json.dumps(sbom(), indent=2)
    if argv:
        Path(argv[0]).write_text(document + "\n", encoding="utf-8")
        print(f"wrote {argv[0]}: {len(sbom()['components'])} components")
    else:
        print(document)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
