"""A role that one AWS service assumes on behalf of this account only."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct


def service_role(
    scope: Construct,
    construct_id: str,
    *,
    service: str,
    description: str,
    managed_policies: Sequence[iam.IManagedPolicy] = (),
) -> iam.Role:
    """A role only ``service`` (e.g. "s3.amazonaws.com") may assume, and only for this account.

    The ``aws:SourceAccount`` condition keeps another account's resources of the same service from
    using the role (the confused-deputy problem).
    """
    return iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal(
            service, conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(scope).account}}
        ),
        description=description,
        managed_policies=list(managed_policies) or None,
    )
