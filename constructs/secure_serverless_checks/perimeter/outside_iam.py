"""Reach that does not go through the function's role, and what the analyzer leaves out of scope.

A function reaches data without IAM when its environment carries an access key or a secret
value (a ``{{resolve:secretsmanager:...}}`` dynamic reference is resolved into the plain
environment at deploy time), or when it mounts a file system another function mounts too. These
are violations (P16). VPC endpoint policies are out of scope: reported as warnings (P15).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from secure_serverless_checks import cfn_intrinsics

from . import rules
from .rules import Rule
from .template import LAMBDA_FUNCTION, TemplateIndex

_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
_SECRET_REFERENCE = re.compile(r"\{\{resolve:(?:secretsmanager|ssm-secure):[^}]*\}\}")
_CREDENTIAL_NAMES = re.compile(r"(?i)(?:^|_)(?:SECRET_ACCESS_KEY|ACCESS_KEY_ID|SESSION_TOKEN)$")

Finding = tuple[Rule, str, str, str]


def outside_iam_findings(index: TemplateIndex) -> list[Finding]:
    """Violations and warnings of one template about reach outside IAM."""
    findings: list[Finding] = []
    mounts: dict[str, list[str]] = defaultdict(list)
    for function in index.of_type(LAMBDA_FUNCTION):
        properties = index.properties(function)
        findings.extend(_environment_findings(index, function, properties.get("Environment")))
        for file_system in _file_systems(properties.get("FileSystemConfigs")):
            mounts[file_system].append(function)
    for file_system, functions in sorted(mounts.items()):
        if len(functions) > 1:
            for function in functions:
                others = ", ".join(other for other in functions if other != function)
                findings.append(
                    (
                        rules.REACH_OUTSIDE_IAM,
                        function,
                        file_system,
                        f"mounts the file system {file_system}, which {others} mounts too: their files are shared "
                        "outside IAM; give each function its own file system or access point",
                    )
                )
    for endpoint in index.of_type("AWS::EC2::VPCEndpoint"):
        if "PolicyDocument" in index.properties(endpoint):
            for function in index.of_type(LAMBDA_FUNCTION):
                findings.append(
                    (
                        rules.OUT_OF_SCOPE,
                        function,
                        endpoint,
                        f"warning: VPC endpoint {endpoint} has a policy; endpoint policies are not evaluated "
                        "(they can only reduce reach)",
                    )
                )
    return findings


def _environment_findings(index: TemplateIndex, function: str, environment: Any) -> Iterator[Finding]:
    variables = environment.get("Variables") if isinstance(environment, dict) else None
    if not isinstance(variables, dict):
        return
    for name, value in sorted(variables.items()):
        text = json.dumps(value)
        access_keys = [
            logical_id
            for logical_id, _ in cfn_intrinsics.references(value)
            if index.type_of(logical_id) == "AWS::IAM::AccessKey"
        ]
        if _CREDENTIAL_NAMES.search(str(name)) or _ACCESS_KEY_ID.search(text) or access_keys:
            yield (
                rules.REACH_OUTSIDE_IAM,
                function,
                f"Environment.{name}",
                f"environment variable {name} carries AWS credentials: the function reaches whatever they allow, "
                "outside its role; use the function's own role",
            )
        elif _SECRET_REFERENCE.search(text):
            yield (
                rules.REACH_OUTSIDE_IAM,
                function,
                f"Environment.{name}",
                f"environment variable {name} is a secret resolved at deploy time: its value is readable by "
                "anyone who can read the function's configuration; read a declared secret at run time instead",
            )


def _file_systems(configs: Any) -> list[str]:
    """Identities of the file systems (access points) a function mounts."""
    found: list[str] = []
    for config in configs if isinstance(configs, list) else []:
        if not isinstance(config, dict) or "Arn" not in config:
            continue
        arn = config["Arn"]
        logical_id = cfn_intrinsics.referenced_logical_id(arn)
        found.append(logical_id if logical_id else json.dumps(arn, sort_keys=True))
    return found
