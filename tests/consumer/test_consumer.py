"""A consumer's view: the kit from a wheel in a clean venv, used in a new CDK app (see consumer_support)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from consumer_support import ConsumerVenv

CONSUMER_APP = textwrap.dedent(
    """
    import json, sys
    import aws_cdk as cdk
    import constructs
    import secure_serverless
    from aws_cdk import aws_dynamodb as dynamodb, aws_lambda as lambda_
    from secure_serverless import Invocation, TableFunction, register_compliance_checks, synth_with_checks

    assert "site-packages" in secure_serverless.__file__, secure_serverless.__file__
    assert hasattr(constructs, "Construct")
    app = cdk.App(outdir=sys.argv[1])
    register_compliance_checks(app)
    stack = cdk.Stack(app, "ConsumerStack")
    TableFunction(
        stack, "Orders",
        code=lambda_.Code.from_inline("def handler(event, context):\\n    return None\\n"),
        handler="index.handler",
        partition_key=dynamodb.Attribute(name="orderId", type=dynamodb.AttributeType.STRING),
        access="read",
        invocation=Invocation.SYNCHRONOUS,
    )
    report = synth_with_checks(app)
    print(json.dumps({"findings": len(report.findings), "file": secure_serverless.__file__}))
    """
)


def test_wheel_installs_into_a_clean_venv_and_works_in_a_new_app(consumer: ConsumerVenv, tmp_path: Path) -> None:
    result = consumer.run(CONSUMER_APP, tmp_path / "consumer-app", str(tmp_path / "cdk.out"))
    assert result.returncode == 0, result.stderr[-3000:]
    verdict = json.loads(result.stdout.strip().splitlines()[-1])
    assert verdict["findings"] == 0
    assert str(consumer.site) in verdict["file"]
