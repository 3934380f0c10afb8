"""The templates of one cloud assembly, read together.

A grant can cross templates: a role exported by one stack and imported by another
(``Fn::ImportValue``), a nested stack (``AWS::CloudFormation::Stack``) that receives a role ARN as
a parameter, a resource policy in one stack naming a role of another. The assembly gives each
template's resolver the exports of the others and the parameters its parent passes, and lists
what cannot be followed (a nested stack whose template is not in the assembly, a template that
still needs a transform) as problems, which the analyzer reports as P14.
"""

from __future__ import annotations

import functools
import weakref
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..cloud_assembly import Environment
from .intrinsics import Resolver, Sym, concat, literal, render
from .loader import LoadedTemplates
from .template import IAM_ROLE, TemplateIndex

if TYPE_CHECKING:
    from .policies import PolicyIndex, RoleKey

NESTED_STACK = "AWS::CloudFormation::Stack"

#: Where non-Lambda compute names its role: a role used there and by a function is shared.
_COMPUTE_ROLE_PATHS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "AWS::Serverless::Function": (("Role",),),
    "AWS::StepFunctions::StateMachine": (("RoleArn",),),
    "AWS::Serverless::StateMachine": (("Role",),),
    "AWS::ECS::TaskDefinition": (("TaskRoleArn",), ("ExecutionRoleArn",)),
    "AWS::Batch::JobDefinition": (("ContainerProperties", "JobRoleArn"),),
    "AWS::CodeBuild::Project": (("ServiceRole",),),
    "AWS::EC2::InstanceProfile": (("Roles",),),
    "AWS::Pipes::Pipe": (("RoleArn",),),
    "AWS::AppSync::DataSource": (("ServiceRoleArn",),),
    "AWS::Glue::Job": (("Role",),),
    "AWS::Scheduler::Schedule": (("Target", "RoleArn"),),
    "AWS::Events::Rule": (("RoleArn",),),
    "AWS::ApiGateway::Method": (("Integration", "Credentials"),),
}


