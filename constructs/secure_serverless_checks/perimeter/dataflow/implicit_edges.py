"""The edges no resource's configuration spells out, and resolving a property to nodes.

``ImplicitEdges`` is the base of ``EdgeReader`` (``edges.py``, the edges a resource's configuration
names). It holds what both kinds need (resolving a property to the resources it names, adding an
edge) and the two kinds of edges read from elsewhere: what the role of a relay (a state machine, a
pipe, a function without a declared perimeter) may read and write, and values read into any
property (``Fn::GetAtt`` of an SSM parameter's ``Value`` or a custom resource's data, dynamic
references ``{{resolve:...}}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from secure_serverless_checks import cfn_intrinsics
from secure_serverless_checks.access_levels import is_configuration_action

from ..assembly import Assembly
from ..intrinsics import encoded as encoded_sym
from ..intrinsics import literal, render, tokens
from ..policies import Grant, PolicyIndex
from ..targets import classify, is_pattern
from ..template import LAMBDA_FUNCTION, TemplateIndex
from . import shapes
from .catalogue import is_custom_resource
from .graph import BUCKET, FlowGraph, NodeKey

#: Action verbs that bring data to the principal (read) and that carry it away (write).
_READ = re.compile(r"^(get|batchget|query|scan|receive|select|read|list|filter|export|describestream|subscribe)")
_WRITE = re.compile(r"^(put|batchwrite|send|publish|update|invoke|start|write|copy|restore|import|upload|create)")
_BOTH = re.compile(r"^(invoke|startsyncexecution)")
#: Actions that configure where a service sends its own logs (vended log delivery, which CDK grants
#: on ``*`` to every state machine or pipe with logging) and that read or carry no log events: they
#: are no data edge. Reading events is ``logs:GetLogEvents`` / ``FilterLogEvents`` / ``StartQuery``.
_MOVES_NO_DATA = frozenset(
    {
        "logs:createlogdelivery",
        "logs:getlogdelivery",
        "logs:updatelogdelivery",
        "logs:deletelogdelivery",
        "logs:listlogdeliveries",
        "logs:putresourcepolicy",
        "logs:describeresourcepolicies",
        "logs:describeloggroups",
    }
)

#: Service prefix of an action -> the types a wildcard resource of it may be.
_SERVICE_TYPES: Mapping[str, tuple[str, ...]] = {
    "dynamodb": ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"),
    "s3": (BUCKET,),
    "sqs": ("AWS::SQS::Queue",),
    "sns": ("AWS::SNS::Topic",),
    "secretsmanager": ("AWS::SecretsManager::Secret",),
    "ssm": ("AWS::SSM::Parameter",),
    "logs": ("AWS::Logs::LogGroup",),
    "kinesis": ("AWS::Kinesis::Stream",),
    "lambda": (LAMBDA_FUNCTION,),
}

_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(?P<service>secretsmanager|ssm-secure|ssm):(?P<id>[^}]*)\}\}")
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
_DEFAULT_BUS = re.compile(
    r"^arn:(?:\$\{AWS::Partition\}|aws[a-z-]*):events:\$\{AWS::Region\}:\$\{AWS::AccountId\}:event-bus/default$"
)

Problem = tuple[str, str, str]  # (template, logical id, message)


class ImplicitEdges:
    """Resolves properties to nodes and adds the edges of relay roles and of values read into properties."""

    def __init__(self, assembly: Assembly, policies: PolicyIndex, graph: FlowGraph) -> None:
        self.assembly = assembly
        self.policies = policies
        self.graph = graph
        self.problems: list[Problem] = []
        self._sources_of: dict[str, tuple[list[str], bool]] = {}

    # -- resolving a property to nodes --------------------------------------------------------

    def nodes(
        self, template: str, value: Any, where: str, types: tuple[str, ...] = (), part: str = ""
    ) -> list[NodeKey]:
        """The resources a property names (an ARN, a name, a URL); outside the assembly: none."""
        if value is None:
            return []
        index = self.assembly.indexes[template]
        found: list[NodeKey] = []
        for sym in self.assembly.resolvers[template].resolve_list(value, where):
            text = literal(sym)
            if text is not None and "{{resolve:" in text:
                continue  # a dynamic reference: read as such by _values
            target = classify(sym, index, self.policies.lookup)
            if target.status == "resource" and target.logical_id is not None:
                owner = target.template or template
                head = shapes.key_head(target.suffix) if self._type(owner, target.logical_id) == BUCKET else ""
                found.append((owner, target.logical_id, head or part))
                continue
            resource_tokens = [t for t in tokens(sym) if t.kind in ("ref", "getatt")]
            if resource_tokens:
                token = resource_tokens[0]
                found.append((token.stack or template, token.name, part))
                continue
            if text is not None:
                named = [index.by_physical_name(t, text) for t in types]
                logical_ids = [logical_id for logical_id in named if logical_id]
                if logical_ids:
                    found.append((template, logical_ids[0], part))
                    continue
            if shapes.outside(sym) and _DEFAULT_BUS.match(render(sym)):
                found.append(shapes.default_bus(template))  # the account's default bus of this region
                continue
            if (BUCKET in types or not types) and shapes.outside(sym):
                shown = render(sym)  # bucket names are global: a name or S3 ARN with ${AWS::AccountId} too
                elsewhere = self._global_bucket(shown, shown)
                if elsewhere is not None:
                    found.append((*elsewhere, part))
                    continue
            if target.status in ("external", "wildcard") or text is not None or shapes.outside(sym):
                continue  # a literal that names nothing of the assembly: outside it
            self.problems.append(
                (
                    template,
                    where.split(".", 1)[0],
                    f"{where} is {render(sym)}: the data-flow model cannot tell "
                    "which resource it names; name it with Ref or Fn::GetAtt",
                )
            )
        return found

    def _global_bucket(self, name: str, arn: str) -> tuple[str, str] | None:
        """A bucket of any template named ``name`` (or by ``arn:aws:s3:::name``): bucket names are global,
        so a replica in a stack of another region is still the assembly's bucket."""
        if arn.startswith("arn:") and ":s3:::" in arn:
            name = arn.split(":s3:::", 1)[1].split("/", 1)[0]
        elif arn.startswith("arn:"):
            return None
        for template, index in self.assembly.indexes.items():
            logical_id = index.by_physical_name(BUCKET, name)
            if logical_id is not None:
                return template, logical_id
        return None

    def _type(self, template: str, logical_id: str) -> str:
        index = self.assembly.indexes.get(template)
        return index.type_of(logical_id) if index else ""

    def _edge(self, sources: list[NodeKey], targets: list[NodeKey], label: str) -> None:
        for source in sources:
            for target in targets:
                part = source[2] if self._type(target[0], target[1]) == BUCKET and not target[2] else target[2]
                self.graph.add(source, (target[0], target[1], part), label)

    # -- roles of relays ------------------------------------------------------------------------

    def _relay_role(self, template: str, logical_id: str, property_name: str) -> None:
        role = self.policies.function_role(template, logical_id, property_name)
        if role.logical_id is None:
            return  # a function without a role the analyzer can follow is reported as P03
        key = (role.template or template, role.logical_id)
        grants = list(self.policies.grants[key]) + [
            g for g, spared in self.policies.everyone_grants if key not in spared
        ]
        me = [(template, logical_id, "")]
        for grant in grants:
            targets = self._grant_nodes(template, grant)
            for action in grant.actions if not grant.not_action else ("*",):
                if action.lower() in _MOVES_NO_DATA or is_configuration_action(action):
                    continue
                verb = action.split(":", 1)[-1].lower()
                both = grant.not_action or is_pattern(action) or bool(_BOTH.match(verb))
                label = f"role {role.logical_id} of {logical_id} may {action}"
                if both or _READ.match(verb):
                    self._edge(targets, me, label)
                if both or _WRITE.match(verb):
                    self._edge(me, targets, label)

    def _grant_nodes(self, template: str, grant: Grant) -> list[NodeKey]:
        target = grant.target
        if target.status == "resource" and target.logical_id is not None:
            owner = target.template or template
            head = shapes.key_head(target.suffix) if self._type(owner, target.logical_id) == BUCKET else ""
            return [(owner, target.logical_id, head)]
        if target.status != "wildcard":
            return []
        services = {a.split(":", 1)[0].lower() for a in grant.actions if ":" in a}
        if grant.not_action or any(is_pattern(s) for s in services) or not services:
            services = set(_SERVICE_TYPES)
        return [
            (name, logical_id, "")
            for name, index in self.assembly.indexes.items()
            for service in sorted(services)
            for resource_type in _SERVICE_TYPES.get(service, ())
            for logical_id in index.of_type(resource_type)
        ]

    # -- values read into any property -----------------------------------------------------------

    def _values(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        sources, resolves = self._value_sources(template, index)
        if not sources and not resolves:
            return  # the template reads no values: no parameter, no custom resource, no {{resolve:}}
        holder = [(template, logical_id, "")]
        properties = index.properties(logical_id)
        text = json.dumps(properties)
        if any(name in text for name in sources):  # a cheap filter before walking the properties
            for name, attribute in cfn_intrinsics.references(properties):
                resource_type = index.type_of(name) if attribute else ""
                if (resource_type == "AWS::SSM::Parameter" and attribute == "Value") or is_custom_resource(
                    resource_type
                ):
                    self._edge([(template, name, "")], holder, f"Fn::GetAtt {name}.{attribute} in {logical_id}")
        if "{{resolve:" not in text:
            return
        for where, value in shapes.strings_with(properties, "{{resolve:", logical_id):
            for sym in self.assembly.resolvers[template].resolve_all(value, where):
                for source, reference in self._dynamic_references(template, index, sym, where):
                    self._edge([source], holder, f"dynamic reference {reference} in {where}")

    def _value_sources(self, template: str, index: TemplateIndex) -> tuple[list[str], bool]:
        """Resources whose attributes carry data (SSM parameters' ``Value``, custom resources), and
        whether the template holds a dynamic reference at all."""
        found = self._sources_of.get(template)
        if found is None:
            sources = [
                logical_id
                for logical_id, resource in index.resources.items()
                if resource["Type"] == "AWS::SSM::Parameter" or is_custom_resource(str(resource["Type"]))
            ]
            found = (sources, index.mentions("{{resolve:"))
            self._sources_of[template] = found
        return found

    def _dynamic_references(
        self, template: str, index: TemplateIndex, sym: tuple[Any, ...], where: str
    ) -> Iterator[tuple[NodeKey, str]]:
        encoded, placeholders = encoded_sym(sym)
        for match in _DYNAMIC_REFERENCE.finditer(encoded):
            service, identifier = match["service"], match["id"]
            shown = _PLACEHOLDER.sub(lambda found: placeholders[int(found[1])].render(), match[0])
            # an ARN is 7 fields (the secret's ARN ends with its name); a name ends at the first ':'
            name = ":".join(identifier.split(":")[:7]) if identifier.startswith("arn:") else identifier.split(":", 1)[0]
            whole = _PLACEHOLDER.fullmatch(name)
            if whole is not None and placeholders[int(whole[1])].kind in ("ref", "getatt"):
                token = placeholders[int(whole[1])]
                yield (token.stack or template, token.name, ""), shown
                continue
            resource_type = "AWS::SecretsManager::Secret" if service == "secretsmanager" else "AWS::SSM::Parameter"
            text = _PLACEHOLDER.sub(lambda found: placeholders[int(found[1])].render(), name)
            if text.startswith("arn:"):
                nodes = self.nodes(template, text, where, (resource_type,))
                yield from ((node, shown) for node in nodes)
                continue
            logical_id = index.by_physical_name(resource_type, text) or index.by_physical_name(
                resource_type, "/" + text.lstrip("/")
            )
            if logical_id is not None:
                yield (template, logical_id, ""), shown
            elif "\x00" in name:
                self.problems.append(
                    (
                        template,
                        where.split(".", 1)[0],
                        f"{where}: the dynamic reference {shown} names something the "
                        "data-flow model cannot identify; name the secret or parameter with Ref",
                    )
                )
