"""One intrinsic model: the analyzer (symbolic) and local mode (concrete) read every form alike."""

from __future__ import annotations

from typing import Any

import pytest

from localmode.deploy import DeployError, Values
from localmode.deploy.values import references, replace_references
from localmode.gateway.template import _ref
from secure_serverless_checks import cfn_intrinsics
from secure_serverless_checks.cfn_intrinsics import ConcreteResolver, IntrinsicError
from secure_serverless_checks.perimeter.intrinsics import Resolver, render
from secure_serverless_checks.perimeter.template import TemplateIndex

TEMPLATE: dict[str, Any] = {
    "Parameters": {"Stage": {"Type": "String"}},
    "Resources": {"Table": {"Type": "AWS::DynamoDB::Table"}, "Bucket": {"Type": "AWS::S3::Bucket"}},
}
REFS = {"Table": "notes-table", "Bucket": "uploads", "Stage": "dev"}
ATTRIBUTES = {
    ("Table", "Arn"): "arn:aws:dynamodb:eu-west-1:111111111111:table/notes-table",
    ("Bucket", "Arn"): "arn:aws:s3:::uploads",
}
PSEUDO = {"AWS::Region": "eu-west-1", "AWS::AccountId": "111111111111", "AWS::Partition": "aws"}


def concrete(value: Any) -> Any:
    resolver = ConcreteResolver(
        ref=lambda name: {**REFS, **PSEUDO}[name], get_att=lambda lid, attr: ATTRIBUTES[(lid, attr)]
    )
    return resolver.resolve(value)


def symbolic(value: Any) -> str:
    resolver = Resolver(TemplateIndex("t", TEMPLATE))
    return render(resolver.resolve(value, "test"))


def substitute(text: str) -> str:
    """The symbolic rendering with the concrete values filled in."""
    for name, value in {**REFS, **PSEUDO}.items():
        text = text.replace("${" + name + "}", value)
    for (logical_id, attribute), value in ATTRIBUTES.items():
        text = text.replace("${" + f"{logical_id}.{attribute}" + "}", value)
    return text


FORMS = [
    pytest.param({"Fn::GetAtt": ["Table", "Arn"]}, id="GetAtt list"),
    pytest.param({"Fn::GetAtt": "Table.Arn"}, id="GetAtt string"),
    pytest.param({"Fn::Sub": "${Table.Arn}/index/*"}, id="Sub attribute"),
    pytest.param({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}"}, id="Sub escape"),
    pytest.param({"Fn::Sub": ["${B}/x-${ Stage }", {"B": {"Fn::GetAtt": "Bucket.Arn"}}]}, id="Sub variables, spaces"),
    pytest.param({"Fn::Join": ["/", [{"Ref": "Bucket"}, {"Ref": "Stage"}, "x"]]}, id="Join"),
    pytest.param({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, id="Select over Split"),
    pytest.param({"Fn::Select": ["0", [{"Fn::GetAtt": "Table.Arn"}, "other"]]}, id="Select of a list"),
]


@pytest.mark.parametrize("value", FORMS)
def test_analyzer_and_local_mode_agree_on_every_form(value: Any) -> None:
    assert substitute(symbolic(value)) == concrete(value)


def test_escaped_sub_variable_is_the_literal_text() -> None:
    assert concrete({"Fn::Sub": "${!Literal}-${Stage}"}) == "${Literal}-dev"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Fn::GetAtt": "NoDot"}, "is not 'LogicalId.Attribute'"),
        ({"Fn::Join": ["", "a", "b"]}, "Fn::Join takes a list of 2 arguments"),
        ({"Fn::If": ["C", "a", "b"]}, "cannot evaluate the intrinsic Fn::If"),
        ({"Fn::Select": [5, ["a"]]}, "is not an index of"),
        ({"Fn::Transform": {}}, "cannot evaluate the intrinsic Fn::Transform"),
    ],
)
def test_concrete_resolver_fails_closed(value: Any, message: str) -> None:
    with pytest.raises(IntrinsicError, match=message):
        concrete(value)


def test_nesting_is_bounded_for_both_evaluators() -> None:
    deep: Any = "x"
    for _ in range(cfn_intrinsics.MAX_DEPTH + 5):
        deep = {"Fn::Join": ["", [deep]]}

    with pytest.raises(IntrinsicError, match="nested more than"):
        concrete(deep)
    with pytest.raises(Exception, match="nested more than"):
        symbolic(deep)


def test_local_mode_values_use_the_shared_model() -> None:
    values = Values(region="eu-west-1", stack_name="s", refs={"Table": "t1"}, attributes={("Table", "Arn"): "arn:t1"})

    assert values.resolve({"Fn::GetAtt": "Table.Arn"}) == "arn:t1"
    assert values.resolve({"k": [{"Fn::Sub": "${Table}-${AWS::Region}-${!x}"}]}) == {"k": ["t1-eu-west-1-${x}"]}
    with pytest.raises(DeployError, match="cannot evaluate the intrinsic Fn::If"):
        values.resolve({"Fn::If": ["C", "a", "b"]})


def test_local_mode_references_and_replacements() -> None:
    node = {"A": {"Fn::GetAtt": "Table.Arn"}, "B": {"Fn::Sub": "${Bucket}/${!Keep}/${Table.Arn}"}}

    assert sorted(references(node), key=str) == [("Bucket", None), ("Table", "Arn"), ("Table", "Arn")]
    replaced = replace_references(node, {("Table", "Arn"): "arn:t"})
    assert replaced == {"A": "arn:t", "B": {"Fn::Sub": "${Bucket}/${!Keep}/arn:t"}}


def test_gateway_reads_both_getatt_forms() -> None:
    assert _ref({"Fn::GetAtt": "Api.RootResourceId"}) == "Api"
    assert _ref({"Fn::GetAtt": ["Api", "RootResourceId"]}) == "Api"
    assert _ref({"Ref": "Api"}) == "Api"
    assert _ref({"Fn::Sub": "x"}) is None
