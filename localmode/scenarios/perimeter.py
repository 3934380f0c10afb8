"""The perimeter, from inside: code in each function's sandbox, with its role's credentials,
reaches for every table and every bucket prefix; only what it declares may answer."""

from __future__ import annotations

from typing import Any

from secure_serverless_checks.access_levels import DYNAMODB_TABLE, S3_PREFIX

from .demo import Demo
from .model import ALICE, Run, short


def probe_outcome(answer: dict[str, Any]) -> str:
    if answer["allowed"]:
        return "allowed"
    return f"{answer['code']}: {short(answer['message'], 150)}"


def cross_table(demo: Demo, run: Run) -> None:
    """Every function's sandbox tries GetItem on every table; only the tables it declares may answer."""
    alice = demo.user(ALICE)
    demo.call("PUT", "/me", token=alice.id_token, body={"displayName": "Alice"})  # something to steal
    service = demo.env.service
    tables = {lid: service.physical_id(lid) for lid in service.of_type("AWS::DynamoDB::Table")}
    for function_id in sorted(demo.env.workers.functions):
        declared = demo.declared(function_id, DYNAMODB_TABLE)
        worker = demo.env.workers.functions[function_id]
        for table_id, table_name in sorted(tables.items()):
            key = demo.any_key(table_id, alice.sub)
            answer = worker.probe("dynamodb", "get_item", {"TableName": table_name, "Key": key})
            mine = table_id in declared
            run.check(
                f"inside {function_id} (its role's credentials): dynamodb:GetItem on {table_id}",
                probe_outcome(answer),
                "allowed (its own table)" if mine else "AccessDeniedException (not its table)",
                answer["allowed"]
                if mine
                else (not answer["allowed"] and answer.get("code") == "AccessDeniedException"),
            )


def bucket_perimeter(demo: Demo, run: Run) -> None:
    """Every function's sandbox reads an object inside and outside the files prefix."""
    alice = demo.user(ALICE)
    service = demo.env.service
    buckets = {lid: service.physical_id(lid) for lid in service.of_type("AWS::S3::Bucket")}
    declared_anywhere = {
        reach["resource"]: reach.get("prefix", "")
        for function_id in demo.env.workers.functions
        for reach in demo.declared(function_id, S3_PREFIX).values()
    }
    for function_id in sorted(demo.env.workers.functions):
        declared = demo.declared(function_id, S3_PREFIX)
        worker = demo.env.workers.functions[function_id]
        for bucket_id, prefix in sorted(declared_anywhere.items()):
            for key in (f"{prefix}{alice.sub}/missing-file", f"private/{alice.sub}/secret"):
                answer = worker.probe("s3", "get_object", {"Bucket": buckets[bucket_id], "Key": key})
                allowed = answer["allowed"] or answer.get("code") in ("NoSuchKey", "404")  # IAM let it through
                mine = bucket_id in declared and key.startswith(declared[bucket_id].get("prefix", ""))
                run.check(
                    f"inside {function_id}: s3:GetObject {bucket_id}/{key[:24]}...",
                    "allowed by IAM (NoSuchKey)" if allowed and not answer["allowed"] else probe_outcome(answer),
                    "allowed (its own prefix)" if mine else "AccessDenied (outside its perimeter)",
                    allowed if mine else (not allowed and answer.get("code") in ("AccessDenied", "403")),
                )
