"""``make verify`` / ``kit-verify``: the attack suite against a deployed stack, found by its outputs.

    kit-verify                              # stack SecureServerlessKit-dev-NotesService, your AWS credentials
    kit-verify --stage prod --region eu-west-1
    kit-verify --only no-token,forged-token

What it does, with the AWS credentials of the environment (boto3's usual chain; AWS_ENDPOINT_URL
points it at local mode instead):

1. reads the stack's outputs ``ApiUrl``, ``UserPoolId`` and ``UserPoolClientId``
   (``DescribeStacks``) and the tables and bucket of the stack (``ListStackResources``);
2. creates temporary users with the admin API (``AdminCreateUser``; Alice in ``admins``), who
   sign in as any user would: SRP, forced password change, TOTP enrolment, TOTP codes;
3. runs every scenario that applies to a deployed stack (the same code ``make local`` runs;
   the sandbox and clock scenarios are listed as skipped, with the reason);
4. removes every user it created and everything they own (the items keyed by their ``sub`` in
   each table of the stack, their objects under ``files/<sub>/``), even when a scenario failed;
5. prints the same report as ``make local`` and exits 0 only when every scenario that ran
   behaved as expected (1 otherwise, 2 when it could not start).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore import UNSIGNED
from botocore.config import Config

from kit_auth import KitError
from kit_auth.cognito import Target as StackTarget
from kit_auth.cognito import fill_from_stack, region_of_pool, stack_name, stack_outputs
from kit_auth.totp import MIN_REMAINING_SECONDS

from .scenarios import Demo, ScenarioResult, Target, run_all, scenario_keys

__all__ = ["DeployedStack", "cleanup", "find_stack", "main", "verify"]

EXIT_OK, EXIT_NOT_AS_EXPECTED, EXIT_REFUSED = 0, 1, 2
#: Where the reference stack's files function writes (stacks/notes_service.py, OBJECT_PREFIX).
FILES_PREFIX = "files/"


@dataclass(frozen=True)
class DeployedStack:
    """What ``verify`` needs of a deployed notes-service stack, read from CloudFormation."""

    name: str
    target: Target
    tables: tuple[str, ...]
    buckets: tuple[str, ...]


def find_stack(
    *,
    name: str,
    region: str | None,
    session: Any,
    single_use_codes: bool = True,
    code_margin: float = MIN_REMAINING_SECONDS,
) -> DeployedStack:
    """The stack's API, pool and client from its outputs; its tables and buckets from its resources."""
    cloudformation = session.client("cloudformation", region_name=region)
    outputs = stack_outputs(cloudformation, name)
    found = StackTarget(region=region or cloudformation.meta.region_name)
    fill_from_stack(found, outputs, name, ("user_pool_id", "client_id", "api_url"))
    assert found.user_pool_id and found.client_id and found.api_url
    pool_region = region_of_pool(found.user_pool_id) or found.region
    summaries: list[dict[str, Any]] = []
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name):
        summaries.extend(page["StackResourceSummaries"])

    def physical(kind: str) -> tuple[str, ...]:
        return tuple(s["PhysicalResourceId"] for s in summaries if s["ResourceType"] == kind)

    target = Target(
        name=f"stack {name} ({found.api_url})",
        api_url=found.api_url,
        region=pool_region,
        user_pool_id=found.user_pool_id,
        client_id=found.client_id,
        # From the caller's session (not boto3's module-level default one, which caches credentials).
        admin=session.client("cognito-idp", region_name=pool_region),
        public=session.client("cognito-idp", region_name=pool_region, config=Config(signature_version=UNSIGNED)),
        single_use_codes=single_use_codes,
        code_margin=code_margin,
    )
    return DeployedStack(name, target, physical("AWS::DynamoDB::Table"), physical("AWS::S3::Bucket"))


def cleanup(demo: Demo, stack: DeployedStack, *, session: Any, out: Callable[[str], None]) -> None:
    """Delete every user the run created, their items in the stack's tables and their files."""
    dynamodb = session.client("dynamodb", region_name=demo.target.region)
    s3 = session.client("s3", region_name=demo.target.region)
    items = objects = 0
    for table in stack.tables:
        schema = dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
        names = [part["AttributeName"] for part in schema]
        partition = next(part["AttributeName"] for part in schema if part["KeyType"] == "HASH")
        for sub in demo.created_users.values():
            paginator = dynamodb.get_paginator("query")
            for page in paginator.paginate(
                TableName=table,
                KeyConditionExpression="#p = :sub",
                ExpressionAttributeNames={"#p": partition},
                ExpressionAttributeValues={":sub": {"S": sub}},
            ):
                for item in page.get("Items", []):
                    dynamodb.delete_item(TableName=table, Key={name: item[name] for name in names})
                    items += 1
    for bucket in stack.buckets:
        for sub in demo.created_users.values():
            # The bucket is versioned: delete every version and delete marker, not only the current object.
            listing = s3.list_object_versions(Bucket=bucket, Prefix=f"{FILES_PREFIX}{sub}/")
            for entry in listing.get("Versions", []) + listing.get("DeleteMarkers", []):
                s3.delete_object(Bucket=bucket, Key=entry["Key"], VersionId=entry["VersionId"])
                objects += 1
    for email in demo.created_users:
        demo.cognito.admin_delete_user(UserPoolId=demo.target.user_pool_id, Username=email)
    out(f"cleaned up: {len(demo.created_users)} user(s), {items} item(s), {objects} object(s)")


def verify(
    *,
    name: str,
    region: str | None = None,
    keys: tuple[str, ...] | None = None,
    session: Any = None,
    single_use_codes: bool = True,
    code_margin: float = MIN_REMAINING_SECONDS,
    out: Callable[[str], None] = print,
) -> list[ScenarioResult]:
    """Find the stack, run the scenarios against it, clean up; returns the results of those that ran.

    Only for local mode's emulator: ``single_use_codes=False`` (it accepts a TOTP code twice,
    which saves up to 30 s per new user) and ``code_margin=LOCAL_CODE_MARGIN`` (it is on
    loopback: a code one second before the end of its step still arrives in time).
    """
    import boto3

    session = session or boto3.session.Session()
    stack = find_stack(
        name=name, region=region, session=session, single_use_codes=single_use_codes, code_margin=code_margin
    )
    out(f"[verify] {stack.target.name}: pool {stack.target.user_pool_id}, client {stack.target.client_id}")
    demo = Demo(stack.target)
    try:
        return run_all(demo, keys=keys, out=out)
    finally:
        cleanup(demo, stack, session=session, out=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kit-verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="dev", help="the stage of the reference app (default: dev)")
    parser.add_argument("--stack", help="the notes-service stack's name (default: from --stage)")
    parser.add_argument("--region", help="the stack's region (default: your AWS configuration's)")
    parser.add_argument("--only", help="comma-separated scenario keys")
    args = parser.parse_args(argv)
    keys = tuple(args.only.split(",")) if args.only else None
    unknown = sorted(set(keys or ()) - set(scenario_keys()))
    if unknown:
        print(f"unknown scenario(s) {unknown}; known: {', '.join(scenario_keys())}", file=sys.stderr)
        return EXIT_REFUSED
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        results = verify(name=args.stack or stack_name(args.stage), region=args.region, keys=keys)
    except (KitError, ClientError, BotoCoreError) as error:
        print(f"kit-verify: {error}", file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_OK if results and all(r.ok for r in results) else EXIT_NOT_AS_EXPECTED


if __name__ == "__main__":
    sys.exit(main())
