"""Excel's limits on a formula, checked on every formula a build would write, before it writes.

LibreOffice holds formulas Excel cannot: Excel drops a formula longer than 8,192 characters,
a function call with more than 255 arguments, or functions nested deeper than 64 levels, when it
opens the file ("Removed Records: Formula"), so ``verify`` cannot see the problem. A wide layer
makes long sums (``h1 = w1*i1 + w2*i2 + ...``: about 640 inputs fill 8,192 characters on
Training, fewer on Derivation, whose references carry ``Training!``) and many samples make a long
``CHOOSE`` on the Network sheet (255 samples)::

    check(spec)   # ExcelLimitError: layers: the formula of h1 on Training would be 9,103 characters ...
"""

from __future__ import annotations

from typing import Iterator

from openpyxl.utils.cell import get_column_letter

from ..core.errors import ExcelLimitError
from ..core.spec import Spec
from ..xlsx.formula import FormulaError, Node, parse
from . import derivation, diagram, matrices
from .expressions import Templates
from .layout import SHEET, Layout, enforce_grid

MAX_LENGTH = 8_192
MAX_ARGUMENTS = 255
MAX_NESTING = 64


def formulas(layout: Layout) -> Iterator[tuple[str, str, str]]:
    """``(sheet, what, formula)`` for the formulas that differ in shape: each training column's first
    and last row (row numbers are longest there), and every formula of Derivation, Network and Matrices."""
    templates = Templates(layout)
    for name in templates.rest:
        yield SHEET, name, templates.first[name].format(r=layout.first_row, p=layout.first_row - 1)
        yield SHEET, name, templates.rest[name].format(r=layout.last_row, p=layout.last_row - 1)
    for sheet, plan in ((derivation.SHEET, derivation.plan(layout)), (diagram.SHEET, diagram.plan(layout)),
                        (matrices.SHEET, matrices.plan(layout))):
        for row, cells in plan.rows.items():
            for k, cell in enumerate(cells, 1):
                if isinstance(cell.value, str) and cell.value.startswith("=") and not cell.text:
                    yield sheet, f"{get_column_letter(k)}{row}", cell.value


def enforce(spec: Spec) -> None:
    """Raise :class:`ExcelLimitError` (one line: which formula, which limit) when Excel could not hold
    a formula of ``spec``'s workbook, or when the workbook would not fit Excel's grid."""
    enforce_grid(spec.network, spec.iterations)
    layout = Layout(spec.network, spec.iterations)
    for sheet, what, text in formulas(layout):
        if len(text) > MAX_LENGTH:
            raise ExcelLimitError("network", f"the formula of {what} on {sheet} would be {len(text):,} characters, "
                                             f"more than Excel's {MAX_LENGTH:,}; use narrower layers or fewer samples")
        if sheet != SHEET and "CHOOSE" not in text:
            continue  # the other sheets' sums have no arguments and nest no deeper than Training's
        if text.count(",") < MAX_ARGUMENTS and text.count("(") <= MAX_NESTING:
            continue  # 256 arguments need 255 commas, 65 levels 65 parentheses: no need to parse
        try:
            arguments, depth = _shape(parse(text))
        except FormulaError:
            continue
        if arguments > MAX_ARGUMENTS:
            raise ExcelLimitError("network", f"the formula of {what} on {sheet} would call a function with "
                                            f"{arguments:,} arguments, more than Excel's {MAX_ARGUMENTS}; "
                                            f"use fewer samples")
        if depth > MAX_NESTING:
            raise ExcelLimitError("network", f"the formula of {what} on {sheet} would nest {depth} functions, "
                                            f"more than Excel's {MAX_NESTING}")


def _shape(root: Node) -> tuple[int, int]:
    """The most arguments of any call in the tree, and how deep calls nest (walked without
    recursion: a sum of 600 products parses into a tree 600 levels deep)."""
    most = deepest = 0
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if node.op in ("num", "str", "name", "ref", "range"):
            continue
        if node.op == "call":
            depth += 1
            most, deepest = max(most, len(node.args[1])), max(deepest, depth)
            stack.extend((child, depth) for child in node.args[1])
        else:
            stack.extend((child, depth) for child in node.args)
    return most, deepest
