"""Everything the kit decides from the installed aws-cdk-lib version, in one place.

The library accepts a range of aws-cdk-lib (pyproject.toml: ``MINIMUM_CDK`` up to, not including,
3.0), so a team keeps the CDK it has; the reference app pins one version (requirements.txt).
``make compat`` installs the wheel beside the declared minimum (CI) and beside the newest release
(a scheduled job; docs/compatibility.md), synthesizes the consumer apps and runs the construct tests.

What depends on the version, and what the kit does about it:

- **Below the floor** (``MINIMUM_CDK``): CDK before 2.271 records an acknowledgment for the whole
  app, not for the construct it sits on: ``acknowledge(queue_a, "AwsSolutions-SQS4", ...)`` also
  silences SQS4 on every other queue, in every stack (measured on 2.260, 2.268 and 2.270; scoped from 2.271;
  docs/compatibility.md). No acknowledgment form avoids that, so the kit refuses to build there
  (``UnsupportedCdkVersionError``) instead of producing a verdict that hides findings.
- **The Lambda runtime** (``lambda_runtime``): cdk-nag's AwsSolutions-L1 and
  Serverless-LambdaLatestVersion want the newest runtime of the family *that the installed CDK
  knows*. Every SecureFunction runs ``KIT_PYTHON_RUNTIME``, the Python its handlers, tests and
  Powertools layer parameter (``powertools.py``) are made for. A CDK that knows a newer Python
  would make cdk-nag reject every kit function, and switching silently would deploy an untested
  runtime with a layer parameter that may not exist: the kit raises, naming both fixes.
- **Feature flags** the constructs set on their own scope (``FEATURE_FLAGS``), so an app needs none
  in its cdk.json. One exists only from 2.274 (``APIGATEWAY_EXACT_ACCESS_LOG_ARN``): below it the
  API's access-log destination is the log group's ``Arn`` attribute (with ``:*``), the one
  template difference ``make compat`` found at the floor (``renders_exact_access_log_arn``).
- **The kit's CloudFormation validation** (``register_compliance_checks(cloudformation_validation="kit")``)
  replaces CDK's built-in one, which an app can turn off only from 2.275
  (``cdk.App(builtin_cloud_formation_validation=False)``; ``BUILTIN_VALIDATION_OFF_SINCE``). Below it
  both would run, so ``"kit"`` is refused with the fix (``kit_validation_supported``); ``"builtin"``,
  the default, works on every supported version.
- **A version the kit has not seen** (a minor above ``NEWEST_TESTED_CDK``): the kit builds as usual
  and warns once (``UntestedCdkVersionWarning``), because nothing it knows is wrong yet; run your
  tests and cdk-nag, and report a break (README, "Supported CDK versions"). A new major (3.x) is
  refused: pip refuses it too, and its APIs are not the ones the kit calls.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterable
from importlib import metadata
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_

#: The lowest aws-cdk-lib the kit works with: pyproject.toml's floor (a test keeps the two equal).
MINIMUM_CDK: Final = (2, 271, 0)
#: The newest aws-cdk-lib minor that ``make compat COMPAT=newest`` has passed with.
NEWEST_TESTED_CDK: Final = (2, 275)
#: The Lambda runtime of every SecureFunction (powertools.POWERTOOLS_PYTHON names the same one).
KIT_PYTHON_RUNTIME: Final = "python3.14"
#: Feature flags kit constructs set on their own scope (``node.set_context``), whatever the app says.
S3_LOGS_USE_BUCKET_POLICY: Final = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"
#: From 2.274 only (older CDK ignores it and renders the log group's ``Arn``, ending in ``:*``:
#: the same log group, but CloudFormation drift detection then reports the stage as modified).
APIGATEWAY_EXACT_ACCESS_LOG_ARN: Final = "@aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard"
APIGATEWAY_EXACT_ACCESS_LOG_ARN_SINCE: Final = (2, 274, 0)
#: The first aws-cdk-lib whose ``cdk.App`` takes ``builtin_cloud_formation_validation`` (older ones
#: always register the built-in CloudFormationValidatePlugin).
BUILTIN_VALIDATION_OFF_SINCE: Final = (2, 275, 0)
FEATURE_FLAGS: Final = {S3_LOGS_USE_BUCKET_POLICY: True, APIGATEWAY_EXACT_ACCESS_LOG_ARN: True}

_ISSUES = (
    "report it with the output of `pip show aws-cdk-lib cdk-nag secure-serverless-kit` (README: Supported CDK versions)"
)
_PYTHON = re.compile(r"^python(\d+)\.(\d+)$")
_warned: set[tuple[int, int, int]] = set()


class UnsupportedCdkVersionError(RuntimeError):
    """The installed aws-cdk-lib is outside the range the kit can build correctly with."""


class UntestedCdkVersionWarning(UserWarning):
    """The installed aws-cdk-lib is newer than any version the kit was tested with."""


def parse_version(text: str) -> tuple[int, int, int]:
    """``"2.275.0"`` -> ``(2, 275, 0)``; pre-release or local suffixes are ignored."""
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", text)
    if match is None:
        raise UnsupportedCdkVersionError(f"aws-cdk-lib version {text!r} is not MAJOR.MINOR.PATCH; {_ISSUES}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def installed_cdk_version() -> tuple[int, int, int]:
    """The version of the aws-cdk-lib distribution this process imports."""
    return parse_version(metadata.version("aws-cdk-lib"))


def _text(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


def kit_validation_supported(version: tuple[int, int, int] | None = None) -> bool:
    """Whether aws-cdk-lib ``version`` (default: the installed one) can turn CDK's built-in CloudFormation
    validation off, so the kit's may replace it (tests/constructs/test_cdk_compat.py checks the constant
    against the installed binding's ``cdk.AppProps``)."""
    return (installed_cdk_version() if version is None else version) >= BUILTIN_VALIDATION_OFF_SINCE


