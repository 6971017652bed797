"""How each sheet prints: at a fixed, legible scale on as many pages as it needs, never fitted
to one page (where the wide sheets' 10-point text printed at 3 to 4 points).

    table(ws, layout)          a training sheet: 70 %, its header row and iteration column on every page
    derivation(ws, widths)     the steps on one page across, as large as they fit
    network(ws, columns)       one page across where it fits at 70 % or more (matrices likewise)
    sweep(ws, plan)            the table on one page, the chart on the next

Each sets openpyxl's page setup of a write-only sheet before its rows are written.
"""

from __future__ import annotations

from itertools import groupby

from openpyxl.utils.cell import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break

from ..sheets.chart import SWEEP_CHART_SIZE
from ..sheets.layout import CHART_COLUMNS, Layout
from ..sheets.sweep import SweepPlan

# Printing. Fitted to one page wide, the wide sheets printed their 10-point text at 3 to 4 points;
# they print at a fixed scale instead, on as many pages across and down as they need. Widths
# are planned on landscape Letter (narrower than A4) for the widest reader: LibreOffice where
# Calibri's metric twin Carlito is not installed prints 7 points per unit of column width (Excel
# and Carlito about 5.6), 1 % more for safety.
PRINT_MARGINS = {"left": 0.25, "right": 0.25, "top": 0.5, "bottom": 0.6, "header": 0.3, "footer": 0.3}  # inches
PAGE_ACROSS_PT = (11 - PRINT_MARGINS["left"] - PRINT_MARGINS["right"]) * 72
UNIT_PT = 7.0 * 1.01
DEFAULT_WIDTH = 8.43  # units of a column without a width of its own
TABLE_SCALE = 70  # percent: a training table's 10-point text prints at 7 points
# the parts of a training table that a page across keeps together where it can
PARTS = {"weight": "parameters", "bias": "parameters", "state": "parameters", "forward": "forward",
         "loss": "forward", "delta": "backward", "gradient": "backward"}


def _print_at_scale(ws, scale: int) -> None:
    """Print landscape at ``scale`` percent, never fitted to the page, each page's footer naming
    the sheet and its page (numbered from 1 on each sheet)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.scale = scale
    ws.page_setup.firstPageNumber, ws.page_setup.useFirstPageNumber = 1, True
    ws.sheet_properties.pageSetUpPr = None  # no fitToPage: the scale holds
    ws.page_margins = PageMargins(**PRINT_MARGINS)
    ws.oddFooter.center.text = "&A, page &P"


def _fitting_scale(units: float, most: int) -> int:
    """The largest scale (percent, at most ``most``) at which ``units`` of column width print across a page."""
    return min(most, int(PAGE_ACROSS_PT * 100 / (units * UNIT_PT)))


def _width(ws, column: int) -> float:
    """Units of width of ``column`` (1-based), without giving a column a width of its own."""
    dimension = ws.column_dimensions.get(get_column_letter(column))
    return dimension.width if dimension is not None and dimension.customWidth else DEFAULT_WIDTH


def _break_after(ws, columns: list[int]) -> None:
    """Manual page breaks right of each of ``columns`` (1-based): the next page across starts there."""
    for column in columns:
        ws.col_breaks.append(Break(id=column, max=1_048_575))


def table(ws, layout: Layout) -> None:
    """A training sheet prints as a table, at :data:`TABLE_SCALE`: its header row atop every page
    and its iteration column left of every page across; the pages of one band of iterations
    follow each other (across, then down: a partial print has every quantity of its first
    iterations), each page across one or more whole parts of the table where they fit."""
    _print_at_scale(ws, TABLE_SCALE)
    ws.page_setup.pageOrder = "overThenDown"
    ws.print_title_rows = f"{layout.header_row}:{layout.header_row}"
    ws.print_title_cols = "A:A"
    widths = {c.index: _width(ws, c.index) for c in layout.columns}
    _break_after(ws, [start - 1 for start in _pages_across(layout, widths)])


def _pages_across(layout: Layout, widths: dict[int, float]) -> list[int]:
    """First column of each page across but the first. A part of the table (parameters, forward
    pass, backward pass) starts a page when it does not fit beside the parts before it; one wider
    than a page is cut into as few pages as it needs, as even as they come; no page starts
    inside the loss chart."""
    room = PAGE_ACROSS_PT * 100 / TABLE_SCALE / UNIT_PT - widths[1]  # units beside the repeated column A
    chart = layout.chart_box[0]
    items: list[list] = []  # [first column, units, part]: a column, or the columns under the chart
    for column in layout.columns[1:]:
        if chart < column.index < chart + CHART_COLUMNS and items:
            items[-1][1] += widths[column.index]
        else:
            items.append([column.index, widths[column.index], PARTS[column.kind]])
    starts: list[int] = []
    used = 0.0
    for _, group in groupby(items, key=lambda item: item[2]):
        part = list(group)
        size = sum(item[1] for item in part)
        if used and used + size > room:
            starts.append(part[0][0])
            used = 0.0
        if used + size <= room:
            used += size
            continue
        cuts = _even_cuts([item[1] for item in part], room)
        starts += [part[k][0] for k in cuts]
        used = sum(item[1] for item in part[cuts[-1]:])
    return starts


def _even_cuts(widths: list[float], room: float) -> list[int]:
    """Where to cut a row of ``widths`` into pages of at most ``room``: as few pages as filling
    each in turn needs, their widths as even as they come (indexes of each page's first item)."""
    def cuts(most: float) -> list[int]:
        found, used = [], 0.0
        for k, width in enumerate(widths):
            if used and used + width > most:
                found.append(k)
                used = 0.0
            used += width
        return found

    fewest = len(cuts(room))
    most = sum(widths) / (fewest + 1)
    while len(cuts(most)) > fewest:
        most = min(most + 1, room)
    return cuts(most)


def derivation(ws, widths: tuple[float, ...]) -> None:
    """The derivation prints its steps' columns (A to G, wrapped text and all) on one page across,
    as large as they fit; the block of perturbed forward passes below goes on across, each page
    with column A, which names the runs."""
    _print_at_scale(ws, _fitting_scale(sum(widths), most=80))
    ws.print_title_cols = "A:A"
    _break_after(ws, [len(widths)])


def network(ws, columns: int) -> None:
    """The network prints on one page across where it fits at :data:`TABLE_SCALE` or more (the
    seed's at 76 %), a larger one on as many pages across as it needs at that scale."""
    units = sum(_width(ws, c) for c in range(1, columns + 1))
    _print_at_scale(ws, max(TABLE_SCALE, _fitting_scale(units, most=100)))


def matrices(ws, columns: int) -> None:
    """The matrices print as the network does: on one page across where they fit at
    :data:`TABLE_SCALE` or more, else on as many pages across as they need at that scale."""
    network(ws, columns)


def sweep(ws, plan: SweepPlan) -> None:
    """The sweep prints its table on one page and its chart on the next, each as large as fits."""
    table = sum(_width(ws, c) for c in range(1, plan.chart_anchor_column + 1))
    chart = SWEEP_CHART_SIZE[0] * DEFAULT_WIDTH
    _print_at_scale(ws, _fitting_scale(max(table, chart), most=100))
    _break_after(ws, [plan.chart_anchor_column])
