"""The data-flow graph of an assembly, who owns each node, and the search for undeclared paths.

Nodes are resources of the assembly, ``(template, logical id, part)``; ``part`` is an S3 object key
head (``files/``, "" for the whole bucket) and "" for everything else. An edge says that data of
its source reaches its target (an event source mapping, a subscription, a replication rule, a
role that reads one thing and writes another...). A data node belongs to the kit functions whose
perimeter declares it (for a bucket: whose declared prefix overlaps the part); a kit function is
its own service. Everything else (a pipe, a state machine, a queue no function declares, a CDK
helper function) is a relay: data passes through it to wherever its edges go.

The proof: along every path, each time data of one service reaches a node of another service,
every owner of that data must declare it ``shared`` with a ``share_reason`` and so must the
receiving service. Otherwise the path is a finding naming every step.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..declared import Perimeter, ReachEntry

NodeKey = tuple[str, str, str]
FunctionKey = tuple[str, str]

BUCKET = "AWS::S3::Bucket"

#: How a node is shown in a path (the logical id, the template when another, the key prefix).
DisplayFn = Callable[[NodeKey], str]


@dataclass(frozen=True)
class Edge:
    """Data of ``source`` reaches ``target``; ``label`` says how (shown in the path)."""

    source: NodeKey
    target: NodeKey
    label: str


@dataclass(frozen=True)
class Flow:
    """An undeclared step: ``data`` (owned by ``owners``) reaches ``receiver`` along ``path``."""

    receiver: FunctionKey
    data: NodeKey
    owners: tuple[FunctionKey, ...]
    path: str
    first_edge: str


@dataclass
class FlowGraph:
    """Edges by source resource, and what each node is."""

    types: Mapping[tuple[str, str], str]
    perimeters: Mapping[FunctionKey, Perimeter]
    edges: dict[tuple[str, str], list[Edge]] = field(default_factory=lambda: defaultdict(list))
    _declarers: dict[tuple[str, str], list[FunctionKey]] = field(init=False, default_factory=dict)
    _owners: dict[NodeKey, frozenset[FunctionKey]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        declarers: dict[tuple[str, str], list[FunctionKey]] = defaultdict(list)
        for function, perimeter in self.perimeters.items():
            for resource in dict.fromkeys(entry.resource for entry in perimeter.reach):
                declarers[(function[0], resource)].append(function)
        self._declarers = dict(declarers)

    def add(self, source: NodeKey, target: NodeKey, label: str) -> None:
        if source[:2] != target[:2] or not _overlap(source[2], target[2]):
            self.edges[source[:2]].append(Edge(source, target, label))

    # -- who owns what ------------------------------------------------------------------------

    def is_service(self, node: NodeKey) -> bool:
        """A kit function: its perimeter is declared."""
        return node[:2] in self.perimeters

    def entries(self, function: FunctionKey, node: NodeKey) -> list[ReachEntry]:
        if function[0] != node[0]:
            return []  # a perimeter declares resources of its own template only
        entries = self.perimeters[function].entries_for(node[1])
        if self.types.get(node[:2]) == BUCKET and node[2]:
            entries = [e for e in entries if e.prefix is None or _overlap(e.prefix, node[2])]
        return entries

    def owners(self, node: NodeKey) -> frozenset[FunctionKey]:
        found = self._owners.get(node)
        if found is None:
            if self.is_service(node):
                found = frozenset({node[:2]})
            else:
                candidates = self._declarers.get(node[:2], [])
                found = frozenset(function for function in candidates if self.entries(function, node))
            self._owners[node] = found
        return found

    def shares(self, function: FunctionKey, node: NodeKey) -> bool:
        """``function`` declares ``node`` shared, with a reason (every entry of it that applies)."""
        entries = self.entries(function, node)
        return bool(entries) and all(entry.shared and entry.share_reason for entry in entries)

    def declared(
        self, data: NodeKey, owners: Iterable[FunctionKey], receiver: FunctionKey, node: NodeKey | None = None
    ) -> bool:
        """Both sides declare the step: every other owner of ``data``, and ``receiver`` on the data itself or,
        when its perimeter does not name the data (another prefix of a bucket), on ``node``, where the data
        arrives: prefix by prefix, never the receiver's other prefixes of the bucket."""
        receiving = data if node is None or self.entries(receiver, data) else node
        if self.is_service(data):
            # A function's events and results: the function itself configured where they go; the
            # receiver declares the function shared, with its reason.
            return data[:2] == receiver or self.shares(receiver, data)
        others = [owner for owner in owners if owner != receiver]
        return not others or (self.shares(receiver, receiving) and all(self.shares(owner, data) for owner in others))

    # -- the search -------------------------------------------------------------------------

    def out_edges(self, node: NodeKey) -> list[Edge]:
        return [edge for edge in self.edges.get(node[:2], []) if _overlap(edge.source[2], node[2])]

    def undeclared_flows(self, display: DisplayFn) -> list[Flow]:
        """Every first undeclared step of every path that starts at owned data."""
        found: dict[tuple[FunctionKey, NodeKey], Flow] = {}
        for _, edges in sorted(self.edges.items()):
            for edge in edges:
                if self.owners(edge.source):
                    self._search(edge, display, found)
        return list(found.values())

    def _search(self, start: Edge, display: DisplayFn, found: dict[tuple[FunctionKey, NodeKey], Flow]) -> None:
        # state: (node reached, data last owned by a service, path text so far)
        queue: deque[tuple[NodeKey, NodeKey, str, Edge]] = deque()
        origin = start.source
        queue.append((start.target, origin, display(origin), start))
        seen: set[tuple[NodeKey, NodeKey]] = set()
        while queue:
            node, data, path, edge = queue.popleft()
            if (node, data) in seen:
                continue
            seen.add((node, data))
            data_owners = self.owners(data)
            step = f"{path} -> [{edge.label}] -> "
            receivers = sorted(self.owners(node) - ({data[:2]} if self.is_service(data) else set()))
            blocked = False
            for receiver in receivers:
                if not self.declared(data, data_owners, receiver, node):
                    blocked = True
                    key = (receiver, data)
                    if key not in found:
                        target = receiver[1] if self.is_service(node) else f"{receiver[1]}'s {display(node)}"
                        owners = tuple(sorted(o for o in data_owners if o != receiver))
                        origin_label = self._label(origin, receiver)
                        found[key] = Flow(receiver, data, owners, f"{origin_label}{step}{target}", start.label)
            if blocked or self.is_service(node):
                continue  # a kit function's own reach is judged by the identity model
            next_data = node if self.owners(node) else data
            here = step + display(node)
            for following in self.out_edges(node):
                queue.append((following.target, next_data, here, following))

    def _label(self, origin: NodeKey, receiver: FunctionKey) -> str:
        """Whose data the path starts from: its owners other than the receiver (all, if none)."""
        if self.is_service(origin):
            return f"{origin[1]}'s function "
        owners = sorted(self.owners(origin))
        others = [owner for owner in owners if owner != receiver] or owners
        return f"{' and '.join(owner[1] for owner in others)}'s "


def _overlap(first: str, second: str) -> bool:
    return first.startswith(second) or second.startswith(first)
