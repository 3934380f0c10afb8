"""Sharing on a bucket is declared per prefix: the P13 check compares prefixes, not whole buckets.

A function may declare one prefix of a bucket shared (with its reason) and keep another to itself.
Judged at bucket level ("every entry of the bucket is shared"), such a function counted as not
sharing anything, so another function reaching only the shared prefix was refused. Here each
function's key heads are split into the ones its shared entries cover and the others, and two
functions conflict only where an unshared head of one overlaps a head of the other.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Set
from typing import TypeVar

from secure_serverless_checks.access_levels import S3_PREFIX

from ._sharing import shared_conflicts
from .declared import Perimeter

F = TypeVar("F", bound=Hashable)


def shared_heads(perimeter: Perimeter | None, bucket: str, heads: Set[str]) -> set[str]:
    """The heads every declared entry covering them declares shared, with a reason."""
    if perimeter is None:
        return set()
    entries = [e for e in perimeter.entries_for(bucket) if e.kind == S3_PREFIX and e.prefix is not None]
    found: set[str] = set()
    for head in heads:
        covering = [e for e in entries if head.startswith(e.prefix or "")]
        if covering and all(e.shared and e.share_reason for e in covering):
            found.add(head)
    return found


def bucket_conflicts(heads: Mapping[F, Set[str]], shared: Mapping[F, Set[str]]) -> Iterator[tuple[F, list[F]]]:
    """``(function, the functions it conflicts with)`` on one bucket, prefix by prefix, in ``heads`` order."""
    members: dict[tuple[F, bool], set[str]] = {}
    for function, mine in heads.items():
        kept = set(shared.get(function, set())) & set(mine)
        if kept:
            members[(function, True)] = kept
        if set(mine) - kept:
            members[(function, False)] = set(mine) - kept
    order = {function: position for position, function in enumerate(heads)}
    conflicts: dict[F, set[F]] = {}
    shared_members = {member for member in members if member[1]}
    for (function, _), others in shared_conflicts(members, shared_members, by_heads=True):
        found = {other for other, _ in others if other != function}
        if found:
            conflicts.setdefault(function, set()).update(found)
    for function in sorted(conflicts, key=order.__getitem__):
        yield function, sorted(conflicts[function], key=order.__getitem__)
