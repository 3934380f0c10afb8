"""CDK's CloudFormation validation, run by the kit off the jsii kernel's critical path and cached.

aws-cdk-lib (2.275) validates every synthesized template with ``CloudFormationValidatePlugin``, a
WebAssembly engine (``@aws/cloudformation-validate``) that it builds inside the jsii kernel at
``app.synth()``, while Python waits: the largest single cost of a kit synth (docs/performance.md).
With ``register_compliance_checks(app, cloudformation_validation="kit")`` on an app built with
``cdk.App(builtin_cloud_formation_validation=False)``, the kit runs the same check itself:

- at registration it starts a side Node.js process (``_cfn_validate_server.js``) that loads CDK's
  own ``CloudFormationValidatePlugin`` from the unpacked aws-cdk-lib the kernel runs (same version,
  found in jsii's package cache as the kernel finds it) and builds the engine while Python and the
  kernel build the constructs, on the other core;
- at synth, ``CloudFormationValidation`` (a validation plugin named "CloudFormation Validate",
  exactly like CDK's, so CDK's feature flag ``@aws-cdk/core:validateAgainstDefaultRules`` and its
  downgrade of errors to warnings apply unchanged) sends each template to the side process, which
  calls the plugin's ``validate`` once per template; the reports are merged exactly as one call
  over every template merges them;
- each template's report is cached (``_cfn_validate_cache``): a template seen before needs no
  engine at all. When the previous synth of the same app was a full hit, the side process is not
  started until a template misses.

Failures: when the unpacked aws-cdk-lib is not found or the side process does not start, the
check runs ``cdk.CloudFormationValidatePlugin`` in the kernel (today's cost, the same verdict). A
side process that dies while validating fails the check with an error naming the cause and the fix,
never a pass.

The report is the built-in's, field for field (the plugin implements CDK's ``IPolicyValidationPlugin``,
whose violating resources may name a construct path instead of a logical id), so acknowledgments
and the CDK CLI treat it the same way.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

from ._cfn_validate_cache import VerdictCache, success_of, template_key

PLUGIN_NAME = "CloudFormation Validate"  # CDK's CloudFormationValidatePlugin.PLUGIN_NAME
#: Rule name of the kit's own failure (the side process died): an error, the templates are unchecked.
CHECK_FAILED_RULE = "SecureServerless-CloudFormationValidate-Failed"
SERVER = Path(__file__).with_name("_cfn_validate_server.js")
PREFIX = "@@secure-serverless-cfn-validate "
VALIDATE_AGAINST_DEFAULT_RULES = "@aws-cdk/core:validateAgainstDefaultRules"
#: Node.js flags of the side process (space-separated), instead of DEFAULT_NODE_FLAGS.
ENV_NODE_FLAGS = "SECURE_SERVERLESS_CFN_VALIDATE_NODE_FLAGS"
#: V8 compiles the engine's WebAssembly with its baseline compiler only (on 2 busy cores a cold synth
#: took 1 CPU s and 4 s of wall time less), and runs no helper threads of its own (concurrent compiling
#: and garbage collection took the second core from the synth: about 1.5 CPU s and 0.5-1 s of wall
#: time less per cold synth on 2 quiet cores; docs/performance.md). The code and the verdict are the same.
DEFAULT_NODE_FLAGS = ("--liftoff-only", "--single-threaded")
_UNKNOWN_ACCOUNT = "unknown-account"
_UNKNOWN_REGION = "unknown-region"


class SideProcessFailed(RuntimeError):
    """The side process ended (or answered nonsense) while validating."""


def _say(message: str) -> None:
    print(f"[secure-serverless] {message}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# where the engine comes from


def engine_source(environ: Mapping[str, str] = os.environ) -> dict[str, str] | None:
    """The jsii tarball of the aws-cdk-lib this process runs and jsii's package cache, or None."""
    if environ.get("JSII_RUNTIME_PACKAGE_CACHE", "enabled").strip().lower() != "enabled":
        return None  # jsii unpacks into a temporary folder: nothing to share
    import aws_cdk._jsii as bindings

    tarballs = sorted(Path(bindings.__file__).parent.glob("aws-cdk-lib@*.jsii.tgz"))
    if len(tarballs) != 1:
        return None
    version = tarballs[0].name[len("aws-cdk-lib@") : -len(".jsii.tgz")]
    root = environ.get("JSII_RUNTIME_PACKAGE_CACHE_ROOT", "")
    if not root:
        home = Path.home()
        if sys.platform == "darwin":
            root = str(home / "Library" / "Caches" / "com.amazonaws.jsii" / "package-cache")
        elif sys.platform == "win32":
            local = environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
            root = str(Path(local) / "AWS" / "jsii" / "package-cache")
        else:
            root = str(home / ".cache" / "aws" / "jsii" / "package-cache")
    return {"tarball": str(tarballs[0]), "name": "aws-cdk-lib", "version": version, "cacheRoot": root}


