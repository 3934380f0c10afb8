"""Compliance helpers: register cdk-nag packs, acknowledge findings with a reason, read verdicts.

cdk-nag 3 runs as CDK validation plugins: a violation makes ``app.synth()`` raise and writes
``validation-report.json`` into the cloud assembly. Acknowledgments are recorded in the assembly
(``aws:cdk:acknowledged-rules``) with their reason, so a reviewer can list every one of them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
import cdk_nag
import jsii
from constructs import IConstruct

from secure_serverless_checks._nag_report import ComplianceReport, Finding, read_validation_report

from ._acknowledge import acknowledge, acknowledge_all, iam5_action, iam5_resource
from ._creation_traces import skip_empty_creation_traces
from ._validation import MIN_REASON_LENGTH, has_reason
from .cdk_compat import check_cdk_version, require_kit_validation
from .helper_perimeters import declare_app_helper_perimeters, on_each_stack

__all__ = [
    "DEFAULT_PACKS",
    "EXTENDED_PACKS",
    "PERIMETER_CHECK_OFF_KEY",
    "ComplianceReport",
    "Finding",
    "acknowledge",
    "acknowledge_all",
    "iam5_action",
    "iam5_resource",
    "read_validation_report",
    "register_compliance_checks",
    "synth_with_checks",
]

#: Packs every app built with this kit registers: they are the kit's pass/fail verdict.
DEFAULT_PACKS = ("AwsSolutions", "Serverless")
#: Packs the kit is also measured against (docs/compliance.md lists what remains and why).
EXTENDED_PACKS = ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")

_PACK_CLASSES: dict[str, Any] = {
    "AwsSolutions": cdk_nag.AwsSolutionsChecks,
    "Serverless": cdk_nag.ServerlessChecks,
    "NIST.800.53.R5": cdk_nag.NIST80053R5Checks,
    "HIPAA.Security": cdk_nag.HIPAASecurityChecks,
    "PCI.DSS.321": cdk_nag.PCIDSS321Checks,
}

#: Stack metadata key recording why the perimeter check was turned off.
PERIMETER_CHECK_OFF_KEY = "SecureServerless::PerimeterCheckOff"


def register_compliance_checks(
    app: cdk.App,
    *,
    packs: Sequence[str] = DEFAULT_PACKS,
    perimeter: bool = True,
    perimeter_off_reason: str | None = None,
    cloudformation_validation: str = "builtin",
) -> None:
    """Register cdk-nag packs and the perimeter check on ``app``: any finding then fails ``app.synth()``.

    :param packs: names of the cdk-nag packs to run. Default: AwsSolutions and Serverless.
    :param perimeter: run the perimeter check (``secure_serverless_checks.perimeter``) on the synthesized
        templates: an undeclared or cross-service reach fails the synth, under ``cdk synth`` /
        ``cdk deploy`` as under ``python app.py``, and no acknowledgment silences it. Default: True.
    :param perimeter_off_reason: required with ``perimeter=False``; recorded in each stack's
        metadata as ``SecureServerless::PerimeterCheckOff``. Default: none.
    :param cloudformation_validation: who runs CDK's CloudFormation validation (aws-cdk-lib's
        ``CloudFormationValidatePlugin``, whose errors fail the synth under the feature flag
        ``@aws-cdk/core:validateAgainstDefaultRules``). ``"builtin"``: aws-cdk-lib, inside the jsii
        kernel at ``app.synth()``, as any CDK app. ``"kit"``: the kit runs the same plugin code in a side
        Node.js process started now, while the constructs are built, and caches each template's verdict
        (docs/performance.md); the app must then be built with
        ``cdk.App(builtin_cloud_formation_validation=False)``, or both run (aws-cdk-lib 2.275 or newer: older
        releases cannot turn the built-in off, and "kit" is refused there). Same rules, same verdict;
        ``CDK_VALIDATION=false`` turns either off. Default: ``"builtin"``.
    """
    check_cdk_version()
    if cloudformation_validation not in ("builtin", "kit"):
        raise ValueError(
            f"cloudformation_validation={cloudformation_validation!r}: choose 'builtin' (aws-cdk-lib runs it) or "
            "'kit' (the kit runs the same check off the synth's critical path, with "
            "cdk.App(builtin_cloud_formation_validation=False))"
        )
    if cloudformation_validation == "kit":
        require_kit_validation()
    unknown = [name for name in packs if name not in _PACK_CLASSES]
    if unknown:
        raise ValueError(f"packs={unknown!r}: unknown cdk-nag pack; choose from {sorted(_PACK_CLASSES)}")
    if perimeter and perimeter_off_reason is not None:
        raise ValueError(
            "perimeter_off_reason is given but the perimeter check is on: remove the reason, or pass perimeter=False"
        )
    if not perimeter and not has_reason(perimeter_off_reason):
        raise ValueError(
            f"perimeter=False needs perimeter_off_reason (at least {MIN_REASON_LENGTH} characters) saying why "
            "this app may skip the proof that each function reaches only its own resources"
        )
    # before the first construct: CDK's creation stack traces name no Python line, and cost synth time
    skip_empty_creation_traces(app)
    plugins = [_PACK_CLASSES[name](app) for name in packs]
    if perimeter:
        from ._perimeter_gate import PerimeterGate, library_raises
        from ._perimeter_plugin import PerimeterCheck

        # Where aws-cdk-lib does not raise by itself (under the CDK CLI), the kit ends the process.
        plugins.append(PerimeterCheck(PerimeterGate(armed=not library_raises(app.node.try_get_context))))
    else:  # in the helper pass below: one call per synth, not an aspect visiting every construct
        on_each_stack(app, _RecordPerimeterOff(perimeter_off_reason or "").record)
    if cloudformation_validation == "kit" and os.environ.get("CDK_VALIDATION") != "false":
        from ._cfn_validate import CloudFormationValidation

        plugins.append(CloudFormationValidation())  # starts the engine now, beside the construct building
    cdk.Validations.of(app).add_plugins(*plugins)
    # CDK's own helper functions (notifications handler, AwsCustomResource's provider) get a declared
    # perimeter limited to what their constructs configure; the check then proves them like any function.
    # One pass per stack at synth, from one construct's aspect (not an aspect visiting every construct).
    declare_app_helper_perimeters(app)


@jsii.implements(cdk.IAspect)
class _RecordPerimeterOff:
    """Writes the reason the perimeter check is off into every stack's metadata."""

    def __init__(self, reason: str) -> None:
        self._reason = reason.strip()

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, cdk.Stack):
            self.record(node)

    def record(self, stack: cdk.Stack) -> None:
        if not any(entry.type == PERIMETER_CHECK_OFF_KEY for entry in stack.node.metadata):
            stack.node.add_metadata(PERIMETER_CHECK_OFF_KEY, self._reason)


def synth_with_checks(app: cdk.App) -> ComplianceReport:
    """Synthesize ``app`` (with packs already registered) and return the cdk-nag verdict.

    Unlike ``app.synth()``, open findings do not raise: they are returned, so a caller can print
    or assert them. Any other synthesis error still raises.
    """
    try:
        assembly = app.synth()
        outdir = assembly.directory
    except RuntimeError as error:
        if "ValidationFailed" not in str(error):
            raise
        outdir = app.outdir
    return read_validation_report(outdir)
