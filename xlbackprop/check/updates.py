"""Find gradient descent by its formulas alone: the weight updates ``w − η·g``, labels ignored.

A weight update is a formula ``P − c·G`` (or ``P + c·G``, the ``w + η·δ·x`` convention; the
product's factors in any order, parentheses as you like) where P is a reference to the previous
value of the same weight, c an η (a number typed into the formula, or a cell holding a typed
number: absolute or not, on another sheet, a defined name) and G the gradient (any factors that
reference cells). Its *step* is the offset from P to the update: (1, 0) the row below, (8, 0) a
block of 8 rows, (0, 4) a group of columns to the right, or the previous sheet (P there, or P
a link ``='Iter 1'!C20`` to there). Updates that follow one another make a chain, one chain a
weight (one a copy slip broke off joined again); the chains that share a step and sheets, and
overlap, are one :class:`Training`::

    row 14   0.15  0.2  ... 0.55                        w1 .. w8 typed, B14:I14
    row 15   =B14-$B$2*Y14  ...  =I14-$B$2*AF14         the updates, filled down to row 33

    find(book)[0].describe()
    # "8 weights updated over 20 iterations along rows (w − η·g, η in B2), in 'Sheet1'!B14:I33"

An update whose previous value or gradient a position picks (``=INDEX(B$1:B$200,ROW()-8)-$B$2*
INDEX(O$1:O$200,ROW()-2)``) is read for the cell it stands in (:func:`~xlbackprop.xlsx.formula.pinned`).

Fast on a sheet of 100,000 formulas: a cheap test of the text first (an update starts or ends
with a lone reference beside + or -), then one parse per form (the formula less its rows), so
that a column filled down parses once.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, NamedTuple, Union

from openpyxl.utils.cell import column_index_from_string, get_column_letter

from ..xlsx.formula import Node, Ref, pinned, refs, shape
from ..xlsx.grid import Book, Sheet

Cell = tuple[str, int, int]  # (sheet, row, col)
Step = Union[tuple[int, int], str]
SHEETS = "previous sheet"  # the step of an update whose previous value is on another sheet
MAX_LINKS = 5  # plain links (``='Iter 1'!C2``) followed to the typed number or the weight they show
MAX_LISTED = 3  # η cells or numbers a description lists one by one

_REF = r"(?:(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?\$?[A-Za-z]{1,3}\$?\d+"
_START = re.compile(rf"=[\s(]*{_REF}[\s)]*[-+]")  # P first
_END = re.compile(rf"[-+][\s(]*{_REF}[\s)]*\Z")  # P last
LINK = re.compile(rf"=\s*{_REF}\s*")  # a plain link, ='Iter 1'!C20 (structure reads it too)
_PICKS = re.compile(r"\b(?:INDEX|OFFSET)\s*\(", re.I)  # a reference a position picks
# the references of a formula as tokenize reads them (checked against it once a form): sheet, $, column, $, row
_REFS = re.compile(r"(?<![\w.$])(?:('(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?(\$?)([A-Za-z]{1,3})(\$?)(\d+)(?![\w(])")


@dataclass
class Training:
    """One gradient descent found by its formulas: ``weights`` its chains (each the cells one
    weight takes, the start first), ``iterations`` the longest chain's length, ``step`` the
    offset of each update from the previous value (or :data:`SHEETS`), ``eta`` what η is (a
    cell ``'Sheet1'!$B$2`` or a typed number, each once), ``sign`` ``-``, ``+`` or ``±``."""

    layout: str  # rows, row blocks, column groups, sheets, or cells (any other offset)
    step: Step
    weights: list[list[Cell]] = field(repr=False)
    iterations: int
    eta: list[str | float]
    sign: str

    def __repr__(self) -> str:
        return f"Training({self.describe()!r})"

    @property
    def sheets(self) -> list[str]:
        """The sheets the chains run through, in the order they do."""
        return list(dict.fromkeys(cell[0] for chain in self.weights for cell in chain))

    def span(self) -> str:
        """Where the chains lie: ``'Sheet1'!B14:I33``; ``'Iter 1'!C5:C30 … 'Iter 3'!C23:C30`` over many sheets."""
        boxes: dict[str, tuple[int, int, int, int]] = {}
        for chain in self.weights:
            for sheet, row, col in chain:
                r0, c0, r1, c1 = boxes.get(sheet, (row, col, row, col))
                boxes[sheet] = (min(r0, row), min(c0, col), max(r1, row), max(c1, col))
        said = [f"{quoted(sheet)}!{_range(*boxes[sheet])}" for sheet in self.sheets]
        return ", ".join(said) if len(said) <= 2 else f"{said[0]} … {said[-1]}"

    def describe(self) -> str:
        """One line: ``8 weights updated over 20 iterations along rows (w − η·g, η in B2), in
        'Sheet1'!B14:I33``; ``12 weights updated once (...)`` for one step."""
        ends = {_ahead(chain) for chain in self.weights if len(chain) > 1}  # a chain a typed number broke goes on
        n = sum(chain[0] not in ends for chain in self.weights)
        weights = f"{n:,} weight{'s' if n != 1 else ''}"
        how = "updated once" if self.iterations == 2 else f"updated over {self.iterations:,} iterations {self._along()}"
        rule = {"-": "w − η·g", "+": "w + η·g"}.get(self.sign, "w ± η·g")
        return f"{weights} {how} ({rule}, η {self._said_eta()}), in {self.span()}"

    def _along(self) -> str:
        if self.layout == "sheets":
            return f"across {len(self.sheets)} sheets"
        rows, cols = self.step
        return {"rows": "along rows", "row blocks": f"in blocks of {rows} rows",
                "column groups": "along columns" if cols == 1 else f"in groups of {cols} columns"}.get(
            self.layout, f"at steps of {rows} rows and {cols} columns")

    def _said_eta(self) -> str:
        cells = [e for e in self.eta if isinstance(e, str)]
        numbers = [e for e in self.eta if not isinstance(e, str)]
        said = []
        if cells:
            said.append(f"in {_cells(cells, self.sheets)}")
        if numbers:
            said.append("typed as " + (", ".join(f"{x:.15g}" for x in numbers) if len(numbers) <= MAX_LISTED
                                       else f"{len(numbers)} numbers from {min(numbers):.15g} to {max(numbers):.15g}"))
        return " and ".join(said)


class _Plan(NamedTuple):
    """What one form says: the sign of its product, which of its references is P, the factors
    that may be η, best first (``("ref", k)`` its k-th reference, ``("cell", cell)`` a defined
    name's cell, ``("num", x)`` a typed number), how many references it has, and whether the
    quick reading of its references (:data:`_REFS`) reads them as the tokenizer does."""

    sign: str
    p: int
    etas: tuple[tuple[str, object], ...]
    refs: int
    fast: bool


class _Update(NamedTuple):
    previous: Cell
    sign: str
    eta: str | float


def find(book: Book) -> list[Training]:
    """Every gradient descent of the workbook its formulas show, the largest first: one a step
    and sheet, tables stacked one below the other apart; single isolated updates (one weight,
    updated once) left out."""
    by_name = {s.name.lower(): s for s in book.sheets}
    order = {s.name: k for k, s in enumerate(book.sheets)}
    updates: dict[Cell, _Update] = {}
    for sheet in book.sheets:
        updates.update(_updates(sheet, by_name))
    groups: dict[tuple, list[list[Cell]]] = defaultdict(list)
    for chain in _chains(updates, order):
        sheets = tuple(dict.fromkeys(c[0] for c in chain))
        steps = Counter(_step(a, b) for a, b in zip(chain, chain[1:]))
        step = SHEETS if len(sheets) > 1 else steps.most_common(1)[0][0]  # the step most of its updates take
        groups[(step, sheets)].append(chain)
    found = []
    for (step, _), chains in groups.items():
        for table in _apart(chains, step):
            table.sort(key=lambda c: (order.get(c[0][0], len(order)), c[0][1], c[0][2]))
            iterations = max(len(c) for c in table)
            if len(table) < 2 and iterations < 3:
                continue
            met = [updates[cell] for chain in table for cell in chain[1:]]
            signs = {u.sign for u in met}
            found.append(Training(_layout(step), step, table, iterations, list(dict.fromkeys(u.eta for u in met)),
                                  signs.pop() if len(signs) == 1 else "±"))
    return sorted(found, key=lambda t: (-len(t.weights) * t.iterations, order.get(t.weights[0][0][0], 0),
                                        t.weights[0][0][1:]))


def _apart(chains: list[list[Cell]], step: Step) -> list[list[list[Cell]]]:
    """The chains of one step and sheet as tables that do not overlap along the step (tables
    stacked on one sheet, one below the other, are two)."""
    if step == SHEETS:
        return [chains]
    axis = 1 if step[0] != 0 else 2
    spans = sorted(((min(c[axis] for c in chain), max(c[axis] for c in chain), chain) for chain in chains),
                   key=lambda span: span[:2])
    tables: list[list[list[Cell]]] = []
    end = 0
    for low, high, chain in spans:
        if tables and low <= end:
            tables[-1].append(chain)
            end = max(end, high)
        else:
            tables.append([chain])
            end = high
    return tables


def _updates(sheet: Sheet, by_name: dict[str, Sheet]) -> dict[Cell, _Update]:
    """The weight updates of one sheet, each with the cell of its weight's previous value."""
    plans: dict[tuple, _Plan | None] = {}
    etas: dict[Cell, str | None] = {}  # an η cell's verdict, once
    out = {}
    for (row, col), text in sheet.formulas.items():
        if _PICKS.search(text):  # INDEX(..., ROW()-8): which cell it reads depends on where it is
            update = _picked(sheet, row, col, text, by_name, etas)
            if update is not None:
                out[(sheet.name, row, col)] = update
            continue
        if not _START.match(text):
            cut = max(text.rfind("-"), text.rfind("+"))
            if cut < 0 or _END.match(text, cut) is None:
                continue
        parts = _REFS.split(text)  # text, sheet, $, column, $, row, text, ...
        rows = parts[5::6]
        parts[5::6] = [""] * len(rows)
        form = tuple(parts)  # what the formulas filled along a row or a column share: all but their rows
        if form not in plans:
            plans[form] = _plan(sheet, text, by_name)
        plan = plans[form]
        if plan is None:
            continue
        if plan.fast and len(rows) == plan.refs:
            cell = partial(_quick, parts, rows, sheet.name, by_name)
        else:
            try:
                found = [_cell(r, sheet.name, by_name) for r in shape(text, row, col)[1]]
            except ValueError:
                continue
            cell = found.__getitem__
        eta = _eta(plan, cell, by_name, etas)
        if eta is None and plan.etas[0][0] == "change":  # w + v, v = μ·v' − η·g: a velocity (CS231n's form)
            eta = _velocity_eta(cell(plan.etas[0][1]), cell(plan.p), (sheet.name, row, col), by_name, etas)
        if eta is not None and plan.etas[0][0] == "change" and not _weightlike(cell(plan.p), by_name):
            eta = None  # E_total = E1 + E2 is no update of E1
        if eta is not None:
            previous = cell(plan.p)
            if previous[0] != sheet.name or "!" in sheet.formulas.get(previous[1:], ""):
                previous = _follow(previous, by_name, weight=True)
            if previous != (sheet.name, row, col):
                out[(sheet.name, row, col)] = _Update(previous, plan.sign, eta)
    return out


def _picked(sheet: Sheet, row: int, col: int, text: str, by_name: dict[str, Sheet],
            seen: dict[Cell, str | None]) -> _Update | None:
    """An update whose previous value or gradient a position picks (``INDEX($B$2:$B$9, ROW()-3)``),
    read for the cell it stands in: each such cell parsed on its own."""
    try:
        tree = pinned(sheet.parse(text), row, col)
    except ValueError:
        return None
    parts = split(tree)
    if parts is None:
        return None
    sign, p, factors = parts
    eta = _factors_eta(factors, sheet, by_name, seen)
    if eta is None:
        return None
    previous = _follow(_cell(p, sheet.name, by_name), by_name, weight=True)
    return None if previous == (sheet.name, row, col) else _Update(previous, sign, eta)


def _quick(parts: list, rows: list[str], sheet: str, by_name: dict[str, Sheet], k: int) -> Cell:
    """The k-th reference of a formula :data:`_REFS` split, its rows apart."""
    return _sheet(parts[6 * k + 1], sheet, by_name), int(rows[k]), column_index_from_string(parts[6 * k + 3].upper())


def _plan(sheet: Sheet, text: str, by_name: dict[str, Sheet]) -> _Plan | None:
    """Whether a formula reads ``P ± c·G``, and which of its parts are which; None if not."""
    try:
        found = shape(text, 1, 1)[1]
        tree = sheet.parse(text)
    except ValueError:  # FormulaError, or a reference no spreadsheet has
        return None
    update = split(tree)
    at = {r.span: k for k, r in enumerate(found)}
    if update is None and (change := split_change(tree)) is not None and {change[1].span, change[2].span} <= set(at):
        parts = _REFS.split(text)
        quick = [_quick(parts, parts[5::6], sheet.name, by_name, k) for k in range(len(parts) // 6)]
        fast = quick == [_cell(r, sheet.name, by_name) for r in found]
        return _Plan(change[0], at[change[1].span], (("change", at[change[2].span]),), len(found), fast)
    if update is None or update[1].span not in at:
        return None
    sign, p, factors = update
    etas = []
    for k, factor in enumerate(factors):
        if factor.op not in ("num", "ref") or not any(refs(f) for f in factors[:k] + factors[k + 1:]):
            continue
        if factor.op == "num":
            etas.append((1, ("num", factor.args[0])))
            continue
        ref = factor.args[0]
        fixed = (ref.row_abs and ref.col_abs) or ref.sheet is not None or ref.span not in at
        etas.append((0 if fixed else 2, ("ref", at[ref.span]) if ref.span in at
                     else ("cell", _cell(ref, sheet.name, by_name))))
    if not etas:
        return None
    etas.sort(key=lambda e: e[0])
    parts = _REFS.split(text)
    quick = [_quick(parts, parts[5::6], sheet.name, by_name, k) for k in range(len(parts) // 6)]
    fast = quick == [_cell(r, sheet.name, by_name) for r in found]
    return _Plan(sign, at[p.span], tuple(e for _, e in etas), len(found), fast)


def split_change(tree: Node) -> tuple[str, Ref, Ref] | None:
    """``P − D`` (and ``P + D``, ``D + P``) with D a lone reference: ``("-", P, D)``; D is then a
    weight change whose own formula is ``c·g`` (a Δw column)."""
    if tree.op not in ("-", "+"):
        return None
    left, right = tree.args
    for p, d in ((left, right), (right, left)) if tree.op == "+" else ((left, right),):
        if p.op == "ref" and d.op == "ref":
            return tree.op, p.args[0], d.args[0]
    return None


def product(tree: Node) -> tuple[int, list[Node]] | None:
    """A product as its sign and factors (two or more), or None: ``=0.3*O5*K5`` is ``(1, [0.3, O5, K5])``."""
    found = _factors(tree)
    return found if found is not None and len(found[1]) >= 2 else None


def split(tree: Node) -> tuple[str, Ref, list[Node]] | None:
    """``P − c·G`` as ``("-", P, [c, G...])``; ``P + c·G`` and ``c·G + P`` as ``"+"``."""
    if tree.op not in ("-", "+"):
        return None
    left, right = tree.args
    for p, term in ((left, right), (right, left)) if tree.op == "+" else ((left, right),):
        if p.op == "ref" and (product := _factors(term)) is not None and len(product[1]) >= 2:
            negative = (tree.op == "-") != (product[0] < 0)
            return "-" if negative else "+", p.args[0], product[1]
    return None


def _factors(node: Node) -> tuple[int, list[Node]] | None:
    """A product as its sign and factors: ``-(a*b)/c`` is ``(-1, [a, b, 1/c])``."""
    if node.op == "neg":
        inner = _factors(node.args[0])
        return None if inner is None else (-inner[0], inner[1])
    if node.op == "*":
        a, b = _factors(node.args[0]), _factors(node.args[1])
        return None if a is None or b is None else (a[0] * b[0], a[1] + b[1])
    if node.op == "/":
        a = _factors(node.args[0])
        return None if a is None else (a[0], a[1] + [Node("/", (Node("num", (1.0,)), node.args[1]))])
    return 1, [node]


def _eta(plan: _Plan, cell: Callable[[int], Cell], by_name: dict[str, Sheet],
         seen: dict[Cell, str | None]) -> str | float | None:
    """The η of one update (``cell(k)`` its k-th reference): its typed number, or the cell
    holding the typed number it reads; ``seen`` keeps each cell's verdict."""
    for kind, what in plan.etas:
        if kind == "num":
            return what
        if kind == "change":  # P ± D: η is in D's own formula, D = c·g
            return _change_eta(cell(what), by_name, seen)
        at = cell(what) if kind == "ref" else what
        if at not in seen:
            sheet, row, col = _follow(at, by_name)
            target = by_name.get(sheet.lower())
            typed = target is not None and (row, col) not in target.formulas and target.number(row, col) is not None
            seen[at] = f"{quoted(sheet)}!${get_column_letter(col)}${row}" if typed else None
        if seen[at] is not None:
            return seen[at]
    return None


def _weightlike(cell: Cell, by_name: dict[str, Sheet]) -> bool:
    """A typed number, a link, a draw (RAND) or what reads like an update: what a weight's previous value is."""
    sheet = by_name.get(cell[0].lower())
    text = sheet.formulas.get(cell[1:]) if sheet is not None else None
    if text is None:
        return sheet is not None and sheet.number(*cell[1:]) is not None
    return bool(LINK.fullmatch(text) or "RAND(" in text.upper() or _START.match(text) or _END.search(text))


def _change_eta(cell: Cell, by_name: dict[str, Sheet], seen: dict[Cell, str | None]) -> str | float | None:
    """The η of a weight change D = c·g (a typed number, or a typed cell beside cells that vary)."""
    sheet = by_name.get(cell[0].lower())
    text = sheet.formulas.get(cell[1:]) if sheet is not None else None
    if text is None:
        return None
    try:
        found = product(sheet.parse(text))
    except ValueError:
        return None
    return None if found is None else _factors_eta(found[1], sheet, by_name, seen)


def _velocity_eta(cell: Cell, previous: Cell, update: Cell, by_name: dict[str, Sheet],
                  seen: dict[Cell, str | None]) -> str | float | None:
    """The η of a velocity V = μ·V' − η·g that an update ``P + V`` adds: V reads its own value one
    step back (the step from P to the update), and one of its terms is η·g."""
    sheet = by_name.get(cell[0].lower())
    text = sheet.formulas.get(cell[1:]) if sheet is not None else None
    if text is None or previous[0] != update[0] or cell[0] != update[0]:
        return None
    back = (cell[0], cell[1] - (update[1] - previous[1]), cell[2] - (update[2] - previous[2]))
    try:
        tree = sheet.parse(text)
        read = [_cell(r, sheet.name, by_name) for r in shape(text, cell[1], cell[2])[1]]
    except ValueError:
        return None
    if back not in read or tree.op not in ("-", "+"):
        return None
    for term in tree.args:
        found = _factors(term)
        if found is not None and len(found[1]) >= 2 and not any(
                _cell(r, sheet.name, by_name) == back for f in found[1] for r in refs(f)):
            if (eta := _factors_eta(found[1], sheet, by_name, seen)) is not None:
                return eta
    return None


def _factors_eta(factors: list[Node], sheet: Sheet, by_name: dict[str, Sheet],
                 seen: dict[Cell, str | None]) -> str | float | None:
    """The η among a product's factors, beside factors that reference cells: a typed number, else a
    reference to a cell holding one (followed through links)."""
    for factor in factors:
        if factor.op == "num" and any(refs(f) for f in factors if f is not factor):
            return factor.args[0]
    for factor in factors:
        if factor.op == "ref" and any(refs(f) for f in factors if f is not factor):
            plan = _Plan("-", 0, (("cell", _cell(factor.args[0], sheet.name, by_name)),), 0, False)
            if (eta := _eta(plan, lambda k: ("", 0, 0), by_name, seen)) is not None:  # a "cell" plan reads no k
                return eta
    return None


def _sheet(written: str | None, sheet: str, by_name: dict[str, Sheet]) -> str:
    """The sheet a reference names (``'Iter 1'``, ``training``) as the book spells it; ``sheet`` if none."""
    if not written:
        return sheet
    if written.startswith("'"):
        written = written[1:-1].replace("''", "'")
    target = by_name.get(written.lower())
    return target.name if target is not None else written


def _cell(ref: Ref, sheet: str, by_name: dict[str, Sheet]) -> Cell:
    if ref.sheet is None:
        return sheet, ref.row, ref.col
    target = by_name.get(ref.sheet.lower())
    return (target.name if target is not None else ref.sheet), ref.row, ref.col


def _follow(cell: Cell, by_name: dict[str, Sheet], weight: bool = False) -> Cell:
    """The cell a plain link ``='Iter 1'!C20`` shows, link after link; for a ``weight``, only
    links to another sheet (a link on the same sheet is where a chain starts)."""
    for _ in range(MAX_LINKS):
        sheet = by_name.get(cell[0].lower())
        text = sheet.formulas.get(cell[1:]) if sheet is not None else None
        if text is None or (weight and "!" not in text) or not LINK.fullmatch(text):
            return cell
        try:
            (ref,) = shape(text, cell[1], cell[2])[1]
        except ValueError:
            return cell
        linked = _cell(ref, sheet.name, by_name)
        if weight and linked[0] == sheet.name:
            return cell
        cell = linked
    return cell


def _chains(updates: dict[Cell, _Update], order: dict[str, int]) -> list[list[Cell]]:
    """Each weight's cells, from a start that is no update (typed, ``=RAND()``, a link) through
    the updates that follow one another; where two updates read one cell, each goes on a chain,
    and one that broke off another weight's is joined again to its own."""
    after: dict[Cell, list[Cell]] = defaultdict(list)
    for cell, update in updates.items():
        after[update.previous].append(cell)

    def key(c: Cell) -> tuple[int, int, int]:
        return order.get(c[0], len(order)), c[1], c[2]

    todo = [(start, nxt) for start in sorted((c for c in after if c not in updates), key=key)
            for nxt in sorted(after[start], key=key)]
    chains = []
    while todo:
        chain = list(todo.pop())
        while (options := after.get(chain[-1])) is not None:
            best = options[0]
            if len(options) > 1:  # the one a step as long as the last goes on; the others start chains
                step = _step(chain[-2], chain[-1])
                best = next((o for o in options if _step(chain[-1], o) == step), best)
                todo.extend((chain[-1], o) for o in options if o is not best)
            chain.append(best)
        chains.append(chain)
    # a chain that leaves another weight's (its first update reads that weight: a slip of copying)
    # goes on the chain that ended one step before that update, if any
    whole = [c for c in chains if c[0] not in updates]
    ahead = {nxt: c for c in whole if (nxt := _ahead(c)) is not None}
    for branch in sorted((c for c in chains if c[0] in updates), key=lambda c: key(c[1])):
        stem = ahead.pop(branch[1], None)
        if stem is None:
            whole.append(branch)
            continue
        stem.extend(branch[1:])
        if (nxt := _ahead(stem)) is not None:
            ahead[nxt] = stem
    return whole


def _ahead(chain: list[Cell]) -> Cell | None:
    """The cell one step beyond a chain's last, on its sheet."""
    step = _step(chain[-2], chain[-1])
    return None if step == SHEETS else (chain[-1][0], chain[-1][1] + step[0], chain[-1][2] + step[1])


def _step(previous: Cell, update: Cell) -> Step:
    if previous[0] != update[0]:
        return SHEETS
    return update[1] - previous[1], update[2] - previous[2]


def _layout(step: Step) -> str:
    if step == SHEETS:
        return "sheets"
    rows, cols = step
    if cols == 0 and rows > 0:
        return "rows" if rows == 1 else "row blocks"
    return "column groups" if rows == 0 and cols > 0 else "cells"


def quoted(sheet: str) -> str:
    """A sheet's name as a formula quotes it: ``'Iter 1'``."""
    return "'" + sheet.replace("'", "''") + "'"


def _range(r0: int, c0: int, r1: int, c1: int) -> str:
    first = f"{get_column_letter(c0)}{r0}"
    return first if (r0, c0) == (r1, c1) else f"{first}:{get_column_letter(c1)}{r1}"


def _cells(cells: list[str], sheets: list[str]) -> str:
    """η's cells as a reader says them: ``B2`` on the training's one sheet, ``'Params'!B4``
    elsewhere, ``C2 of each sheet``, ``column A`` (an η a row), or how many."""
    parsed = [(s[1:s.rindex("!") - 1].replace("''", "'"), s[s.rindex("!") + 1:].replace("$", "")) for s in cells]
    coordinates = {c for _, c in parsed}
    on = {s for s, _ in parsed}
    if len(parsed) > 1 and len(coordinates) == 1 and len(on) == len(parsed):
        return f"{coordinates.pop()} of each sheet"
    if len(parsed) <= MAX_LISTED:
        return ", ".join(c if sheets == [s] else f"{quoted(s)}!{c}" for s, c in parsed)
    columns = {c.rstrip("0123456789") for _, c in parsed}
    rows = {c.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _, c in parsed}
    where = "" if sheets == list(on) else f" of {quoted(next(iter(on)))}"
    if len(on) == 1 and len(columns) == 1:
        return f"column {columns.pop()}{where}"
    if len(on) == 1 and len(rows) == 1:
        return f"row {rows.pop()}{where}"
    return f"{len(parsed):,} cells"