def require_kit_validation() -> None:
    """Raise, naming both fixes, where the kit's CloudFormation validation would run beside the built-in."""
    if not kit_validation_supported():
        raise UnsupportedCdkVersionError(
            f"cloudformation_validation='kit' needs aws-cdk-lib {_text(BUILTIN_VALIDATION_OFF_SINCE)} or newer "
            f"(you have {_text(installed_cdk_version())}): older releases cannot turn CDK's built-in CloudFormation "
            "validation off (cdk.App(builtin_cloud_formation_validation=False)), so both would run. Use "
            "cloudformation_validation='builtin' (the default; the same rules and verdict), or upgrade: "
            f"pip install 'aws-cdk-lib>={_text(BUILTIN_VALIDATION_OFF_SINCE)},<3'"
        )


def check_cdk_version(version: tuple[int, int, int] | None = None) -> None:
    """Raise when ``version`` (default: the installed one) is outside the supported range; warn once
    when it is newer than any tested minor."""
    found = installed_cdk_version() if version is None else version
    if found < MINIMUM_CDK:
        raise UnsupportedCdkVersionError(
            f"aws-cdk-lib {_text(found)} is older than {_text(MINIMUM_CDK)}, the lowest version this kit supports: "
            "before 2.271 CDK applies an acknowledgment to the whole app instead of the construct it sits on, so "
            "one acknowledged finding would hide the same finding on every other resource. "
            f"Upgrade: pip install 'aws-cdk-lib>={_text(MINIMUM_CDK)},<3'"
        )
    if found[0] >= 3:
        raise UnsupportedCdkVersionError(
            f"aws-cdk-lib {_text(found)} is a new major version; this kit supports 2.x only "
            f"(>={_text(MINIMUM_CDK)},<3). Install aws-cdk-lib<3, or a kit release that supports {found[0]}.x"
        )
    if found[:2] > NEWEST_TESTED_CDK and found not in _warned:
        _warned.add(found)
        warnings.warn(
            f"aws-cdk-lib {_text(found)} is newer than the newest version this kit release was tested with "
            f"({_text(NEWEST_TESTED_CDK)}.x). The kit builds as usual and cdk-nag and the perimeter check still "
            f"run; if a template or a check looks wrong, {_ISSUES}",
            UntestedCdkVersionWarning,
            stacklevel=3,
        )


