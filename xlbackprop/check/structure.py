"""Read a one-row-per-iteration training table by its formulas, whatever its header says.

:mod:`~.tables` finds a table by its header labels (``w1``, ``a_h1`` ...); a table labelled in
another language (``peso 1``, ``saída h1``, ``erro total``) or not at all is found here, from
the weight updates :mod:`~.updates` finds (``B6: =B5-$H$2*Y5``) and what each cell of the
first data row references::

    z    = Σ weight·source        a sum of products of a weight column and a source: an input
                                  (a typed cell outside the table, or a typed column) or an
                                  activation of the layer below; plus a typed cell: a frozen bias
    a    = g(z)                   reads one z only; sigmoid (EXP) or tanh (TANH)
    E_k  = loss(a_o_k, t_k)       reads one output activation and one typed target
    E_total                       reads every E_k and nothing else
    ∂E/∂w_n                       the cell the next row's update of w_n reads beside η
    δ_o_k, δ_h_j                  read a_o_k and t_k (o_k); the δ's above, their weights, a_h_j
                                  (h_j); other cells the gradients read are read through

Weights are numbered as the contract numbers them, from the z formulas: neurons left to right
by their z column, inputs by their cell (row, then column) or their column. When a cell of the
row fits no role, or :func:`~.problem.recover` would not read the given values at the cells
the formulas read, the group gives no table: never a wrong reading. (recover finds an input,
target or η no label names at the cell its sum, loss or update reads.) ``find_all(book)`` is :func:`~.tables.find_all` and these tables for the sheets
that have none by their labels::

    find_all(book)[0].columns     # {"w1": 2, ..., "h1": 10, "a_h1": 11, ..., "∂E/∂w8": 32}
"""

from __future__ import annotations

import dataclasses
import math
import re

from ..core.network import E_TOTAL, Network, a_name, delta_name, loss_name, weight_grad_name, weight_name, z_name
from ..xlsx.formula import FormulaError, Node, leaves
from ..xlsx.grid import Book, Sheet
from . import updates
from .problem import ProblemError, recover
from .tables import Table
from .tables import find as find_by_labels
from .tables import find_all as find_all_by_labels

RTOL = 1e-7  # an activation's stored values against g(z), when its text does not say which g
_COUNTER = re.compile(r"=\s*\$?[A-Za-z]{1,3}\$?\d+\s*\+\s*1\s*")  # =A5+1, an iteration counter

Key = tuple[str, object]  # ("col", col): a column of the row; ("cell", (row, col)): a cell outside it


def find_all(book: Book) -> list[Table]:
    """The tables :func:`~.tables.find_all` finds, and for the sheets with none, those :func:`find`
    reads (only those sheets are searched: a labelled table costs nothing more; an xlbackprop
    workbook, whose tables its parameter block says, none)."""
    found = find_all_by_labels(book)
    if any(t.own for t in found):
        return found
    labelled = {t.sheet.name for t in found}
    rest = [s for s in book.sheets if s.name not in labelled]
    return found + (find(dataclasses.replace(book, sheets=rest)) if rest else [])


def find(book: Book) -> list[Table]:
    """A table for every one-row-per-iteration gradient descent on a sheet that has no table by
    its labels, whose first data row's formulas say every quantity; top to bottom."""
    by_name = {s.name: s for s in book.sheets}
    labelled: dict[str, bool] = {}
    out = []
    for training in updates.find(book):
        if training.layout != "rows" or training.step != (1, 0) or len(training.sheets) != 1:
            continue
        sheet = by_name.get(training.sheets[0])
        if sheet is None:
            continue
        if sheet.name not in labelled:
            labelled[sheet.name] = bool(find_by_labels(sheet))
        if labelled[sheet.name]:
            continue
        table = _verified(read(sheet, training))
        if table is not None:
            out.append(table)
    return sorted(out, key=lambda t: (book.sheets.index(t.sheet), t.first_row))


@dataclasses.dataclass
class Reading:
    """What the formulas say: the table, and where the given values outside it are."""

    table: Table
    cells: dict[str, tuple[int, int]]  # i1, t2, b1 ... -> (row, col) outside the table


