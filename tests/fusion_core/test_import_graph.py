"""The engine's imports run one way: no cycle between ``fusion_core``'s packages, nor between the
modules of one package.

Read from the source with :mod:`ast`, so nothing of the engine is imported. Every import counts:
at the top of a module, inside a function, and under ``TYPE_CHECKING``. The nodes are
``fusion_core.X`` (a subpackage or a top-level module); ``fusion_core/__init__.py``, the Python
API's front door that loads its names on first use, is not one of them.
"""

from __future__ import annotations

import ast
from collections import defaultdict, deque
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "fusion_core"

#: module -> module it imports -> where ("file:line")
Graph = dict[str, dict[str, list[str]]]


def modules(root: Path) -> dict[str, Path]:
    """Every module under ``root`` by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def import_graph(root: Path) -> Graph:
    """Which engine module imports which, and where."""
    known = modules(root)

    def resolve(name: str) -> str:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name

    graph: Graph = defaultdict(lambda: defaultdict(list))
    for module, path in known.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                source = ".".join(base + ([node.module] if node.module else []))
                targets = [source] + [f"{source}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in {resolve(name) for name in targets if name.split(".")[0] == root.name}:
                if target and target != module:
                    graph[module][target].append(f"{path.relative_to(root.parent)}:{node.lineno}")
    return graph


def package_graph(graph: Graph, root: str) -> Graph:
    """The imports between ``root.X`` nodes (the root package itself left out)."""

    def node(module: str) -> str:
        return ".".join(module.split(".")[:2])

    packages: Graph = defaultdict(lambda: defaultdict(list))
    for module, targets in graph.items():
        for target, where in targets.items():
            if root not in (node(module), node(target)) and node(module) != node(target):
                packages[node(module)][node(target)].extend(where)
    return packages


def within_packages(graph: Graph) -> Graph:
    """The imports between modules of one package."""
    inside: Graph = defaultdict(lambda: defaultdict(list))
    for module, targets in graph.items():
        for target, where in targets.items():
            if module.split(".")[:2] == target.split(".")[:2]:
                inside[module][target].extend(where)
    return inside


def cycles(graph: Graph) -> list[str]:
    """One shortest cycle through each node that lies on a cycle, written out with where each
    import is; a cycle is reported once."""
    seen: set[frozenset[str]] = set()
    found = []
    for start in sorted(graph):
        parent: dict[str, str] = {}
        queue = deque([start])
        while queue and start not in parent:
            current = queue.popleft()
            for target in sorted(graph.get(current, {})):
                if target not in parent:
                    parent[target] = current
                    queue.append(target)
        if start not in parent:
            continue
        path = [start]
        while parent[path[-1]] != start:
            path.append(parent[path[-1]])
        path = [start] + path[::-1]
        if frozenset(path) in seen:
            continue
        seen.add(frozenset(path))
        steps = [f"{a} -> {b} ({', '.join(graph[a][b])})" for a, b in zip(path, path[1:])]
        found.append("\n    ".join(steps))
    return found


def test_packages_import_each_other_without_cycles():
    found = cycles(package_graph(import_graph(ENGINE), ENGINE.name))
    assert not found, "import cycles between fusion_core's packages:\n  " + "\n  ".join(found)


def test_modules_of_one_package_import_each_other_without_cycles():
    found = cycles(within_packages(import_graph(ENGINE)))
    assert not found, "import cycles inside a package:\n  " + "\n  ".join(found)


def test_a_cycle_through_a_function_or_type_checking_import_is_found(tmp_path):
    engine = tmp_path / "engine"
    (engine / "low").mkdir(parents=True)
    (engine / "__init__.py").write_text("")
    (engine / "low" / "__init__.py").write_text("")
    (engine / "low" / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n")
    (engine / "low" / "b.py").write_text("def f():\n    from ..high import run\n")
    (engine / "high.py").write_text("from .low.a import A\n")

    graph = import_graph(engine)

    assert cycles(package_graph(graph, "engine")) == [
        "engine.high -> engine.low (engine/high.py:1)\n    engine.low -> engine.high (engine/low/b.py:2)"
    ]
    assert cycles(within_packages(graph)) == []