def _engine_version(source: Mapping[str, str] | None) -> str | None:
    """The version of ``@aws/cloudformation-validate`` bundled with the unpacked aws-cdk-lib (the plugin's version)."""
    if source is None:
        return None
    folder = Path(source["cacheRoot"]) / source["name"] / source["version"]
    for manifest in sorted(folder.glob("*/node_modules/@aws/cloudformation-validate/package.json")):
        with contextlib.suppress(OSError, ValueError):
            version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
            if isinstance(version, str):
                return version
    return None


def _node(environ: Mapping[str, str] = os.environ) -> str | None:
    """The Node.js binary jsii uses: ``JSII_NODE``, else ``node`` on PATH."""
    configured = environ.get("JSII_NODE", "node")
    return shutil.which(configured) or (configured if os.path.isfile(configured) else None)


# ---------------------------------------------------------------------------------------------
# the side process


class SideProcess:
    """One Node.js process holding CDK's plugin; started at once, asked at synth."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process
        self._ready: dict[str, Any] | None = None
        self.start_error: str | None = None
        self._next_id = 0
        atexit.register(self.stop, unused=True)

    @classmethod
    def start(cls, source: Mapping[str, str] | None, *, node_flags: tuple[str, ...] = ()) -> SideProcess | None:
        node = _node()
        if source is None or node is None or not SERVER.is_file():
            return None
        try:
            process = subprocess.Popen(  # noqa: S603 - our script, with the Node.js jsii runs
                [node, *node_flags, str(SERVER), json.dumps(dict(source))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        except OSError:
            return None
        return cls(process)

    @property
    def pid(self) -> int:
        return self._process.pid

    def _read(self) -> dict[str, Any] | None:
        """The next protocol message; other lines go to stderr; None at end of output."""
        assert self._process.stdout is not None
        while True:
            line = self._process.stdout.readline()
            if not line:
                return None
            if line.startswith(PREFIX):
                try:
                    message = json.loads(line[len(PREFIX) :])
                except ValueError:
                    return {"error": f"unreadable answer: {line[:200]!r}"}
                return message if isinstance(message, dict) else {"error": "unreadable answer"}
            sys.stderr.write(line)

    def ready(self) -> dict[str, Any] | None:
        """The engine's start message (waits for it), or None if the process did not start."""
        if self._ready is None and self.start_error is None:
            message = self._read()
            if message is None or not message.get("ready"):
                self.start_error = (
                    str(message.get("error")) if message else f"it ended at start (exit code {self._process.wait()})"
                )
                self.stop()
            else:
                self._ready = message
        return self._ready

    def validate(self, stack_templates: list[dict[str, Any]], *, crash: int | None = None) -> list[dict[str, Any]]:
        """One report per template, in order; raises ``SideProcessFailed`` if the process dies."""
        self._next_id += 1
        request: dict[str, Any] = {"id": self._next_id, "stackTemplates": stack_templates}
        if crash is not None:
            request["crash"] = crash
        try:
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
        except OSError as error:
            raise SideProcessFailed(f"it could not be sent the templates ({error})") from None
        answer = self._read()
        if answer is None:
            raise SideProcessFailed(f"it ended while validating (exit code {self._process.wait()})")
        if answer.get("id") != self._next_id or "error" in answer:
            raise SideProcessFailed(f"it answered with an error: {str(answer.get('error'))[:2000]}")
        reports = answer.get("reports")
        if not isinstance(reports, list) or len(reports) != len(stack_templates):
            raise SideProcessFailed("it answered with a malformed report")
        return reports

    def stop(self, *, unused: bool = False) -> None:
        """End the process: at once when ``unused`` (nothing to wait for), else by closing its input."""
        if self._process.poll() is None and unused:
            self._process.kill()
            self._process.wait()
        if self._process.poll() is None:
            with contextlib.suppress(OSError):
                if self._process.stdin:
                    self._process.stdin.close()
            try:
                self._process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            with contextlib.suppress(OSError):
                if stream:
                    stream.close()


# ---------------------------------------------------------------------------------------------
# the plugin

_KERNEL_PLUGIN: Any = None  # one in-kernel engine per process, as CDK's own singleton


