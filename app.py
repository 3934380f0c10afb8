#!/usr/bin/env python3
"""Reference app: builds the stacks, registers the compliance checks, synthesizes.

Environment-agnostic: synthesizes with no AWS credentials. Settings come from CDK context
(cdk.json, or ``cdk synth -c key=value``); README.md lists them with their defaults.
"""

from __future__ import annotations

import aws_cdk as cdk

from secure_serverless.compliance import register_compliance_checks
from stacks.config import load_config
from stacks.notes_service import build_app


def main() -> None:
    app = cdk.App()
    config = load_config(app.node)
    register_compliance_checks(app, packs=config.profile.packs)  # regulated: all five packs
    build_app(app, config)
    app.synth()


if __name__ == "__main__":
    main()
