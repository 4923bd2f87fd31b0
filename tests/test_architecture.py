"""The house rules of ARCHITECTURE.md, checked: the page matches the step table and names every
module; the package has no import cycle (function-local imports included) and no private name
used across modules; modules and functions stay small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

from baocao import steps

from .conftest import ROOT, load_script

PACKAGE = ROOT / "src" / "baocao"
DOC = ROOT / "ARCHITECTURE.md"
step_table = load_script(ROOT / "scripts" / "step_table.py")

# Cycles that exist and are to be removed; a new one fails the test.
KNOWN_CYCLES: list[set[str]] = []
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def test_the_step_table_in_architecture_md_is_the_step_table():
    written = step_table.section(DOC.read_text(encoding="utf-8"))
    assert written == step_table.markdown_table(), "run: .venv/bin/python scripts/step_table.py"


def test_a_step_added_to_the_table_shows_in_the_generated_table(monkeypatch):
    extra = steps.Step(
        "summary",
        "tóm tắt (thử)",
        reads=("build:metrics.json",),
        writes=("tom-tat-{year}.txt",),
        run=lambda project, year, build_dir: None,
    )
    monkeypatch.setattr(steps, "STEPS", [*steps.STEPS, extra])
    last = step_table.markdown_table().splitlines()[-1]
    assert last.startswith("| `summary` | tóm tắt (thử) |") and "`tom-tat-{year}.txt`" in last


def test_architecture_md_names_every_module():
    text = DOC.read_text(encoding="utf-8")
    missing = [
        p.relative_to(PACKAGE).as_posix()
        for p in sorted(PACKAGE.rglob("*.py"))
        if p.name != "__init__.py" and f"`{p.name}`" not in text and f"{p.name}`" not in text
    ]
    missing += [f"{d.name}/" for d in PACKAGE.iterdir() if (d / "__init__.py").is_file() and f"`{d.name}/`" not in text]
    assert not missing, f"ARCHITECTURE.md does not say where these live: {missing}"


def test_readme_links_architecture_md():
    assert "(ARCHITECTURE.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- the import graph
def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for p in sorted(PACKAGE.rglob("*.py")):
        parts = list(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (p, is_package)
    return found


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers inside ``if TYPE_CHECKING:`` blocks (no import at run time)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(modules: dict[str, tuple[Path, bool]]) -> tuple[dict[str, set[str]], list[str]]:
    """Each module's imports of the package (wherever they are in the file), and every use of
    another module's private name ("module:line name")."""
    edges: dict[str, set[str]] = {m: set() for m in modules}
    private: list[str] = []
    for name, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_only(tree)
        aliases: dict[str, str] = {}
        here = name.split(".") if is_package else name.split(".")[:-1]
        for node in ast.walk(tree):
            if getattr(node, "lineno", 0) in skip:
                continue
            if isinstance(node, ast.ImportFrom):
                base = here[: len(here) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                if not target.startswith("baocao"):
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if sub in modules:
                        edges[name].add(sub)
                        aliases[alias.asname or alias.name] = sub
                    else:
                        edges[name].add(target)
                        if alias.name.startswith("_") and not alias.name.startswith("__") and target != name:
                            private.append(f"{name}:{node.lineno} {target}.{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("baocao"):
                        edges[name].add(alias.name)
                        aliases[alias.asname or alias.name] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                private.append(f"{name}:{node.lineno} {aliases[node.value.id]}.{node.attr}")
    return {m: {e for e in es if e in modules and e != m} for m, es in edges.items()}, private


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_but_the_known_ones():
    edges, _private = _imports(_modules())
    new = [sorted(c) for c in _cycles(edges) if c not in KNOWN_CYCLES]
    assert not new, f"import cycles (function-local imports count): {new}"


def test_no_module_imports_the_cli():
    edges, _private = _imports(_modules())
    assert [m for m, es in edges.items() if "baocao.cli" in es] == ["baocao.__main__"]


def test_no_private_name_crosses_a_module_boundary():
    _edges, private = _imports(_modules())
    assert not private, private


# ---------------------------------------------------------------------------- sizes
def test_no_module_over_600_lines():
    long = {
        p.relative_to(PACKAGE).as_posix(): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, long


def test_no_function_over_80_lines():
    paths = sorted(PACKAGE.rglob("*.py"))
    long = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, long