def read(sheet: Sheet, training: updates.Training) -> Reading | None:
    """The table one group of weight chains trains, read by the formulas of its first row; None
    when a cell fits no role."""
    chains = training.weights
    weight_cols = [chain[0][2] for chain in chains]
    first = chains[0][0][1]
    if len(set(weight_cols)) != len(chains) or any(c[0][1] != first or any(x[2] != c[0][2] for x in c)
                                                      for c in chains):
        return None
    if not all(_given(sheet, first, col) for col in weight_cols):
        return None
    last = max(c[-1][1] for c in chains)
    return _Row(sheet, first, last, weight_cols).read()


def _given(sheet: Sheet, row: int, col: int) -> bool:
    """A typed number, or a plain link to one."""
    text = sheet.formula(row, col)
    if text is None:
        return sheet.number(row, col) is not None
    return updates.LINK.fullmatch(text) is not None and sheet.number(row, col) is not None


class _Row:
    """The first data row's formulas, classified by what they reference."""

    def __init__(self, sheet: Sheet, first: int, last: int, weight_cols: list[int]):
        self.sheet, self.first, self.last, self.weights = sheet, first, last, weight_cols
        self.trees: dict[int, Node] = {}
        self.reads: dict[int, set[Key]] = {}

    def key(self, row: int, col: int) -> Key:
        return ("col", col) if row == self.first else ("cell", (row, col))

    def typed(self, key: Key) -> bool:
        """A typed number (or a formula of numbers alone, ``=0.5``): a column of the row that
        holds one, or a cell outside the table."""
        row, col = (self.first, key[1]) if key[0] == "col" else key[1]
        if self.sheet.number(row, col) is None:
            return False
        text = self.sheet.formula(row, col)
        if text is None:
            return True
        try:
            return not leaves(self.sheet.parse(text), ("ref", "range", "name"))
        except FormulaError:
            return False

    def parse(self) -> bool:
        for (row, col), text in self.sheet.formulas.items():
            if row != self.first or col in self.weights:
                continue
            try:
                tree = self.sheet.parse(text)
            except FormulaError:
                return False
            reads: set[Key] = set()
            for leaf in leaves(tree, ("ref", "range")):
                a, b = leaf.args if leaf.op == "range" else (leaf.args[0], leaf.args[0])
                if a.sheet is not None and a.sheet != self.sheet.name:
                    return False
                reads |= {self.key(r, c) for r in range(min(a.row, b.row), max(a.row, b.row) + 1)
                          for c in range(min(a.col, b.col), max(a.col, b.col) + 1)}
            self.trees[col], self.reads[col] = tree, reads
        return True

    def read(self) -> Reading | None:
        if not self.parse():
            return None
        weights = set(self.weights)
        # pre-activations: sums of weight·x terms (and a typed bias)
        zs: dict[int, tuple[list[tuple[int, Key]], Key | None]] = {}
        for col, tree in self.trees.items():
            terms = _terms(tree, self.first, weights)
            if terms is not None:
                zs[col] = terms
        acts: dict[int, tuple[int, str]] = {}  # a column -> (its z column, activation)
        for col, reads in self.reads.items():
            if col not in zs and len(reads) == 1 and (k := next(iter(reads)))[0] == "col" and k[1] in zs:
                g = self.activation(col, k[1])
                if g is None:
                    return None
                acts[col] = (k[1], g)
        a_of = {z: a for a, (z, _) in acts.items()}
        if len(a_of) != len(acts) or not a_of:
            return None
        zs = {z: terms for z, terms in zs.items() if z in a_of}  # a sum of products no g reads: an intermediate
        # layers: the z's reading inputs only, then those reading that layer's activations ...
        layers: list[list[int]] = []
        sources: list[list[Key]] = []
        placed: set[int] = set()
        below: set[Key] = {k for z in zs for _, k in zs[z][0] if k[0] == "cell" or k[1] not in acts}
        if not all(self.typed(k) for k in below):
            return None
        while len(placed) < len(zs):
            layer = sorted(z for z in zs if z not in placed and {k for _, k in zs[z][0]} == below)
            if not layer:
                return None
            sources.append(sorted(below, key=_order) if not layers else [("col", a_of[z]) for z in layers[-1]])
            layers.append(layer)
            placed |= set(layer)
            below = {("col", a_of[z]) for z in layer}
        inputs = sources[0]
        if len({k[0] for k in inputs}) != 1:
            return None
        if len({w for z in zs for w, _ in zs[z][0]}) != len(self.weights) or \
                sum(len(zs[z][0]) for z in zs) != len(self.weights):
            return None  # every weight in one term of one z
        biased = {zs[z][1] is not None for z in zs}
        if len(biased) != 1:
            return None
        activations = []
        for layer in layers:
            names = {acts[a_of[z]][1] for z in layer}
            if len(names) != 1:
                return None
            activations.append(names.pop())
        net = Network((len(inputs), *(len(layer) for layer in layers)), tuple(activations),
                      "frozen" if biased.pop() else "none", 1)
        columns: dict[str, int] = {}
        cells: dict[str, tuple[int, int]] = {}

        def given(name: str, key: Key) -> None:
            if key[0] == "col":
                columns[name] = key[1]
            else:
                cells[name] = key[1]

        for k, key in enumerate(inputs, start=1):
            given(f"i{k}", key)
        for l, layer in enumerate(layers, start=1):
            for j, z in enumerate(layer, start=1):
                columns[z_name(net, 1, l, j)], columns[a_name(net, 1, l, j)] = z, a_of[z]
                position = {key: k for k, key in enumerate(sources[l - 1], start=1)}
                for w, key in zs[z][0]:
                    columns[weight_name(net.weight_numbers[(l, j, position[key])])] = w
                if (bias := zs[z][1]) is not None:
                    if not self.typed(bias):
                        return None
                    given(f"b{net.bias_numbers[(l, j)]}", bias)
        outputs = {("col", a_of[z]): j for j, z in enumerate(layers[-1], start=1)}
        # gradients: what the next row's updates read; and what they read, through any cells
        for n in range(1, net.n_weights + 1):
            g = self.gradient(columns[weight_name(n)])
            if g is None or g in columns.values():
                return None
            columns[weight_grad_name(n)] = g
        read_by_gradients: set[int] = set()
        todo = [columns[weight_grad_name(n)] for n in range(1, net.n_weights + 1)]
        while todo:
            for key in self.reads.get(todo.pop(), ()):
                if key[0] == "col" and key[1] not in read_by_gradients:
                    read_by_gradients.add(key[1])
                    todo.append(key[1])
        # losses (an output's activation and a typed target, no gradient reads them), and the total
        taken = set(columns.values()) | read_by_gradients
        targets: dict[int, Key] = {}
        for col, reads in sorted(self.reads.items()):
            if col in taken or len(reads) != 2:
                continue
            out = [outputs[k] for k in reads if k in outputs]
            rest = [k for k in reads if k not in outputs]
            if len(out) == 1 and len(rest) == 1 and self.typed(rest[0]) and rest[0] not in inputs:
                j = out[0]
                if loss_name(net, 1, j) in columns:
                    return None
                columns[loss_name(net, 1, j)], targets[j] = col, rest[0]
        if len(targets) != net.layers[-1]:
            return None
        for j, key in targets.items():
            given(f"t{j}", key)
        losses = {("col", columns[loss_name(net, 1, j)]) for j in targets}
        totals = [col for col, reads in self.reads.items() if reads == losses and col not in taken]
        if len(totals) > 1:
            return None
        if totals:
            columns[E_TOTAL] = totals[0]
        self.deltas(net, columns, targets)
        # every other formula is read by a gradient (an intermediate), or counts the iterations
        used = set(columns.values()) | read_by_gradients
        for col in self.trees:
            if col not in used and not _COUNTER.fullmatch(self.sheet.formula(self.first, col)):
                return None
        table = Table(self.sheet, self.first - 1, self.first, self.last, columns, net, by_formulas=True)
        return Reading(table, cells)

    def activation(self, a: int, z: int) -> str | None:
        """sigmoid or tanh: as the text says (EXP, TANH), else as the stored values are."""
        text = self.sheet.formula(self.first, a).upper()
        if "TANH" in text:
            return "tanh"
        if "EXP" in text:
            return "sigmoid"
        functions = {"sigmoid": lambda x: 1 / (1 + math.exp(-x)), "tanh": math.tanh}
        for name, g in functions.items():
            pairs = [(self.sheet.number(r, z), self.sheet.number(r, a)) for r in range(self.first, self.last + 1)]
            try:
                if pairs and all(x is not None and y is not None and math.isclose(g(x), y, rel_tol=RTOL, abs_tol=1e-15)
                                 for x, y in pairs):
                    return name
            except OverflowError:
                continue
        return None

    def gradient(self, col: int) -> int | None:
        """The column of this row the next row's update of the weight in ``col`` reads beside η."""
        row = self.first + 1
        text = self.sheet.formula(row, col)
        if text is None:
            return None
        try:
            split = updates.split(self.sheet.parse(text))
        except FormulaError:
            return None
        if split is None:
            return None
        sign, p, factors = split
        if sign != "-" or p.sheet is not None or (p.row, p.col) != (self.first, col):
            return None
        found = [f.args[0] for f in factors if f.op == "ref" and f.args[0].sheet is None
                 and f.args[0].row == self.first]  # Z$41 read from row 42 too: judge says it is anchored
        rest = [f for f in factors if not (f.op == "ref" and f.args[0] in found)]
        if len(found) != 1 or len(rest) != 1 or rest[0].op not in ("ref", "num"):
            return None
        g = found[0].col
        return g if g in self.trees else None

    def deltas(self, net: Network, columns: dict[str, int], targets: dict[int, Key]) -> None:
        """δ_o_k (reads a_o_k and t_k, perhaps o_k), then δ_h_j (the δ's above, their weights
        to h_j, a_h_j, perhaps h_j), layer by layer down; a cell that fits no δ is left alone."""
        taken = set(columns.values())

        def col(name: str) -> Key:
            return ("col", columns[name])

        for layer in range(net.depth, 0, -1):
            for j in range(1, net.layers[layer] + 1):
                z, a = col(z_name(net, 1, layer, j)), col(a_name(net, 1, layer, j))
                if layer == net.depth:
                    need, may = {a, targets[j]}, {z}
                else:
                    above = range(1, net.layers[layer + 1] + 1)
                    if any(delta_name(net, 1, layer + 1, m) not in columns for m in above):
                        return
                    need = {col(delta_name(net, 1, layer + 1, m)) for m in above} | \
                           {col(weight_name(net.weight_numbers[(layer + 1, m, j)])) for m in above} | {a}
                    may = {z}
                fits = [c for c, reads in self.reads.items()
                        if c not in taken and need <= reads <= need | may]
                if len(fits) == 1:
                    columns[delta_name(net, 1, layer, j)] = fits[0]
                    taken.add(fits[0])


