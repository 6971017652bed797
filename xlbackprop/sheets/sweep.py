"""The learning-rate sweep: the class assignment, answered live in one workbook.

The course asks: "show what happens to the error graph when you change the learning rate from
0.1, 0.2, 0.5, 0.8, 1.0, 2.0". Besides ``Training``, the workbook holds one training sheet per
rate, named ``eta 0.1``, ``eta 0.2`` ..., each following the contract of ``Training`` except
that its updates read the sheet's own learning-rate cell B2 by absolute reference
(``=F14-$B$2*AC14``; no sheet-scoped name, which Google Sheets does not have): typing a new rate
there retrains that sheet alone. The ``Sweep`` sheet overlays their E_total curves and
tabulates E_total at iterations 1, 2, 10, 50, 100 and the last. For the seed (E_total in
column T, iteration 1 on row 14) and the default rates::

    A4 iteration  B4 ="eta "&'eta 0.1'!$B$2   C4 ="eta "&'eta 0.2'!$B$2   ...
    A5 1          B5 ='eta 0.1'!$T$14          C5 ='eta 0.2'!$T$14          ...
    A9 100        B9 ='eta 0.1'!$T$113         ...

A comparison of optimizers (``--compare sgd,momentum,adam``, or the network file's ``compare``
key) takes the place of the rates: one training sheet per optimizer, named by it (``sgd``,
``momentum``, ``adam``), all at the network's eta, each reading its own eta and constants
(``$B$2``, ``$B$6`` ...) by absolute reference; each sheet's state columns shift its E_total,
so the table reads each sheet at its own column::

    A4 iteration  B4 sgd              C4 momentum              D4 adam
    A5 1          B5 ='sgd'!$T$14     C5 ='momentum'!$AB$16    D5 ='adam'!$AJ$16

Everything here is pure planning; :mod:`xlbackprop.writing.writer` places it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from openpyxl.utils.cell import absolute_coordinate, get_column_letter, quote_sheetname

from ..core.errors import SpecError
from ..core.network import E_TOTAL
from ..core.optimizers import NAMES as OPTIMIZERS
from ..core.optimizers import compared
from ..core.reference import train
from ..core.spec import Spec
from .cells import PlannedCell
from .layout import Layout

DEFAULT_RATES = (0.1, 0.2, 0.5, 0.8, 1.0, 2.0)
SHEET = "Sweep"
SUMMARY_ITERATIONS = (1, 2, 10, 50, 100)
MAX_RATES = 12
LOG_FLOOR = 1e-16  # the overlay's lowest tick when E_total reaches 0 and the run is too long to look at first
FLOOR_BUDGET = 20_000  # iterations x rates the reference may run at build time to choose the axis
TITLE_ROW, HINT_ROW, HEADER_ROW = 1, 2, 4


def sheet_name(eta: float) -> str:
    """The training sheet of one rate: ``sheet_name(0.1) == "eta 0.1"``."""
    return f"eta {eta:g}"


def parse_rates(text: str) -> tuple[float, ...]:
    """``--sweep``: ``"0.1,1,10"`` -> ``(0.1, 1.0, 10.0)``; ``"none"`` -> ``()``."""
    text = text.strip()
    if text.lower() == "none":
        return ()
    rates = []
    for item in text.split(","):
        try:
            rate = float(item)
        except ValueError:
            raise SpecError("sweep", f"must be rates separated by commas, such as 0.1,1,10, or none; "
                                       f"got {item.strip()!r}") from None
        if not math.isfinite(rate):
            raise SpecError("sweep", f"rates must be finite numbers, got {item.strip()!r}")
        rates.append(rate)
    return valid_rates(rates)


def valid_rates(rates) -> tuple[float, ...]:
    """Validate a list of rates: at most :data:`MAX_RATES`, each with its own sheet name."""
    rates = tuple(float(r) for r in rates)
    for rate in rates:
        if rate <= 0:
            raise SpecError("sweep", f"rates must be above 0, got {rate:g}: 0 never moves the weights and a "
                                       f"negative rate climbs the loss (a decimal comma? write 0.5, not 0,5)")
    if len(rates) > MAX_RATES:
        raise SpecError("sweep", f"at most {MAX_RATES} rates fit one chart, got {len(rates)}")
    names = [sheet_name(r) for r in rates]
    for k, name in enumerate(names):
        if name in names[:k]:
            raise SpecError("sweep", f"rate {rates[k]!r} is listed twice (sheet {name!r})")
    return rates


def parse_compare(text: str) -> tuple[str, ...]:
    """``--compare``: ``"sgd,momentum,adam"`` -> ``("sgd", "momentum", "adam")``; ``"none"`` -> ``()``."""
    text = text.strip()
    if text.lower() == "none":
        return ()
    return compared([item.strip() for item in text.split(",")] if text else [])


def compare_sheet_name(optimizer: str) -> str:
    """The training sheet of one optimizer of a comparison: its name, ``adam``."""
    return optimizer


def is_compare_sheet(name: str) -> bool:
    return name in OPTIMIZERS


def summary_iterations(iterations: int) -> list[int]:
    """Rows of the sweep table: ``[1, 2, 10, 50, 100]`` and the last, as far as the run goes."""
    return sorted({k for k in SUMMARY_ITERATIONS if k <= iterations} | {iterations})


def axis(specs: list[Spec],
         losses: Callable[[Spec], np.ndarray] = lambda spec: train(spec)[E_TOTAL]) -> tuple[float | None, bool]:
    """The overlay's y axis: the lowest tick of its log axis (None: the spreadsheet chooses), and
    whether some E_total reaches 0 in the reference run (then the axis is linear: a log axis cannot
    show 0, and LibreOffice draws nothing at all when one value is 0, as when a fast rate converges
    until ``a_o1 - t1`` rounds to 0). Where some E_total is 0 the floor is the power of ten below the
    smallest positive one, never under :data:`LOG_FLOOR`; a run too long to look at first gets
    :data:`LOG_FLOOR`. ``losses`` gives a spec's E_total at every iteration (the writer passes the
    runs it keeps for the sheets' stored values, so each rate is trained once). ``specs``: the
    spec of each curve's sheet (one per rate, or one per optimizer)."""
    if sum(spec.iterations for spec in specs) > FLOOR_BUDGET:
        return LOG_FLOOR, False
    every = np.concatenate([losses(spec) for spec in specs])
    if np.all(every[np.isfinite(every)] > 0):
        return None, False
    positive = every[np.isfinite(every) & (every > 0)]
    smallest = float(positive.min()) if positive.size else LOG_FLOOR
    return max(LOG_FLOOR, 10.0 ** math.floor(math.log10(smallest))), bool(np.any(every == 0))


