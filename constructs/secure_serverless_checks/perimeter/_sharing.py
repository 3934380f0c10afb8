"""Which functions reaching one data resource conflict with each other, in time linear in the answer.

Two functions conflict on a resource unless both declare it shared; on a bucket they conflict
only where their object-key heads overlap (one head is a prefix of the other: ``""``, the whole
bucket, overlaps every head). Comparing every pair costs the square of the functions: 2,000
functions on one bucket, each under its own prefix, took 4,000,000 comparisons to find none.
Here each head is looked up in an index instead: the heads that are a prefix of it (one dict
lookup per prefix of the head) and the heads it is a prefix of (a range of a sorted list).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Hashable, Iterator, Mapping, Set
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


def shared_conflicts(heads: Mapping[K, Set[str]], shared: Set[K], *, by_heads: bool) -> Iterator[tuple[K, list[K]]]:
    """``(function, the functions it conflicts with)`` for every function with a conflict.

    :param heads: every function reaching the resource, in report order, with its key heads
        (ignored unless ``by_heads``).
    :param shared: the functions that declare the resource shared: two of them never conflict.
    :param by_heads: the resource is a bucket: only overlapping heads conflict.
    Conflicts are listed in the order of ``heads``, as a pairwise comparison would list them.
    """
    order = {function: position for position, function in enumerate(heads)}
    unshared = [function for function in heads if function not in shared]
    if not by_heads:
        for function in heads:
            # A shared function conflicts with the unshared ones only; an unshared one with all.
            candidates = unshared if function in shared else list(heads)
            conflicts = [other for other in candidates if other != function]
            if conflicts:
                yield function, conflicts
        return
    everyone, unshared_only = _HeadIndex(heads, list(heads)), _HeadIndex(heads, unshared)
    for function, mine in heads.items():
        index = unshared_only if function in shared else everyone
        found = index.overlapping(mine)
        found.discard(function)
        if found:
            yield function, sorted(found, key=order.__getitem__)


class _HeadIndex(Generic[K]):
    """The functions of ``members`` by object-key head, for prefix-overlap queries."""

    def __init__(self, heads: Mapping[K, Set[str]], members: list[K]) -> None:
        self._by_head: dict[str, list[K]] = defaultdict(list)
        for function in members:
            for head in heads[function]:
                self._by_head[head].append(function)
        self._sorted = sorted(self._by_head)

    def overlapping(self, mine: Set[str]) -> set[K]:
        found: set[K] = set()
        for head in mine:
            for end in range(len(head) + 1):  # heads that are a prefix of this one (itself included)
                found.update(self._by_head.get(head[:end], ()))
            start = bisect_left(self._sorted, head)  # heads this one is a prefix of
            for position in range(start, len(self._sorted)):
                other = self._sorted[position]
                if not other.startswith(head):
                    break
                found.update(self._by_head[other])
        return found