def _kernel_plugin() -> Any:
    global _KERNEL_PLUGIN
    if _KERNEL_PLUGIN is None:
        _KERNEL_PLUGIN = cdk.CloudFormationValidatePlugin()
    return _KERNEL_PLUGIN


def stack_templates(context: cdk.IPolicyValidationContext) -> list[dict[str, Any]]:
    """What CDK gives its plugin per template: construct path, template, account and region."""
    return [
        {
            "stackConstructPath": stack.stack_construct_path,
            "templatePath": stack.template_path,
            "accountId": stack.account_id,
            "region": stack.region,
        }
        for stack in context.stack_templates
    ]


def merge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The per-template reports merged exactly as the plugin merges diagnostics of several templates."""
    merged: list[dict[str, Any]] = []
    for report in reports:
        for violation in report["violations"]:
            existing = next(
                (
                    v
                    for v in merged
                    if v["ruleName"] == violation["ruleName"]
                    and v["severity"] == violation["severity"]
                    and v["description"] == violation["description"]
                ),
                None,
            )
            if existing is not None:
                existing["violatingResources"].extend(violation["violatingResources"])
            else:
                merged.append({**violation, "violatingResources": list(violation["violatingResources"])})
    return {"success": success_of(merged), "violations": merged}


def to_struct(report: Mapping[str, Any]) -> cdk.PolicyValidationPluginReport:
    """The plugin's JSON report as the struct CDK takes from a Python plugin (every field kept)."""
    return cdk.PolicyValidationPluginReport(
        success=bool(report["success"]),
        violations=[
            cdk.PolicyViolation(
                rule_name=violation["ruleName"],
                description=violation["description"],
                severity=violation["severity"],
                fix=violation.get("fix"),
                rule_metadata=violation.get("ruleMetadata"),
                violating_resources=[
                    cdk.PolicyViolatingResource(
                        resource_logical_id=resource.get("resourceLogicalId"),
                        construct_path=resource.get("constructPath"),
                        template_path=resource.get("templatePath"),
                        locations=list(resource.get("locations", [])),
                    )
                    for resource in violation["violatingResources"]
                ],
            )
            for violation in report["violations"]
        ],
    )


def _failed(cause: str, stacks: list[dict[str, Any]]) -> cdk.PolicyValidationPluginReport:
    message = (
        f"The kit's CloudFormation validation did not run to the end: {cause}. The templates are NOT validated, "
        "so the check fails."
    )
    _say(message)
    return cdk.PolicyValidationPluginReport(
        success=False,
        violations=[
            cdk.PolicyViolation(
                rule_name=CHECK_FAILED_RULE,
                description=message,
                severity="error",
                fix=(
                    "Synthesize again; if it fails again, run with CDK's built-in validation instead "
                    '(register_compliance_checks(..., cloudformation_validation="builtin") and cdk.App()), and report '
                    "the side process's output above as a bug of the kit (docs/performance.md)."
                ),
                violating_resources=[
                    cdk.PolicyViolatingResource(
                        construct_path=stack["stackConstructPath"], template_path=stack["templatePath"], locations=[]
                    )
                    for stack in stacks
                ],
            )
        ],
    )


def _app_identity() -> str:
    """Which app this is, for the start hint: the working folder and the script."""
    script = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return hashlib.sha256(f"{os.getcwd()}\0{script}".encode()).hexdigest()


