"""Verdict cache of CDK's CloudFormation validation: one entry per template, reused across synths.

The key is a sha256 over everything that can change the per-template report of aws-cdk-lib's
``CloudFormationValidatePlugin`` (with no props, as CDK builds it): the template's bytes and file
name, the stack's construct path, account and region, the aws-cdk-lib version (which fixes the
engine, its rules and the plugin's options) and ``FORMAT``. The value is that report, with the
template's path left out (it is put back on reading, since the output directory changes).

Threat model: the cache guards against stale, torn and corrupt entries and against other users,
not against the user's own account (which can change the kit's code as easily as the cache):

- the directory must be owned by the user and not writable by group or others (else the cache is
  not used and the engine runs);
- an entry is trusted only if it parses, has this ``FORMAT``, repeats its own key, carries the
  sha256 of its report, and its report has the exact shape the plugin returns; anything else is a
  miss (the engine runs and the entry is written again);
- ``success`` is never read from an entry: it is recomputed from the violations' severities, as
  the plugin computes it;
- writes go to a temporary file in the same directory, renamed over the entry (atomic on POSIX), so
  concurrent synths never read half an entry.

Environment: ``SECURE_SERVERLESS_CFN_VALIDATE_CACHE`` = a directory to use instead of
``$XDG_CACHE_HOME/secure-serverless/cloudformation-validate`` (default ``~/.cache/...``), or
``off`` to disable the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Bump when the key's inputs or the entry's layout change: every older entry then misses.
FORMAT = 1
ENV_CACHE = "SECURE_SERVERLESS_CFN_VALIDATE_CACHE"
_OFF = {"off", "0", "false", "disabled", "no"}
_SEVERITIES_THAT_FAIL = ("error", "fatal")


def default_directory(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The cache directory the environment asks for, or None when the cache is off."""
    configured = environ.get(ENV_CACHE, "").strip()
    if configured.lower() in _OFF:
        return None
    if configured:
        return Path(configured).expanduser()
    base = environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "secure-serverless" / "cloudformation-validate"


def template_key(
    *,
    template: bytes,
    template_name: str,
    stack_construct_path: str,
    account: str | None,
    region: str | None,
    cdk_version: str,
) -> str:
    """The cache key of one template's report."""
    inputs = {
        "format": FORMAT,
        "aws-cdk-lib": cdk_version,
        "plugin-props": "default",  # CDK's own instance: new CloudFormationValidatePlugin()
        "stack": stack_construct_path,
        "account": account,
        "region": region,
        "template-name": template_name,
        "template-sha256": hashlib.sha256(template).hexdigest(),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def success_of(violations: list[dict[str, Any]]) -> bool:
    """The plugin's own rule: success unless a violation is an error or fatal."""
    return all(violation.get("severity") not in _SEVERITIES_THAT_FAIL for violation in violations)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def valid_report(report: Any) -> bool:
    """Whether ``report`` has exactly the shape the plugin's per-template report has."""
    if not isinstance(report, dict) or set(report) - {"success", "violations"}:
        return False
    violations = report.get("violations")
    if not isinstance(violations, list):
        return False
    for violation in violations:
        if not isinstance(violation, dict) or not {"ruleName", "description", "severity", "violatingResources"} <= set(
            violation
        ):
            return False
        if set(violation) - {"ruleName", "description", "severity", "fix", "violatingResources", "ruleMetadata"}:
            return False
        if not all(isinstance(violation[name], str) for name in ("ruleName", "description", "severity")):
            return False
        if "fix" in violation and not isinstance(violation["fix"], str):
            return False
        metadata = violation.get("ruleMetadata")
        if metadata is not None and not (
            isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
        ):
            return False
        resources = violation["violatingResources"]
        if not isinstance(resources, list) or not resources:
            return False
        for resource in resources:
            if not isinstance(resource, dict) or set(resource) - {"resourceLogicalId", "constructPath", "locations"}:
                return False
            if not _is_str_list(resource.get("locations")):
                return False
            if not any(isinstance(resource.get(name), str) for name in ("resourceLogicalId", "constructPath")):
                return False
    return True


def _digest(report: Any) -> str:
    return hashlib.sha256(json.dumps(report, sort_keys=True).encode()).hexdigest()


class VerdictCache:
    """The on-disk cache; every method fails soft (a problem is a miss, never an exception)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def open(cls, directory: Path | None = None, *, warn: bool = True) -> VerdictCache | None:
        """The cache in ``directory`` (default: from the environment), or None if off or unsafe."""
        if directory is None:
            directory = default_directory()
            if directory is None:
                return None
        problem = _unsafe(directory)
        if problem:
            if warn:
                print(
                    f"[secure-serverless] CloudFormation validation cache not used: {problem}. Fix: "
                    f"chmod go-w {directory} (and own it), or set {ENV_CACHE} to another directory, or to 'off'.",
                    file=sys.stderr,
                )
            return None
        return cls(directory)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    def get(self, key: str, template_path: str) -> dict[str, Any] | None:
        """The report stored for ``key`` with ``template_path`` put back, or None (a miss)."""
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != key:
            return None
        report = entry.get("report")
        if report is None or not valid_report(report) or entry.get("sha256") != _digest(report):
            return None
        violations = [
            {
                **violation,
                "violatingResources": [
                    {**resource, "templatePath": template_path} for resource in violation["violatingResources"]
                ],
            }
            for violation in report["violations"]
        ]
        return {"success": success_of(violations), "violations": violations}

    def put(self, key: str, report: Mapping[str, Any]) -> None:
        """Store ``report`` (one template's) under ``key``, atomically; a failure only skips the write."""
        try:
            stored = {
                "success": success_of(list(report["violations"])),
                "violations": [
                    {
                        **violation,
                        "violatingResources": [
                            {name: value for name, value in resource.items() if name != "templatePath"}
                            for resource in violation["violatingResources"]
                        ],
                    }
                    for violation in report["violations"]
                ],
            }
        except (KeyError, TypeError, AttributeError):
            return  # not the plugin's shape
        if not valid_report(stored):
            return  # a shape this module does not know: never cache what it could not check on reading
        entry = {"format": FORMAT, "key": key, "sha256": _digest(stored), "report": stored}
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(entry, out)
                os.replace(temporary, self._path(key))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError:
            return


def _unsafe(directory: Path) -> str | None:
    """Why ``directory`` must not hold verdicts (None if it may); creates it (0700) if missing."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = os.lstat(directory)
    except OSError as error:
        return f"{directory} cannot be created or read ({error.strerror})"
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        return f"{directory} is not a directory (a symbolic link is refused)"
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return f"{directory} is owned by another user (uid {info.st_uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{directory} is writable by group or others (mode {stat.S_IMODE(info.st_mode):o})"
    return None
