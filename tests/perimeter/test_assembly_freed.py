"""An analysis leaves no reference cycle: its assembly (every parsed template) is freed by
reference counting when dropped, not left for the cyclic collector (issue 21, linear cost:
repeated analyses in one process grew by one assembly each)."""

from __future__ import annotations

import gc
import weakref

import pytest

from secure_serverless_checks.perimeter.assembly import Assembly
from secure_serverless_checks.perimeter.synthetic import synthetic_assembly


def _exporting_pair() -> dict[str, dict]:
    """Two templates: one exports a role ARN, the other imports it."""
    exporter = {
        "Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}},
        "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}, "Export": {"Name": "role-arn"}}},
    }
    importer = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}}
    return {"Exporter": exporter, "Importer": importer}


@pytest.mark.parametrize("templates", [synthetic_assembly(functions=3, shared_bucket=True), _exporting_pair()])
def test_a_dropped_assembly_is_freed_without_the_cyclic_collector(templates: dict[str, dict]) -> None:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        assembly = Assembly(templates)
        assembly.resolvers[next(iter(templates))].resolve_all({"Fn::ImportValue": "role-arn"}, "test")
        freed = weakref.ref(assembly)
        del assembly
        assert freed() is None, "the Assembly is part of a reference cycle"
    finally:
        if was_enabled:
            gc.enable()


def test_a_resolver_used_after_its_assembly_fails_loudly() -> None:
    resolver = Assembly(_exporting_pair()).resolvers["Importer"]
    with pytest.raises(RuntimeError, match="outlived its Assembly"):
        resolver.resolve_all({"Fn::ImportValue": "role-arn"}, "test")