@jsii.implements(cdk.IPolicyValidationPlugin)
class CloudFormationValidation:
    """CDK's CloudFormation validation as a kit plugin: same plugin code, off the kernel, cached.

    :param cache: the verdict cache; default: from the environment (``_cfn_validate_cache``).
    :param start: ``"auto"`` (default) starts the side process now unless the previous synth of this
        app found every template in the cache; ``"now"`` always; ``"on-miss"`` only when a template misses.
    :param node_flags: Node.js flags of the side process. Default: ``SECURE_SERVERLESS_CFN_VALIDATE_NODE_FLAGS``
        (space-separated) if set, else ``DEFAULT_NODE_FLAGS``.
    """

    def __init__(
        self,
        *,
        cache: VerdictCache | str | None = "environment",
        start: str = "auto",
        node_flags: tuple[str, ...] | None = None,
    ) -> None:
        if start not in ("auto", "now", "on-miss"):
            raise ValueError(f"start={start!r}: choose 'auto', 'now' or 'on-miss'")
        self._cache: VerdictCache | None = VerdictCache.open() if cache == "environment" else cache  # type: ignore[assignment]
        self._source = engine_source()
        self._cdk_version = self._source["version"] if self._source else _installed_cdk_version()
        self._version = _engine_version(self._source)
        if node_flags is None:
            configured = os.environ.get(ENV_NODE_FLAGS)
            node_flags = DEFAULT_NODE_FLAGS if configured is None else tuple(configured.split())
        self._node_flags = node_flags
        self._side: SideProcess | None = None
        self._side_tried = False
        self.used: str | None = None  # what answered the last validate: "cache", "side-process", "kernel"
        self._crash_for_test: int | None = None
        if start == "now" or (start == "auto" and not self._expect_full_hit()):
            self._start_side()

    # -- the start hint: keys of this app's previous synth
    def _hint_path(self) -> Path | None:
        return self._cache.directory / "apps" / f"{_app_identity()}.json" if self._cache else None

    def _expect_full_hit(self) -> bool:
        hint = self._hint_path()
        if hint is None or self._cache is None:
            return False
        try:
            keys = json.loads(hint.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(keys, list) and bool(keys) and all(isinstance(k, str) and self._cache.has(k) for k in keys)

    def _remember(self, keys: list[str]) -> None:
        hint = self._hint_path()
        if hint is None:
            return
        with contextlib.suppress(OSError):
            hint.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            temporary = hint.with_name(f".tmp-{os.getpid()}-{hint.name}")
            temporary.write_text(json.dumps(keys), encoding="utf-8")
            os.replace(temporary, hint)

    def _start_side(self) -> SideProcess | None:
        if not self._side_tried:
            self._side_tried = True
            self._side = SideProcess.start(self._source, node_flags=self._node_flags)
        return self._side

    @property
    def side_process(self) -> SideProcess | None:
        return self._side

    # -- IPolicyValidationPlugin
    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str | None:
        return self._version

    @property
    def rule_ids(self) -> list[str] | None:
        return None  # known only once the engine runs; CDK records the plugin without them

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        # CDK turns an exception into a report with no violations, which the CDK CLI reads as a pass:
        # whatever fails here fails the check instead.
        stacks: list[dict[str, Any]] = []
        try:
            stacks = stack_templates(context)
            return self._validate(context, stacks)
        except Exception as error:  # every failure of the check is a failed check
            if self._side is not None:
                self._side.stop(unused=True)
            if not stacks:
                with contextlib.suppress(Exception):
                    stacks = [{"stackConstructPath": None, "templatePath": p} for p in context.template_paths]
            return _failed(f"{type(error).__name__}: {error}", stacks)

    def _validate(
        self, context: cdk.IPolicyValidationContext, stacks: list[dict[str, Any]]
    ) -> cdk.PolicyValidationPluginReport:
        keys = [
            template_key(
                template=Path(stack["templatePath"]).read_bytes(),
                template_name=Path(stack["templatePath"]).name,
                stack_construct_path=stack["stackConstructPath"],
                account=stack["accountId"],
                region=stack["region"],
                cdk_version=self._cdk_version,
            )
            for stack in stacks
        ]
        reports: list[dict[str, Any] | None] = [
            self._cache.get(key, stack["templatePath"]) if self._cache else None
            for key, stack in zip(keys, stacks, strict=True)
        ]
        missing = [index for index, report in enumerate(reports) if report is None]
        if not missing:
            self.used = "cache"
            if self._side is not None:
                self._side.stop(unused=True)  # every template hit: the engine is not needed
                self._side, self._side_tried = None, False  # a later synth that misses starts another
            self._remember(keys)
            return to_struct(merge([report for report in reports if report is not None]))
        side = self._start_side()
        if side is None or side.ready() is None:
            reason = side.start_error if side is not None else "Node.js or the unpacked aws-cdk-lib was not found"
            _say(f"CloudFormation validation runs in the jsii kernel: the side process did not start ({reason})")
            return self._in_kernel(context)
        try:
            answered = side.validate([stacks[index] for index in missing], crash=self._crash_for_test)
        except SideProcessFailed as error:
            side.stop()
            return _failed(f"its side process (pid {side.pid}) failed: {error}", stacks)
        for index, report in zip(missing, answered, strict=True):
            if self._cache is not None:
                self._cache.put(keys[index], report)
            reports[index] = report
        self.used = "side-process"
        self._remember(keys)
        side.stop()  # one synth per process is the rule; a second one starts it again on a miss
        self._side_tried = False
        self._side = None
        return to_struct(merge([report for report in reports if report is not None]))

    def _in_kernel(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        """CDK's plugin in the kernel, on the very context CDK gave: the built-in's verdict and cost."""
        self.used = "kernel"
        report: cdk.PolicyValidationPluginReport = _kernel_plugin().validate(context)
        return report


def _installed_cdk_version() -> str:
    from importlib.metadata import version

    return version("aws-cdk-lib")
