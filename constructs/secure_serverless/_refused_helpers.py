"""CDK helper functions no perimeter limited to one service can declare: refused at synth, naming the alternative.

- ``log_retention=`` on a ``lambda_.Function`` adds CDK's ``LogRetention`` function: it creates the
  function's log group at run time, outside the template (unencrypted), and sets its retention with
  ``logs:PutRetentionPolicy`` on ``*``. The log group belongs in the template:
  ``log_group=logs.LogGroup(..., retention=..., encryption_key=...)`` (or the kit's SecureFunction,
  whose log group is encrypted and retained), and no helper function is needed.
- ``auto_delete_objects=True`` on an ``s3.Bucket`` adds CDK's auto-delete function: at stack deletion
  it deletes every object of the bucket (every service's prefix) and rewrites the bucket policy
  (``s3:PutBucketPolicy``, control-plane reach). Keep the bucket (RETAIN, the kit's default) and
  empty it yourself before deleting a throwaway stack.

The kit's helper pass (``helper_perimeters``, registered by ``register_compliance_checks``) calls
``refuse_undeclarable_helpers`` once per stack; every such helper of the stack is named in one error.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from constructs import IConstruct

from ._tree import is_cfn_resource, is_plain_resource
from ._validation import ConfigurationError

LOG_RETENTION_TYPE = "Custom::LogRetention"
AUTO_DELETE_TYPE = "Custom::S3AutoDeleteObjects"


def refuse_undeclarable_helpers(stack: cdk.Stack, constructs: Sequence[IConstruct] | None = None) -> None:
    """Raise one error naming every such helper of ``stack`` (``constructs``: its ``node.find_all()``, if read)."""
    problems: list[str] = []
    for construct in stack.node.find_all() if constructs is None else constructs:
        # both helpers are plain CfnResources (custom resources): a generated L1's type is fixed by its class
        if not is_cfn_resource(construct) or not is_plain_resource(construct):
            continue
        kind = construct.cfn_resource_type
        if kind == LOG_RETENTION_TYPE:
            owner = _grandparent(construct)
            problems.append(
                f"{owner}: log_retention= adds CDK's LogRetention function, which creates the log group at run time "
                "outside the template (unencrypted) and sets retention with logs:PutRetentionPolicy on '*': no "
                "perimeter can limit it to this function's logs. Write the log group in the template instead: "
                "log_group=logs.LogGroup(self, 'Logs', retention=logs.RetentionDays.ONE_YEAR, encryption_key=<key>) "
                "(or use the kit's SecureFunction, whose log group is encrypted and retained)"
            )
        elif kind == AUTO_DELETE_TYPE:
            owner = _grandparent(construct)
            problems.append(
                f"{owner}: auto_delete_objects=True adds CDK's auto-delete function, which deletes every object of "
                "the bucket (every service's prefix) and rewrites the bucket policy (s3:PutBucketPolicy, "
                "control-plane reach): no perimeter limited to one service can declare it. Keep the bucket "
                "(removal_policy=RETAIN, the kit's default); for a throwaway stack, empty it yourself "
                "(aws s3 rm s3://<bucket> --recursive) before cdk destroy"
            )
    if problems:
        raise ConfigurationError(stack.node.path, problems)


def _grandparent(resource: IConstruct) -> str:
    """The construct that configured the helper: the function of ``<fn>/LogRetention/Resource``, the bucket
    of ``<bucket>/AutoDeleteObjectsCustomResource/Default``."""
    parent = resource.node.scope
    owner = parent.node.scope if parent is not None else None
    return str((owner or resource).node.path)
