"""One picture per workshop module: the architecture, with the control the module breaks drawn red.

Drawn from the same synthesized template as the architecture diagram; the module file's
``highlight`` lists the logical-id prefixes of the resources to mark (a route, the web ACL, a key).
A prefix that matches nothing is an error: the picture would silently highlight nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import graphviz

from ..breaks import Module
from .architecture import architecture_graph

Template = Mapping[str, Any]
_NODE = re.compile(r"^\s*([A-Za-z0-9_]+) \[", re.MULTILINE)
BROKEN_STYLE = {"color": "#c62828", "penwidth": "4", "fillcolor": "#ffcdd2", "fontcolor": "#b71c1c"}


def highlighted_nodes(graph: graphviz.Digraph, prefixes: tuple[str, ...]) -> list[str]:
    nodes = sorted(set(_NODE.findall(graph.source)))
    return [node for node in nodes if any(node.startswith(prefix) for prefix in prefixes)]


def module_graph(template: Template, module: Module) -> graphviz.Digraph:
    """The architecture with ``module``'s broken control in red, and a caption naming it."""
    graph = architecture_graph(template)
    graph.name = f"module_{module.number:02d}"
    marked = highlighted_nodes(graph, module.highlight)
    unmatched = [p for p in module.highlight if not any(node.startswith(p) for node in marked)]
    if unmatched:
        raise ValueError(
            f"{module.source}: highlight {unmatched} matches no resource of the architecture diagram; "
            "use the logical-id prefix of a resource the diagram draws (see docs/workshop/images/architecture.dot)"
        )
    for node in marked:
        graph.node(node, **BROKEN_STYLE)
    graph.attr(
        label=f"Module {module.number}: {module.title}\\nred: the control this module breaks",
        labelloc="t",
        fontsize="16",
    )
    return graph
