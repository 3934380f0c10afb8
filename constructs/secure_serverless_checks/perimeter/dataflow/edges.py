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
The edges of relay roles and of values read into properties, and resolving a property to nodes,
are in ``implicit_edges.py`` (``ImplicitEdges``, the base of ``EdgeReader``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from secure_serverless_checks import cfn_intrinsics

from ..intrinsics import literal
from ..template import LAMBDA_FUNCTION, TemplateIndex
from . import shapes
from .catalogue import is_custom_resource
from .graph import BUCKET, NodeKey
from .implicit_edges import _SERVICE_TYPES, ImplicitEdges

#: Where a principal that relays data names its role.
_RELAY_ROLES: Mapping[str, str] = {
    "AWS::StepFunctions::StateMachine": "RoleArn",
    "AWS::Pipes::Pipe": "RoleArn",
    LAMBDA_FUNCTION: "Role",
}


class EdgeReader(ImplicitEdges):
    """Fills a ``FlowGraph`` with the edges of every template of the assembly."""

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
                self._target(template, logical_id, f"{logical_id}.Targets[{position}]", target, "rule")

    def _schedule(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        """A schedule carries its literal Input only (dynamic references in it are read by _values), to
        its target; what the target does not take goes to the target's dead-letter queue."""
        target = index.properties(logical_id).get("Target")
        if isinstance(target, dict):
            self._target(template, logical_id, f"{logical_id}.Target", target, "schedule")

    def _target(self, template: str, logical_id: str, where: str, target: Mapping[str, Any], what: str) -> None:
        """A rule's or a schedule's target, and its dead-letter queue.

        The events a target did not take are events meant for the target: they carry the target's
        input (its service's data) into the dead-letter queue, so the queue is an edge from the
        target too (as a function's own ``DeadLetterConfig`` is), not only from the rule.
        """
        me = [(template, logical_id, "")]
        receivers = self.nodes(template, target.get("Arn"), f"{where}.Arn")
        self._edge(me, receivers, f"target of {what} {logical_id}")
        dead_letter = target.get("DeadLetterConfig")
        if isinstance(dead_letter, dict):
            queues = self.nodes(template, dead_letter.get("Arn"), f"{where}.DeadLetterConfig.Arn")
            self._edge(me, queues, f"dead-letter queue of {what} {logical_id}")
            for receiver in receivers:
                self._edge([receiver], queues, f"dead-letter queue of {receiver[1]} as target of {what} {logical_id}")

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

    def _bucket_deployment(self, template: str, index: TemplateIndex, logical_id: str) -> None:
        """CDK's ``BucketDeployment``: a deploy-time source, each source object copied under the destination
        prefix (by CDK's handler, behind ``ServiceToken``: the custom resource's own edges)."""
        self._custom_resource(template, index, logical_id)
        properties = index.properties(logical_id)
        names, keys = shapes.list_of(properties.get("SourceBucketNames")), properties.get("SourceObjectKeys")
        keys = shapes.list_of(keys)
        prefix = properties.get("DestinationBucketKeyPrefix", "")
        destination = self.nodes(
            template,
            properties.get("DestinationBucketName"),
            f"{logical_id}.DestinationBucketName",
            (BUCKET,),
            shapes.text(prefix) if prefix != "/" else "",
        )
        for position, name in enumerate(names):
            key = keys[position] if position < len(keys) else ""
            where = f"{logical_id}.SourceBucketNames[{position}]"
            sources = self.nodes(template, name, where, (BUCKET,), shapes.text(key))
            self._edge(sources, destination, f"deploy-time source of BucketDeployment {logical_id}")


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
    "Custom::CDKBucketDeployment": EdgeReader._bucket_deployment,
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
