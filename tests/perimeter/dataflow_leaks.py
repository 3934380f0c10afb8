"""Every leak case of the data-flow model, registered in ``LEAKS`` in the order of the classes."""

from __future__ import annotations

from dataflow_support import LEAKS, Leak

# isort: off
# Each module registers its cases when imported: keep the order of the classes.
import dataflow_leaks_integrations  # noqa: F401
import dataflow_leaks_delivery  # noqa: F401
# isort: on

__all__ = ["LEAKS", "Leak"]