@dataclass(frozen=True)
class SweepPlan:
    """The ``Sweep`` sheet of a workbook whose rate sheets are ``sheets`` (each laid out as
    ``layout``), or, with ``layouts``, whose optimizer sheets are (each laid out as its own)."""

    sheets: tuple[str, ...]
    layout: Layout
    log_floor: float | None = None  # see :func:`axis`
    reaches_zero: bool = False  # some rate's E_total reaches 0: the overlay's axis is linear (:func:`axis`)
    layouts: tuple[Layout, ...] = ()  # a comparison of optimizers: each sheet's layout (its state columns)

    @property
    def compares(self) -> bool:
        """Whether the curves are optimizers (one sheet each, named by it) rather than rates."""
        return bool(self.layouts)

    def sheet_layout(self, k: int) -> Layout:
        """The layout of the k-th curve's sheet (0-based)."""
        return self.layouts[k] if self.layouts else self.layout

    @property
    def iterations(self) -> list[int]:
        return summary_iterations(self.layout.iterations)

    @property
    def rows(self) -> dict[int, list[PlannedCell]]:
        """The sheet's cells by row: title, hint, the table's header and its rows (the chart is apart)."""
        rows: dict[int, list[PlannedCell]] = {}
        if self.compares:  # short lines: the table of a few optimizers prints narrow
            rows[TITLE_ROW] = [PlannedCell("Optimizers compared: E_total of each", "title", True)]
            rows[HINT_ROW] = [PlannedCell(f"One sheet per optimizer ({', '.join(self.sheets)}), all at one eta.",
                                          "hint", True)]
            rows[HINT_ROW + 1] = [PlannedCell(f"Type a new eta into {self.layout.eta_cell} of a sheet, or a "
                                              f"constant, and only its curve moves.", "hint", True)]
            headers = [PlannedCell(name, "header", True) for name in self.sheets]
        else:
            rows[TITLE_ROW] = [PlannedCell("Learning-rate sweep: E_total for each eta", "title", True)]
            rows[HINT_ROW] = [PlannedCell(f"Each curve is one sheet (eta 0.1, eta 0.2, ...). Type a new rate into "
                                          f"{self.layout.eta_cell} of that sheet, which its updates read, and only "
                                          f"its curve moves.", "hint", True)]
            headers = [PlannedCell(self.header_formula(name), "header") for name in self.sheets]
        rows[HEADER_ROW] = [PlannedCell("iteration", "header", True)] + headers
        for iteration in self.iterations:
            rows[self.table_row(iteration)] = [PlannedCell(iteration, "iteration")] + [
                PlannedCell(self.value_formula(name, iteration), "loss") for name in self.sheets]
        return rows

    def table_row(self, iteration: int) -> int:
        return HEADER_ROW + 1 + self.iterations.index(iteration)

    def column(self, k: int) -> int:
        """Column of the k-th rate sheet (0-based k): B, C, ..."""
        return 2 + k

    def header_formula(self, sheet: str) -> str:
        """The live legend label: ``="eta "&'eta 0.1'!$B$3``, so an edited rate renames its curve."""
        return f'="eta "&{quote_sheetname(sheet)}!{absolute_coordinate(self.layout.eta_cell)}'

    def value_formula(self, sheet: str, iteration: int) -> str:
        """E_total of ``sheet`` at ``iteration``: ``='eta 0.1'!$T$20`` for iteration 1 of the seed."""
        layout = self.sheet_layout(self.sheets.index(sheet))
        return f"={quote_sheetname(sheet)}!{absolute_coordinate(layout.cell(E_TOTAL, iteration))}"

    @property
    def chart_anchor_column(self) -> int:
        """0-based first column of the overlay chart, right of the table."""
        return self.column(len(self.sheets)) + 1

    def cell(self, k: int, iteration: int) -> str:
        """The table cell of rate sheet k at ``iteration``: ``"B5"`` for the first rate at iteration 1."""
        return f"{get_column_letter(self.column(k))}{self.table_row(iteration)}"
