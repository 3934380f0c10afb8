"""A report is the same bytes whatever the interpreter's hash seed.

Two spellings of one action (IAM action names are case-insensitive) used to be ordered from a set
by their lower-case form only, so their order in a violation followed ``PYTHONHASHSEED``: the same
template gave two different reports (and SARIF files) on two runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from perimeter_support import FILES_TABLE, NOTES_POLICY, TemplateBuilder, getatt

_SCRIPT = """
import sys
from secure_serverless_checks.perimeter import analyze, load_path
print(analyze(load_path(sys.argv[1])).to_json())
"""


def test_two_spellings_of_one_action_come_out_in_one_order_under_any_hash_seed(tmp_path: Path) -> None:
    builder = TemplateBuilder()
    spellings = ["dynamodb:GetItem", "DynamoDB:getitem", "dynamodb:GETITEM", "Dynamodb:GetItem"]
    builder.allow(NOTES_POLICY, spellings, getatt(FILES_TABLE))
    template = builder.write(tmp_path)

    reports = set()
    for seed in ("0", "1", "2", "3", "4", "5"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(template)], capture_output=True, text=True, env=environment, check=True
        )
        reports.add(run.stdout)

    assert len(reports) == 1
    (report,) = reports
    assert all(spelling in report for spelling in spellings)  # every spelling is reported, in one order