def _order(key: Key) -> tuple:
    return (0, key[1], 0) if key[0] == "col" else (1, *key[1])


def _terms(tree: Node, row: int, weights: set[int]) -> tuple[list[tuple[int, Key]], Key | None] | None:
    """``B5*$B$2 + C5*$C$2 (+ $B$3)`` as ``([(weight col, source), ...], bias)``; None if it is no
    pre-activation."""
    def flat(node: Node, op: str) -> list[Node]:
        return [x for child in node.args for x in flat(child, op)] if node.op == op else [node]

    def key(node: Node) -> Key | None:
        if node.op != "ref" or node.args[0].sheet is not None:
            return None
        ref = node.args[0]
        return ("col", ref.col) if ref.row == row else ("cell", (ref.row, ref.col))

    products, bias = [], None
    for term in flat(tree, "+"):
        factors = [key(f) for f in flat(term, "*")]
        if None in factors:
            return None
        w = [k for k in factors if k[0] == "col" and k[1] in weights]
        if len(factors) == 1 and not w and bias is None:
            bias = factors[0]
        elif len(factors) == 2 and len(w) == 1:
            products.append((w[0][1], next(k for k in factors if k is not w[0])))
        else:
            return None
    return (products, bias) if products else None


def _verified(reading: Reading | None) -> Table | None:
    """The table, when :func:`~.problem.recover` reads its given values where its formulas do."""
    if reading is None:
        return None
    table = reading.table
    trial = dataclasses.replace(table, columns=dict(table.columns))
    try:
        problem = recover(trial)
    except ProblemError:
        return None
    if problem.network.bias_mode != table.network.bias_mode:
        return None
    if any(problem.cells.get(name) != cell for name, cell in reading.cells.items()):
        return None
    return table
