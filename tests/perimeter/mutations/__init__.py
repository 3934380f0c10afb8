"""The adversarial table: named mutations of the compliant fixture and the verdict each must get.

Each ``Mutation`` changes a deep copy of tests/perimeter/fixtures/compliant.template.json (one
assembly of one stack, or several for the cross-stack classes) and says what the analyzer must
answer: ``fail`` with a rule code on a function, ``pass`` (legitimate least privilege), or
``error`` (exit 2: the input cannot be analyzed). Classes follow issue 9; most rows are generated
from small tables (intrinsic x position, resource policy type x principal spelling, ...).

One module per class (``statements``, ``resource_policies``, ``declarations``, ``assemblies``,
``legitimate``, ``hostile``); ``table`` holds the row type and the helpers. Importing the package
registers every row in ``MUTATIONS``, in the order of the classes.
"""

from __future__ import annotations

from .table import MUTATIONS, Mutation, nested_child

# isort: off
# Each class registers its rows when imported: keep issue 9's order of classes.
from . import statements, resource_policies, declarations, assemblies, legitimate, hostile  # noqa: F401
# isort: on

__all__ = ["MUTATIONS", "Mutation", "nested_child"]
