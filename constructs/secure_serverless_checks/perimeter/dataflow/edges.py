"""Read every edge of the data-flow graph from the templates: one reader per resource type.

Besides identity policies (judged by the analyzer itself), data moves through: event source
mappings and their failure destinations, asynchronous invocation destinations, dead-letter
queues, pipes (source, enrichment, target), log subscription filters and destinations, Firehose
delivery streams, SNS subscriptions (and their dead-letter queues), SQS redrive policies, S3
replication, inventory, analytics exports, server access logs and event notifications (also
CDK's ``Custom::S3BucketNotifications``), EventBridge rules, Step Functions definitions, the roles
of relays (state machines, pipes, functions without a declared perimeter), deploy-time sources
(code packages, layers, table imports), dynamic references (``{{resolve:...}}``) and values read
with ``Fn::GetAtt`` (an SSM parameter's ``Value``, a custom resource's data) in any property.
A value the reader cannot resolve to a resource is a finding (fail closed); one outside the
assembly (an asset bucket, a public parameter) carries no service's data and is skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
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

#: Where a principal that relays data names its role.
_RELAY_ROLES: Mapping[str, str] = {
    "AWS::StepFunctions::StateMachine": "RoleArn",
    "AWS::Pipes::Pipe": "RoleArn",
    LAMBDA_FUNCTION: "Role",
}

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


class EdgeReader:
    """Fills a ``FlowGraph`` with the edges of every template of the assembly."""

    def __init__(self, assembly: Assembly, policies: PolicyIndex, graph: FlowGraph) -> None:
        self.assembly = assembly
        self.policies = policies
        self.graph = graph
        self.problems: list[Problem] = []
        self._sources_of: dict[str, tuple[list[str], bool]] = {}

    def read(self) -> None:
        for name, index in self.assembly.indexes.items():
            for logical_id, resource in sorted(index.resources.items()):
                resource_type = str(resource["Type"])
                reader = _READERS.get(resource_type)
                if reader is None and is_custom_resource(resource_type):
                    reader = EdgeReader._custom_resource
                if reader is not None:
                    reader(self, name, index, logical_id)
                if resource_type in _RELAY_ROLES and (name, logical_id) not in self.graph.perimeters:
                    self._relay_role(name, logical_id, _RELAY_ROLES[resource_type])
                self._values(name, index, logical_id)

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

    # -- Lambda ---------------------------------------------------------------------------------

    def _function(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        properties = index.properties(logical_id)
        me = [(template, logical_id, "")]
        code = properties.get("Code")
        if isinstance(code, dict) and "S3Bucket" in code:
            self._edge(self._object(template, logical_id, code, "Code"), me, f"code package of {logical_id}")
        for position, layer in enumerate(shapes.list_of(properties.get("Layers"))):
            where = f"{logical_id}.Layers[{position}]"
            self._edge(self.nodes(template, layer, where), me, f"layer of {logical_id}")
        dead_letter = properties.get("DeadLetterConfig")
        if isinstance(dead_letter, dict):
            targets = self.nodes(template, dead_letter.get("TargetArn"), f"{logical_id}.DeadLetterConfig")
            self._edge(me, targets, f"dead-letter queue of {logical_id}")

    def _layer(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        content = index.properties(logical_id).get("Content")
        if isinstance(content, dict):
            sources = self._object(template, logical_id, content, "Content")
            self._edge(sources, [(template, logical_id, "")], f"layer content of {logical_id}")

    def _object(self, template: str, logical_id: str, holder: Mapping[str, Any], prop: str) -> list[NodeKey]:
        key = holder.get("S3Key")
        head = literal(self.assembly.resolvers[template].resolve(key, f"{logical_id}.{prop}.S3Key")) if key else ""
        return self.nodes(template, holder.get("S3Bucket"), f"{logical_id}.{prop}.S3Bucket", (BUCKET,), head or "")

    def _mapping(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        properties = index.properties(logical_id)
        sources = self.nodes(template, properties.get("EventSourceArn"), f"{logical_id}.EventSourceArn")
        function = self.nodes(
            template, properties.get("FunctionName"), f"{logical_id}.FunctionName", (LAMBDA_FUNCTION,)
        )
        self._edge(sources, function, f"event source mapping {logical_id}")
        for destination in self._destinations(template, logical_id, properties.get("DestinationConfig")):
            self._edge(sources, [destination], f"on-failure destination of event source mapping {logical_id}")

    def _invoke_config(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        properties = index.properties(logical_id)
        function = self.nodes(
            template, properties.get("FunctionName"), f"{logical_id}.FunctionName", (LAMBDA_FUNCTION,)
        )
        for destination in self._destinations(template, logical_id, properties.get("DestinationConfig")):
            self._edge(function, [destination], f"invocation destination {logical_id}")

    def _destinations(self, template: str, logical_id: str, config: Any) -> list[NodeKey]:
        found: list[NodeKey] = []
        if isinstance(config, dict):
            for outcome in ("OnSuccess", "OnFailure"):
                destination = config.get(outcome)
                if isinstance(destination, dict):
                    where = f"{logical_id}.DestinationConfig.{outcome}"
                    found += self.nodes(template, destination.get("Destination"), where)
        return found

    # -- pipes, logs, streams -------------------------------------------------------------------

    def _pipe(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        properties = index.properties(logical_id)
        me = [(template, logical_id, "")]
        self._edge(
            self.nodes(template, properties.get("Source"), f"{logical_id}.Source"), me, f"source of pipe {logical_id}"
        )
        enrichment = self.nodes(template, properties.get("Enrichment"), f"{logical_id}.Enrichment")
        self._edge(me, enrichment, f"enrichment of pipe {logical_id}")
        self._edge(enrichment, me, f"enrichment result of pipe {logical_id}")
        self._edge(
            me, self.nodes(template, properties.get("Target"), f"{logical_id}.Target"), f"target of pipe {logical_id}"
        )
        for where, value in shapes.find(
            properties.get("SourceParameters"), "DeadLetterConfig", f"{logical_id}.SourceParameters"
        ):
            if isinstance(value, dict):
                self._edge(me, self.nodes(template, value.get("Arn"), where), f"dead-letter queue of pipe {logical_id}")

    def _subscription_filter(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        properties = index.properties(logical_id)
        groups = self.nodes(
            template, properties.get("LogGroupName"), f"{logical_id}.LogGroupName", ("AWS::Logs::LogGroup",)
        )
        destination = self.nodes(template, properties.get("DestinationArn"), f"{logical_id}.DestinationArn")
        self._edge(groups, destination, f"log subscription filter {logical_id}")

    def _log_destination(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        target = self.nodes(template, index.properties(logical_id).get("TargetArn"), f"{logical_id}.TargetArn")
        self._edge([(template, logical_id, "")], target, f"log destination {logical_id}")

    def _stream_consumer(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        stream = self.nodes(template, index.properties(logical_id).get("StreamARN"), f"{logical_id}.StreamARN")
        self._edge(stream, [(template, logical_id, "")], f"stream consumer {logical_id}")

    def _firehose(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        properties = index.properties(logical_id)
        me = [(template, logical_id, "")]
        source = properties.get("KinesisStreamSourceConfiguration")
        if isinstance(source, dict):
            where = f"{logical_id}.KinesisStreamSourceConfiguration"
            self._edge(self.nodes(template, source.get("KinesisStreamARN"), where), me, f"source of {logical_id}")
        for where, value in shapes.find(properties, "BucketARN", logical_id):
            holder = shapes.parent(properties, where, logical_id)
            prefix = holder.get("Prefix") if isinstance(holder, dict) else None
            head = shapes.key_head("/" + prefix) if isinstance(prefix, str) else ""
            self._edge(me, self.nodes(template, value, where, (BUCKET,), head), f"delivery of {logical_id}")
        for key in ("DomainARN", "ClusterEndpoint"):
            for where, value in shapes.find(properties, key, logical_id):
                self._edge(me, self.nodes(template, value, where), f"delivery of {logical_id}")
        for where, value in shapes.find(properties, "ParameterValue", logical_id):
            holder = shapes.parent(properties, where, logical_id)
            if isinstance(holder, dict) and holder.get("ParameterName") == "LambdaArn":
                processor = self.nodes(template, value, where)
                self._edge(me, processor, f"record transformation of {logical_id}")
                self._edge(processor, me, f"record transformation of {logical_id}")

    # -- S3 -------------------------------------------------------------------------------------

    def _bucket(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        properties = index.properties(logical_id)
        replication = properties.get("ReplicationConfiguration")
        for position, rule in enumerate(
            shapes.list_of(replication.get("Rules") if isinstance(replication, dict) else None)
        ):
            if not isinstance(rule, dict):
                continue
            head = shapes.filter_prefix(rule)
            destination = rule.get("Destination")
            where = f"{logical_id}.ReplicationConfiguration.Rules[{position}]"
            if isinstance(destination, dict):
                targets = self.nodes(template, destination.get("Bucket"), where, (BUCKET,), head)
                label = f"replication rule {rule.get('Id', position)} of {logical_id}"
                self._edge([(template, logical_id, head)], targets, label)
        for position, inventory in enumerate(shapes.list_of(properties.get("InventoryConfigurations"))):
            if isinstance(inventory, dict):
                head = shapes.text(inventory.get("Prefix"))
                self._export(
                    template,
                    logical_id,
                    head,
                    inventory.get("Destination"),
                    f"inventory {inventory.get('Id', position)} of {logical_id}",
                    f"{logical_id}.InventoryConfigurations[{position}]",
                )
        for position, analytics in enumerate(shapes.list_of(properties.get("AnalyticsConfigurations"))):
            if not isinstance(analytics, dict):
                continue
            head = shapes.text(analytics.get("Prefix"))
            export = analytics.get("StorageClassAnalysis")
            export = export.get("DataExport") if isinstance(export, dict) else None
            destination = export.get("Destination") if isinstance(export, dict) else None
            self._export(
                template,
                logical_id,
                head,
                destination,
                f"analytics export {analytics.get('Id', position)} of {logical_id}",
                f"{logical_id}.AnalyticsConfigurations[{position}]",
            )
        logging = properties.get("LoggingConfiguration")
        if isinstance(logging, dict) and "DestinationBucketName" in logging:
            prefix = logging.get("LogFilePrefix")
            head = prefix if isinstance(prefix, str) else ""
            where = f"{logical_id}.LoggingConfiguration.DestinationBucketName"
            targets = self.nodes(template, logging["DestinationBucketName"], where, (BUCKET,), head)
            self._edge(
                [(template, logical_id, "")],
                [(t[0], t[1], head) for t in targets],
                f"server access logs of {logical_id}",
            )
        self._notifications(template, logical_id, logical_id, properties.get("NotificationConfiguration"), "")

    def _export(self, template: str, bucket: str, head: str, destination: Any, label: str, where: str) -> None:
        if not isinstance(destination, dict):
            return
        prefix = destination.get("Prefix")
        target_head = prefix if isinstance(prefix, str) else ""
        targets = self.nodes(template, destination.get("BucketArn"), f"{where}.Destination", (BUCKET,), target_head)
        self._edge([(template, bucket, head)], [(t[0], t[1], target_head) for t in targets], label)

    def _notifications(self, template: str, holder: str, bucket: str, config: Any, via: str) -> None:
        if not isinstance(config, dict):
            return
        label = f"event notification of {bucket}" + (f" ({via})" if via else "")
        for group, keys in (
            ("LambdaConfigurations", ("Function", "LambdaFunctionArn")),
            ("QueueConfigurations", ("Queue", "QueueArn")),
            ("TopicConfigurations", ("Topic", "TopicArn")),
        ):
            for position, item in enumerate(shapes.list_of(config.get(group))):
                if not isinstance(item, dict):
                    continue
                head = shapes.notification_prefix(item.get("Filter"))
                for key in keys:
                    if key in item:
                        targets = self.nodes(
                            template, item[key], f"{holder}.NotificationConfiguration.{group}[{position}]"
                        )
                        self._edge([(template, bucket, head)], targets, label)
        if config.get("EventBridgeConfiguration") not in (None, {"EventBridgeEnabled": False}):
            self._edge([(template, bucket, "")], [shapes.default_bus(template)], label)

    def _bucket_notifications(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        properties = index.properties(logical_id)
        buckets = self.nodes(template, properties.get("BucketName"), f"{logical_id}.BucketName", (BUCKET,))
        for bucket in buckets:
            if bucket[0] == template:
                self._notifications(
                    template, logical_id, bucket[1], properties.get("NotificationConfiguration"), logical_id
                )
        self._custom_resource(template, index, logical_id)

    # -- tables, topics, queues ------------------------------------------------------------------

    def _table(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        properties = index.properties(logical_id)
        me = [(template, logical_id, "")]
        source = properties.get("ImportSourceSpecification")
        bucket_source = source.get("S3BucketSource") if isinstance(source, dict) else None
        if isinstance(bucket_source, dict):
            prefix = bucket_source.get("S3KeyPrefix")
            head = prefix if isinstance(prefix, str) else ""
            where = f"{logical_id}.ImportSourceSpecification.S3BucketSource.S3Bucket"
            sources = self.nodes(template, bucket_source.get("S3Bucket"), where, (BUCKET,), head)
            self._edge([(t[0], t[1], head) for t in sources], me, f"table import of {logical_id}")
        kinesis = properties.get("KinesisStreamSpecification")
        if isinstance(kinesis, dict):
            stream = self.nodes(template, kinesis.get("StreamArn"), f"{logical_id}.KinesisStreamSpecification")
            self._edge(me, stream, f"Kinesis streaming of {logical_id}")

    def _topic(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        for position, subscription in enumerate(shapes.list_of(index.properties(logical_id).get("Subscription"))):
            if isinstance(subscription, dict):
                where = f"{logical_id}.Subscription[{position}].Endpoint"
                targets = self.nodes(template, subscription.get("Endpoint"), where)
                self._edge([(template, logical_id, "")], targets, f"subscription of {logical_id}")

    def _subscription(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        properties = index.properties(logical_id)
        topic = self.nodes(template, properties.get("TopicArn"), f"{logical_id}.TopicArn", ("AWS::SNS::Topic",))
        endpoint = self.nodes(template, properties.get("Endpoint"), f"{logical_id}.Endpoint")
        self._edge(topic, endpoint, f"subscription {logical_id}")
        dead_letter = shapes.json_value(properties.get("RedrivePolicy"))
        if isinstance(dead_letter, dict) and "deadLetterTargetArn" in dead_letter:
            where = f"{logical_id}.RedrivePolicy.deadLetterTargetArn"
            self._edge(
                topic,
                self.nodes(template, dead_letter["deadLetterTargetArn"], where),
                f"dead-letter queue of subscription {logical_id}",
            )

    def _queue(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        redrive = shapes.json_value(index.properties(logical_id).get("RedrivePolicy"))
        if isinstance(redrive, dict) and "deadLetterTargetArn" in redrive:
            where = f"{logical_id}.RedrivePolicy.deadLetterTargetArn"
            self._edge(
                [(template, logical_id, "")],
                self.nodes(template, redrive["deadLetterTargetArn"], where),
                f"redrive policy of {logical_id}",
            )

    # -- EventBridge, Step Functions, rotation, custom resources ----------------------------------

    def _rule(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        properties = index.properties(logical_id)
        me = [(template, logical_id, "")]
        if "EventPattern" in properties:
            bus = properties.get("EventBusName")
            buses = (
                [shapes.default_bus(template)]
                if bus is None or bus == "default"
                else self.nodes(template, bus, f"{logical_id}.EventBusName", ("AWS::Events::EventBus",))
            )
            self._edge(buses, me, f"event rule {logical_id}")
        for position, target in enumerate(shapes.list_of(properties.get("Targets"))):
            if isinstance(target, dict):
                where = f"{logical_id}.Targets[{position}]"
                self._edge(me, self.nodes(template, target.get("Arn"), f"{where}.Arn"), f"target of rule {logical_id}")
                dead_letter = target.get("DeadLetterConfig")
                if isinstance(dead_letter, dict):
                    self._edge(
                        me,
                        self.nodes(template, dead_letter.get("Arn"), f"{where}.DeadLetterConfig"),
                        f"dead-letter queue of rule {logical_id}",
                    )

    def _schedule(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        return  # a schedule carries its literal Input only; dynamic references in it are read by _values

    def _state_machine(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        properties = index.properties(logical_id)
        if "DefinitionS3Location" in properties:
            self.problems.append(
                (
                    template,
                    logical_id,
                    f"{logical_id}: the state machine's definition is in S3 (DefinitionS3Location), "
                    "not in the template: its tasks cannot be followed; inline the definition",
                )
            )
        me = (template, logical_id, "")
        referenced = {
            name
            for key in ("Definition", "DefinitionString", "DefinitionSubstitutions")
            for name, _ in cfn_intrinsics.references(properties.get(key))
            if index.has(name)
        }
        for name in sorted(referenced):
            node = (template, name, "")
            label = f"task of state machine {logical_id}"
            self._edge([node], [me], label)
            self._edge([me], [node], label)

    def _rotation(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        properties = index.properties(logical_id)
        secrets = self.nodes(
            template, properties.get("SecretId"), f"{logical_id}.SecretId", ("AWS::SecretsManager::Secret",)
        )
        function = self.nodes(template, properties.get("RotationLambdaARN"), f"{logical_id}.RotationLambdaARN")
        self._edge(secrets, function, f"rotation schedule {logical_id}")

    def _backup_selection(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        """The selected resources are copied into the plan's vaults (and the vaults its rules copy to)."""
        properties = index.properties(logical_id)
        plan = cfn_intrinsics.referenced_logical_id(properties.get("BackupPlanId"))
        selection = properties.get("BackupSelection")
        if plan is None or index.type_of(plan) != "AWS::Backup::BackupPlan" or not isinstance(selection, dict):
            self.problems.append(
                (
                    template,
                    logical_id,
                    f"{logical_id}: the backup plan or selection cannot be read; name the plan "
                    "with Ref and write the selection in the template",
                )
            )
            return
        backup_plan = index.properties(plan).get("BackupPlan")
        vaults: list[NodeKey] = []
        for position, rule in enumerate(
            shapes.list_of(backup_plan.get("BackupPlanRule") if isinstance(backup_plan, dict) else None)
        ):
            if not isinstance(rule, dict):
                continue
            where = f"{plan}.BackupPlan.BackupPlanRule[{position}]"
            vaults += self.nodes(template, rule.get("TargetBackupVault"), where, ("AWS::Backup::BackupVault",))
            for copy_where, value in shapes.find(rule.get("CopyActions"), "DestinationBackupVaultArn", where):
                vaults += self.nodes(template, value, copy_where, ("AWS::Backup::BackupVault",))
        resources: list[NodeKey] = []
        for position, value in enumerate(shapes.list_of(selection.get("Resources"))):
            where = f"{logical_id}.BackupSelection.Resources[{position}]"
            resources += self.nodes(template, value, where)
        if selection.get("ListOfTags") or selection.get("Conditions") or not resources:
            resources = [(template, other, "") for other in _data_resources(index)]  # selected by tag: any
        self._edge(resources, vaults, f"backup selection {logical_id}")

    def _custom_resource(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        me = [(template, logical_id, "")]
        provider = self.nodes(template, index.properties(logical_id).get("ServiceToken"), f"{logical_id}.ServiceToken")
        self._edge(me, provider, f"properties of custom resource {logical_id}")
        self._edge(provider, me, f"response of custom resource {logical_id}")

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
            found = (sources, "{{resolve:" in json.dumps(index.resources))
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


def _data_resources(index: TemplateIndex) -> list[str]:
    return [
        logical_id
        for t in _SERVICE_TYPES.values()
        for resource_type in t
        for logical_id in index.of_type(resource_type)
    ]


_Reader = Callable[[EdgeReader, str, TemplateIndex, str], None]

_READERS: Mapping[str, _Reader] = {
    LAMBDA_FUNCTION: EdgeReader._function,
    "AWS::Lambda::LayerVersion": EdgeReader._layer,
    "AWS::Lambda::EventSourceMapping": EdgeReader._mapping,
    "AWS::Lambda::EventInvokeConfig": EdgeReader._invoke_config,
    "AWS::Pipes::Pipe": EdgeReader._pipe,
    "AWS::Logs::SubscriptionFilter": EdgeReader._subscription_filter,
    "AWS::Logs::Destination": EdgeReader._log_destination,
    "AWS::Kinesis::StreamConsumer": EdgeReader._stream_consumer,
    "AWS::KinesisFirehose::DeliveryStream": EdgeReader._firehose,
    BUCKET: EdgeReader._bucket,
    "Custom::S3BucketNotifications": EdgeReader._bucket_notifications,
    "AWS::DynamoDB::Table": EdgeReader._table,
    "AWS::DynamoDB::GlobalTable": EdgeReader._table,
    "AWS::SNS::Topic": EdgeReader._topic,
    "AWS::SNS::Subscription": EdgeReader._subscription,
    "AWS::SQS::Queue": EdgeReader._queue,
    "AWS::Events::Rule": EdgeReader._rule,
    "AWS::Scheduler::Schedule": EdgeReader._schedule,
    "AWS::StepFunctions::StateMachine": EdgeReader._state_machine,
    "AWS::SecretsManager::RotationSchedule": EdgeReader._rotation,
    "AWS::Backup::BackupSelection": EdgeReader._backup_selection,
}
