"""The diagrams in docs/workshop/images: fresh, complete, and drawing what the template says."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from secure_serverless_checks.perimeter import analyze, load_path
from workshop.breaks import REPO_ROOT
from workshop.diagrams import diagram_sources
from workshop.diagrams.architecture import architecture_graph
from workshop.diagrams.perimeters import perimeter_graph

IMAGES = REPO_ROOT / "docs" / "workshop" / "images"


def test_the_committed_diagrams_are_not_stale(reference_assembly_dir: Path) -> None:
    fresh = diagram_sources(reference_assembly_dir)
    committed = {path.stem: path.read_text() for path in sorted(IMAGES.glob("*.dot"))}
    assert sorted(committed) == sorted(fresh), "run `make diagrams` and commit docs/workshop/images"
    for stem, source in fresh.items():
        assert committed[stem] == source, f"docs/workshop/images/{stem}.dot is stale: run `make diagrams` and commit"


def test_every_dot_has_its_rendered_svg_with_the_same_labels() -> None:
    for dot in sorted(IMAGES.glob("*.dot")):
        svg = dot.with_suffix(".svg")
        assert svg.is_file(), f"{svg.name} missing: run `make diagrams`"
        text = svg.read_text()
        for needle in (
            ("GET /notes", "POST /files", "SNS topic") if dot.stem == "architecture" else ("Lambda function",)
        ):
            assert needle in text, f"{svg.name} was not rendered from {dot.name} ({needle!r} missing)"


def _service_template(assembly: Path) -> tuple[str, dict]:  # type: ignore[type-arg]
    templates = load_path(assembly)
    name = next(n for n in templates if n.endswith("-NotesService"))
    return name, copy.deepcopy(templates[name])


def test_the_architecture_shows_each_part_of_the_stack(reference_assembly_dir: Path) -> None:
    _, template = _service_template(reference_assembly_dir)
    source = architecture_graph(template).source
    for part in (
        "Cognito user pool",
        "WAF web ACL",
        "AWSManagedRulesCommonRuleSet",
        "API Gateway stage",
        "GET /profiles/{userId}",
        "PUT /notes/{noteId}\nCOGNITO_USER_POOLS + model",
        "Lambda function",
        "DynamoDB table",
        "bucket prefix\nFilesBucket/files/*",
        "KMS key",
        "log group",
        "alarm",
        "SNS topic",
        "encrypted with",
        "MFA ON",
    ):
        assert part in source, part


def test_a_route_without_the_authorizer_is_drawn_red(reference_assembly_dir: Path) -> None:
    _, template = _service_template(reference_assembly_dir)
    methods = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ApiGateway::Method"
        and r["Properties"]["HttpMethod"] == "GET"
        and "AuthorizerId" in r["Properties"]
    ]
    methods[0]["Properties"]["AuthorizationType"] = "NONE"
    assert architecture_graph(template).source.count("\nNONE") == 1
    assert "#ff9999" in architecture_graph(template).source


def test_a_widened_policy_is_a_red_edge_with_the_rule_code(reference_assembly_dir: Path) -> None:
    name, template = _service_template(reference_assembly_dir)
    resources = template["Resources"]
    profiles_table = next(
        k for k, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table" and k.startswith("Profiles")
    )
    notes_policy = next(
        k for k, r in resources.items() if r["Type"] == "AWS::IAM::ManagedPolicy" and k.startswith("Notes")
    )
    resources[notes_policy]["Properties"]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": {"Fn::GetAtt": [profiles_table, "Arn"]}}
    )
    report = analyze({name: template})
    notes = next(p for p in report.matrix if p.function.startswith("NotesFunction"))
    source = perimeter_graph(report, notes).source
    assert f"dynamodb-table\n{profiles_table}" in source
    assert "VIOLATION" in source and "#c62828" in source
    clean = json.dumps(diagram_sources(reference_assembly_dir))
    assert "VIOLATION" not in clean
