"""The adversarial table of issue 21's five classes: mutations of the compliant fixture and their verdicts.

Like the ``mutations`` package (issue 9), each row changes a deep copy of the compliant fixture and says
what the analyzer must answer: ``fail`` with a rule code on a function (and, when given, on a
resource, with words the message must hold: the path and the fix), ``pass``, or ``error`` (exit
2). Classes: ``control-plane`` (P17), ``trust`` (P18), ``opaque`` (P19), ``computed-name``,
``credentials``. The table imports nothing from the analyzer, so it also runs against an older
analyzer (that is how "fails before the change" was measured).

One module per class (``control_plane_reach``, ``trust``, ``opaque``, ``computed_names``,
``credentials``); ``table`` holds the case type and the helpers. Importing the package registers
every case in ``CASES``, in the order of the classes.
"""

from __future__ import annotations

from .table import CASES, FIX_WORDS, Case

# isort: off
# Each class registers its cases when imported: keep issue 21's order of classes.
from . import control_plane_reach, trust, opaque, computed_names, credentials  # noqa: F401
# isort: on

__all__ = ["CASES", "FIX_WORDS", "Case"]