def renders_exact_access_log_arn(version: tuple[int, int, int] | None = None) -> bool:
    """True when CDK ``version`` (default: the installed one) honours ``APIGATEWAY_EXACT_ACCESS_LOG_ARN``."""
    return (installed_cdk_version() if version is None else version) >= APIGATEWAY_EXACT_ACCESS_LOG_ARN_SINCE


def newest_python(runtime_names: Iterable[str]) -> str | None:
    """The newest ``pythonX.Y`` among ``runtime_names``: the one cdk-nag's latest-runtime rules want."""
    found = [(int(m[1]), int(m[2]), name) for name in runtime_names if (m := _PYTHON.match(name))]
    return max(found)[2] if found else None


def python_runtime_name(runtime_names: Iterable[str], version: tuple[int, int, int]) -> str:
    """``KIT_PYTHON_RUNTIME`` when it is the newest Python that CDK ``version`` knows; else a clear error."""
    names = list(runtime_names)
    newest = newest_python(names)
    if KIT_PYTHON_RUNTIME not in names:
        raise UnsupportedCdkVersionError(
            f"aws-cdk-lib {_text(version)} does not know the Lambda runtime {KIT_PYTHON_RUNTIME} that every "
            f"SecureFunction runs (its newest Python is {newest}). Upgrade: pip install "
            f"'aws-cdk-lib>={_text(MINIMUM_CDK)},<3'"
        )
    if newest != KIT_PYTHON_RUNTIME:
        raise UnsupportedCdkVersionError(
            f"aws-cdk-lib {_text(version)} knows the Lambda runtime {newest}, newer than {KIT_PYTHON_RUNTIME} that "
            "this kit release builds every SecureFunction on (its handlers, tests and Powertools layer are made "
            f"for {KIT_PYTHON_RUNTIME}), so cdk-nag's AwsSolutions-L1 and Serverless-LambdaLatestVersion would "
            f"reject every function. Upgrade secure-serverless-kit to a release that targets {newest}, or keep "
            f"aws-cdk-lib at the version you had; {_ISSUES}"
        )
    return KIT_PYTHON_RUNTIME


def lambda_runtime() -> lambda_.Runtime:
    """The ``aws_lambda.Runtime`` of every SecureFunction, after checking the installed CDK version."""
    from aws_cdk import aws_lambda as lambda_

    name = _checked_runtime_name()
    runtime: lambda_.Runtime = getattr(lambda_.Runtime, name.upper().replace("PYTHON", "PYTHON_").replace(".", "_"))
    return runtime


@functools.cache
def _checked_runtime_name() -> str:
    """Once per process: the installed CDK cannot change."""
    from aws_cdk import aws_lambda as lambda_

    version = installed_cdk_version()
    check_cdk_version(version)
    return python_runtime_name(binding_python_runtimes(lambda_.Runtime), version)


_BINDING_PYTHON = re.compile(r"PYTHON_(\d+)_(\d+)")


def binding_python_runtimes(runtime_class: type) -> list[str]:
    """``pythonX.Y`` for each ``PYTHON_X_Y`` runtime of the installed CDK's Python bindings.

    Read from the names of ``aws_lambda.Runtime``'s generated attributes, with no round trip to
    Node.js (``Runtime.ALL`` costs one per runtime, about 50); CDK defines each runtime as such a
    static attribute, so the Python ones are the same (tests/constructs/test_cdk_compat_runtimes.py).
    """
    return [f"python{m[1]}.{m[2]}" for name in dir(runtime_class) if (m := _BINDING_PYTHON.fullmatch(name))]
