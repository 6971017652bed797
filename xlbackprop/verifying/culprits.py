"""verify leads with the culprit: the root causes among the wrong cells of an xlbackprop workbook.

One ∂E/∂w1 cell overwritten with a constant makes thousands of later cells disagree with the
reference. verify hands the recalculated file to check's root-cause finder
(:func:`xlbackprop.check.judge.judge`: each column against its own row's inputs), and says of
each root cause what the cell holds and the formula xlbackprop writes there::

    CULPRIT Y19 (∂E/∂w1, iteration 6): holds 0.0001, a constant where a formula belongs;
        xlbackprop writes =W19*$B$4
    ROOT CAUSE AA14 (∂E/∂w3, iteration 1): =W14*$B$4 where xlbackprop writes =X14*$B$4:
        uses δ_h1 (W14) where δ_h2 belongs (X14)

The earliest in dependency order (iteration, then the layout's column order) comes first.
check knows SGD's update and the squared error only, so a workbook with another optimizer (Adam's
``m_w3`` ..) or with cross-entropy (a softmax's ``e_o1`` ..) is held to xlbackprop's own formulas instead, each cell on its own inputs (:mod:`.rowlocal`)::

    CULPRIT D20 (m_w3, iteration 5): holds 0.5, a constant where a formula belongs;
        xlbackprop writes =beta1*D19+(1-beta1)*AQ20
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.utils.cell import quote_sheetname

from ..check import tables
from ..check.judge import judge
from ..sheets.expressions import Templates
from ..sheets.layout import SHEET, Layout
from ..xlsx import grid
from . import rowlocal


@dataclass(frozen=True)
class Culprit:
    """One root cause: the cell, its quantity and iteration, what it holds and what belongs there."""

    cell: str  # "Y25", or "'eta 2'!Y25" on a rate sheet
    quantity: str
    iteration: int
    kind: str
    got: float | None
    expected: float | None
    formula: str | None  # what the cell holds (None: a constant)
    ours: str  # the formula xlbackprop writes there
    cause: str

    def line(self, first: bool) -> str:
        head = f"{'CULPRIT' if first else 'ROOT CAUSE'} {self.cell} ({self.quantity}, iteration {self.iteration})"
        if self.formula is None:
            return (f"{head}: holds {self.got!r}, a constant where a formula belongs; "
                    f"xlbackprop writes {self.ours}")
        why = self.cause.split("): ", 1)[-1]
        return f"{head}: {self.formula} where xlbackprop writes {self.ours}: {why}"


def find(book: grid.Book, layouts: dict[str, Layout]) -> list[Culprit]:
    """The root causes on every training sheet of a recalculated xlbackprop workbook, earliest
    first; ``layouts``: each training sheet's (Training, the rate sheets, a comparison's optimizer
    sheets, each trained by its own optimizer)."""
    found = []
    sgd = {sheet: layout for sheet, layout in layouts.items()  # what check's judge knows
           if layout.network.optimizer == "sgd" and layout.network.loss == "squared"}
    if sgd:
        found += _by_check(book, sgd)
    others = {sheet: layout for sheet, layout in layouts.items() if sheet not in sgd}
    if others:
        found += _by_own_formulas(book, others)
    order: dict[str, int] = {}  # the columns' order, Training's where a quantity is on it
    for layout in layouts.values():
        for c in layout.columns:
            order.setdefault(c.name, c.index)
    return sorted(found, key=lambda c: (c.iteration, order.get(c.quantity, 0), c.cell))


def _by_check(book: grid.Book, layouts: dict[str, Layout]) -> list[Culprit]:
    """The root causes of the training sheets trained by SGD, by check's judge (which knows its math)."""
    found = []
    for table in tables.find_all(book):
        layout = layouts.get(table.sheet.name)
        if layout is None or table.header_row != layout.header_row or table.network != layout.network:
            continue
        templates = Templates(layout, layout.eta_reference(table.sheet.name))
        for f in judge(book, table).errors:
            if f.quantity not in templates.rest:
                continue
            iteration = f.row - layout.first_row + 1
            ours = (templates.first if iteration == 1 else templates.rest)[f.quantity].format(r=f.row, p=f.row - 1)
            cell = f"{f.column}{f.row}"
            found.append(Culprit(cell if table.sheet.name == SHEET else f"{quote_sheetname(table.sheet.name)}!{cell}",
                                 f.quantity, iteration, f.kind, f.got, f.expected, f.formula, ours, f.cause))
    return found


def _by_own_formulas(book: grid.Book, layouts: dict[str, Layout]) -> list[Culprit]:
    """The root causes of the training sheets of another optimizer, by :mod:`.rowlocal`."""
    found = []
    for sheet in book.sheets:
        layout = layouts.get(sheet.name)
        if layout is None:
            continue
        templates = Templates(layout, layout.eta_reference(sheet.name))
        for w in rowlocal.first_wrong(sheet, layout, templates):
            cell = f"{layout.column[w.name].letter}{w.row}"
            kind = "values-only" if w.formula is None else "formula"
            found.append(Culprit(cell if sheet.name == SHEET else f"{quote_sheetname(sheet.name)}!{cell}", w.name,
                                 w.iteration, kind, w.got, w.expected, w.formula, w.ours,
                                 f"{cell}): its own inputs give {w.expected!r}, it holds {w.got!r}"))
    return found
