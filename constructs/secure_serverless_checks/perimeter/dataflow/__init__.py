"""The data-flow model of an assembly: no undeclared path from one service's data to another service.

``data_flow_findings`` builds the graph (``edges.py``), searches it (``graph.py``) and adds the two
checks that are not paths of the graph: a bucket ACL that opens the bucket to every principal, and
file system access points whose root directories contain one another. A resource type the model
does not know (``catalogue.py``) fails closed (P14, naming the type).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from .. import rules
from ..assembly import Assembly
from ..declared import EMPTY, Perimeter
from ..policies import PolicyIndex
from ..rules import Rule
from .catalogue import is_known
from .edges import EdgeReader
from .graph import BUCKET, FlowGraph, FunctionKey, NodeKey

#: (function or resource key, rule, resource shown, message)
Finding = tuple[tuple[str, str], Rule, str, str]

_OPEN_ACLS = {
    "PublicRead": "everyone on the internet",
    "PublicReadWrite": "everyone on the internet",
    "AuthenticatedRead": "any AWS principal of any account",
    "AwsExecRead": "the EC2 service of any account",
}
_CLOSED_ACLS = frozenset({"Private", "BucketOwnerRead", "BucketOwnerFullControl", "LogDeliveryWrite"})

_FIX = (
    "fix: declare the flow on both sides ({owners} must declare {data} 'shared' with a share_reason, and so must "
    "{receiver}: with the kit, pass share_reason= to the grant or consume call), or remove the step [{edge}] so "
    "that each service keeps its own data"
)

_FIX_RESULTS = (
    "fix: {receiver} declares {function} (kind lambda-function) 'shared' with a share_reason, or {function} "
    "sends its events and results to a queue or topic of its own, shared with {receiver} (share_reason on both "
    "sides), or remove the step [{edge}]"
)


def data_flow_findings(
    assembly: Assembly, policies: PolicyIndex, perimeters: Mapping[FunctionKey, Perimeter]
) -> list[Finding]:
    """Every undeclared data path of the assembly, and every type the model does not know."""
    declared = {key: perimeter for key, perimeter in perimeters.items() if perimeter is not EMPTY}
    types = {
        (name, logical_id): index.type_of(logical_id)
        for name, index in assembly.indexes.items()
        for logical_id in index.resources
    }
    graph = FlowGraph(types, declared)
    reader = EdgeReader(assembly, policies, graph)
    reader.read()
    many = len(assembly.indexes) > 1

    def display(node: NodeKey) -> str:
        shown = f"{node[0]}/{node[1]}" if many else node[1]
        return f"{shown}/{node[2]}" if node[2] and types.get(node[:2]) == BUCKET else shown

    findings: list[Finding] = []
    for template, logical_id, message in reader.problems:
        findings.append(((template, logical_id), rules.UNRESOLVED_RESOURCE, logical_id, message))
    for (template, logical_id), resource_type in sorted(types.items()):
        if not is_known(resource_type):
            findings.append(
                (
                    (template, logical_id),
                    rules.UNRESOLVED_RESOURCE,
                    logical_id,
                    f"{logical_id} is an {resource_type}: a resource type that can move data and that the data-flow "
                    "model does not know, so no path through it can be proved declared; remove it, or extend "
                    "secure_serverless_checks/perimeter/dataflow (docs/perimeter.md, 'Data flow')",
                )
            )
    for flow in graph.undeclared_flows(display):
        owners = " and ".join(owner[1] for owner in flow.owners) or "the owner"
        if graph.is_service(flow.data):
            fix = _FIX_RESULTS.format(function=flow.data[1], receiver=flow.receiver[1], edge=flow.first_edge)
        else:
            fix = _FIX.format(owners=owners, data=display(flow.data), receiver=flow.receiver[1], edge=flow.first_edge)
        message = f"undeclared data flow: {flow.path}; {fix}"
        findings.append((flow.receiver, rules.UNDECLARED_DATA_FLOW, display(flow.data), message))
    findings += _acl_findings(assembly, graph, display)
    findings += _file_system_findings(assembly, display)
    return findings


def _acl_findings(assembly: Assembly, graph: FlowGraph, display: Any) -> list[Finding]:
    findings: list[Finding] = []
    for name, index in assembly.indexes.items():
        for bucket in index.of_type(BUCKET):
            acl = index.properties(bucket).get("AccessControl")
            if acl is None or (isinstance(acl, str) and acl in _CLOSED_ACLS):
                continue
            node = (name, bucket, "")
            owners = sorted(graph.owners(node)) or [(name, bucket)]
            if not isinstance(acl, str) or acl not in _OPEN_ACLS:
                for owner in owners:
                    message = (
                        f"{bucket}: AccessControl {acl!r} is not a canned ACL the data-flow model knows: it may open "
                        "the bucket to other principals; write one of Private, BucketOwnerFullControl, "
                        "BucketOwnerRead, LogDeliveryWrite (better: leave ACLs disabled)"
                    )
                    findings.append((owner, rules.UNRESOLVED_RESOURCE, display(node), message))
                continue
            for owner in owners:
                holder = f"{owner[1]}'s " if owner != (name, bucket) else ""
                message = (
                    f"undeclared data flow: {holder}{display(node)} -> [bucket ACL AccessControl {acl}] -> "
                    f"{_OPEN_ACLS[acl]} (every other service's principal included); fix: remove AccessControl "
                    "(the kit's SecureBucket enforces bucket-owner object ownership, which disables ACLs) and "
                    "grant each reader its own prefix; no share_reason can declare an ACL"
                )
                findings.append((owner, rules.UNDECLARED_DATA_FLOW, display(node), message))
    return findings


def _file_system_findings(assembly: Assembly, display: Any) -> list[Finding]:
    """Access points whose root directories contain one another, mounted by different functions."""
    findings: list[Finding] = []
    for name, index in assembly.indexes.items():
        mounts: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # file system -> (function, ap, path)
        for function in index.of_type("AWS::Lambda::Function"):
            configs = index.properties(function).get("FileSystemConfigs")
            for config in configs if isinstance(configs, list) else []:
                point = _referenced(config.get("Arn") if isinstance(config, dict) else None)
                if point is None or index.type_of(point) != "AWS::EFS::AccessPoint":
                    continue
                properties = index.properties(point)
                file_system = _referenced(properties.get("FileSystemId")) or str(properties.get("FileSystemId"))
                root = properties.get("RootDirectory")
                path = root.get("Path") if isinstance(root, dict) else None
                mounts[file_system].append((function, point, path if isinstance(path, str) else "/"))
        for file_system, mounted in sorted(mounts.items()):
            for function, point, path in mounted:
                for other, other_point, other_path in mounted:
                    if other == function or other_point == point or not _nested(path, other_path):
                        continue  # the same access point in two functions is reported as P16
                    message = (
                        f"undeclared data flow: {other}'s {display((name, other_point, ''))} ({other_path} on "
                        f"{file_system}) -> [root directories {other_path} and {path} overlap on {file_system}] -> "
                        f"{function}'s {display((name, point, ''))} ({path}): each function reads and writes the "
                        "other's files outside IAM; fix: give each service its own file system, or access points "
                        "whose root directories do not contain one another (/notes and /files, not / and /files)"
                    )
                    findings.append(
                        ((name, function), rules.UNDECLARED_DATA_FLOW, display((name, other_point, "")), message)
                    )
    return findings


def _referenced(value: Any) -> str | None:
    from secure_serverless_checks import cfn_intrinsics

    return cfn_intrinsics.referenced_logical_id(value)


def _nested(first: str, second: str) -> bool:
    a, b = first.rstrip("/") + "/", second.rstrip("/") + "/"
    return a.startswith(b) or b.startswith(a)
