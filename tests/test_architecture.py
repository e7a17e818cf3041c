"""The layers, drawn from the code's own imports (docs/architecture.md).

Every module of ``sinkledger/``, ``ledger/``, ``sinks/``, ``methodologies/`` and ``app.py`` is
parsed (not imported); each ``import`` of one of our modules, at module level or inside a
function, is an arrow. Arrows point down the layers, never up, and never run in a circle.
Imports under ``if TYPE_CHECKING:`` are annotations only and do not count.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from sinkledger.config import REPO_ROOT

OURS = ("sinkledger_base", "sinkledger", "ledger", "sinks", "methodologies")

# Lowest first. A module may import its own layer and the layers below it. Within the domain,
# the science (methodologies) knows no parcels, and parcels (sinks) know no ledger.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("sinkledger_base",)),
    ("domain: methodologies", ("methodologies",)),
    ("domain: sinks", ("sinks",)),
    ("domain: ledger", ("ledger",)),
    ("catalogue", ("sinkledger.catalogue",)),
    ("services", ("sinkledger.config", "sinkledger.db",
                  "sinkledger.services", "sinkledger.documents")),
    ("demo", ("sinkledger.demo",)),
    ("edges", ("sinkledger.cli", "sinkledger.ui", "sinkledger.api", "sinkledger.__main__", "app")),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {_module_name(p): p for package in OURS for p in (REPO_ROOT / package).rglob("*.py")}
    found["app"] = REPO_ROOT / "app.py"
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(module: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported module of ours, line, inside a function) for each import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    out: list[tuple[str, int, bool]] = []
    seen: set[tuple[str, int]] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if _is_type_checking(child):
                continue
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join(package[:len(package) - child.level + 1] + ([base] if base else []))
                names = [base] + [f"{base}.{a.name}" for a in child.names]
            for name in names:
                if name.split(".")[0] in OURS or name == "app":
                    target = _resolve(name)
                    if (target and target != module and (target, child.lineno) not in seen
                            and not (module.startswith(target + ".") and target in OURS)):
                        seen.add((target, child.lineno))
                        out.append((target, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def find_layer(module: str) -> int | None:
    """The rank of ``module``'s layer in :data:`LAYERS` (longest matching prefix), or None."""
    best, rank = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    if rank is None and module == "sinkledger":
        return 0  # the package's __init__: imports nothing
    return rank


def layer_of(module: str) -> int:
    rank = find_layer(module)
    assert rank is not None, f"{module} is in no layer: add it to LAYERS and docs/architecture.md"
    return rank


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in MODULES if find_layer(m) is None)
    assert not unplaced, f"modules in no layer (add them to LAYERS and docs/architecture.md): {unplaced}"
    assert find_layer("sinkledger.no_such_module") is None  # a new top-level module would be caught


def test_arrows_point_down():
    upward = [f"{m}:{line} ({LAYERS[layer_of(m)][0]}) imports {t} ({LAYERS[layer_of(t)][0]})"
              for m, edges in GRAPH.items() for t, line, _ in edges if layer_of(t) > layer_of(m)]
    assert not upward, "imports that point up a layer:\n" + "\n".join(sorted(upward))


def test_the_base_imports_nothing_else_of_ours():
    outside = [f"{m} imports {t}" for m, edges in GRAPH.items() if layer_of(m) == 0
               for t, _, _ in edges if layer_of(t) != 0]
    assert not outside, outside


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    edges = defaultdict(set)
    for m, found in GRAPH.items():
        edges[m].update(t for t, _, _ in found)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(MODULES):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_no_import_circles():
    assert not _cycles(), "modules that import each other (directly or round a circle):\n" + \
        "\n".join(" ↔ ".join(c) for c in _cycles())


def _function_imports(path: Path) -> list[tuple[int, str, str]]:
    """Imports inside functions, with their line and the comment on or just above that line."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    out = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, (ast.Import, ast.ImportFrom)):
                line = lines[inner.lineno - 1]
                first = inner.lineno - 1  # a comment above a run of imports covers the run
                while first > 0 and lines[first - 1].strip().startswith(("import ", "from ")):
                    first -= 1
                above = lines[first - 1].strip() if first > 0 else ""
                comment = line.partition("#")[2].strip() or (above[1:].strip() if above.startswith("#") else "")
                out.append((inner.lineno, line.strip(), comment))
    return out


@pytest.mark.parametrize("module", sorted(MODULES))
def test_an_import_inside_a_function_says_why(module):
    """An import inside a function defers a heavy import on purpose, and says so beside it."""
    silent = [f"{MODULES[module].relative_to(REPO_ROOT)}:{n}: {line}"
              for n, line, comment in _function_imports(MODULES[module]) if not comment]
    assert not silent, "imports inside functions without a comment saying why:\n" + "\n".join(silent)


def test_the_layer_picture_is_documented():
    doc = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            if prefix != "app" and any(m == prefix or m.startswith(prefix + ".") for m in MODULES):
                assert f"`{prefix.replace('.', '/')}" in doc or f"`{prefix}" in doc, \
                    f"docs/architecture.md does not name {prefix} ({name})"
