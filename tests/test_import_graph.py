"""The package's import graph: the product never needs the development kit, and no module imports itself
back through another (imports inside functions count too: they are the ones that hide a cycle)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGES = ("cds_warehouse", "cds_devkit")
# The one place the product names the kit: `cds` adds the kit's commands when it is installed.
OPTIONAL_DEVKIT_IMPORTS = {("cds_warehouse.cli", "cds_devkit.cli")}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (SRC / package).rglob("*.py"):
            parts = path.relative_to(SRC).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        edges = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for block in [n for n in ast.walk(tree) if _is_type_checking_block(n)]:
            block.body = []  # imports for annotations only: never run, so no cycle at import time
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                edges |= {alias.name for alias in node.names if alias.name in modules}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    if submodule in modules:
                        edges.add(submodule)
                    elif node.module in modules:
                        edges.add(node.module)
        graph[name] = edges - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycle():
    graph = _import_graph()
    assert "cds_warehouse.cli" in graph and "cds_devkit.synthetic.export" in graph
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_product_names_the_devkit_only_to_discover_its_commands():
    graph = _import_graph()
    named = {(m, t) for m, targets in graph.items() if m.startswith("cds_warehouse") for t in targets}
    assert {(m, t) for m, t in named if t.startswith("cds_devkit")} == OPTIONAL_DEVKIT_IMPORTS


def test_importing_every_product_module_leaves_the_devkit_unloaded():
    code = """
import importlib, pkgutil, sys
import cds_warehouse
names = [m.name for m in pkgutil.walk_packages(cds_warehouse.__path__, "cds_warehouse.")]
for name in names:
    importlib.import_module(name)
assert "cds_warehouse.cli" in sys.modules and len(names) > 30, names
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "cds_devkit")
print(len(names), loaded)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    count, loaded = done.stdout.split(maxsplit=1)
    assert int(count) > 30
    assert loaded.strip() == "[]"


def test_cds_works_without_the_devkit(monkeypatch):
    from cds_warehouse import cli

    # As if the kit were not installed (its modules imported by other tests hidden too).
    for name in [m for m in sys.modules if m.split(".")[0] == "cds_devkit"] + ["cds_devkit"]:
        monkeypatch.setitem(sys.modules, name, None)
    product = set(cli.build_parser()._subparsers._group_actions[0].choices)
    assert {"load", "setup", "ingest-api", "agency-reports", "report"} <= product
    assert not product & {"generate", "demo", "portal-server", "samples", "bench"}
    monkeypatch.undo()
    with_kit = set(cli.build_parser()._subparsers._group_actions[0].choices)
    assert with_kit - product == {"generate", "demo", "portal-server", "samples", "bench"}


# Modules of the product still being split by the raw-batch lifecycle's move (issue 15, points 2 and 4):
# load.py becomes the load/ package and the API ingestion hands its audit statements to batches.py.
@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_over_400_lines(package):
    sizes = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in (SRC / package).rglob("*.py")}
    assert len(sizes) > 10
    oversized = {str(p.relative_to(SRC)) for p, n in sizes.items() if n > 400}
    assert oversized == set()


def test_one_command_line_entry_point():
    """`cds` is the only entry point: no `python -m` mains, and only cds_warehouse.cli builds a top parser
    (every other part registers its commands on it)."""
    sources = {
        str(p.relative_to(SRC)): p.read_text(encoding="utf-8") for pkg in PACKAGES for p in (SRC / pkg).rglob("*.py")
    }
    assert not [name for name in sources if name.endswith("__main__.py")]
    assert not [name for name, text in sources.items() if 'if __name__ == "__main__"' in text]
    assert [name for name, text in sources.items() if "ArgumentParser(" in text] == ["cds_warehouse/cli.py"]
