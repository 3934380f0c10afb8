"""Secure Serverless Kit checks: pure Python over a synthesized template or cloud assembly.

This package needs neither aws-cdk-lib, jsii, constructs, cdk-nag nor Node.js: it reads the JSON
that ``cdk synth`` (or any other tool) wrote. It holds the checks and the models they share:

- ``perimeter``: the least-privilege perimeter and data-flow analyzer
  (``python -m secure_serverless_checks.perimeter cdk.out``);
- ``acknowledgments``, ``sarif``, ``summary``: the acknowledgment check, the SARIF writer and the
  findings summary (each a ``python -m`` command);
- ``access_levels``: the one access-level model (named levels -> exact IAM actions), which the
  constructs grant from and the perimeter checks against;
- ``cfn_intrinsics``: the one reader of CloudFormation intrinsic functions;
- ``_assembly``, ``_nag_report``: the readers of a cloud assembly and of cdk-nag's report.

It imports nothing from ``secure_serverless`` (the CDK constructs); the constructs import it.
tests/library/test_layers.py enforces both.
"""

from __future__ import annotations

__version__ = "0.2.0"
