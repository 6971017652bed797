"""The architecture the folders show, held: every import of the package (those inside functions
included) runs along an allowed edge between its subpackages, no module imports itself through
any chain of others, and a build never loads the checker.

    core ← xlsx ← sheets ← writing
                         ← verifying → check     verifying reads with the sheets' plans and asks
                         ← check                 check's root-cause finder (culprits); check reads
                                                 xlbackprop's own workbooks by their layout
    writing, check ← grading                     grading writes start files and marks what check finds
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "xlbackprop"
TOP = {"__init__", "__main__", "api", "cli"}  # the top level: the API and the command line, nothing else
ALLOWED = {  # subpackage -> the subpackages its modules may import
    "core": {"core"},
    "xlsx": {"core", "xlsx"},
    "sheets": {"core", "xlsx", "sheets"},
    "writing": {"core", "xlsx", "sheets", "writing"},
    "verifying": {"core", "xlsx", "sheets", "verifying", "check"},
    "check": {"core", "xlsx", "sheets", "check"},  # sheets: where an xlbackprop workbook keeps its given values
    "grading": {"core", "xlsx", "sheets", "writing", "check", "grading"},  # start files, checked submissions
}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module of the package that ``name`` imports, at any place in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        out |= {t for t in targets if t in known and t != name}
    return out


GRAPH = {name: imports(name, path, set(modules())) for name, path in modules().items()}


def layer(name: str) -> str:
    parts = name.split(".")
    return "top" if len(parts) == 1 or parts[1] in TOP else parts[1]


def test_the_top_level_holds_only_subpackages_the_api_and_the_command_line():
    loose = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in TOP)
    assert loose == []
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()} == set(ALLOWED)


def test_every_import_runs_along_an_allowed_edge():
    wrong = sorted(f"{a} -> {b}" for a, targets in GRAPH.items() for b in targets
                   if layer(a) != "top" and layer(b) not in ALLOWED[layer(a)])
    assert wrong == []


def test_no_module_imports_itself_through_others():
    """Tarjan's strongly connected components: any with two or more modules is a cycle."""
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert cycles == []


def closure(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for m in GRAPH[todo.pop()]:
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return seen


def test_a_build_reaches_no_module_of_check():
    assert sorted(m for m in closure("xlbackprop.writing.writer") if layer(m) == "check") == []


def test_a_build_loads_no_module_of_check(tmp_path):
    script = ("import sys; from xlbackprop import build; "
              f"build('class-2024', {str(tmp_path / 'b.xlsx')!r}, iterations=3); "
              "print(sorted(m for m in sys.modules if m.startswith('xlbackprop.check')))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("broken", ["xlbackprop.core.network -> xlbackprop.sheets.layout",
                                    "xlbackprop.xlsx.grid -> xlbackprop.verifying.reader"])
def test_the_rules_catch_a_forbidden_edge(broken):
    """The checks above can fail: an upward edge breaks the layering."""
    a, b = broken.split(" -> ")
    assert layer(b) not in ALLOWED[layer(a)]


# -- the sentences the docstrings say about the architecture, held ------------------------------

def _imported_names(path: Path) -> set[str]:
    """``module.name`` of every ``from module import name`` and ``module`` of every ``import module``."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
    return out


def _using(*names: str) -> set[str]:
    return {name for name, path in modules().items() if _imported_names(path) & set(names)}


def test_only_writing_makes_a_workbook():
    """writer.py places every cell openpyxl writes (stored.py writes the training rows as XML), and
    start.py the cells of an assignment's start file, with writer's parameter block."""
    assert _using("openpyxl.Workbook", "openpyxl.cell.WriteOnlyCell", "openpyxl.writer.excel.ExcelWriter") \
        == {"xlbackprop.writing.writer", "xlbackprop.writing.start"}


def test_only_the_reader_opens_a_workbook_with_openpyxl():
    """Everything else reads through the one-pass reader (xlsx.grid) behind the guards."""
    assert _using("openpyxl.load_workbook", "openpyxl.reader.excel.load_workbook") == {"xlbackprop.verifying.reader"}


def test_the_modules_that_start_processes_are_the_ones_that_say_so():
    """The engines (xlsx.engines), the reference's second process, pdftoppm for pictures, and the
    pool of check's workers; nothing else starts a process."""
    assert _using("subprocess", "multiprocessing", "concurrent.futures.ProcessPoolExecutor", "os.fork") == {
        "xlbackprop.xlsx.engines", "xlbackprop.writing.second_process", "xlbackprop.verifying.render",
        "xlbackprop.check.batch"}


def _code_strings(path: Path) -> list[str]:
    """Every string constant of a module but its docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs]


def test_only_activations_and_losses_write_exp_or_tanh_into_a_sheet():
    """Each activation's and each loss's EXP once, beside its numpy form."""
    spelled = {name for name, path in modules().items()
               if any("EXP(" in s or "TANH(" in s for s in _code_strings(path))}
    assert spelled == {"xlbackprop.core.activations", "xlbackprop.core.losses"}


def test_checks_evaluator_computes_exp_and_tanh_as_the_reference_does():
    """With the C library's exp and tanh (numpy's SIMD ones differ in the last bit)."""
    from xlbackprop.core.arithmetic import IEEE, LIBREOFFICE
    from xlbackprop.xlsx.formula import FUNCTIONS

    assert FUNCTIONS["EXP"] is IEEE.exp and FUNCTIONS["TANH"] is IEEE.tanh
    assert LIBREOFFICE.exp is IEEE.exp and LIBREOFFICE.tanh is IEEE.tanh
