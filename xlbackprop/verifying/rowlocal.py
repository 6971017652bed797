"""The root causes of an xlbackprop workbook, found by xlbackprop's own formulas, row by row.

Each cell of a training table is computed again from the values the engine left in the cells
its formula reads, with the formula xlbackprop writes there. A cell whose own formula (or a
constant typed over it) is wrong disagrees there; the cells downstream of it, which compute
what their formula says from its wrong value, agree. Adam on the seed, ``m_w3`` of iteration 5
overwritten with 0.5::

    m_w3 (D20):  =beta1*D19+(1-beta1)*AQ20 gives 1.9e-05 from D19 and AQ20; the cell holds 0.5   <- the root cause
    w3 (H21):    =G20-eta*(D20/(1-beta1^A20))/...  gives what H21 holds, from D20's wrong 0.5    (dragged)

This is how verify finds the culprits of a workbook whose optimizer check does not know
(:func:`xlbackprop.verifying.culprits.find`); it needs no model of the math, only the formulas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..sheets.expressions import Templates
from ..sheets.layout import Layout
from ..xlsx import grid
from ..xlsx.formula import FormulaError, Ref, evaluate

RTOL = 1e-9  # the engine's arithmetic against numpy's, on the same inputs: the last digits, or a cancellation
ATOL = 1e-12  # a share of the column's largest value: what an engine that rounds cancelling sums to 0 leaves


@dataclass(frozen=True)
class Wrong:
    """The first cell of a column that disagrees with its own formula on its own inputs."""

    name: str
    row: int
    iteration: int
    got: float | None
    expected: float
    formula: str | None  # what the cell holds; None: a constant
    ours: str


def first_wrong(sheet: grid.Sheet, layout: Layout, templates: Templates) -> list[Wrong]:
    """For each column of ``sheet``'s training table whose cells do not all compute what their own
    formula gives, its first such cell (table order: iteration, then column)."""
    found = []
    n = layout.iterations
    for column in layout.columns[1:]:
        got = np.array([_number(sheet, layout.row(k), column.index) for k in range(1, n + 1)])
        expected = np.full(n, np.nan)
        for iterations, template in ((range(1, 2), templates.first), (range(2, n + 1), templates.rest)):
            if len(iterations):
                expected[iterations.start - 1:iterations.stop - 1] = _computed(
                    sheet, layout, template[column.name], column.index, iterations)
        scale = float(np.nanmax(np.abs(got), initial=0.0))
        with np.errstate(invalid="ignore"):
            same = (np.abs(got - expected) <= RTOL * np.abs(expected) + ATOL * scale) | \
                (np.isnan(got) & np.isnan(expected))
            own_formula = np.array([sheet.formula(layout.row(k), column.index) is not None for k in range(1, n + 1)])
        bad = np.flatnonzero(~same | ~own_formula)
        if not len(bad):
            continue
        k = int(bad[0]) + 1
        row = layout.row(k)
        ours = (templates.first if k == 1 else templates.rest)[column.name].format(r=row, p=row - 1)
        formula = sheet.formula(row, column.index)
        found.append(Wrong(column.name, row, k, None if np.isnan(got[k - 1]) else float(got[k - 1]),
                           float(expected[k - 1]), None if formula is None else "=" + formula.lstrip("="), ours))
    return sorted(found, key=lambda w: (w.iteration, layout.column[w.name].index))


def _number(sheet: grid.Sheet, row: int, col: int) -> float:
    v = sheet.number(row, col)
    return np.nan if v is None else v


def _computed(sheet: grid.Sheet, layout: Layout, template: str, col: int, iterations: range) -> np.ndarray:
    """``template`` evaluated at every row of ``iterations`` at once, on the values its references
    hold there (relative references move with the row; absolute ones and defined names stay)."""
    anchor = layout.row(iterations.start)
    rows = np.array([layout.row(k) for k in iterations])
    try:
        tree = sheet.parse(template.format(r=anchor, p=anchor - 1))
    except FormulaError:
        return np.full(len(rows), np.nan)

    def value(ref: Ref):
        if ref.sheet is not None:
            return np.nan
        if ref.row_abs:
            return _number(sheet, ref.row, ref.col)
        return np.array([_number(sheet, r + ref.row - anchor, ref.col) for r in rows])

    try:
        with np.errstate(all="ignore"):
            out = evaluate(tree, value)
    except FormulaError:
        return np.full(len(rows), np.nan)
    return np.broadcast_to(np.asarray(out, dtype=float), rows.shape)
