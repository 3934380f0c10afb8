"""The fast paths of the perimeter check (issue 21's linear cost) change no report.

Each fast path handles the shapes CDK writes without the general machinery: plain statements read
without the resolver (``_statement_shapes``), a function's plain role ARN (``policies``), the actions
of a grant judged in one pass (``_action_batch``), a parsed template tested on its ``marshal``
encoding (``TemplateIndex.mentions``). Here every row of both adversarial tables, plus generated
assemblies and statements at the border of the plain shapes, is analyzed with the fast paths and
with each of them turned off; the reports must be equal, and so must the error of an input that
cannot be analyzed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest
from escalation_mutations import CASES
from mutations import MUTATIONS

from perimeter_support import NOTES_FUNCTION, NOTES_POLICY, TemplateBuilder, getatt
from secure_serverless_checks.perimeter import PerimeterInputError, analyze, policies
from secure_serverless_checks.perimeter import _action_batch as action_batch
from secure_serverless_checks.perimeter.loader import LoadedTemplates
from secure_serverless_checks.perimeter.synthetic import synthetic_assembly

Assembly = Mapping[str, Mapping[str, Any]]


_TRAITS = action_batch.action_traits


def _general_actions(action: str) -> tuple[str, bool, bool, bool]:
    lowered, _, resource_less, configuration = _TRAITS(action)
    return lowered, True, resource_less, configuration  # "a pattern": every action through ``_Analysis._judge``


@contextmanager
def _general_paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with monkeypatch.context() as patched:
        patched.setattr(policies, "plain_statement", lambda *_: None)
        patched.setattr(policies, "_role_arn_attribute", lambda *_: None)
        patched.setattr(action_batch, "action_traits", _general_actions)
        yield


def _outcome(assembly: Assembly) -> str:
    try:
        report = analyze(assembly)
    except PerimeterInputError as error:
        return f"{type(error).__name__}: {error}"
    return f"{report!r}\n{report.to_text()}"


def _parsed(assembly: Assembly) -> LoadedTemplates:
    loaded = LoadedTemplates()
    loaded.update(json.loads(json.dumps(assembly)))
    return loaded


def _with_statement(statement: Any) -> Callable[[TemplateBuilder], None]:
    def apply(builder: TemplateBuilder) -> None:
        document = builder.template["Resources"][NOTES_POLICY]["Properties"]["PolicyDocument"]
        document["Statement"].append(statement)

    return apply


def _with_role(role: Any) -> Callable[[TemplateBuilder], None]:
    def apply(builder: TemplateBuilder) -> None:
        builder.template["Resources"][NOTES_FUNCTION]["Properties"]["Role"] = role

    return apply


_TABLE = "NotesTable5678"
_BUCKET = "UploadsBucket9999"
#: Resources at the border of the plain shapes: each is read by the fast path or handed to the general one.
_BORDER_RESOURCES: list[Any] = [
    getatt(_TABLE, "StreamArn"),
    {"Fn::Join": ["", [getatt(_TABLE, "LatestStreamArn"), "/x"]]},
    getatt(_TABLE, "TableName"),
    getatt("Missing"),
    {"Fn::GetAtt": f"{_TABLE}.Arn"},
    {"Fn::Join": [":", [getatt(_TABLE), "x"]]},
    {"Fn::Join": ["", ["arn:", getatt(_TABLE)]]},
    {"Fn::Join": ["", [getatt(_TABLE), ""]]},
    {"Fn::Join": ["", [getatt(_TABLE), "/index/*", "x"]]},
    {"Fn::Join": ["", [getatt(_BUCKET), "/other/*"]]},
    ["*", getatt(_TABLE), getatt(_TABLE)],
    [],
    None,
    "",
    "arn:aws:s3:::elsewhere/*",
    {"Ref": _TABLE},
    {"Fn::If": ["Cond", getatt(_TABLE), "*"]},
]
_BORDER_STATEMENTS: list[Any] = [
    *(
        {"Action": ["dynamodb:GetItem", "s3:GetObject", "s3:ListBucket"], "Effect": "Allow", "Resource": r}
        for r in _BORDER_RESOURCES
    ),
    {"Action": "dynamodb:GetItem", "Effect": "allow", "Resource": getatt(_TABLE)},
    {"Action": "dynamodb:GetItem", "Effect": {"Ref": "AWS::NoValue"}, "Resource": getatt(_TABLE)},
    {
        "Action": ["dynamodb:GetItem", "dynamodb:GetItem", "dynamodb:Scan", "DynamoDB:getitem"],
        "Effect": "Allow",
        "Resource": getatt(_TABLE),
    },
    {"Action": ["kms:Decrypt", 3], "Effect": "Allow", "Resource": getatt(_TABLE)},
    {"NotAction": ["s3:GetObject"], "Effect": "Allow", "Resource": getatt(_BUCKET)},
    {
        "Action": "s3:ListBucket",
        "Effect": "Allow",
        "Resource": getatt(_BUCKET),
        "Condition": {"StringLike": {"s3:prefix": ["notes/*"]}},
    },
    {"Action": ["s3:GetBucketNotification", "s3:GetObject"], "Effect": "Allow", "Resource": getatt(_BUCKET)},
    {"Action": ["xray:PutTraceSegments", "dynamodb:GetItem"], "Effect": "Allow", "Resource": "*"},
    {"Action": "dynamodb:GetItem", "Effect": "Allow", "NotResource": getatt(_TABLE)},
    {"Action": "dynamodb:GetItem", "Effect": "Allow", "Resource": getatt(_TABLE), "Principal": "*"},
]
_BORDER_ROLES: list[Any] = [
    getatt(_TABLE),
    getatt("NotesRoleDDDD", "RoleId"),
    getatt("Missing"),
    {"Fn::GetAtt": "NotesRoleDDDD.Arn"},
    {"Ref": "NotesRoleDDDD"},
    getatt("FilesRole5555"),
    {"Fn::GetAtt": ["NotesRoleDDDD", "Arn", "x"]},
]

_APPLIED: list[tuple[str, Callable[[TemplateBuilder], Any]]] = [
    *((f"mutation-{m.id}", m.apply) for m in MUTATIONS),
    *((f"escalation-{c.id}", c.apply) for c in CASES),
    *((f"statement-{n}", _with_statement(s)) for n, s in enumerate(_BORDER_STATEMENTS)),
    *((f"role-{n}", _with_role(r)) for n, r in enumerate(_BORDER_ROLES)),
]


def _assembly(apply: Callable[[TemplateBuilder], Any]) -> Assembly:
    builder = TemplateBuilder()
    found: Assembly = apply(builder) or {"stack": builder.template}
    return found


@pytest.mark.parametrize("apply", [a for _, a in _APPLIED], ids=[name for name, _ in _APPLIED])
def test_fast_paths_give_the_report_of_the_general_paths(
    apply: Callable[[TemplateBuilder], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assembly = _assembly(apply)
    fast = _outcome(assembly)
    with _general_paths(monkeypatch):
        general = _outcome(assembly)
    assert fast == general
    try:
        parsed = _parsed(assembly)
    except (TypeError, ValueError, RecursionError):
        return  # not JSON, or too deep for the encoder: no template file can hold it
    assert _outcome(parsed) == fast  # tested on its marshal encoding: the same report


@pytest.mark.parametrize("stacks", [1, 3])
def test_generated_shared_bucket_assemblies_get_the_same_report(stacks: int, monkeypatch: pytest.MonkeyPatch) -> None:
    assembly = synthetic_assembly(functions=12, stacks=stacks, shared_bucket=True)
    statements = assembly["Synthetic0"]["Resources"]["F0000RoleDefaultPolicy"]["Properties"]["PolicyDocument"]
    statements["Statement"][-2]["Resource"]["Fn::Join"][1][1] = "/F00/*"  # overlaps the others' prefixes
    fast = _outcome(_parsed(assembly))
    with _general_paths(monkeypatch):
        general = _outcome(assembly)
    assert fast == general
    assert "FAILED: 1 violation in 1 of 12 functions" in fast  # the prefix beyond the declared one is still found


def test_the_batch_and_the_analyzer_agree_on_the_label_of_an_excused_wildcard() -> None:
    from secure_serverless_checks.perimeter.analyzer import RECORDED_WILDCARD

    assert action_batch._RECORDED_WILDCARD == RECORDED_WILDCARD


@pytest.mark.parametrize("needle", ["Fn::Transform", "{{resolve:"])
def test_mentions_finds_a_string_however_the_file_wrote_it(needle: str) -> None:
    escaped = "".join(f"\\u{ord(character):04x}" for character in needle)  # JSON may spell every character
    text = '{"Resources": {"A": {"Type": "AWS::SNS::Topic", "Properties": {"X": "before ' + escaped + ' \\u00e9"}}}}'
    parsed = LoadedTemplates()
    parsed.update({"stack": json.loads(text)})
    absent = LoadedTemplates()
    absent.update({"stack": {"Resources": {"A": {"Type": "AWS::SNS::Topic", "Properties": {"X": needle[:-1]}}}}})
    from secure_serverless_checks.perimeter.assembly import Assembly as Linked

    assert Linked(parsed).indexes["stack"].mentions(needle)
    assert Linked(dict(parsed)).indexes["stack"].mentions(needle)  # through the JSON text
    assert not Linked(absent).indexes["stack"].mentions(needle)
