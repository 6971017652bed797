"""Judge a gradient descent by its formula graph alone: any layout, any small dense network.

:mod:`~.updates` finds the weights by their updates ``U = P − c·g`` (or ``P + c·g``); each
update is one *step* of training (a row, a block of rows, a sheet, a group of columns; a step
by where its cells are along the layout, so that a chain a slip broke goes on). Nothing else
needs a label or a place:

    down       the cells that depend on the step's weights P (not through the next step's U)
    loss L     a cell of those that depends on every weight and that no gradient reads, the one
               whose gradient the updates take (E_total, not E1; not a copy of it elsewhere)
    forward    the cells L depends on; backward, the other cells the gradients read
    truth      ∂L/∂P through the sheet's own forward formulas, each cell's slope taken at its own
               stored inputs, exact by the complex step (x + i·h, no difference that cancels)
    gradient   g of each update: should be α·∂L/∂P, with one α for the whole sheet (1; 2 or ½
               when the loss is (t − a)² and the gradient of ½(t − a)², or the other way; 1/m a
               batch mean); ``P + c·g`` takes g = −α·∂L/∂P (the ``w + η·δ·x`` convention)
    backward   each should be a derivative of the sheet (∂L/∂X, a slope ∂Y/∂X, an edge's
               ∂L/∂Y·∂Y/∂X, a weight change η·g)

A root cause is a cell whose own formula is wrong: a wrong gradient whose backward inputs are
all such derivatives, or the lowest backward cell under it that is none (under a mean over
samples, the samples' cells); a weighted sum that reads a pre-activation where its activation
belongs (mended before the truth is taken); an update that reads another weight's gradient, or
another step's; a weight, empty cell or label read where η belongs; a number typed over an
update. Why, in the file's own labels: one reference changed, in every sample's row alike
(``reads Δv (Q5) where delta saída (O5) belongs``), that makes every gradient under it right; a
factor that is another slope; a gradient twice the others'; else the value it should hold.
Each step is judged from its own stored inputs, so a slip is found where it happens; the same
slip at the same place of each step is one finding::

    results, unread = judge_all(book, skip=set())
    results[0].table.network          # "2-1-1 tanh/sigmoid, with biases, online, 2 samples in turn"
    results[0].errors[0].cause        # "delta oculta (P5, gradient of b1, in every step): reads ..."
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from openpyxl.utils.cell import get_column_letter

from ..xlsx.formula import COMPLEX_STEP, FormulaError, Node, Ref, evaluate, leaves, pinned, relative_form
from ..xlsx.grid import Book, Sheet
from . import states, updates
from .judge import Finding, TableResult

Cell = tuple[str, int, int]
H = 1e-20  # the complex step: derivatives exact to rounding, no cancellation
MAX_RANGE = 10_000  # cells a range in a formula may span and still be read
MAX_STEPS = 2_000  # steps judged; a longer training is judged on its first ones
MAX_LABEL_UP = 60  # rows above a cell searched for its column's header
RTOL = 1e-6  # a gradient against α·∂L/∂P, a backward cell against a derivative
ATOL = 1e-12
# α: how the gradients relate to the loss's gradient, one for the sheet
# (a loss with or without ½, times a batch of m samples summed or averaged, either way round)
SCALES = sorted({f * m ** e for f in (1.0, 2.0, 0.5) for m in range(1, 17) for e in (1, -1)})
_SUM_OPS = ("+", "-")


ROLES = {"momentum": ("velocity",), "adam": ("first moment", "second moment")}
SYMBOLS = {"momentum": ("μ",), "adam": ("β1", "β2")}


class GraphError(ValueError):
    """What a training found by its formulas lacks: the one line the report gives."""


@dataclass
class FormulaTable:
    """Where a training read by its formula graph lies, as the report says it (the fields of
    :class:`~.tables.Table` the report reads, and ``network``, ``layout``, ``where``)."""

    sheet: Sheet
    header_row: int
    first_row: int
    last_row: int
    columns: dict[str, str]  # the file's label (or the cell) of each quantity of the first step -> its cell
    network: str
    layout: str
    where: str
    eta: float | None
    eta_cell: str | None
    own: bool = False
    by_formulas: bool = True
    first_column: int = 0  # where its first weight is: tables side by side in the order they stand

    @property
    def rows(self) -> range:
        return range(self.first_row, self.last_row + 1)

    def letter(self, name: str) -> str:
        return self.columns[name]

    def has(self, name: str) -> bool:
        return name in self.columns


class _Cells:
    """The book's cells as the graph reads them: trees parsed once, references resolved."""

    def __init__(self, book: Book):
        self.book = book
        self.sheets = {s.name: s for s in book.sheets}
        self._lower = {s.name.lower(): s.name for s in book.sheets}
        self._trees: dict[Cell, Node | None] = {}
        self._deps: dict[Cell, tuple[Cell, ...]] = {}
        self.overrides: dict[Cell, Node] = {}  # formulas mended to take the truth (a pre-activation fed forward)
        self._forms: dict[tuple[str, str], tuple[Node, bool]] = {}  # a formula's form -> its tree, whether rows map
        self._rdeps: dict[Cell, list[Cell]] | None = None

    def resolve(self, ref: Ref, here: str) -> Cell:
        if ref.sheet is None:
            return here, ref.row, ref.col
        return self._lower.get(ref.sheet.lower(), ref.sheet), ref.row, ref.col

    def formula(self, cell: Cell) -> str | None:
        sheet = self.sheets.get(cell[0])
        return None if sheet is None else sheet.formulas.get(cell[1:])

    def tree(self, cell: Cell, own: bool = False) -> Node | None:
        """The cell's formula as a tree (mended, unless ``own``); None for a typed value or a formula
        this reader cannot compute."""
        if not own and cell in self.overrides:
            return self.overrides[cell]
        if cell not in self._trees:
            text, tree = self.formula(cell), None
            if text is not None:
                try:
                    tree = pinned(self._parsed(cell[0], text), cell[1], cell[2])
                    _computable(tree)
                except (FormulaError, ValueError):
                    tree = None
            self._trees[cell] = tree
        return self._trees[cell]

    def _parsed(self, sheet: str, text: str) -> Node:
        """``text`` parsed once per form: a formula filled down a column differs from the one above
        only in its rows, so the tree of the first is taken with the rows of each (much faster than
        parsing 100,000 formulas one by one)."""
        rows = [int(m[3]) for m in _ROWS.finditer(text)]
        form = (sheet, _ROWS.sub(lambda m: (m[1] or "") + m[2] + "#" * len(m[3]), text))
        if form not in self._forms:
            tree = self.sheets[sheet].parse(text)
            refs = [r for leaf in leaves(tree, ("ref", "range")) for r in leaf.args]
            self._forms[form] = (tree, [r.row for r in refs] == rows)
        tree, shifts = self._forms[form]
        if not shifts:
            return self.sheets[sheet].parse(text)
        at = iter(rows)
        return _with_rows(tree, at)

    def refs(self, node: Node, here: str) -> list[Cell]:
        out = []
        for leaf in leaves(node, ("ref", "range")):
            if leaf.op == "ref":
                out.append(self.resolve(leaf.args[0], here))
            else:
                out.extend(self.rectangle(*leaf.args, here))
        return out

    def rectangle(self, start: Ref, end: Ref, here: str) -> list[Cell]:
        sheet = self.resolve(start, here)[0]
        r0, r1 = sorted((start.row, end.row))
        c0, c1 = sorted((start.col, end.col))
        if (r1 - r0 + 1) * (c1 - c0 + 1) > MAX_RANGE:
            return []
        return [(sheet, r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]

    def deps(self, cell: Cell) -> tuple[Cell, ...]:
        if cell in self.overrides:
            return tuple(dict.fromkeys(self.refs(self.overrides[cell], cell[0])))
        if cell not in self._deps:
            tree = self.tree(cell)
            self._deps[cell] = () if tree is None else tuple(dict.fromkeys(self.refs(tree, cell[0])))
        return self._deps[cell]

    def dependents(self, cell: Cell) -> list[Cell]:
        if self._rdeps is None:
            self._rdeps = defaultdict(list)
            for sheet in self.book.sheets:
                for (row, col) in sheet.formulas:
                    for dep in self.deps((sheet.name, row, col)):
                        self._rdeps[dep].append((sheet.name, row, col))
        return self._rdeps.get(cell, [])

    def number(self, cell: Cell) -> float:
        """The stored value: a number, 0 for an empty cell (as spreadsheets read one), NaN for text."""
        sheet = self.sheets.get(cell[0])
        v = None if sheet is None else sheet.values.get(cell[1:])
        if v is None:
            return 0.0
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else math.nan

    def typed(self, cell: Cell) -> bool:
        sheet = self.sheets.get(cell[0])
        return sheet is not None and cell[1:] not in sheet.formulas and sheet.number(*cell[1:]) is not None

    def evaluate(self, node: Node, here: str, values: dict[Cell, Any], functions=None) -> Any:
        def value(ref: Ref) -> Any:
            c = self.resolve(ref, here)
            return values[c] if c in values else self.number(c)

        def cells(start: Ref, end: Ref) -> list:
            return [values[c] if c in values else self.number(c) for c in self.rectangle(start, end, here)]

        return evaluate(node, value, cells, functions=functions)

    def label(self, cell: Cell) -> str | None:
        """The file's label of a cell: the text just left of it (a list of labelled cells), else the
        first text above it in its column (a table's header)."""
        sheet = self.sheets.get(cell[0])
        if sheet is None:
            return None
        _, row, col = cell
        for c in (col - 1,):
            if c >= 1 and (text := sheet.text(row, c)) and text.strip():
                return _short_label(text)
        for r in range(row - 1, max(row - MAX_LABEL_UP, 0), -1):
            if (text := sheet.text(r, col)) and text.strip():
                return _short_label(text)
        return None


def _short_label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 24 else text[:22].rstrip() + "…"


# a cell reference as the text writes it: its sheet, its column (with its $'s) and its row
_ROWS = re.compile(r"(?<![\w.$])((?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?(\$?[A-Za-z]{1,3}\$?)(\d+)(?![\w(])")


def _with_rows(tree: Node, rows) -> Node:
    """The tree with its references' rows, in reading order, taken from ``rows``."""
    if tree.op == "ref":
        r = tree.args[0]
        return Node("ref", (dataclasses.replace(r, row=next(rows)),), tree.pos)
    if tree.op == "range":
        a, b = tree.args
        return Node("range", (dataclasses.replace(a, row=next(rows)), dataclasses.replace(b, row=next(rows))), tree.pos)
    if tree.op in ("num", "str", "name"):
        return tree
    if tree.op == "call":
        return Node("call", (tree.args[0], tuple(_with_rows(c, rows) for c in tree.args[1])), tree.pos)
    return Node(tree.op, tuple(_with_rows(c, rows) for c in tree.args), tree.pos)


def _computable(tree: Node) -> None:
    """Raise FormulaError for what :func:`~xlbackprop.xlsx.formula.evaluate` cannot compute
    (a function outside backprop's, a name that names no cell), before a step needs it."""
    if tree.op in ("name", "str"):
        raise FormulaError(f"cannot compute {tree.op}")
    if tree.op in ("num", "ref", "range"):
        return
    if tree.op == "call" and tree.args[0] not in COMPLEX_STEP:
        raise FormulaError(f"the function {tree.args[0]}")
    for child in (tree.args[1] if tree.op == "call" else tree.args):
        _computable(child)


@dataclass
class _Update:
    cell: Cell
    descent: float  # +1: U = P − c·g; −1: U = P + c·g (g = −∂L/∂P)
    eta: float
    eta_cell: Cell | None
    factors: list[Node]  # g's factors
    odd: bool = False  # its η is a cell that holds no typed number (a weight read for η: a slip)
    locus: Cell = ("", 0, 0)  # the cell whose formula holds c·g: the update, or the weight change it reads
    optimizer: states.Optimizer | None = None  # momentum's or Adam's states between the update and g
    through: tuple[list[Node], Cell] | None = None  # the update's own factors and locus, when g is a state's

    def __post_init__(self):
        if not self.locus[0]:
            self.locus = self.cell

    def gradient(self, cells: _Cells, values: dict[Cell, Any] | None = None) -> float:
        out = self.descent
        for f in self.factors:
            out = out * cells.evaluate(f, self.locus[0], values or {})
        return float(np.real(out))

    def reads(self, cells: _Cells) -> list[Cell]:
        return [c for f in self.factors for c in cells.refs(f, self.locus[0])]


def _update(cells: _Cells, cell: Cell, weights: set[Cell]) -> _Update | None:
    """An update's parts: its η (a typed number, or a cell holding one: absolute or on another sheet
    first) and its gradient's factors."""
    tree = cells.tree(cell, own=True)
    parts = updates.split(tree) if tree is not None else None
    locus = cell
    if parts is None and tree is not None and (change := updates.split_change(tree)) is not None:
        sign, _, d = change  # P ± D, D's formula c·g: a weight change column
        locus = cells.resolve(d, cell[0])
        product = updates.product(cells.tree(locus, own=True)) if cells.tree(locus, own=True) is not None else None
        if product is None:
            return None
        parts = ((sign if product[0] > 0 else "+" if sign == "-" else "-"), None, product[1])
    if parts is None:
        return None
    sign, _, factors = parts
    ranked = []
    for k, f in enumerate(factors):
        if f.op == "num":
            ranked.append((1, k, float(f.args[0]), None))
        elif f.op == "ref":
            ref, at = f.args[0], cells.resolve(f.args[0], locus[0])
            if at not in weights and cells.typed(at):
                fixed = (ref.row_abs and ref.col_abs) or ref.sheet is not None
                ranked.append((0 if fixed else 2, k, cells.number(at), at))
            elif at in weights:  # a weight where η belongs (η's row not anchored, filled down): odd
                ranked.append((3, k, cells.number(at), at))
            elif cells.formula(at) is None:  # an empty cell or a label where η belongs: odd too
                ranked.append((4, k, cells.number(at), at))
    if not ranked or len(factors) < 2:
        return None
    rank, k, eta, eta_cell = min(ranked, key=lambda r: r[:2])
    return _Update(cell, 1.0 if sign == "-" else -1.0, eta, eta_cell, factors[:k] + factors[k + 1:], rank >= 3, locus)


def _order(cells: _Cells, wanted: set[Cell]) -> list[Cell]:
    """``wanted`` in an order each cell follows the cells it reads."""
    out, state = [], {}
    for start in sorted(wanted):
        if start in state:
            continue
        stack = [(start, iter(cells.deps(start)))]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            for d in it:
                if d in wanted and d not in state:
                    state[d] = 1
                    stack.append((d, iter(cells.deps(d))))
                    break
            else:
                stack.pop()
                state[node] = 2
                out.append(node)
    return out


def _ancestors(cells: _Cells, starts, within: set[Cell]) -> set[Cell]:
    seen, todo = set(), [c for c in starts if c in within]
    while todo:
        c = todo.pop()
        if c in seen:
            continue
        seen.add(c)
        todo.extend(d for d in cells.deps(c) if d in within and d not in seen)
    return seen


@dataclass
class _Step:
    """One step of training: its weights P, their updates U, and what the graph says of it."""

    index: int
    weights: list[Cell]
    updates: list[_Update]
    forward: set[Cell] = field(default_factory=set)  # cells on a path from the weights to the loss
    backward: set[Cell] = field(default_factory=set)
    candidates: list[Cell] = field(default_factory=list)
    truths: dict[Cell, np.ndarray] = field(default_factory=dict)  # loss candidate -> ∂L/∂P
    got: np.ndarray = field(default_factory=lambda: np.zeros(0))
    jacobian: dict[Cell, np.ndarray] = field(default_factory=dict)  # cell -> ∂cell/∂(lane)
    lanes: dict[Cell, int] = field(default_factory=dict)
    loss: Cell | None = None
    down: set[Cell] = field(default_factory=set)  # every cell that depends on the weights, this step
    aliases: set[Cell] = field(default_factory=set)  # links that show a weight (='Iter 1'!B39)
    ancestry: dict[Cell, set[Cell]] = field(default_factory=dict)  # the loss -> the cells it depends on
    order: list[Cell] = field(default_factory=list)  # the cells that depend on the weights, each after what it reads
    read_by_grads: set[Cell] = field(default_factory=set)


@dataclass
class _Cause:
    cell: Cell
    kind: str
    quantity: str
    got: float | None
    expected: float | None
    why: str
    last_row: int = 0  # the last row of a range of cells with this one formula filled down


def judge_all(book: Book, skip: set[str]) -> tuple[list[TableResult], list[str]]:
    """A verdict for every training :func:`~.updates.find` finds whose sheets are not in ``skip``
    (the sheets whose tables their labels or one row's formulas gave), and one line for each it
    cannot read: what was found and what is missing."""
    out, unread = [], []
    cells = _Cells(book)
    judges, covered = [], set()
    for found in updates.find(book):
        if not set(found.sheets) & skip:
            judges.append(_Judge(cells, found))
    held = {id(j): j.held() for j in judges}  # an optimizer's states, which read their own previous value as updates do
    states_of = [j for j in judges if any(j.chain_cells & held[id(k)] and not k.chain_cells & held[id(j)]
                                          for k in judges if k is not j)]
    for judge in sorted(judges, key=lambda j: -len(j.chain_cells)):
        if judge.chain_cells <= covered or judge in states_of:  # a piece a slip broke off a chain that goes on through it
            continue
        covered |= judge.chain_cells
        try:
            with np.errstate(all="ignore"):
                trainings = judge.tables()
        except GraphError as exc:
            unread.append(f"{judge.training.describe()}, {exc}")
            continue
        for training in trainings:
            try:
                with np.errstate(all="ignore"):  # a student's 1/0 or EXP overflow is a NaN here, not a warning
                    same = training is judge.training  # one table: the steps tables() read serve
                    out.append((judge if same else _Judge(cells, training)).judge())
            except GraphError as exc:
                unread.append(f"{training.describe()}, {exc}")
    order = {s.name: k for k, s in enumerate(book.sheets)}
    out.sort(key=lambda r: (order.get(r.table.sheet.name, 0), r.table.first_row, r.table.first_column))
    return out, unread


def optimized(book: Book) -> set[str]:
    """The sheets whose weight updates read an optimizer's states (momentum, Adam): read by the
    formula graph even where their labels are the course's, whose plain descent they are not."""
    cells, out = _Cells(book), set()
    for found in updates.find(book):
        try:
            with np.errstate(all="ignore"):
                if any(u.optimizer for s in _Judge(cells, found).steps()[:2] for u in s.updates):
                    out |= set(found.sheets)
        except GraphError:
            continue
    return out


def _table(cells: _Cells, training: updates.Training, steps: list[_Step], loss: Cell | None, network: str,
           eta: tuple[float, Cell | None] | None) -> FormulaTable:
    first = [chain[0] for chain in training.weights]
    rows = [c[1] for chain in training.weights for c in chain if c[0] == first[0][0]]
    columns: dict[str, str] = {}
    if steps:
        step = steps[0]
        for c in sorted(step.weights + sorted(step.forward) + sorted(step.backward) + [u.cell for u in step.updates],
                        key=lambda c: (c[0] != first[0][0], c[1], c[2])):
            name = cells.label(c) or _coordinate(c, first[0][0])
            columns.setdefault(name, _coordinate(c, first[0][0]))
    eta_value, eta_cell = eta if eta else (None, None)
    return FormulaTable(cells.sheets[first[0][0]], min(rows) - 1 if min(rows) > 1 else 1, min(rows), max(rows),
                        columns, network, training.layout, training.describe(), eta_value,
                        None if eta_cell is None else _coordinate(eta_cell, "", quoted=True),
                        first_column=min(chain[0][2] for chain in training.weights))


def _coordinate(cell: Cell, here: str, quoted: bool = False) -> str:
    at = f"{get_column_letter(cell[2])}{cell[1]}"
    if cell[0] == here and not quoted:
        return at
    name = cell[0] if cell[0].replace("_", "").isalnum() and not cell[0][0].isdigit() else "'" + cell[0].replace("'", "''") + "'"
    return f"{name}!{at}"


class _Judge:
    def __init__(self, cells: _Cells, training: updates.Training):
        self.cells = cells
        self.training = training = self._extended(training)
        self.chain_cells = {c for chain in training.weights for c in chain}
        self.chain_of = {c: k for k, chain in enumerate(training.weights) for c in chain}
        self.home = training.weights[0][0][0]
        self.unit = cells.book.unit
        self._steps: list[_Step] | None = None  # what tables() read, when the training is one table

    def _extended(self, training: updates.Training) -> updates.Training:
        """Chains go on where the next cell along the axis is ``P − c·g`` of the chain's last cell
        though :mod:`~.updates` took it for none (its c a weight, not a typed η: a slip to find)."""
        if training.step == updates.SHEETS or training.layout == "cells":
            return training
        dr, dc = training.step
        chains = []
        for chain in training.weights:
            chain = list(chain)
            while len(chain) < MAX_STEPS:
                end = chain[-1]
                nxt = (end[0], end[1] + dr, end[2] + dc)
                tree = self.cells.tree(nxt, own=True)
                parts = updates.split(tree) if tree is not None else None
                if parts is None or self.cells.resolve(parts[1], nxt[0]) != end:
                    break
                chain.append(nxt)
            chains.append(chain)
        if all(len(a) == len(b) for a, b in zip(chains, training.weights)):
            return training
        return dataclasses.replace(training, weights=chains, iterations=max(len(c) for c in chains))

    def tables(self) -> list[updates.Training]:
        """The training as the tables it is: networks side by side that differ (a sigmoid table beside
        a tanh table, or another η) are two; runs of one network (one row a run) are one. The
        training itself when it is one table (its steps then kept for :meth:`judge`)."""
        steps = self._steps = self._steps or self.steps()
        first = min(s.index for s in steps)
        groups = [s for s in steps if s.index == first]
        if len(groups) < 2:
            return [self.training]
        buckets: dict[tuple, set[tuple]] = defaultdict(set)
        for g in groups:
            calls = sorted({leaf for c in self._down(g.weights) if (t := self.cells.tree(c)) is not None
                            for leaf in _calls(t)})
            signature = (len(g.weights), tuple(calls), tuple(sorted({u.eta for u in g.updates})))
            buckets[signature] |= {self._identity(w) for w in g.weights}
        if len(buckets) < 2:
            return [self.training]
        out = []
        for ids in buckets.values():
            chains = [c for c in self.training.weights if self._identity(c[0]) in ids]
            etas = []
            for chain in chains:
                for cell in chain[1:]:
                    u = _update(self.cells, cell, self.chain_cells)
                    if u is not None:
                        etas.append(u.eta if u.eta_cell is None else
                                    f"{updates.quoted(u.eta_cell[0])}!${get_column_letter(u.eta_cell[2])}${u.eta_cell[1]}")
            out.append(dataclasses.replace(self.training, weights=chains, iterations=max(len(c) for c in chains),
                                           eta=list(dict.fromkeys(etas))))
        return sorted(out, key=lambda t: (t.weights[0][0][1], t.weights[0][0][2]))

    # ---- the steps -------------------------------------------------------------------------
    def _index(self, cell: Cell, position: int) -> int:
        """The step a chain's cell starts: by where it is along the layout's axis (so a chain that
        a typed number broke off goes on at its own step), else by its place in its chain."""
        step = self.training.step
        if step == updates.SHEETS or self.training.layout == "cells":
            return position
        dr, dc = step
        along, size = (1, dr) if dr else (2, dc)
        offset = cell[along] - self.base[along - 1]
        return offset // size if offset % size == 0 else position

    def steps(self) -> list[_Step]:
        chains = self.training.weights
        self.base = (min(c[1] for ch in chains for c in ch), min(c[2] for ch in chains for c in ch))
        by_index: dict[int, list[tuple[Cell, Cell]]] = defaultdict(list)
        for chain in chains:
            for position, (w, u) in enumerate(zip(chain, chain[1:])):
                by_index[self._index(w, position)].append((w, u))
        out = []
        for s in sorted(by_index)[:MAX_STEPS]:
            pairs = by_index[s]
            ups = [self._velocity_update(u) or _update(self.cells, u, self.chain_cells) for _, u in pairs]
            for u in ups:
                if u is not None and u.optimizer is None:
                    self._optimized(u)
            kept = [(w, u) for (w, _), u in zip(pairs, ups) if u is not None]
            for group in self._apart(kept):  # independent runs side by side: each its own loss
                out.append(_Step(s, [w for w, _ in group], [u for _, u in group]))
        self.pasted = [chain[0] for chain in chains if self.cells.typed(chain[0]) and self._index(chain[0], 0) > 0
                       and self.training.step != updates.SHEETS]
        if not out:
            raise GraphError("but no update reads a learning rate and a gradient this reader can compute")
        return out

    # ---- an optimizer's states ------------------------------------------------------------
    def _shift(self, cell: Cell, k: int) -> Cell | None:
        """The same cell ``k`` steps later (earlier, k < 0) along the layout; None over sheets."""
        if self.training.step == updates.SHEETS or self.training.layout == "cells":
            return None
        dr, dc = self.training.step
        row, col = cell[1] + k * dr, cell[2] + k * dc
        return (cell[0], row, col) if row >= 1 and col >= 1 else None

    def _varies(self, cell: Cell) -> bool:
        """Whether a cell depends on a weight (a gradient, a state; not a constant such as 1 − β1)."""
        seen, todo = set(), [cell]
        while todo:
            c = todo.pop()
            if c in self.chain_cells:
                return True
            if c in seen or len(seen) > 5_000:
                continue
            seen.add(c)
            todo.extend(self.cells.deps(c))
        return False

    def _probe(self, cell: Cell, values: dict[Cell, Any]) -> float:
        try:
            return float(np.real(self.cells.evaluate(self.cells.tree(cell), cell[0], values)))
        except (FormulaError, ValueError, TypeError, ZeroDivisionError, OverflowError):
            return math.nan

    def _velocity_update(self, cell: Cell) -> _Update | None:
        """``w + v`` with v = μ·v' − η·g (CS231n's momentum): its gradient g is what v reads, its η
        the −η v's rule multiplies g by."""
        cells = self.cells
        tree = cells.tree(cell, own=True)
        change = updates.split_change(tree) if tree is not None else None
        if change is None or change[0] != "+":
            return None
        v = cells.resolve(change[2], cell[0])
        if v in self.chain_cells or cells.tree(v) is None or not states.is_state(v, cells.deps, self._shift):
            v = cells.resolve(change[1], cell[0])  # v + w
            if v in self.chain_cells or cells.tree(v) is None or not states.is_state(v, cells.deps, self._shift):
                return None
        found = states.read([v], cells.deps, self._shift, self._varies, self._probe,
                            lambda c: c not in self.chain_cells and cells.tree(c) is not None)
        if found is None or found.kind != "momentum" or found.states[0].cell != v or found.states[0].gradient is None:
            return None
        state = found.states[0]
        if not state.scale:
            return None
        eta = abs(state.scale)  # + η·g is a slip of the velocity's rule, said there
        eta_cell = next((d for d in cells.deps(v) if cells.typed(d) and states.near(cells.number(d), eta)), None)
        ref = next((leaf for leaf in leaves(cells.tree(v), ("ref",)) if cells.resolve(leaf.args[0], v[0]) == state.gradient),
                   None)
        if ref is None:
            return None
        found.form = "velocity"
        return _Update(cell, 1.0, eta, eta_cell, [ref], locus=v, optimizer=found, through=([], cell))

    def _optimized(self, u: _Update) -> None:
        """An update that reads an optimizer's states (momentum's v, Adam's m̂ and ŝ): its gradient is
        what the first state reads, judged as plain descent's; the states are judged by :meth:`_state_slips`."""
        cells = self.cells
        found = states.read(u.reads(cells), cells.deps, self._shift, self._varies, self._probe,
                            lambda c: c not in self.chain_cells and cells.tree(c) is not None)  # a weight is no state
        if found is None or found.states[0].gradient is None:
            return
        first = found.states[0]
        tree = cells.tree(first.cell)
        ref = next((leaf for leaf in leaves(tree, ("ref",)) if cells.resolve(leaf.args[0], first.cell[0]) == first.gradient),
                   None)
        if ref is None:
            return
        u.optimizer, u.through = found, (u.factors, u.locus)
        u.factors, u.locus = [ref], first.cell

    def held(self) -> set[Cell]:
        """The cells of the optimizer's states and those between them and the updates (none when
        its steps cannot be read: :meth:`tables` then says why)."""
        try:
            with np.errstate(all="ignore"):
                self._steps = self._steps or self.steps()
        except GraphError:
            return set()
        return {c for s in self._steps for u in s.updates if u.optimizer
                for c in [st.cell for st in u.optimizer.states] + u.optimizer.between}

    def _decays(self, steps: list[_Step]) -> dict[int, float]:
        """The sheet's μ (or β1, β2): what most states multiply their previous value by, per state."""
        found: dict[int, Counter] = defaultdict(Counter)
        for s in steps:
            for u in s.updates:
                for i, st in enumerate(u.optimizer.states if u.optimizer else ()):
                    if st.decay is not None and math.isfinite(st.decay):
                        found[i][float(f"{st.decay:.12g}")] += 1
        return {i: c.most_common(1)[0][0] for i, c in found.items()}

    def _adam_factor(self, u: _Update, step: _Step):
        """What η multiplies in an Adam update, as the sheet computes it from the raw moments (m, s)."""
        m, v = (st.cell for st in u.optimizer.states)
        factors, locus = u.through
        between = _order(self.cells, set(u.optimizer.between))

        def through(mv: float, sv: float) -> float:
            values: dict[Cell, Any] = {m: mv, v: sv}
            for c in between:
                values[c] = self._probe(c, values)
            out = 1.0
            try:
                for f in factors:
                    out = out * self.cells.evaluate(f, locus[0], values)
            except (FormulaError, ValueError, TypeError, ZeroDivisionError, OverflowError):
                return math.nan
            return float(np.real(out))
        return through

    def _epsilon(self, u: _Update, step: _Step) -> float:
        """Adam's ε as the update uses it: from the update at m = 1, s = 0 (1/(1 − β1ᵗ)/ε)."""
        t, b1 = step.index + 1, self.decays.get(0, 0.9)
        at = self._adam_factor(u, step)(1.0, 0.0)
        return 1 / ((1 - b1 ** t) * at) if math.isfinite(at) and at > 0 else 0.0

    def _state_slips(self, step: _Step, k: int) -> list[_Cause]:
        """The rules of an update's states: the constants they use (the sheet's μ, β1, β2), the
        gradient each reads, the square, the bias corrections and the update itself."""
        u, w = step.updates[k], step.weights[k]
        o, out = u.optimizer, []
        first = o.states[0]
        for i, st in enumerate(o.states):
            role, sym = ROLES[o.kind][i], SYMBOLS[o.kind][i]
            quantity = f"{role} of {self._name(w)}"
            a = self.decays.get(i)
            got = self.cells.number(st.cell)
            if i > 0 and st.gradient != first.gradient and first.gradient in step.down \
                    and abs(step.got[k] - self._alpha_truth(step, k)) <= self._tolerance(step.truths[step.loss], self.alpha)[k]:
                out.append(_Cause(st.cell, "formula", quantity, got, None,
                                  f"reads {self._said(st.gradient) if st.gradient else 'no gradient'} where "
                                  f"{self._said(first.gradient)} belongs (the gradient {self._said(first.cell)} reads)"))
                continue
            if st.decay is not None and a is not None and not states.near(st.decay, a):
                out.append(_Cause(st.cell, "formula", quantity, got, None,
                                  f"multiplies its previous value {self._said(st.previous)} by {st.decay:.6g} where "
                                  f"{sym} = {a:g} belongs, as the other states take it"))
                continue
            square = 2 if o.kind == "adam" and i == 1 else 1
            g = self._said(st.gradient)
            if st.power != square:
                out.append(_Cause(st.cell, "formula", quantity, got, None,
                                  f"takes {g} where its square belongs" if square == 2 else
                                  f"takes the square of {g} where {g} belongs"))
                continue
            allowed = [] if a is None else [(1 - a, f"1 − {sym} = {1 - a:g}")]
            if o.form == "velocity":  # v = μ·v' − η·g: the sheet's η
                allowed = [(-self.eta[0], f"−η = −{self.eta[0]:g}")]
            elif o.kind == "momentum":
                allowed.append((1.0, "1"))
            if allowed and not any(states.near(st.scale, b) for b, _ in allowed):
                out.append(_Cause(st.cell, "formula", quantity, got, None,
                                  f"multiplies {g} by {st.scale:.6g} where " + " or ".join(w for _, w in allowed)
                                  + " belongs"))
        if out:
            return out
        factors, locus = u.through
        if o.form == "velocity":
            return out
        if o.kind == "momentum":
            read = [self.cells.resolve(f.args[0], locus[0]) for f in factors if f.op == "ref"]
            if len(factors) != 1 or read != [first.cell]:
                out.append(_Cause(u.cell, "update", f"update of {self._name(w)}", self.cells.number(u.cell), None,
                                  f"does not compute {self._name(w)} − η·{self._said(first.cell)}"))
            return out
        return self._adam_slips(step, k)

    def _alpha_truth(self, step: _Step, k: int) -> float:
        return float(self.alpha * step.truths[step.loss][k])

    def _adam_slips(self, step: _Step, k: int) -> list[_Cause]:
        u, w = step.updates[k], step.weights[k]
        t, b1, b2 = step.index + 1, self.decays.get(0), self.decays.get(1)
        if b1 is None or b2 is None:
            return []
        m, v = (st.cell for st in u.optimizer.states)
        through, eps = self._adam_factor(u, step), self._epsilon(u, step)
        stored = (self.cells.number(m), self.cells.number(v))
        points = list(states.PROBES) + ([stored] if all(map(math.isfinite, stored)) and stored[1] >= 0 else [])
        if all(states.near(through(a, b) / 1e6, states.adam_step(a, b, t, b1, b2, eps) / 1e6) for a, b in points):
            return []
        for c in u.optimizer.between:  # a bias correction: m̂ = m/(1 − β1ᵗ), ŝ = s/(1 − β2ᵗ)
            reads = {st.cell for st in u.optimizer.states} & (set(self.cells.deps(c)))
            if len(reads) != 1:
                continue
            moment = reads.pop()
            beta, sym, hat = (b1, "β1", "m̂") if moment == m else (b2, "β2", "ŝ")
            got = self._probe(c, {moment: 1.0})
            if states.near(got, 1 / (1 - beta ** t)):
                continue
            said = self._said(moment)
            wrong = next((n for n in range(1, t + 3) if states.near(got, 1 / (1 - beta ** n))), None)
            why = (f"divides {said} by 1 − {sym}^{wrong} where 1 − {sym}^{t} belongs (this is step {t})"
                   if wrong is not None else f"holds {said} uncorrected where {said}/(1 − {sym}^{t}) belongs"
                   if states.near(got, 1.0) else f"does not compute {hat} = {said}/(1 − {sym}^{t})")
            return [_Cause(c, "formula", f"bias-corrected {ROLES['adam'][0 if moment == m else 1]} of {self._name(w)}",
                           self.cells.number(c), self.cells.number(moment) / (1 - beta ** t), why)]
        mh, vh = (lambda a: a / (1 - b1 ** t)), (lambda b: b / (1 - b2 ** t))
        shapes = (("takes the square root of m̂ where m̂ belongs", lambda a, b: math.sqrt(mh(a)) / (math.sqrt(vh(b)) + eps)),
                  ("divides by ŝ + ε where √ŝ + ε belongs", lambda a, b: mh(a) / (vh(b) + eps)))
        for n in (n for n in range(1, t + 3) if n != t):  # a bias correction written into the update, another t
            shapes += ((f"divides m by 1 − β1^{n} where 1 − β1^{t} belongs (this is step {t})",
                        lambda a, b, n=n: (a / (1 - b1 ** n)) / (math.sqrt(vh(b)) + eps)),
                       (f"divides s by 1 − β2^{n} where 1 − β2^{t} belongs (this is step {t})",
                        lambda a, b, n=n: mh(a) / (math.sqrt(b / (1 - b2 ** n)) + eps)))
        why = next((said for said, f in shapes if all(states.near(through(a, b) / 1e6, f(a, b) / 1e6)
                                                      for a, b in states.PROBES)),
                   f"does not compute {self._name(w)} − η·m̂/(√ŝ + ε)")
        return [_Cause(u.cell, "update", f"update of {self._name(w)}", self.cells.number(u.cell), None, why)]

    def _state_gradient(self, step: _Step, k: int, grad: Cell, truth: np.ndarray, tol: np.ndarray,
                        others: list[int]) -> _Cause | None:
        """An optimized update whose gradient is wrong because of where it is read: the update reads
        another weight's state, or its state another weight's gradient or the previous step's."""
        u, w = step.updates[k], step.weights[k]
        first = u.optimizer.states[0]
        role = ROLES[u.optimizer.kind][0]
        owner = next((j for j, v in enumerate(step.updates) if j != k and v.optimizer is not None
                      and v.optimizer.states[0].cell == first.cell), None)
        if owner is not None:
            return _Cause(u.cell, "update", f"update of {self._name(w)}", self.cells.number(u.cell), None,
                          f"reads {self._said(first.cell)}, the {role} of {self._said(step.weights[owner])}, "
                          f"where the {role} of {self._said(w)} belongs")
        right = next((c for c in sorted(step.down) if c != grad and abs(self.cells.number(c) - truth[k]) <= tol[k]
                      and not states.is_state(c, self.cells.deps, self._shift)), None)
        belongs = self._said(right) if right else f"the gradient of {self._said(w)}"
        quantity = f"{role} of {self._name(w)}"
        if grad not in step.down:
            return _Cause(first.cell, "formula", quantity, self.cells.number(first.cell), None,
                          f"reads {self._said(grad)}, which this step's weights do not change, where {belongs} belongs")
        if others and right is not None:
            return _Cause(first.cell, "formula", quantity, self.cells.number(first.cell), None,
                          f"reads {self._said(grad)} where {belongs} belongs")
        return None

    def _optimizer(self, steps: list[_Step]) -> str:
        """``, momentum 0.9`` or ``, Adam (β1 0.9, β2 0.999)``: what the network text adds."""
        kinds = Counter(u.optimizer.kind for s in steps for u in s.updates if u.optimizer)
        if not kinds:
            return ""
        kind = kinds.most_common(1)[0][0]
        if kind == "momentum":
            return f", momentum {self.decays[0]:g}" if 0 in self.decays else ", momentum"
        return (f", Adam (β1 {self.decays[0]:g}, β2 {self.decays[1]:g})" if {0, 1} <= set(self.decays) else ", Adam")

    def _down(self, starts) -> set[Cell]:
        """Every cell that depends on ``starts``, not through a later weight."""
        down, todo = set(), list(starts)
        while todo:
            c = todo.pop()
            for d in self.cells.dependents(c):
                if d not in down and d not in self.chain_cells:
                    down.add(d)
                    todo.append(d)
        return down

    def _apart(self, kept: list[tuple[Cell, _Update]]) -> list[list[tuple[Cell, _Update]]]:
        """The weights of one step in groups that share what depends on them (one group: one network)."""
        if len(kept) < 2:
            return [kept] if kept else []
        parent = list(range(len(kept)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        owner: dict[Cell, int] = {}
        for i, (w, _) in enumerate(kept):  # one walk in all: where it meets another weight's cells, they join
            todo = [w]
            while todo:
                for d in self.cells.dependents(todo.pop()):
                    if d in self.chain_cells:
                        continue
                    if d in owner:
                        parent[root(i)] = root(owner[d])
                    else:
                        owner[d] = i
                        todo.append(d)
        groups: dict[int, list[tuple[Cell, _Update]]] = defaultdict(list)
        for i, pair in enumerate(kept):
            groups[root(i)].append(pair)
        return list(groups.values())

    def read(self, step: _Step) -> None:
        """The step's forward and backward cells, its loss candidates and their gradients."""
        cells = self.cells
        down = self._down(step.weights)
        step.down = down
        step.aliases = {c for c in down if len(cells.deps(c)) == 1 and cells.deps(c)[0] in step.weights
                        and (t := cells.tree(c)) is not None and t.op == "ref"}
        grads = [c for u in step.updates for c in u.reads(cells)]
        read_by_grads = _ancestors(cells, grads, down)
        order = _order(cells, down)
        index = {w: 1 << k for k, w in enumerate(step.weights)}
        mask: dict[Cell, int] = dict(index)
        for c in order:
            m = 0
            for d in cells.deps(c):
                m |= mask.get(d, 0)
            mask[c] = m
        full = (1 << len(step.weights)) - 1
        step.candidates = [c for c in order if c not in read_by_grads and mask.get(c) == full
                           and cells.tree(c) is not None]
        if not step.candidates:
            return
        self._jacobian(step, order, every=False)  # ∂cell/∂weight for every cell: each candidate's gradient
        for c in step.candidates:
            step.truths[c] = np.array([step.jacobian[c][step.lanes[w]] for w in step.weights])
        step.got = np.array([u.gradient(cells) for u in step.updates])
        step.order, step.read_by_grads = order, read_by_grads

    def settle(self, step: _Step) -> None:
        """With the step's loss chosen: its forward cells (those the loss depends on), its backward
        cells (the rest the gradients read), and every derivative among them."""
        forward = _ancestors(self.cells, [step.loss], step.down)
        if self._fed_forward(step, forward):  # mended: the loss now reads the activations the sums skipped
            forward = _ancestors(self.cells, [step.loss], step.down)
        step.ancestry = {step.loss: forward}
        step.forward, step.backward = forward, step.read_by_grads - forward
        self._jacobian(step, [c for c in step.order if c in forward])
        step.truths[step.loss] = np.array([step.jacobian[step.loss][step.lanes[w]] for w in step.weights])

    def _fed_forward(self, step: _Step, forward: set[Cell]) -> list[Cell]:
        """Weighted sums on the way to the loss that read a pre-activation where its activation (a cell
        beside it that reads it alone) belongs: mended for the truth, and a slip to report."""
        cells, out = self.cells, []
        sums = {c for c in forward if self._is_sum(c, step)}
        activations: dict[Cell, Cell] = {}
        for c in sorted(step.down):
            deps = cells.deps(c)
            if len(deps) == 1 and deps[0] in sums and c not in sums and c[0] == deps[0][0]:
                activations.setdefault(deps[0], c)
        for s in sums:
            if s not in activations:  # a neuron's sum feeds its activation; a sum that feeds none is no neuron
                continue
            tree = cells.tree(s)
            for term in _terms(tree):
                refs = [cells.resolve(r.args[0], s[0]) for r in leaves(term, ("ref",))]
                if not any(self._weight(r, step) for r in refs):
                    continue
                for r in refs:
                    if r in sums and r in activations:
                        mended = cells.overrides.get(s, tree)
                        places = {k for k, leaf in enumerate(leaves(mended, ("ref",)))
                                  if cells.resolve(leaf.args[0], s[0]) == r}
                        cells.overrides[s] = _substituted(mended, s[0], activations[r], places)
                        self.fed.append((step.index, s, r, activations[r]))
                        out.append(s)
        return out

    def _is_sum(self, cell: Cell, step: _Step) -> bool:
        tree = self.cells.tree(cell, own=True)
        if tree is None:
            return False
        for term in _terms(tree):
            refs = [self.cells.resolve(r.args[0], cell[0]) for r in leaves(term, ("ref",))]
            if any(self._weight(r, step) for r in refs) and len(refs) >= 2:
                return True
        return False

    @staticmethod
    def _weight(cell: Cell, step: _Step) -> bool:
        return cell in step.weights or cell in step.aliases

    def _jacobian(self, step: _Step, order: list[Cell], every: bool = True) -> None:
        """Each cell of ``order`` computed by the complex step at its stored inputs, perturbed by each
        weight and (``every``) by each cell of ``order``: ``step.jacobian[y][step.lanes[x]]`` = ∂y/∂x."""
        perturbed = list(step.weights) + (order if every else [])
        lanes = {c: k for k, c in enumerate(perturbed)}
        n = len(perturbed)
        values: dict[Cell, Any] = {}
        for w in step.weights:
            v = np.full(n, self.cells.number(w), dtype=complex)
            v[lanes[w]] += 1j * H
            values[w] = v
        for c in order:
            try:
                got = self.cells.evaluate(self.cells.tree(c), c[0], values, COMPLEX_STEP)
            except (FormulaError, ValueError, TypeError, ZeroDivisionError):
                got = math.nan
            v = np.array(np.broadcast_to(np.asarray(got, dtype=complex), (n,)))
            if math.isfinite(stored := self.cells.number(c)):  # each cell's slope at its own stored inputs
                v = stored + 1j * np.imag(v)
            if c in lanes:
                v[lanes[c]] += 1j * H
            values[c] = v
        step.lanes = lanes
        step.jacobian = {c: np.imag(v) / H for c, v in values.items()}

    # ---- the verdict -----------------------------------------------------------------------
    def judge(self) -> TableResult:
        self.fed: list[tuple[int, Cell, Cell, Cell]] = []
        self.via: dict[Cell, Cell] = {}  # a sample's gradient cell -> the mean over samples it is found under
        self.explained: dict[tuple, tuple[str, str, tuple[int, int]]] = {}  # (place, form) -> what was found, where
        steps = self._steps = self._steps or self.steps()
        etas = Counter((u.eta, u.eta_cell) for s in steps for u in s.updates if not u.odd)
        self.eta = etas.most_common(1)[0][0] if etas else (math.nan, None)
        for s in steps:
            for u in s.updates:
                if u.odd:  # its gradient judged as if it read η, the slip said apart
                    u.eta = self.eta[0]
        for step in steps:
            self.read(step)
        self.decays = self._decays(steps)
        readable = [s for s in steps if s.candidates]
        if not readable:
            raise GraphError("but no loss cell depends on them (a cell that reads every weight through "
                             "the forward pass and that no gradient reads)")
        alpha = self.alpha = self._alpha(readable)
        causes: list[tuple[_Step, _Cause]] = []
        for step in readable:
            step.loss = self._loss(step, alpha)
            self.settle(step)
            causes.extend((step, c) for c in self._causes(step, alpha))
            causes.extend((step, c) for c in self._typed_over(step))
        first = readable[0]
        self._first_run = {c for chain in self.training.weights if chain[first.index] in first.weights for c in chain}
        network = self._network(first) + self._in_turn([s for s in readable if s.weights[0] in self._first_run])
        network += self._optimizer(readable)
        if (runs := sum(s.index == first.index for s in readable)) > 1:
            network += f", {runs} runs side by side"
        etas = {(u.eta, u.eta_cell) for s in readable for u in s.updates if not u.odd}
        eta = etas.pop() if len(etas) == 1 else None
        table = _table(self.cells, self.training, readable, first.loss, network, eta)
        result = TableResult(table, "right")  # type: ignore[arg-type]
        result.notes = self._notes(first, alpha, readable)
        result.errors = self._findings(causes, readable)
        if result.errors:
            result.verdict = "wrong"
        run = [s for s in readable if s.weights[0] in self._first_run]
        result.curve = {"got": [self.cells.number(s.loss) for s in run], "expected": self._correct_run(run, alpha)}
        return result

    def _identity(self, cell: Cell) -> tuple:
        """Which weight a chain's cell is, the same across a chain a typed number broke: its place
        across the layout's axis (its column, for rows), or its chain."""
        step = self.training.step
        if step == updates.SHEETS or self.training.layout == "cells":
            return (self.chain_of[cell],)
        dr, dc = step
        if dr:
            return cell[0], cell[2], (cell[1] - self.base[0]) % dr
        return cell[0], cell[1], (cell[2] - self.base[1]) % dc

    def _correct_run(self, steps: list[_Step], alpha: float) -> list[float | None]:
        """The loss of each step of a correct run: from the first step's stored weights, each step's
        forward formulas at the run's weights, then ``w − η·α·∂L/∂w`` (the sheet's α, its η's)."""
        if not steps:
            return []
        memory: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])  # each weight's state(s): v, or m and s
        eps = next((self._epsilon(u, s) for s in steps for u in s.updates if u.optimizer and u.optimizer.kind == "adam"),
                   0.0)
        weights = {self._identity(w): self.cells.number(w) for w in steps[0].weights}
        out: list[float | None] = []
        for step in steps:
            if any(self._identity(w) not in weights for w in step.weights):
                break
            order = [c for c in _order(self.cells, step.forward) if c in step.ancestry.get(step.loss, ())]
            lanes = {w: k for k, w in enumerate(step.weights)}
            values: dict[Cell, Any] = {}
            for w, k in lanes.items():
                v = np.full(len(lanes), weights[self._identity(w)], dtype=complex)
                v[k] += 1j * H
                values[w] = v
            try:
                for c in order:
                    values[c] = np.broadcast_to(np.asarray(
                        self.cells.evaluate(self.cells.tree(c), c[0], values, COMPLEX_STEP), dtype=complex), (len(lanes),))
            except (FormulaError, ValueError, TypeError, ZeroDivisionError):
                break
            loss = values.get(step.loss)
            if loss is None or not np.all(np.isfinite(loss)):
                break
            out.append(float(np.real(loss[0])))
            gradient = np.imag(loss) / H
            for (w, k), u in zip(lanes.items(), step.updates):
                weights[self._identity(w)] += self._change(u, alpha * gradient[k], memory[self._identity(w)],
                                                           step.index + 1, eps)
        return out + [None] * (len(steps) - len(out))

    def _change(self, u: _Update, g: float, state: list[float], t: int, eps: float) -> float:
        """A weight's change in the correct run, by its update's optimizer at the sheet's constants
        (``state`` its v, or m and s, carried from step to step)."""
        o = u.optimizer
        if o is None:
            return -u.eta * g
        b1 = self.decays.get(0, 0.0)
        if o.kind == "momentum":
            eta = self.eta[0]
            scale = -eta if o.form == "velocity" else 1 - b1 if states.near(o.states[0].scale, 1 - b1) else 1.0
            state[0] = b1 * state[0] + scale * g
            return state[0] if o.form == "velocity" else -u.eta * state[0]
        b2 = self.decays.get(1, 0.0)
        state[0], state[1] = b1 * state[0] + (1 - b1) * g, b2 * state[1] + (1 - b2) * g * g
        return -u.eta * states.adam_step(state[0], state[1], t, b1, b2, eps)

    def _typed_over(self, step: _Step) -> list[_Cause]:
        """A weight that holds a typed number where the steps around it hold its update formula."""
        out = []
        for cell, u in zip(step.weights, step.updates):
            if cell in self.pasted:
                out.append(_Cause(cell, "values-only", f"update of {self._name(cell)}", self.cells.number(cell), None,
                                  f"holds a typed number where the update of {self._name(cell)} belongs "
                                  f"(the next step's: {self.cells.formula(u.cell)})"))
        return out

    def _tolerance(self, truth: np.ndarray, alpha) -> np.ndarray:
        """How far each gradient may be from α·truth: relative, and a share of the step's largest
        (``alpha`` a number, or a column of them: one row of tolerances an α)."""
        scaled = np.abs(alpha * truth)
        scale = np.max(scaled, axis=-1, keepdims=True) if truth.size else 0.0
        return RTOL * scaled + max(1e-9, 1e4 * self.unit) * scale + ATOL

    def _matches(self, step: _Step, loss: Cell, alpha: float) -> np.ndarray:
        truth = step.truths[loss]
        return np.abs(step.got - alpha * truth) <= self._tolerance(truth, alpha)

    def _alpha(self, steps: list[_Step]) -> float:
        """The α most gradients take, over the steps (each step's best loss candidate for it)."""
        alphas = np.array(SCALES)[:, None]
        score = np.zeros(len(SCALES))
        for s in steps:
            best = np.zeros(len(SCALES))
            for c in s.candidates:  # one row an α
                matches = np.abs(s.got - alphas * s.truths[c]) <= self._tolerance(s.truths[c], alphas)
                best = np.maximum(best, matches.sum(axis=1))
            score += best
        return max(SCALES, key=lambda a: (score[SCALES.index(a)], a == 1.0, -abs(math.log(a))))

    def _loss(self, step: _Step, alpha: float) -> Cell:
        def rank(c: Cell) -> tuple:
            link = bool(updates.LINK.fullmatch(self.cells.formula(c) or ""))  # a copy of the loss shown elsewhere
            elsewhere = c[0] not in self.training.sheets  # a copy on another sheet (xlbackprop's Derivation)
            return -int(self._matches(step, c, alpha).sum()), elsewhere, link, len(self.cells.dependents(c)), c
        return min(step.candidates, key=rank)

    def _derivatives(self, step: _Step, alpha: float) -> np.ndarray:
        """Every value a backward cell of the step may rightly hold, each scaled as it may be."""
        j, lanes, loss = step.jacobian, step.lanes, step.loss
        base = [j[loss]]
        for y in step.forward:
            for x in self.cells.deps(y):
                if x in lanes:
                    base.append(np.array([j[y][lanes[x]], j[loss][lanes[y]] * j[y][lanes[x]]]))
        base.append(np.array([u.eta * t for u, t in zip(step.updates, step.truths[loss])]))
        values = np.concatenate(base)
        values = values[np.isfinite(values)]
        m = self._samples(step)  # a sample's share of a batch's mean
        factors = np.array(sorted({f * a * n for f in (1.0, 2.0, 0.5, -1.0, -2.0, -0.5)
                                   for a in (1.0, alpha, 1 / alpha) for n in (1.0, m, 1 / m)}))
        return np.unique(np.outer(values, factors).ravel())

    def _samples(self, step: _Step) -> int:
        """How many samples a step computes: the most weighted sums that share one set of weights."""
        counts = Counter(frozenset(r for r in self.cells.deps(c) if self._weight(r, step))
                         for c in step.forward if self._is_sum(c, step))
        return max(counts.values(), default=1)

    def _explained(self, value: float, derivatives: np.ndarray) -> bool:
        if not math.isfinite(value):
            return False
        rtol = max(RTOL, 1e4 * self.unit)
        k = np.searchsorted(derivatives, value)
        near = derivatives[max(k - 1, 0):k + 1]
        return bool(np.any(np.abs(near - value) <= rtol * np.abs(near) + ATOL * 1e-3))

    def _causes(self, step: _Step, alpha: float) -> list[_Cause]:
        cells, loss = self.cells, step.loss
        truth = alpha * step.truths[loss]
        tol = self._tolerance(step.truths[loss], alpha)
        wrong = np.abs(step.got - truth) > tol
        out: list[_Cause] = []
        for u, w in zip(step.updates, step.weights):
            if u.odd:
                held = self.cells.sheets[u.eta_cell[0]].value(*u.eta_cell[1:])
                what = ("a weight" if u.eta_cell in self.chain_cells else "an empty cell" if held is None
                        else f"the text {held!r}" if isinstance(held, str) else "a cell η is not in")
                out.append(_Cause(u.cell, "anchoring", f"update of {self._name(w)}", None, None,
                                  f"multiplies by {_coordinate(u.eta_cell, self.home)}, {what}, where the learning "
                                  f"rate {self._said(self.eta[1]) if self.eta[1] else f'{self.eta[0]:g}'} belongs"))
        for k, u in enumerate(step.updates):
            if u.optimizer is not None:
                out.extend(self._state_slips(step, k))
        for index, s, pre, act in self.fed:
            if index == step.index:
                out.append(_Cause(s, "formula", "weighted sum", None, None,
                                  f"reads {self._said(pre)}, a weighted sum, where its activation {self._said(act)} belongs"))
        if not wrong.any():
            return out
        derivatives = self._derivatives(step, alpha)
        grad_cell = {}
        for k, u in enumerate(step.updates):
            if len(u.factors) == 1 and u.factors[0].op == "ref":
                grad_cell[k] = cells.resolve(u.factors[0].args[0], u.locus[0])
        level = {c: k for k, c in grad_cell.items()}
        memo: dict[Cell, bool] = {}

        def bad(c: Cell) -> bool:
            if c in level:
                return bool(wrong[level[c]])
            if c not in memo:
                memo[c] = not self._explained(cells.number(c), derivatives)
            return memo[c]

        found: dict[Cell, list[int]] = defaultdict(list)
        for k in np.flatnonzero(wrong):
            u = step.updates[k]
            others = [j for j in range(len(step.updates)) if j != k and abs(step.got[k] - truth[j]) <= tol[j]]
            shared = [j for j in others if grad_cell.get(j) == grad_cell.get(k)]
            if u.optimizer is not None and k in grad_cell and \
                    (found_here := self._state_gradient(step, k, grad_cell[k], truth, tol, others)) is not None:
                out.append(found_here)
                continue
            if k in grad_cell and (shared or others and self._holding(step, truth[k], tol[k], grad_cell[k])):
                j = (shared or others)[0]
                out.append(_Cause(u.cell, "update", f"update of {self._name(step.weights[k])}", step.got[k], truth[k],
                                  f"reads {self._said(grad_cell[k])}, the gradient of {self._said(step.weights[j])}, "
                                  f"where the gradient of {self._said(step.weights[k])} belongs"))
                continue
            if k in grad_cell and grad_cell[k] not in step.down:  # anchored to another step's gradient
                out.append(_Cause(u.cell, "update", f"update of {self._name(step.weights[k])}", step.got[k], truth[k],
                                  f"reads {self._said(grad_cell[k])}, which this step's weights do not change, "
                                  f"where the gradient of {self._said(step.weights[k])} belongs"))
                continue
            start = grad_cell.get(k, u.locus)
            for root in self._roots(start, step, bad, k in grad_cell):
                found[root].append(int(k))
        for group, ks in self._siblings(found):
            root = self._root_of(group)
            text = cells.formula(root)
            seen = (self._place(root, step), relative_form(text, *root[1:]) if text else None)
            if seen in self.explained:  # the same formula at the same place as an earlier step: said there
                kind, quantity, (dr, dc) = self.explained[seen]
                at = (root[0], root[1] + dr, root[2] + dc)  # where it was said: the root, or a cell it reads
                out.append(_Cause(at, kind, quantity, cells.number(at), None, "as in an earlier step"))
                continue
            if (cause := self._explain(step, group, ks, alpha, wrong, grad_cell)) is not None:
                self.explained[seen] = cause.kind, cause.quantity, (cause.cell[1] - root[1], cause.cell[2] - root[2])
                out.append(cause)
        return out

    def _root_of(self, group: list[Cell]) -> Cell:
        """The cell a group of root causes is reported at: its first, or under a mean over samples its
        first whose value is not 0 (a sample whose input is 0 says nothing)."""
        if group[0] in self.via:
            return next((c for c in group if self.cells.number(c)), group[0])
        return group[0]

    def _siblings(self, found: dict[Cell, list[int]]) -> list[tuple[list[Cell], list[int]]]:
        """Root causes in one column with one formula filled down (each sample's row of a batch) as
        one group, mended together; the others alone."""
        groups: dict[tuple, list[Cell]] = defaultdict(list)
        for cell in sorted(found, key=lambda c: (c[0], c[2], c[1])):
            text = self.cells.formula(cell)
            try:
                form = relative_form(text, cell[1], cell[2]) if text else None
            except (FormulaError, ValueError):
                form = text
            groups[(cell[0], cell[2], form) if form else cell].append(cell)
        return [(cells, sorted({k for c in cells for k in found[c]})) for cells in groups.values()]

    def _pooled(self, cell: Cell, step: _Step) -> list[Cell]:
        """The cells a mean or sum over a range pools (AVERAGE(Q5:Q8)), when they are all backward cells."""
        tree = self.cells.tree(cell, own=True)
        if tree is None or tree.op != "call" or tree.args[0] not in ("AVERAGE", "SUM") \
                or not all(a.op == "range" for a in tree.args[1]):
            return []
        deps = list(self.cells.deps(cell))
        return deps if len(deps) > 1 and all(d in step.backward for d in deps) else []

    def _holding(self, step: _Step, value: float, tol: float, besides: Cell) -> Cell | None:
        """A cell of the step, other than ``besides``, that holds ``value``: where a gradient is."""
        return next((c for c in sorted(step.down) if c != besides and abs(self.cells.number(c) - value) <= tol), None)

    def _roots(self, start: Cell, step: _Step, bad, start_is_cell: bool) -> list[Cell]:
        seen, out, todo = set(), [], [start]
        while todo:
            c = todo.pop()
            if c in seen:
                continue
            seen.add(c)
            inputs = [d for d in self.cells.deps(c) if d in step.backward and d != c and bad(d)]
            if c == start and not start_is_cell:
                u = next(u for u in step.updates if u.locus == c)
                inputs = [d for d in dict.fromkeys(u.reads(self.cells)) if d in step.backward and bad(d)]
            elif c == start and (pooled := self._pooled(c, step)):  # a mean over samples: the samples are wrong
                inputs = pooled
                for d in pooled:
                    self.via[d] = start
            if inputs:
                todo.extend(inputs)
            else:
                out.append(c)
        return out

    def _explain(self, step: _Step, group: list[Cell], ks: list[int], alpha: float, wrong: np.ndarray,
                 grad_cell: dict[int, Cell]) -> _Cause | None:
        cells = self.cells
        root = self._root_of(group)
        truth = alpha * step.truths[step.loss]
        tol = self._tolerance(step.truths[step.loss], alpha)
        is_update = any(u.locus == root for u in step.updates)
        level = [k for k, c in grad_cell.items() if c == root]
        if root in self.via:  # one sample's gradient, under a mean that is off by a simple factor
            pool = self.via[root]
            k = next(k for k, c in grad_cell.items() if c == pool)
            ratio = step.got[k] / truth[k] if truth[k] else math.nan
            got = cells.number(root)
            if _nice(ratio) and not got:
                return None  # this sample's gradient is 0 (an input of 0): right, slip or not
            if _nice(ratio):
                times = _said_ratio(ratio)
                return _Cause(root, "formula", f"gradient of {self._name(step.weights[k])}", got, got / ratio,
                              f"is {times} this sample's gradient: its mean over the samples, {self._said(pool)}, "
                              f"is {times} the gradient of the loss {self._said(step.loss)} with respect to "
                              f"{self._said(step.weights[k])}, as the other gradients take it", max(c[1] for c in group))
        if is_update or level:
            k = level[0] if level else next(k for k, u in enumerate(step.updates) if u.locus == root)
            weight = self._said(step.weights[k])
            quantity = f"gradient of {self._name(step.weights[k])}"
            got, expected = step.got[k], truth[k]
        else:
            weight, quantity = None, "backward cell"
            got, expected = cells.number(root), None
        members = set(group)
        affected = [k for k in range(len(step.updates))
                    if members & _ancestors(cells, step.updates[k].reads(cells), step.backward | members)
                    or step.updates[k].locus in members]
        fix = self._substitution(step, group, affected, truth, tol)
        loss = self._said(step.loss)
        if fix is None and weight is not None and (below := self._read_wrong(step, root, truth, tol)) is not None:
            return below  # it reads a derivative of the sheet, but another than the one its name says
        if fix is not None:
            x, y, fixed = fix
            why = f"reads {self._said(x)} where {self._said(y)} belongs"
            if weight is None:
                quantity, expected = self._meaning(step, fixed, alpha, RTOL)[0], fixed
        elif weight is not None and expected and (ratio := got / expected) and _nice(ratio / alpha) and ratio != -alpha:
            times = _said_ratio(ratio)
            why = (f"is {times} the gradient of the loss {loss} with respect to {weight}: the gradient of a loss "
                   f"{times} as large, where the other gradients take {loss} itself" if alpha == 1.0 else
                   f"is {times} the gradient of the loss {loss} with respect to {weight}, where the other "
                   f"gradients are {alpha:g} times it")
        elif weight is not None and expected and abs(got + expected) <= tol[k]:
            why = f"has the wrong sign: it is minus the gradient of the loss {loss} with respect to {weight}"
        elif weight is not None:
            why = f"is not the gradient of the loss {loss} with respect to {weight}"
            if (factor := self._factor(step, root, expected / got if got else math.nan)) is not None:
                why += f": it multiplies by {factor[0]} where {factor[1]}, belongs"
        else:
            needed = self._needed(step, root, ks[0], truth[ks[0]]) if len(group) == 1 else None
            expected = needed
            names = ", ".join(self._said_gradient(step, k) for k in ks)
            why = f"is not a derivative of the loss {loss}: {names} read{'s' if len(ks) == 1 else ''} it"
            if needed is not None:
                quantity, what = self._meaning(step, needed, alpha, 1e-4)  # from a secant: close, not exact
                why += f", and {needed:.6g} makes {'it' if len(ks) == 1 else 'them'} right" + (f" ({what})" if what else "")
        if level and step.updates[level[0]].descent < 0:  # w + η·g: the cell holds −g
            got, expected = -got, None if expected is None else -expected
        rows = sorted(c[1] for c in group)
        last = rows[-1] if rows == list(range(rows[0], rows[0] + len(rows))) else root[1]
        return _Cause(root, "formula", quantity, got, expected, why, last)

    def _read_wrong(self, step: _Step, root: Cell, truth: np.ndarray, tol: np.ndarray) -> _Cause | None:
        """A backward cell the wrong gradient ``root`` reads whose own formula, one reference changed,
        makes every gradient under it right (``dout_o1/dnet_o1 = out_o2·(1 − out_o2)``: a slope of the
        sheet, so no value gives it away, but out_o1's belongs)."""
        for cell in self.cells.deps(root):
            if cell not in step.backward or cell in step.forward:
                continue
            affected = [k for k, u in enumerate(step.updates)
                        if cell in _ancestors(self.cells, u.reads(self.cells), step.backward | {cell})]
            fix = self._substitution(step, [cell], affected, truth, tol)
            if fix is not None:
                x, y, fixed = fix
                quantity = self._meaning(step, fixed, 1.0, RTOL)[0]
                return _Cause(cell, "formula", quantity, self.cells.number(cell), fixed,
                              f"reads {self._said(x)} where {self._said(y)} belongs", cell[1])
        return None

    def _factor(self, step: _Step, root: Cell, ratio: float) -> tuple[str, str] | None:
        """A run of the root formula's factors that, ``ratio`` times as large, is a slope of the sheet:
        ``("K5*(1-K5)", "the slope of h (K5) at z (J5), 0.9312")``."""
        tree, text = self.cells.tree(root, own=True), self.cells.formula(root)
        if tree is None or not math.isfinite(ratio) or text is None:
            return None
        factors = _product(tree)
        for n in (2, 1, 3):
            for i in range(len(factors) - n + 1):
                run = factors[i:i + n]
                product = 1.0
                try:
                    for f in run:
                        product *= float(np.real(self.cells.evaluate(f, root[0], {})))
                except (FormulaError, ValueError, TypeError, ZeroDivisionError):
                    continue
                _, what = self._meaning(step, product * ratio, 1.0, RTOL)
                if what and what.startswith("the slope"):
                    return _span(run, text), f"{what}, {product * ratio:.6g}"
        return None

    def _substitution(self, step: _Step, group: list[Cell], affected: list[int], truth: np.ndarray,
                      tol: np.ndarray) -> tuple[Cell, Cell, float] | None:
        """One reference of the root's formula changed (every occurrence; in each cell of its group,
        the reference at the same place, moved as far) that makes every gradient under it right:
        (the cell it reads, the cell that belongs, the value the root then holds)."""
        cells, root = self.cells, group[0]
        trees = [cells.tree(c, own=True) for c in group]
        if any(t is None for t in trees):
            return None
        read = [[cells.resolve(leaf.args[0], c[0]) for leaf in leaves(t, ("ref",))] for t, c in zip(trees, group)]
        if any(len(r) != len(read[0]) for r in read):
            group, trees, read = group[:1], trees[:1], read[:1]
        members = set(group)
        near = sorted((step.forward | step.backward | set(step.weights)
                       | {d for c in step.forward | step.backward for d in cells.deps(c)}) - members - {step.loss})
        below = [c for c in _order(cells, step.backward)
                 if c not in members and members & _ancestors(cells, [c], step.backward | members)]
        fixes = []
        variants = []  # (the reference's place, which of its occurrences change): every one, or one alone
        for at, x in enumerate(read[0]):
            places = [k for k, c in enumerate(read[0]) if c == x]
            if x in near and at == places[0]:
                variants.append((at, set(places)))
                variants.extend((k, {k}) for k in places if len(places) > 1)
        for at, places in variants:
            x = read[0][at]
            for y in near:
                if y == x or y in self.chain_cells and y not in step.weights:
                    continue
                if len(group) > 1 and y[0] != x[0]:
                    continue
                changes = {}
                for cell, tree, refs in zip(group, trees, read):
                    xm = refs[at]
                    ym = (xm[0], xm[1] + y[1] - x[1], xm[2] + y[2] - x[2]) if cell != root else y
                    changes[cell] = _substituted(tree, cell[0], ym, places)
                fixed = self._fixes(step, changes, below, affected, truth, tol)
                if fixed is not None:
                    fixes.append((len(places) == 1, abs(x[1] - y[1]) + abs(x[2] - y[2]) + 1000 * (x[0] != y[0]),
                                  x, y, fixed))
        return min(fixes)[2:] if fixes else None

    def _fixes(self, step: _Step, changes: dict[Cell, Node], below: list[Cell], affected: list[int],
               truth: np.ndarray, tol: np.ndarray) -> float | None:
        """The first changed cell's value with its new formula, if the changes make every affected
        gradient right."""
        cells = self.cells
        try:
            values: dict[Cell, Any] = {}
            for cell, tree in changes.items():
                if not any(u.locus == cell for u in step.updates):
                    values[cell] = float(np.real(cells.evaluate(tree, cell[0], {})))
            for c in below:
                values[c] = float(np.real(cells.evaluate(cells.tree(c, own=True), c[0], values)))
            got = []
            for k in affected:
                u = step.updates[k]
                if u.locus in changes:
                    tree = changes[u.locus]
                    parts = updates.split(tree) if u.locus == u.cell else (("-", None, p[1]) if (p := updates.product(tree)) else None)
                    if parts is None:
                        return None
                    descent = (1.0 if parts[0] == "-" else -1.0) if u.locus == u.cell else u.descent
                    u = _Update(u.cell, descent, u.eta, u.eta_cell,
                                [f for f in parts[2] if not (f.op == "num" and float(f.args[0]) == u.eta)
                                 and not (f.op == "ref" and cells.resolve(f.args[0], u.locus[0]) == u.eta_cell)],
                                locus=u.locus)
                got.append(u.gradient(cells, values))
        except (FormulaError, ValueError, TypeError, ZeroDivisionError, StopIteration):
            return None
        if not np.all(np.abs(np.array(got) - truth[affected]) <= tol[affected]):
            return None
        first = next(iter(changes))
        return values.get(first, got[0] if got else math.nan)

    def _needed(self, step: _Step, root: Cell, k: int, target: float) -> float | None:
        """The value of ``root`` that makes gradient k right (the gradient is linear in it, near)."""
        cells = self.cells
        below = [c for c in _order(cells, step.backward) if c != root and root in _ancestors(cells, [c], step.backward | {root})]
        v0 = cells.number(root)

        def gradient(v: float) -> float:
            values = {root: v}
            for c in below:
                values[c] = float(np.real(cells.evaluate(cells.tree(c, own=True), c[0], values)))
            return step.updates[k].gradient(cells, values)

        try:
            dv = 1e-3 * max(abs(v0), 1e-6)
            g0, g1 = gradient(v0), gradient(v0 + dv)
        except (FormulaError, ValueError, TypeError, ZeroDivisionError):
            return None
        slope = (g1 - g0) / dv
        return None if slope == 0 or not math.isfinite(slope) else v0 + (target - g0) / slope

    def _meaning(self, step: _Step, value: float, alpha: float, rtol: float) -> tuple[str, str | None]:
        """What a backward cell holding ``value`` is: its role (``hidden delta``) and, in words, the
        derivative it equals; ``("backward cell", None)`` when it is none."""
        cells, j, lanes, loss = self.cells, step.jacobian, step.lanes, step.loss

        def near(d: float, factors=(1.0, -1.0, alpha, -alpha, 2.0, -2.0, 0.5, -0.5)) -> bool:
            return bool(d) and any(abs(value - f * d) <= rtol * abs(f * d) for f in factors)

        sums = {c for c in step.forward if self._is_sum(c, step)}
        for x in sorted(sums):
            if near(j[loss][lanes[x]]):
                above = any(x in _ancestors(cells, [s], step.forward) for s in sums if s != x)
                return ("hidden delta" if above else "output delta"), f"the gradient of the loss with respect to {self._said(x)}"
        for y in sorted(step.forward):
            deps = cells.deps(y)
            if len(deps) == 1 and deps[0] in lanes and near(j[y][lanes[deps[0]]], (1.0,)):
                return "slope", f"the slope of {self._said(y)} at {self._said(deps[0])}"
        for x in sorted(step.forward - sums):
            if near(j[loss][lanes[x]]):
                return "error", f"the gradient of the loss with respect to {self._said(x)}"
        return "backward cell", None

    # ---- saying it ---------------------------------------------------------------------------
    def _name(self, cell: Cell) -> str:
        if cell in self.chain_of:  # a weight is named as where its chain starts: w1, not "new w1"
            cell = self.training.weights[self.chain_of[cell]][0]
        return self.cells.label(cell) or _coordinate(cell, self.home)

    def _said(self, cell: Cell) -> str:
        """A cell as the report names it: its label and where it is, ``delta_h1 (B29)``; a weight by
        the label where its chain starts, ``w1 ('Iter 1'!B39)``."""
        label = self._name(cell) if cell in self.chain_of else self.cells.label(cell)
        at = _coordinate(cell, self.home)
        return f"{label} ({at})" if label else at

    def _said_gradient(self, step: _Step, k: int) -> str:
        u = step.updates[k]
        if len(u.factors) == 1 and u.factors[0].op == "ref":
            return self._said(self.cells.resolve(u.factors[0].args[0], u.locus[0]))
        where = "its update" if u.locus == u.cell else "its weight change"
        return f"the gradient of {self._name(step.weights[k])} in {where} {_coordinate(u.locus, self.home)}"

    def _in_turn(self, steps: list[_Step]) -> str:
        """``, online, 2 samples in turn`` when the steps' inputs (what their sums read beside a weight
        that the weights do not change) change from step to step."""
        seen = []
        most = max((len(s.weights) for s in steps), default=0)
        for step in (s for s in steps if len(s.weights) == most):  # a step a typed weight broke says less
            sums = [c for c in step.forward if self._is_sum(c, step)]
            typed = sorted({r for c in sums for t in _terms(self.cells.tree(c)) if self._is_product(t, c, step)
                            for r in self.cells.refs(t, c[0]) if r not in step.down and not self._weight(r, step)})
            seen.append(tuple(float(f"{self.cells.number(r):.9g}") for r in typed))  # 0.05 and 0.0500000000000001 alike
        kinds = len(set(seen))
        return f", online, {kinds} samples in turn" if 1 < kinds < len(seen) else ""


    def _network(self, step: _Step) -> str:
        """``2-2-2 sigmoid`` from the weighted sums: a neuron the sums that share its weights, a layer
        the neurons as far from the inputs; a batch, the sums of one neuron."""
        cells = self.cells
        forward = step.ancestry.get(step.loss, step.forward)
        sums = [c for c in forward if self._is_sum(c, step)]
        if not sums:
            return ""
        weights_of = {s: frozenset(r for r in cells.deps(s) if r in step.weights) for s in sums}
        order = _order(cells, set(forward))
        depth: dict[Cell, int] = {}
        for c in order:
            below = [depth[d] for d in cells.deps(c) if d in depth]
            depth[c] = (max(below) if below else 0) + (1 if c in weights_of else 0)
        neurons: dict[frozenset, list[Cell]] = defaultdict(list)
        for s in sums:
            neurons[weights_of[s]].append(s)
        layers: dict[int, list[frozenset]] = defaultdict(list)
        for ws, members in neurons.items():
            layers[min(depth[m] for m in members)].append(ws)
        first = min(layers)
        weighted = {s: [t for t in _terms(cells.tree(s)) if self._is_product(t, s, step)] for s in sums}
        # a weight times 1 in every sample of its neuron, beside other inputs: a bias as a constant-1 input
        ones = {}
        for members in neurons.values():
            flags = [[self._times_one(t, m, step) for t in weighted[m]] for m in members]
            always = [all(f[k] for f in flags) for k in range(min(len(f) for f in flags))]
            for m in members:
                ones[m] = sum(always) if sum(always) < len(weighted[m]) else 0
        n_in = max(len(weighted[neurons[ws][0]]) - ones[neurons[ws][0]] for ws in layers[first])
        biased = any(len(weighted[s]) < len(_terms(cells.tree(s))) or ones[s] for s in sums)
        shape = "-".join([str(n_in)] + [str(len(layers[d])) for d in sorted(layers)])
        kinds = []
        for d in sorted(layers):
            s = neurons[layers[d][0]][0]
            act = next((c for c in forward if cells.deps(c) == (s,)), s)  # or the sum inside its activation
            text = (cells.formula(act) or "").upper()
            kinds.append("tanh" if "TANH" in text else "sigmoid" if "EXP" in text else "relu" if "MAX" in text
                         else "softmax" if act == s and self._softmax(forward, layers[d], neurons, step)
                         else "linear")
        kind = kinds[0] if len(set(kinds)) == 1 else "/".join(kinds)
        samples = self._samples(step)
        return (f"{shape} {kind}" + (", with biases" if biased else "")
                + (f", {samples} samples a step" if samples > 1 else ""))

    def _softmax(self, forward: list[Cell], layer: list[frozenset], neurons: dict, step: _Step) -> bool:
        """A layer of two neurons or more with no activation of one sum alone, and a cell before the
        loss that takes EXP of the layer's every sum (their Σe^z, or one share e^z/Σe^z): a softmax."""
        def every_sum(c: Cell) -> bool:  # of one sample at least: a sum of each neuron of the layer
            deps = set(self.cells.deps(c))
            return all(any(m in deps for m in neurons[ws]) for ws in layer)
        return len(layer) > 1 and any(
            c != step.loss and "EXP" in (self.cells.formula(c) or "").upper() and every_sum(c) for c in forward)

    def _times_one(self, term: Node, here: Cell, step: _Step) -> bool:
        """A weight times a cell that holds 1 and that no weight changes: a bias as a constant-1 input."""
        refs = [self.cells.resolve(r.args[0], here[0]) for r in leaves(term, ("ref",))]
        rest = [r for r in refs if not self._weight(r, step)]
        return len(refs) == 2 and len(rest) == 1 and rest[0] not in step.down and self.cells.number(rest[0]) == 1.0

    def _is_product(self, term: Node, here: Cell, step: _Step) -> bool:
        refs = [self.cells.resolve(r.args[0], here[0]) for r in leaves(term, ("ref",))]
        return len(refs) >= 2 and any(self._weight(r, step) for r in refs)

    def _notes(self, step: _Step, alpha: float, steps: list[_Step]) -> list[str]:
        notes = [f"read by its formula graph: the loss is {self._said(step.loss)}, its weights' updates the steps"]
        if alpha != 1.0:
            notes.append(f"every gradient is {alpha:g} times the gradient of the loss {self._said(step.loss)}: "
                         f"read as the sheet's convention (a loss {1 / alpha:g} times as large, or η scaled), not as a slip")
        if any(u.descent < 0 for u in step.updates):
            notes.append("the updates add η·g (w + η·δ·x): g is read as minus the gradient")
        return notes

    def _findings(self, causes: list[tuple[_Step, _Cause]], steps: list[_Step]) -> list[Finding]:
        causes = self._merged(causes)
        grouped: dict[tuple, list[tuple[_Step, _Cause]]] = defaultdict(list)
        for step, cause in causes:
            grouped[(self._place(cause.cell, step), cause.kind)].append((step, cause))
        out = []
        for (_, kind), items in sorted(grouped.items(), key=lambda kv: (kv[1][0][0].index, kv[1][0][1].cell)):
            step, cause = items[0]
            n, total = len({s.index for s, _ in items}), len({s.index for s in steps})
            when = ("in every step" if n == total and n > 1 else f"in {n} of {total} steps, from step "
                    f"{step.index + 1}" if n > 1 else f"in step {step.index + 1}" if total > 1 else "")
            cell = cause.cell
            at = _coordinate(cell, self.home)
            if cause.last_row > cell[1]:
                at += f":{get_column_letter(cell[2])}{cause.last_row}"
            head = f"{self._name(cell)} ({at}, {cause.quantity}{', ' + when if when else ''})"
            formula = self.cells.formula(cell)
            out.append(Finding(cause.quantity, kind, get_column_letter(cell[2]), cell[1],
                               cause.got, cause.expected, formula, f"{head}: {cause.why}"))
        return out

    def _merged(self, causes: list[tuple[_Step, _Cause]]) -> list[tuple[_Step, _Cause]]:
        """Causes of one step in one column, one below the other, with one formula filled down
        (a slip in every sample's row): one cause, its cells a range."""
        out: list[tuple[_Step, _Cause]] = []
        for step, cause in sorted(causes, key=lambda sc: (sc[0].index, sc[1].cell)):
            if out:
                last_step, last = out[-1]
                c, d = last.cell, cause.cell
                if (last_step is step and last.kind == cause.kind and (c[0], c[2]) == (d[0], d[2])
                        and d[1] == last.last_row + 1 and _shape(last.why) == _shape(cause.why)):
                    last.last_row = max(cause.last_row, d[1])
                    continue
            cause.last_row = max(cause.last_row, cause.cell[1])
            out.append((step, cause))
        return out

    def _place(self, cell: Cell, step: _Step) -> tuple:
        """Where a cell stands within its step: its offset from the top left of the gradients its
        updates read on that sheet (a row, the means of a block of rows, a group of columns, a run),
        so that the same place of each step (of each run, each sheet) is one finding."""
        if self.training.layout == "sheets":  # each sheet laid out alike
            return cell[1:]
        read = [c for u in step.updates for c in u.reads(self.cells) if c[0] == cell[0]]  # the step's gradients
        corners = read or [c for c in step.down if c[0] == cell[0]] or [c for c in step.weights if c[0] == cell[0]] or [cell]
        rows = Counter(c[1] for c in corners)  # most of them: one anchored to the first row is a slip, not the step
        r0 = min(r for r, n in rows.items() if n == max(rows.values()))
        c0 = min(c[2] for c in corners if c[1] == r0)
        return cell[0], cell[1] - r0, cell[2] - c0


def _calls(tree: Node) -> list[str]:
    if tree.op == "call":
        return [tree.args[0]] + [n for c in tree.args[1] for n in _calls(c)]
    if tree.op in ("num", "str", "name", "ref", "range"):
        return []
    return [n for c in tree.args for n in _calls(c)]


def _terms(tree: Node) -> list[Node]:
    if tree.op in _SUM_OPS:
        return [t for child in tree.args for t in _terms(child)]
    if tree.op == "call" and tree.args[0] == "SUM":
        return [t for child in tree.args[1] for t in _terms(child)]
    if tree.op == "call" and tree.args[0] == "SUMPRODUCT":
        return [tree]
    return [tree]


def _substituted(tree: Node, here: str, y: Cell, places: set[int]) -> Node:
    """The tree with its references at ``places`` (their order among the tree's references) reading ``y``."""
    seen = [0]

    def walk(node: Node) -> Node:
        if node.op == "ref":
            k, seen[0] = seen[0], seen[0] + 1
            if k not in places:
                return node
            r = node.args[0]
            return Node("ref", (Ref(None if y[0] == here else y[0], y[2], y[1], r.col_abs, r.row_abs, r.span),))
        if node.op in ("num", "str", "name", "range"):
            return node
        if node.op == "call":
            return Node("call", (node.args[0], tuple(walk(c) for c in node.args[1])), node.pos)
        return Node(node.op, tuple(walk(c) for c in node.args), node.pos)

    return walk(tree)


def _shape(why: str) -> str:
    """A cause less its numbers: the same slip in the next sample's row says the same."""
    return re.sub(r"[\d.e+-]+", "#", why)


def _product(tree: Node) -> list[Node]:
    if tree.op == "*":
        return _product(tree.args[0]) + _product(tree.args[1])
    return [tree]


def _span(nodes: list[Node], text: str) -> str:
    """The text of a run of factors as the formula writes it: ``K5*(1-K5)``."""
    spans = []
    for node in nodes:
        for leaf in leaves(node, ("ref", "num")):
            if leaf.op == "ref":
                spans.append(leaf.args[0].span)
            elif leaf.pos >= 0:
                spans.append((leaf.pos, leaf.pos + len(f"{leaf.args[0]:g}")))
    if not spans:
        return ""
    start, end = min(a for a, _ in spans), max(b for _, b in spans)
    while start > 1 and text[start:end].count(")") > text[start:end].count("("):
        start -= 1
    while end < len(text) and text[start:end].count("(") > text[start:end].count(")"):
        end += 1
    if start > 1 and end < len(text) and text[start - 1] == "(" and text[end] == ")":
        start, end = start - 1, end + 1  # the factor as written: (1-K5^2)
    return text[start:end]


def _nice(ratio: float) -> bool:
    return any(abs(ratio - f) <= 1e-6 * abs(f) for f in (2.0, 0.5, -1.0, 4.0, 0.25, -2.0, -0.5))


def _said_ratio(ratio: float) -> str:
    return {2.0: "twice", 0.5: "half", 4.0: "4 times", 0.25: "a quarter of", -2.0: "minus twice",
            -0.5: "minus half"}.get(round(ratio, 6), f"{ratio:g} times")
