"""Pause Python's cyclic garbage collector around work that builds many objects and no cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one load or analysis, then restore it.

    Parsing a template and analyzing it allocate many small objects and almost no cycles
    (reference counting frees them). With the collector on, each full collection they trigger
    walks every live object, the input templates included, so the cost per function grew with
    the assembly: measured for 2,000 functions on one bucket, a quarter of the analysis and
    three quarters of the JSON parsing.

    Pausing only defers the young collections: the collector still counts the objects made
    meanwhile, and the first allocation after the pause would walk all of them (a parsed
    template of 2,000 functions: about a million objects, walked again by the next older
    collection). So the survivors are handed straight to the oldest generation
    (``gc.freeze()`` then ``gc.unfreeze()``, which also resets the young count): they are
    walked only by a full collection, as long-lived data would be. Skipped when something else
    froze objects (a pre-fork server): unfreezing would release them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
