"""The core has no import circle and no function-local import without a comment saying why:
a circle hidden by imports inside functions breaks as soon as one of them moves."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "core"


def _modules() -> dict[str, Path]:
    out = {}
    for path in CORE.rglob("*.py"):
        if "migrations" in path.relative_to(CORE).parts:
            continue
        parts = list(path.relative_to(CORE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _targets(node: ast.AST, modules: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in modules]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        subs = [f"{node.module}.{a.name}" for a in node.names]
        if all(s in modules for s in subs):
            return subs  # "from core import cli": the submodule, not the package
        return [node.module] if node.module in modules else []
    return []


def test_no_function_local_import_without_a_reason():
    bare = []
    for name, path in _modules().items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for func in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    before = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
                    if not before.startswith("#") and "#" not in lines[node.lineno - 1]:
                        bare.append(f"{name}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert bare == [], "move to the top, or say why in a comment:\n" + "\n".join(sorted(set(bare)))


def test_no_import_circle_in_core():
    modules = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            graph[name].update(_targets(node, modules))
    # The package itself imports core.app (create_app); core modules never import the package.
    seen: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                circles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in seen:
                visit(nxt, [*trail, nxt])
        seen[node] = 2

    for name in sorted(modules):
        if name not in seen:
            visit(name, [name])
    assert circles == [], "\n".join(" -> ".join(c) for c in circles)
