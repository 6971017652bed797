"""What a formula means: each reference as a quantity of the table, and whether the formula
computes the quantity of its column for *any* network, not only for the numbers in the file.

Each reference of a cell's formula becomes a :class:`Symbol`: ``R33`` seen from ``X33`` is
``a_o1`` of the same row, ``$H$30`` is ``eta``, ``Z$41`` seen from row 43 is ``∂E/∂w3`` two rows
up. The formula is then computed at a few random networks (random weights, inputs, targets,
biases and η, trained a few steps by :mod:`xlbackprop.core.reference`, so that every quantity is
consistent with every other) and held against the column's quantity there. A formula that
agrees at every point is right whatever equivalent form it takes (``1/2*(t1-a)^2``,
``0.5*POWER(a-t1,2)``); one that agrees only at the file's own numbers (``t1`` for ``t2`` while
t1 = t2) is right by coincidence, and check says so.

A column's cell that holds no known quantity but a formula (an intermediate such as
``∂E/∂a_h1``) is read through: its formula is computed in place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from openpyxl.utils.cell import get_column_letter

from ..core.arithmetic import IEEE
from ..core.reference import train
from ..core.spec import from_mapping
from ..xlsx.formula import FormulaError, Node, Ref, evaluate, leaves
from ..xlsx.grid import Sheet
from .problem import Problem
from .rules import ETA
from .rules import given as given_names

POINTS = 3
STEPS, CENTRE = 7, 3  # the random runs' iterations, and the one a formula's own row stands for
RTOL, ATOL = 1e-9, 1e-13
MAX_DEPTH = 6
SEED = 20240201


@dataclass(frozen=True)
class Symbol:
    """What one reference reads: quantity ``name`` ``offset`` rows from the formula's row, a given
    value (``offset`` None: eta, i1, t1, b1 ...) or, with ``name`` "", a cell of no known meaning
    holding ``value``."""

    name: str
    offset: int | None = None
    value: float = 0.0

    def describe(self) -> str:
        return self.name if self.name else "a cell of no known meaning"


@dataclass(frozen=True)
class Inline:
    """A cell inside the table that holds no known quantity but a formula, read in place."""

    tree: Node
    row: int
    col: int


class Meaning:
    """Formulas of one table read as math over random consistent networks.

    ``symbol(ref, row)`` says what a reference of a formula in ``row`` reads; ``value(sym)``
    its values at the random points; ``compute(tree, row, col)`` a formula's values there;
    ``right(name, tree, row, col)`` whether the formula computes ``name``."""

    def __init__(self, problem: Problem, sheets: dict[str, Sheet]):
        self.problem, self.table, self.sheets = problem, problem.table, sheets
        self.column_names = {col: name for name, col in self.table.columns.items()}
        self.given_cells = {cell: name for name, cell in problem.cells.items()}
        self.sheet_name = {v: k for k, v in problem.bias_layout.items()}  # the sheet's b2 -> contract b3
        self.givens = set(given_names(problem.network))
        self._values: dict[tuple[str, int | None], np.ndarray] = {}  # a repair search asks for each many times
        self._symbols: dict[tuple[str | None, int, int, int], Symbol | Inline] = {}

    @property
    def typed_eta(self) -> bool:
        """η typed into the update formulas, in no cell: the number is η, so every random network uses it."""
        return ETA not in self.problem.cells and not self.problem.eta_column

    @cached_property
    def context(self) -> tuple:
        """All but the formula itself that a formula's meaning depends on: the tables of one file
        with equal contexts (one per η, on sheets laid out alike) mean the same by equal formulas."""
        problem, table = self.problem, self.table
        return (problem.network, table.first_row, table.last_row, tuple(table.columns.items()),
                tuple(problem.cells.items()), tuple(problem.bias_layout.items()), problem.eta_column,
                problem.eta if self.typed_eta else None)

    def reads(self, tree: Node, row: int, depth: int = 0) -> tuple:
        """What the formula reads, through every cell it reads through, as :meth:`compute` reads it:
        formulas with equal contexts and equal reads compute equal values."""
        out: list = []
        for leaf in leaves(tree, ("ref", "range")):
            start, end = leaf.args if leaf.op == "range" else (leaf.args[0], leaf.args[0])
            for r in range(min(start.row, end.row), max(start.row, end.row) + 1):
                for c in range(min(start.col, end.col), max(start.col, end.col) + 1):
                    sym = self.symbol(Ref(start.sheet, c, r, False, False, (-1, -1)), row)
                    if isinstance(sym, Inline):
                        inner = self.reads(sym.tree, sym.row, depth + 1) if depth < MAX_DEPTH else ()
                        sym = ("inline", sym.row, sym.col, self.table.sheet.formula(sym.row, sym.col), inner)
                    out.append(sym)
        out += [("num", node.args[0]) for node in leaves(tree, ("num",))]
        return tuple(out)

    @cached_property
    def runs(self) -> list[tuple[Any, dict[str, float]]]:
        """Random networks of the table's shape, each trained STEPS steps: (table, given values)."""
        net, rng = self.problem.network, np.random.default_rng(SEED)
        typed_eta = self.typed_eta
        out = []
        for _ in range(POINTS):
            biases = []
            if net.bias_mode != "none":
                shared = {}
                for b in sorted(self.problem.bias_layout, key=lambda b: int(b[1:])):
                    key = self.problem.bias_layout[b]
                    shared.setdefault(key, float(rng.uniform(-0.5, 0.5)))
                    biases.append(shared[key])
            data = {"layers": list(net.layers), "activation": list(net.activations),
                    "weights": rng.uniform(-1, 1, net.n_weights).tolist(), "eta": self.problem.eta if typed_eta else float(rng.uniform(0.3, 2)),
                    "iterations": STEPS,
                    "inputs": rng.uniform(-1, 1, (net.n_samples, net.layers[0])).tolist(),
                    "targets": rng.uniform(0.05, 0.95, (net.n_samples, net.layers[-1])).tolist()}
            if biases:
                data["biases"], data["train_biases"] = biases, net.bias_mode == "trained"
            spec = from_mapping(data)
            values = {ETA: spec.eta}
            for s, (xs, ts) in enumerate(zip(spec.inputs, spec.targets), 1):
                values.update({f"{net.prefix(s)}i{k}": x for k, x in enumerate(xs, 1)})
                values.update({f"{net.prefix(s)}t{k}": t for k, t in enumerate(ts, 1)})
            if net.bias_mode == "frozen":
                values.update({f"b{n}": b for n, b in enumerate(spec.biases, 1)})
            out.append((train(spec, IEEE), values))
        return out

    def value(self, sym: Symbol) -> np.ndarray:
        """The symbol's values at the random points (read-only: shared by every formula that reads it)."""
        if not sym.name:
            return np.full(POINTS, sym.value)
        key = (sym.name, sym.offset)
        known = self._values.get(key)
        if known is not None:
            return known
        out = np.empty(POINTS)
        for p, (run, given) in enumerate(self.runs):
            if sym.name in given:
                out[p] = given[sym.name]
            elif sym.name in run:
                index = min(max(CENTRE + (sym.offset or 0), 0), STEPS - 1)
                out[p] = run[sym.name][index]
            else:
                raise FormulaError(f"{sym.name} is not a quantity of this network")
        out.setflags(write=False)
        self._values[key] = out
        return out

    def expected(self, name: str) -> np.ndarray:
        return self.value(Symbol(name, 0))

    def symbol(self, ref: Ref, row: int) -> Symbol | Inline:
        """What ``ref``, in a formula of row ``row``, reads."""
        key = (ref.sheet, ref.row, ref.col, row)
        known = self._symbols.get(key)
        if known is None:
            known = self._symbols[key] = self._symbol(ref, row)
        return known

    def _symbol(self, ref: Ref, row: int) -> Symbol | Inline:
        table = self.table
        if ref.sheet is not None and ref.sheet != table.sheet.name:
            return _constant(self.sheets.get(ref.sheet), ref.row, ref.col)
        cell = (ref.row, ref.col)
        if cell in self.given_cells:
            return Symbol(self.given_cells[cell])
        name = self.column_names.get(ref.col)
        if table.first_row <= ref.row <= table.last_row:
            if name is not None:
                name = self.sheet_name.get(name, name) if re.fullmatch(r"b\d+", name) else name
                if name in self.givens:
                    return Symbol(name)
                return Symbol(name, ref.row - row)
            formula = table.sheet.formula(*cell)
            if formula is not None and min(table.columns.values()) <= ref.col <= max(table.columns.values()):
                return Inline(table.sheet.parse(formula), ref.row, ref.col)
        return _constant(table.sheet, *cell)

    def compute(self, tree: Node, row: int, col: int, override: dict[tuple[int, int, int], Symbol] | None = None,
                depth: int = 0) -> np.ndarray:
        """The formula's values at the random points; ``override[(row, col, position)]`` swaps
        the symbol read at a position of the text of cell (row, col), this formula's or that of
        a cell it reads through, for another."""
        if depth > MAX_DEPTH:
            raise FormulaError("the formula reads through too many intermediate cells")
        override = override or {}

        def value(ref: Ref):
            if (row, col, ref.span[0]) in override:
                return self.value(override[(row, col, ref.span[0])])
            sym = self.symbol(ref, row)
            if isinstance(sym, Inline):
                return self.compute(sym.tree, sym.row, sym.col, override, depth + 1)
            return self.value(sym)

        def cells(start: Ref, end: Ref):
            return [value(Ref(start.sheet, c, r, False, False, (-1, -1)))
                    for r in range(min(start.row, end.row), max(start.row, end.row) + 1)
                    for c in range(min(start.col, end.col), max(start.col, end.col) + 1)]

        def number(node: Node):
            key = (row, col, node.pos)
            return self.value(override[key]) if key in override else node.args[0]

        with np.errstate(all="ignore"):
            return np.asarray(evaluate(tree, value, cells, number), dtype=float) * np.ones(POINTS)

    def right(self, name: str, tree: Node, row: int, col: int,
              override: dict[tuple[int, int, int], Symbol] | None = None) -> bool:
        """Whether the formula computes ``name`` at every random point."""
        try:
            got = self.compute(tree, row, col, override)
        except (FormulaError, TypeError, ValueError, ZeroDivisionError):
            return False
        return close(got, self.expected(name))

    def cell_of(self, sym: Symbol, row: int) -> str:
        """Where a symbol lives, in the file's letters: ``L33``, ``$H$30``, ``column A``."""
        if sym.name in self.problem.cells:
            r, c = self.problem.cells[sym.name]
            return f"${get_column_letter(c)}${r}"
        name = self.problem.bias_layout.get(sym.name, sym.name)
        if name in self.table.columns:
            return f"{get_column_letter(self.table.columns[name])}{row + (sym.offset or 0)}"
        return sym.name


def close(got: np.ndarray, exp: np.ndarray) -> bool:
    return bool(np.all(np.abs(got - exp) <= RTOL * np.abs(exp) + ATOL))


def _constant(sheet: Sheet | None, row: int, col: int) -> Symbol:
    """A cell of no known meaning: its number, 0 when empty (as a spreadsheet reads it), NaN for text."""
    if sheet is None:
        return Symbol("", value=float("nan"))
    v = sheet.value(row, col)
    if v is None:
        return Symbol("", value=0.0)
    number = sheet.number(row, col)
    return Symbol("", value=float("nan") if number is None else number)
