#!/usr/bin/env python3
"""Reference app: builds the stacks, registers the compliance checks, synthesizes.

Environment-agnostic: synthesizes with no AWS credentials. Settings come from CDK context
(cdk.json, or ``cdk synth -c key=value``); README.md lists them with their defaults.
"""

from __future__ import annotations

import gc

import aws_cdk as cdk

from secure_serverless.compliance import register_compliance_checks
from stacks.config import load_config
from stacks.notes_service import build_app


def main() -> None:
    # CDK's CloudFormation validation stays on, run by the kit off the synth's critical path and
    # cached (docs/performance.md): the same plugin code and verdict as aws-cdk-lib's built-in.
    app = cdk.App(builtin_cloud_formation_validation=False)
    config = load_config(app.node)
    # regulated: all five packs
    register_compliance_checks(app, packs=config.profile.packs, cloudformation_validation="kit")
    build_app(app, config)
    app.synth()


if __name__ == "__main__":
    main()
    # The assembly is written (by CDK's Node.js process; the kit closes every file it writes). At exit,
    # Python's last garbage collections would walk every object CDK's bindings made: about 0.3 s of a
    # 3 s synth (docs/performance.md). Frozen objects are skipped; the process frees its memory anyway.
    gc.freeze()
