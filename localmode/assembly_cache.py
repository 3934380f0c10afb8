"""Reuse the reference app's cloud assembly when none of its inputs changed.

``make local`` synthesized app.py on every run (about 9 s, with cdk-nag and the perimeter check),
though most runs change nothing that the synth reads. The inputs are hashed: the app (app.py,
cdk.json, cdk.context.json), the stacks (``stacks/``), the library (``constructs/secure_serverless/``),
the function code (``lambdas/``), the context given on top, the ``CDK_*`` environment, and the
versions of Python, aws-cdk-lib, constructs, cdk-nag and jsii. An assembly is stored only after a
synthesis that succeeded (every check passed), so a reused one passed them too.

``LOCALMODE_ASSEMBLY_CACHE=off`` always synthesizes; ``LOCALMODE_ASSEMBLY_CACHE_DIR`` moves the
cache (default ``.cache/localmode-assembly/`` in the repository). The three newest entries are kept.
Standard library only, like the rest of local mode's entry points.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from .emulator import REPO_ROOT

__all__ = ["cache_directory", "cached_synthesize", "input_digest"]

#: Bump when what is hashed or stored changes, so old entries are never reused.
_FORMAT = "2"  # 2: the synth passes the CDK CLI's default context
_KEEP = 3
_INPUT_FILES = ("app.py", "cdk.json", "cdk.context.json")
_INPUT_TREES = ("stacks", "constructs/secure_serverless", "lambdas")
_SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_DISTRIBUTIONS = ("aws-cdk-lib", "constructs", "cdk-nag", "jsii")


def cache_directory() -> Path:
    return Path(os.environ.get("LOCALMODE_ASSEMBLY_CACHE_DIR") or REPO_ROOT / ".cache" / "localmode-assembly")


def _input_paths(root: Path) -> Iterator[Path]:
    for name in _INPUT_FILES:
        if (root / name).is_file():
            yield root / name
    for tree in _INPUT_TREES:
        for path in sorted((root / tree).rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not _SKIPPED_PARTS & set(relative.parts) and path.suffix not in _SKIPPED_SUFFIXES:
                yield path


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version(), "executable": sys.executable}
    for name in _DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def input_digest(*, root: Path = REPO_ROOT, context: dict[str, Any] | None = None) -> str:
    """A SHA-256 over everything the synthesis of ``root/app.py`` reads."""
    digest = hashlib.sha256(f"format {_FORMAT}\n".encode())
    for path in _input_paths(root):
        digest.update(f"file {path.relative_to(root).as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    environment = {k: v for k, v in os.environ.items() if k.startswith("CDK_") and k not in {"CDK_OUTDIR"}}
    extra = {"context": context or {}, "environment": environment, "versions": _versions()}
    digest.update(json.dumps(extra, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def cached_synthesize(
    outdir: Path,
    *,
    synthesize: Callable[..., Path],
    context: dict[str, Any] | None = None,
    root: Path = REPO_ROOT,
) -> tuple[Path, bool]:
    """``(assembly directory, reused)``: a copy of the stored assembly when no input changed, else a fresh synth.

    ``synthesize(outdir, context=...)`` is ``localmode.deploy.synthesize``; it raises when the
    synthesis fails, and then nothing is stored.
    """
    outdir = Path(outdir)
    if os.environ.get("LOCALMODE_ASSEMBLY_CACHE", "").lower() in {"off", "0", "false", "no"}:
        return synthesize(outdir, context=context), False
    key = input_digest(root=root, context=context)
    stored = cache_directory() / key
    with _exclusive(stored):  # two processes wanting the same assembly: one synthesizes, the other reuses it
        if (stored / "manifest.json").is_file():
            shutil.copytree(stored, outdir, dirs_exist_ok=True)
            os.utime(stored)  # most recently used
            return outdir, True
        assembly = synthesize(outdir, context=context)
        if input_digest(root=root, context=context) == key:  # nothing changed while it ran: store it
            _store(assembly, stored)
        return assembly, False


@contextmanager
def _exclusive(stored: Path) -> Iterator[None]:
    stored.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, at worst both synthesize
        yield
        return
    with open(stored.parent / f".{stored.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _store(assembly: Path, stored: Path) -> None:
    stored.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=stored.parent))
    try:
        shutil.copytree(assembly, staging, dirs_exist_ok=True)
        os.replace(staging, stored)  # atomic: a reader sees a whole assembly or none
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another process stored the same key first
        return
    entries = sorted(
        (p for p in stored.parent.iterdir() if p.is_dir() and not p.name.startswith(".") and p != stored),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[_KEEP - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
        (old.parent / f".{old.name}.lock").unlink(missing_ok=True)
