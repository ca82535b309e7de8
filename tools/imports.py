"""The project's import graph: who imports whom, the cycles, and the deferred imports.

Run it from the repository root (no Django needed, the modules are parsed, not imported)::

    python tools/imports.py            # summary, the cycles, the first-party imports in functions
    python tools/imports.py --edges    # also every first-party edge, one per line
    python tools/imports.py --apps     # the edges between the project's top-level rooms

``tests/test_architecture.py`` fails on a cycle between the project's modules and on a
first-party import inside a function without a comment that says why it is deferred.

Every import counts as an edge, at module level or inside a function (an import moved into a
function still runs, later: it hides a cycle, it does not remove it). Imports under
``if TYPE_CHECKING:`` are left out (they never run). Importing ``a.b.c`` runs ``a/__init__``
and ``a/b/__init__`` too, so those are edges as well. Migrations and tests are not part of the
graph (migrations are frozen history; tests sit above everything).
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lms", "courses", "grading", "hub_config")
MODULES = ("aimd_grading",)
SKIP_PARTS = {"migrations", "__pycache__", "demo_content", "static", "templates"}


@dataclass(frozen=True)
class Import:
    source: str       # the importing module
    target: str       # the first-party module imported
    line: int
    deferred: bool    # inside a function
    comment: str      # the comment on the line or the line above (deferred imports)


@dataclass
class Graph:
    modules: dict[str, Path] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)

    def edges(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {m: set() for m in self.modules}
        for imp in self.imports:
            if imp.target != imp.source:
                out[imp.source].add(imp.target)
        return out

    def cycles(self) -> list[list[str]]:
        """The strongly connected components with more than one module (Tarjan)."""
        edges = self.edges()
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        found: list[list[str]] = []
        counter = 0
        sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))

        def visit(node: str) -> None:
            nonlocal counter
            index[node] = low[node] = counter
            counter += 1
            stack.append(node)
            on_stack.add(node)
            for nxt in sorted(edges[node]):
                if nxt not in index:
                    visit(nxt)
                    low[node] = min(low[node], low[nxt])
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

        for node in sorted(edges):
            if node not in index:
                visit(node)
        return sorted(found)

    def deferred(self) -> list[Import]:
        """First-party imports inside functions, one per import statement (its module, not
        the packages above it)."""
        deepest: dict[tuple[str, int], Import] = {}
        for imp in self.imports:
            if imp.deferred:
                key = (imp.source, imp.line)
                if key not in deepest or len(imp.target) > len(deepest[key].target):
                    deepest[key] = imp
        return sorted(deepest.values(), key=lambda i: (i.source, i.line))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _discover() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if SKIP_PARTS & set(path.relative_to(ROOT).parts):
                continue
            found[_module_name(path)] = path
    for module in MODULES:
        found[module] = ROOT / f"{module}.py"
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, known: dict[str, Path], lines: list[str]):
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.known = known
        self.lines = lines
        self.depth = 0
        self.found: list[Import] = []

    # Scopes: a function body runs later (deferred); TYPE_CHECKING blocks never run.
    def visit_FunctionDef(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If):
        if _is_type_checking(node):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def _comment(self, line: int) -> str:
        for text in (self.lines[line - 1], self.lines[line - 2] if line > 1 else ""):
            if "#" in text:
                return text.split("#", 1)[1].strip()
        return ""

    def _add(self, name: str, line: int) -> None:
        # The module itself and every package above it run on import.
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            target = ".".join(parts[:i])
            if target in self.known:
                deferred = self.depth > 0
                self.found.append(Import(self.module, target, line, deferred,
                                         self._comment(line) if deferred else ""))

    def visit_Import(self, node: ast.Import):
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom):
        if node.level:
            base = self.package.split(".")
            base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
            name = ".".join(base + ([node.module] if node.module else []))
        else:
            name = node.module or ""
        self._add(name, node.lineno)
        for alias in node.names:  # "from package import module"
            sub = f"{name}.{alias.name}"
            if sub in self.known:
                self._add(sub, node.lineno)


def build() -> Graph:
    graph = Graph(modules=_discover())
    for module, path in graph.modules.items():
        text = path.read_text(encoding="utf-8")
        collector = _Collector(module, path.name == "__init__.py", graph.modules,
                               text.splitlines())
        collector.visit(ast.parse(text, filename=str(path)))
        seen: set[tuple] = set()
        for imp in collector.found:  # module level: once per target; in functions: per line
            key = (imp.target, imp.deferred, imp.line if imp.deferred else 0)
            if key not in seen:
                seen.add(key)
                graph.imports.append(imp)
    return graph


def _room(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "lms" and len(parts) > 1 else parts[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", action="store_true", help="print every first-party edge")
    parser.add_argument("--apps", action="store_true",
                        help="print the edges between top-level rooms")
    args = parser.parse_args(argv)
    graph = build()
    edges = graph.edges()
    cycles = graph.cycles()
    deferred = graph.deferred()
    print(f"{len(graph.modules)} modules, {sum(map(len, edges.values()))} first-party edges, "
          f"{len(deferred)} first-party imports inside functions, "
          f"{len(cycles)} cycle(s)")
    for component in cycles:
        print(f"\ncycle of {len(component)} modules:")
        for module in component:
            inside = sorted(t for t in edges[module] if t in component)
            print(f"  {module} -> {', '.join(inside)}")
    if deferred:
        print("\nfirst-party imports inside functions:")
        for imp in deferred:
            rel = graph.modules[imp.source].relative_to(ROOT)
            why = imp.comment or "NO REASON GIVEN"
            print(f"  {rel}:{imp.line} {imp.target}  # {why}")
    if args.apps:
        rooms: dict[tuple[str, str], int] = {}
        for imp in graph.imports:
            pair = (_room(imp.source), _room(imp.target))
            if pair[0] != pair[1]:
                rooms[pair] = rooms.get(pair, 0) + 1
        print("\nedges between rooms (count):")
        for (a, b), n in sorted(rooms.items()):
            print(f"  {a} -> {b} ({n})")
    if args.edges:
        print("\nedges:")
        for source in sorted(edges):
            for target in sorted(edges[source]):
                print(f"  {source} -> {target}")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
