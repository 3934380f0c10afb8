"""Read-only view of one template: resources by logical id, their types and physical names.

Every other module asks questions of a template through this class so that the raw JSON is
validated in one place and an unexpected shape becomes an input error, not a ``KeyError``.
"""

from __future__ import annotations

import json
import marshal
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..cloud_assembly import Environment
from .errors import TemplateStructureError
from .loader import check_template

LAMBDA_FUNCTION = "AWS::Lambda::Function"
IAM_ROLE = "AWS::IAM::Role"

#: Property holding a resource's physical name. A literal ARN such as
#: ``arn:aws:dynamodb:...:table/notes`` then names the template's resource; so does an ARN built
#: from the same expression (``table/${AWS::StackName}-notes`` for a ``TableName`` of
#: ``{"Fn::Sub": "${AWS::StackName}-notes"}``).
NAME_PROPERTIES: Mapping[str, str] = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::DynamoDB::GlobalTable": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::SSM::Parameter": "Name",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    IAM_ROLE: "RoleName",
}


@dataclass(frozen=True)
class TemplateIndex:
    """One named template, validated, with lookups by logical id, type and physical name."""

    name: str
    template: Mapping[str, Any]
    environment: Environment = field(default_factory=Environment)
    #: The template is what ``load_path`` parsed (JSON types only): ``mentions`` may then read it through ``marshal``.
    parsed_json: bool = field(default=False, repr=False, compare=False)
    _by_type: dict[str, list[str]] = field(init=False, repr=False, compare=False)
    _by_name: dict[tuple[str, str], str] = field(init=False, repr=False, compare=False)
    #: Type of every resource by logical id: ``type_of`` is asked hundreds of thousands of times.
    _type_of: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_template(self.template, self.name)
        by_type: dict[str, list[str]] = defaultdict(list)
        type_of = {logical_id: str(resource["Type"]) for logical_id, resource in self.resources.items()}
        for logical_id in sorted(type_of):
            by_type[type_of[logical_id]].append(logical_id)
        object.__setattr__(self, "_by_type", dict(by_type))
        object.__setattr__(self, "_type_of", type_of)
        object.__setattr__(self, "_by_name", {})
        self.index_names(lambda value, where: value if isinstance(value, str) else None)

    def index_names(self, render_name: Any) -> None:
        """Index physical names; ``render_name(value, where)`` turns a name property into text
        (tokens as ``${...}``), or None when the name cannot be matched."""
        for resource_type, prop in NAME_PROPERTIES.items():
            for logical_id in self.of_type(resource_type):
                value = self.properties(logical_id).get(prop)
                if value is None:
                    continue
                text = render_name(value, f"{logical_id}.Properties.{prop}")
                if text is not None:
                    self._by_name[(resource_type, text)] = logical_id

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        resources: Mapping[str, Mapping[str, Any]] = self.template["Resources"]
        return resources

    @cached_property
    def resources_text(self) -> str:
        """The resources as JSON text, made once: a cheap test for a string anywhere in them.

        Without the encoder's cycle check (half its cost at 14,000 resources): the text is the same,
        and only a cycle or a deep nesting can fail, which the checked encoder then reports as before.
        """
        try:
            return json.dumps(self.resources, check_circular=False)
        except RecursionError:
            return json.dumps(self.resources)

    def mentions(self, text: str) -> bool:
        """False only when no string of the resources (key or value) contains ``text``: a cheap test
        before a walk for it. ``text`` must be ASCII without quotes or backslashes.

        A parsed template is tested on its ``marshal`` encoding (every string as its UTF-8 bytes, unescaped:
        five times cheaper than ``resources_text`` at 14,000 resources); any other on ``resources_text``,
        whose JSON encoder also refuses a value that is not JSON, as the analysis always did.
        """
        encoded = self._resources_marshal if self.parsed_json else None
        if encoded is not None:
            return text.encode() in encoded
        return text in self.resources_text

    @cached_property
    def _resources_marshal(self) -> bytes | None:
        try:
            return marshal.dumps(dict(self.resources))  # a copy of the top level only
        except (ValueError, RecursionError):  # nested too deeply, or not of the types JSON gives: the JSON text
            return None

    @property
    def parameters(self) -> Mapping[str, Any]:
        parameters = self.template.get("Parameters")
        return parameters if isinstance(parameters, dict) else {}

    @property
    def mappings(self) -> Mapping[str, Any]:
        mappings = self.template.get("Mappings")
        return mappings if isinstance(mappings, dict) else {}

    @property
    def outputs(self) -> Mapping[str, Any]:
        outputs = self.template.get("Outputs")
        return outputs if isinstance(outputs, dict) else {}

    def has(self, logical_id: str) -> bool:
        return logical_id in self._type_of

    def type_of(self, logical_id: str) -> str:
        """The resource's CloudFormation type, or "" when the template has no such resource."""
        return self._type_of.get(logical_id, "")

    def properties(self, logical_id: str) -> Mapping[str, Any]:
        resource = self.resources.get(logical_id) or {}
        properties = resource.get("Properties", {})
        if not isinstance(properties, dict):
            raise TemplateStructureError(f"{self.name}: {logical_id}: 'Properties' is not an object")
        return properties

    def metadata(self, logical_id: str) -> Mapping[str, Any]:
        resource = self.resources.get(logical_id) or {}
        metadata = resource.get("Metadata", {})
        return metadata if isinstance(metadata, dict) else {}

    def of_type(self, resource_type: str) -> list[str]:
        """Logical ids of every resource of ``resource_type``, sorted for stable output."""
        return self._by_type.get(resource_type, [])

    def types(self) -> list[str]:
        return sorted(self._by_type)

    def by_physical_name(self, resource_type: str, name: str) -> str | None:
        """The logical id of the resource of ``resource_type`` whose name is ``name``."""
        return self._by_name.get((resource_type, name))