class Assembly:
    """Indexes and resolvers of every template, linked through exports and nested stacks."""

    def __init__(self, templates: Mapping[str, Mapping[str, Any]]) -> None:
        environments: Mapping[str, Environment] = getattr(templates, "environments", {})
        parsed = isinstance(templates, LoadedTemplates)  # parsed JSON (``TemplateIndex.mentions``)
        self.indexes: dict[str, TemplateIndex] = {
            name: TemplateIndex(name, template, environments.get(name, Environment()), parsed)
            for name, template in templates.items()
        }
        self.problems: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self._parents: dict[str, tuple[str, str]] = {}
        self._exports: dict[str, tuple[str, Any]] = {}
        self.resolvers: dict[str, Resolver] = {}
        # The resolvers call back into the assembly through a weak reference: a strong one would
        # make the assembly (every parsed template) a reference cycle, left for the cyclic
        # collector instead of freed when the analysis drops it.
        assembly = weakref.ref(self)
        for name, index in self.indexes.items():
            self.resolvers[name] = Resolver(
                index,
                import_value=functools.partial(_import_value, assembly),
                parameter_value=functools.partial(_parameter_value, assembly, name),
            )
        for name, index in self.indexes.items():
            self._link(name, index)
        for name, index in self.indexes.items():
            index.index_names(self._name_renderer(name))

    @property
    def entries(self) -> dict[str, tuple[TemplateIndex, Resolver]]:
        return {name: (index, self.resolvers[name]) for name, index in self.indexes.items()}

    # -- linking ----------------------------------------------------------------------------

    def _link(self, name: str, index: TemplateIndex) -> None:
        transform = index.template.get("Transform")
        if transform is not None:
            self.problems[name].append(
                (
                    "Transform",
                    f"the template declares Transform {transform!r}: what it expands to is not in the template; "
                    "analyze the processed template (cdk synth output, or `aws cloudformation get-template "
                    "--template-stage Processed`)",
                )
            )
        for logical_id in index.of_type(NESTED_STACK):
            child = f"{name}/{logical_id}"
            if child in self.indexes:
                self._parents[child] = (name, logical_id)
            else:
                self.problems[name].append(
                    (
                        logical_id,
                        f"nested stack {logical_id}: its template is not in the assembly, so its roles and "
                        "resource policies are not checked; give the analyzer the whole cloud assembly",
                    )
                )
        for output_id, output in index.outputs.items():
            export = output.get("Export") if isinstance(output, dict) else None
            if not isinstance(export, dict) or "Name" not in export:
                continue
            export_name = literal(self.resolvers[name].resolve(export["Name"], f"Outputs.{output_id}.Export.Name"))
            if export_name is not None:
                self._exports[export_name] = (name, output.get("Value"))

    def _import_value(self, export_name: str) -> list[Sym] | None:
        found = self._exports.get(export_name)
        if found is None:
            return None
        exporter, value = found
        alternatives = self.resolvers[exporter].resolve_all(value, f"export {export_name}")
        return [_tagged(sym, exporter) for sym in alternatives]

    def _parameter_value(self, name: str, parameter: str) -> list[Sym] | None:
        parent = self._parents.get(name)
        if parent is None:
            return None
        parent_name, stack_id = parent
        passed = self.indexes[parent_name].properties(stack_id).get("Parameters")
        if not isinstance(passed, dict) or parameter not in passed:
            return None
        alternatives = self.resolvers[parent_name].resolve_all(passed[parameter], f"{stack_id}.Parameters.{parameter}")
        return [_tagged(sym, parent_name) for sym in alternatives]

    def _name_renderer(self, name: str) -> Any:
        resolver = self.resolvers[name]

        def render_name(value: Any, where: str) -> str | None:
            alternatives = resolver.resolve_all(value, where)
            if len(alternatives) != 1:
                return None
            return render(alternatives[0])

        return render_name

    # -- compute that shares roles ------------------------------------------------------------

    def compute_users(self, policies: PolicyIndex) -> dict[RoleKey, list[str]]:
        """Roles used by compute other than Lambda functions: role -> descriptions of the users."""
        users: dict[RoleKey, list[str]] = defaultdict(list)
        for name, index in self.indexes.items():
            resolver = self.resolvers[name]
            for resource_type, paths in _COMPUTE_ROLE_PATHS.items():
                for logical_id in index.of_type(resource_type):
                    for path in paths:
                        for value in _values_at(index.properties(logical_id), path):
                            for sym in resolver.resolve_list(value, f"{logical_id}.{'.'.join(path)}"):
                                for role in _roles(policies, name, sym):
                                    users[role].append(f"{logical_id} ({resource_type})")
            for logical_id in index.of_type("AWS::Events::Rule"):
                targets = index.properties(logical_id).get("Targets")
                for target in targets if isinstance(targets, list) else []:
                    if isinstance(target, dict) and "RoleArn" in target:
                        for sym in resolver.resolve_list(target["RoleArn"], f"{logical_id}.Targets.RoleArn"):
                            for role in _roles(policies, name, sym):
                                users[role].append(f"{logical_id} (AWS::Events::Rule target)")
        return users


def _roles(policies: PolicyIndex, template: str, sym: Sym) -> list[RoleKey]:
    found = policies.roles_of(template, sym)
    if found:
        return found
    named = policies.roles_named(template, sym)
    return named or []


def _values_at(properties: Mapping[str, Any], path: tuple[str, ...]) -> list[Any]:
    value: Any = properties
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return []
        value = value[key]
    return [value]


def _tagged(sym: Sym, stack: str) -> Sym:
    return concat([part if isinstance(part, str) else (part.in_stack(stack),) for part in sym])


__all__ = ["IAM_ROLE", "Assembly"]


def _alive(assembly: weakref.ref[Assembly]) -> Assembly:
    alive = assembly()
    if alive is None:  # never guess an outside value: a resolver is used through its assembly
        raise RuntimeError("a resolver outlived its Assembly: keep the Assembly while resolving its templates")
    return alive


def _import_value(assembly: weakref.ref[Assembly], export_name: str) -> list[Sym] | None:
    return _alive(assembly)._import_value(export_name)


def _parameter_value(assembly: weakref.ref[Assembly], name: str, parameter: str) -> list[Sym] | None:
    return _alive(assembly)._parameter_value(name, parameter)
