"""The package's layers are imported one way only, and no import closes a cycle.

Every import statement in ``src/nmfkit`` (function-level ones included) is parsed, and so
is every ``"nmfkit.module:name"`` string a registry loads on demand. A module may import
only from its own layer or the layers below it, and the module graph has no cycle. A
new module must be placed in a layer below, or this test fails and says so.
"""

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# lowest first; a module belongs to the first layer with a prefix of its name
LAYERS = [
    ("array layer", ("nmfkit._version", "nmfkit.arrays")),
    ("core", ("nmfkit.core",)),
    ("estimators", ("nmfkit.estimators",)),
    ("applications", ("nmfkit.applications",)),
    # the public face: nmfkit/__init__.py and the public modules nmfkit.plot, ...
    ("public API", ("nmfkit", "nmfkit.plot", "nmfkit.metrics", "nmfkit.datasets", "nmfkit.images")),
    ("command line", ("nmfkit.cli", "nmfkit.__main__")),
]
_TARGET = re.compile(r"^(nmfkit(?:\.\w+)+):\w+$")


def _modules():
    """{module name: path} for every module of the package."""
    out = {}
    for path in sorted((SRC / "nmfkit").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def layer_of(module):
    """Index in LAYERS of the layer a module belongs to (the longest matching prefix).

    The root package itself (nmfkit/__init__.py) matches only by its own name: its
    subpackages are the layers, and a module directly under it must be placed.
    """
    best = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            inside = module.startswith(prefix + ".") and prefix != "nmfkit"
            if module == prefix or inside:
                if best is None or len(prefix) > best[1]:
                    best = (index, len(prefix))
    return None if best is None else best[0]


def _resolve(module, node, is_package):
    """The nmfkit modules an import node refers to."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
        return [n for n in names if n == "nmfkit" or n.startswith("nmfkit.")]
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level:
        base = base[: len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    if not (source == "nmfkit" or source.startswith("nmfkit.")):
        return []
    # `from . import sub` runs the package first and reads `sub` off it: an import of the
    # package as well as of the submodule (checkers count it so, and a cycle it closes is real)
    out = [source] if node.module is None and source != module else []
    for alias in node.names:
        sub = f"{source}.{alias.name}"
        out.append(sub if sub in MODULES else source)
    return out


def imports():
    """{module: {imported module: line}} over the whole package."""
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        edges = {}
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets = _resolve(module, node, path.name == "__init__.py")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = _TARGET.match(node.value)
                targets = [match.group(1)] if match else []
            for target in targets:
                if target != module:
                    edges.setdefault(target, node.lineno)
        graph[module] = edges
    return graph


GRAPH = imports()


def _where(module, line=None):
    path = MODULES[module].relative_to(SRC.parent)
    return f"{path}:{line}" if line else str(path)


def test_every_module_has_a_layer():
    loose = [m for m in MODULES if layer_of(m) is None]
    assert not loose, f"place these modules in a layer (tests/test_layers.py): {loose}"


def test_every_import_names_a_module_that_exists():
    missing = [
        f"{_where(m, line)} imports {t}"
        for m, edges in GRAPH.items()
        for t, line in edges.items()
        if t not in MODULES
    ]
    assert not missing, "\n".join(missing)


def test_imports_go_one_way_through_the_layers():
    upward = []
    for module, edges in GRAPH.items():
        here = layer_of(module)
        for target, line in edges.items():
            there = layer_of(target)
            if there is not None and there > here:
                upward.append(
                    f"{_where(module, line)} ({LAYERS[here][0]}) imports {_where(target)} "
                    f"({LAYERS[there][0]}), a layer above it"
                )
    assert not upward, "\n".join(upward)


def find_cycles(graph):
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_closes_a_cycle():
    cycles = find_cycles(GRAPH)
    described = [" -> ".join(f"{_where(m)}" for m in cycle) + " (and back)" for cycle in cycles]
    assert not cycles, "import cycles:\n" + "\n".join(described)


@pytest.mark.parametrize(
    "graph, expected",
    [
        ({"a": {"b": 1}, "b": {"a": 1}}, [["a", "b"]]),
        ({"a": {"b": 1}, "b": {"c": 1}, "c": {}}, []),
        ({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}, [["a", "b", "c"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(graph, expected):
    assert find_cycles(graph) == expected


def test_the_layer_check_sees_function_level_and_upward_imports(tmp_path):
    """The parser catches an upward import inside a function (what this test is for)."""
    module = "nmfkit.core.example"
    node = ast.parse("def f():\n    from ..estimators import nmf\n").body[0].body[0]
    assert _resolve(module, node, False) == ["nmfkit.estimators.nmf"]
    assert layer_of("nmfkit.estimators.nmf") > layer_of(module)
    assert layer_of("nmfkit") > layer_of("nmfkit.applications.plot")
    # a new module directly under the package is in no layer until it is placed
    assert layer_of("nmfkit._newhelper") is None
