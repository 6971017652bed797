"""Write the planned workbook with openpyxl: the one module that places cells.

The layout (:mod:`xlbackprop.sheets.layout`) says where each quantity lives and the expressions
(:mod:`xlbackprop.sheets.expressions`) what each formula says; this module streams them into a
write-only workbook, row by row, so memory stays flat however many iterations there are.
The sheets, in order: ``Training``, ``Sweep`` (with a learning-rate sweep, :mod:`xlbackprop.sheets.sweep`),
``Derivation``, ``Network``, then one training sheet per rate of the sweep (``eta 0.1``, ...).
Every formula's computed value is stored beside it as the sheet parts are zipped
(:mod:`xlbackprop.writing.stored`), and drawing and chart parts get Excel's namespace prefixes.
The file is written beside its target under a temporary name and renamed at the end, and
its bytes depend only on the spec (fixed timestamps inside and outside the zip).
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path
from dataclasses import replace
from itertools import groupby
from typing import Callable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.cell import absolute_coordinate, get_column_letter, quote_sheetname
from openpyxl.packaging.custom import StringProperty
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.writer.excel import ExcelWriter

from ..core.errors import XlbackpropError
from ..sheets.layout import CHART_COLUMNS, ETA_LABEL, ETA_ROW, ROW_PT, SHEET, TITLE_ROW, Layout
from ..core.network import bias_name, weight_name
from ..sheets.chart import SWEEP_CHART_SIZE, loss_chart, sweep_chart, title_formula
from ..core.spec import Spec
from ..sheets.styles import KINDS, named_styles
from ..sheets import derivation, diagram, limits
from ..core import outputs
from . import stored
from .package import Package
from ..sheets import sweep as sweep_plan

FIXED_TIME = dt.datetime(2024, 2, 9, 0, 0, 0)  # the seed lecture's date; keeps builds byte-identical


def build(spec: Spec, path: str | Path, progress: Callable[[int], None] | None = None,
          sweep: Sequence[float] = sweep_plan.DEFAULT_RATES, force: bool = False) -> Path:
    """Write the workbook of ``spec`` to ``path``, with one training sheet per rate of ``sweep``
    (``()`` for none); ``progress(k)`` is told of the k training rows written so far, over all sheets.
    An existing ``path`` is replaced only when it is xlbackprop's own unchanged output, or with
    ``force`` (:func:`xlbackprop.core.outputs.workbook_target`)."""
    if not isinstance(spec, Spec):
        raise TypeError(f"writer.build takes a Spec, got {type(spec).__name__}; xlbackprop.build takes a preset "
                        f"name, a network file or a mapping as well")
    rates = sweep_plan.check_rates(sweep)
    limits.check(spec)  # every formula within Excel's limits, or one line saying which is not
    path = Path(path)
    if path.is_dir():
        raise XlbackpropError(f"-o: {path} is a folder; give a file name such as {path / 'backprop.xlsx'}")
    if path.suffix.lower() != ".xlsx":
        raise XlbackpropError(f"-o: {path} must end in .xlsx, as the workbook is an Excel file; "
                              f"try {path.with_suffix('.xlsx')}")
    outputs.workbook_target(path, force)  # no edit of the user's is lost
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise XlbackpropError(f"-o: cannot create folder {path.parent}: {exc.strerror}") from None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    wb = Workbook(write_only=True)
    try:
        values = _fill(wb, spec, rates, progress)
        with Package(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True, values=values) as archive:
            ExcelWriter(wb, archive).write_data()
            archive.write_later()
        outputs.workbook_target(path, force)  # again: the user may have saved it while this built
        os.replace(tmp, path)
    except BaseException as exc:
        _discard(wb)
        if isinstance(exc, OSError):
            raise XlbackpropError(f"-o: cannot write {path}: {exc.strerror or exc}") from None
        raise
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _discard(wb: Workbook) -> None:
    """After a failed or interrupted build, close openpyxl's half-written sheet stream and
    delete its spool file (openpyxl has no public call for abandoning a write-only sheet)."""
    for ws in wb.worksheets:
        writer = getattr(ws, "_writer", None)
        for stream in (getattr(ws, "_rows", None), getattr(writer, "xf", None)):
            try:
                if stream is not None:
                    stream.close()
            except Exception:
                pass
        try:
            if writer is not None and isinstance(writer.out, str) and os.path.exists(writer.out):
                writer.cleanup()
        except Exception:
            pass


def _fill(wb: Workbook, spec: Spec, rates: tuple[float, ...],
          progress: Callable[[int], None] | None) -> dict[str, Callable[[], stored.Values]]:
    """Plan and stream every sheet; return, per worksheet part, how to get its stored values."""
    layout = Layout(spec.network, spec.iterations)
    values: dict[str, Callable[[], stored.Values]] = {}
    wb.properties.creator = "xlbackprop"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    # the digest of every other part, filled in as the package closes (Package.write_later)
    wb.custom_doc_props.append(StringProperty(name=outputs.PROPERTY, value=outputs.PLACEHOLDER))
    styles = named_styles()
    for style in dict.fromkeys(styles.values()):
        wb.add_named_style(style)

    def rows_done(sheets_before: int):
        if progress is None:
            return None
        return lambda k: progress(sheets_before * layout.iterations + k)

    ws, ids = _training_sheet(wb, SHEET, spec, layout, styles)
    values[_part(wb, ws)] = lambda: stored.Training(spec, layout, ids, rows_done(0))
    wb.defined_names["eta"] = DefinedName("eta", attr_text=f"'{SHEET}'!{absolute_coordinate(layout.eta_cell)}")
    names = tuple(sweep_plan.sheet_name(r) for r in rates)
    e_totals: dict[float, dict[int, float]] = {}  # each rate sheet's E_total at the Sweep table's iterations
    if rates:
        floor, zero = sweep_plan.axis(spec, rates, losses=stored.e_total)
        plan = sweep_plan.SweepPlan(names, layout, floor, zero)
        ws = _sweep_sheet(wb, plan, styles, [stored.losses(replace(spec, eta=r)) for r in rates])
        values[_part(wb, ws)] = stored.Later(lambda: stored.sweep(plan, spec, rates, e_totals))
    ws = _derivation_sheet(wb, layout, styles)
    values[_part(wb, ws)] = lambda: stored.derivation_sheet(spec, layout)
    ws = _diagram_sheet(wb, layout, styles)
    values[_part(wb, ws)] = lambda: stored.diagram_sheet(spec, layout)
    for k, (name, rate) in enumerate(zip(names, rates), 1):
        title = f"{spec.title} (learning rate {rate:g})"
        rate_spec = replace(spec, eta=rate, title=title)
        ws, ids = _training_sheet(wb, name, rate_spec, layout, styles)
        ws.defined_names["eta"] = DefinedName(  # sheet scope: this sheet's formulas read this cell
            "eta", attr_text=f"{quote_sheetname(name)}!{absolute_coordinate(layout.eta_cell)}")
        values[_part(wb, ws)] = lambda rate_spec=rate_spec, ids=ids, k=k: stored.Training(rate_spec, layout, ids,
                                                                                          rows_done(k), e_totals)
    return values


def _part(wb: Workbook, ws) -> str:
    """The zip member a sheet will be written to: openpyxl numbers them in sheet order when it writes."""
    return f"xl/worksheets/sheet{wb.worksheets.index(ws) + 1}.xml"


def _training_sheet(wb: Workbook, name: str, spec: Spec, layout: Layout, styles) -> tuple:
    """One sheet of the training contract: parameter block, loss chart, header; the rows of the
    iterations are written as the part is zipped (:meth:`stored.Training.rows`), in the styles
    whose ids this returns, one per column."""
    ws = wb.create_sheet(name)
    ws.sheet_properties.tabColor = "C00000" if name == SHEET else "F4B183"
    ws.column_dimensions["A"].width = 19
    for column in layout.columns[1:]:
        ws.column_dimensions[column.letter].width = 10 if column.kind in ("weight", "bias", "forward") else 11
    ws.freeze_panes = f"B{layout.first_row}"
    _print_table(ws, layout)
    # rows of 10-point text (the styles' size); the block above the header low enough for a laptop
    ws.sheet_format.defaultRowHeight, ws.sheet_format.customHeight = ROW_PT, True
    for row, points in layout.row_heights.items():
        ws.row_dimensions[row].height = points
    ws.sheet_format.outlineLevelRow = 1
    for row in layout.folded_rows:  # under the + beside "initial value"
        ws.row_dimensions[row].outlineLevel, ws.row_dimensions[row].hidden = 1, True
    ws.row_dimensions[layout.initial_row].collapsed = True

    cell = _CellMaker(ws, styles)
    for row in _parameter_rows(spec, layout, cell):
        ws.append(row)
    ws.append([cell(c.name, "header", text=True) for c in layout.columns])
    ws.add_chart(loss_chart(ws, layout, spec.eta, stored.losses(spec)))
    return ws, [cell(None, c.kind).style_id for c in layout.columns]


def _derivation_sheet(wb: Workbook, layout: Layout, styles):
    """The ``Derivation`` sheet: the lecture's steps, live on iteration 1, and the finite-difference check."""
    plan = derivation.plan(layout)
    ws = wb.create_sheet(derivation.SHEET)
    ws.sheet_properties.tabColor = "7030A0"
    widths = (16, 34, 32, 32, 15, 15, 12)
    for letter, width in zip("ABCDEFG", widths):  # text wraps within them
        ws.column_dimensions[letter].width = width
    _print_derivation(ws, widths)
    _planned_rows(ws, styles, plan.rows)
    return ws


def _diagram_sheet(wb: Workbook, layout: Layout, styles):
    """The ``Network`` sheet: neurons and weights in cells, live at the iteration typed into B3."""
    plan = diagram.plan(layout)
    ws = wb.create_sheet(diagram.SHEET)
    ws.sheet_properties.tabColor = "00B050"
    ws.column_dimensions["A"].width = 10
    width = max(len(r) for r in plan.rows.values())
    for column in range(2, width + 1):
        ws.column_dimensions[get_column_letter(column)].width = 14 if column % 4 == 0 else 11
    _print_network(ws, width)
    iterations = DataValidation(type="whole", operator="between", formula1="1", formula2=str(layout.iterations),
                                showErrorMessage=True, error=f"an iteration from 1 to {layout.iterations}")
    iterations.add(diagram.ITERATION_CELL)
    ws.data_validations.append(iterations)
    if layout.network.n_samples > 1:
        samples = DataValidation(type="whole", operator="between", formula1="1",
                                 formula2=str(layout.network.n_samples), showErrorMessage=True)
        samples.add(diagram.SAMPLE_CELL)
        ws.data_validations.append(samples)
    _planned_rows(ws, styles, plan.rows)
    return ws


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
PARTS = {"weight": "parameters", "bias": "parameters", "forward": "forward", "loss": "forward",
         "delta": "backward", "gradient": "backward"}


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


def _print_table(ws, layout: Layout) -> None:
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


def _print_derivation(ws, widths: tuple[float, ...]) -> None:
    """The derivation prints its steps' columns (A to G, wrapped text and all) on one page across,
    as large as they fit; the block of perturbed forward passes below goes on across, each page
    with column A, which names the runs."""
    _print_at_scale(ws, _fitting_scale(sum(widths), most=80))
    ws.print_title_cols = "A:A"
    _break_after(ws, [len(widths)])


def _print_network(ws, columns: int) -> None:
    """The network prints on one page across where it fits at :data:`TABLE_SCALE` or more (the
    seed's at 76 %), a larger one on as many pages across as it needs at that scale."""
    units = sum(_width(ws, c) for c in range(1, columns + 1))
    _print_at_scale(ws, max(TABLE_SCALE, _fitting_scale(units, most=100)))


def _print_sweep(ws, plan: sweep_plan.SweepPlan) -> None:
    """The sweep prints its table on one page and its chart on the next, each as large as fits."""
    table = sum(_width(ws, c) for c in range(1, plan.chart_anchor_column + 1))
    chart = SWEEP_CHART_SIZE[0] * DEFAULT_WIDTH
    _print_at_scale(ws, _fitting_scale(max(table, chart), most=100))
    _break_after(ws, [plan.chart_anchor_column])


WRAPPED = ("text", "header")  # kinds whose text wraps within its column
LINE_HEIGHT = 15.0  # points a line of wrapped text needs


def _planned_rows(ws, styles, rows: dict[int, list]) -> None:
    """Append planned rows 1 .. last in order (a write-only sheet takes rows only in order). A row
    whose wrapped text needs several lines is given their height: not every reader sizes rows to
    their text (LibreOffice leaves rows with formulas as they are, and the text spills over)."""
    cell = _CellMaker(ws, styles)
    for r in range(1, max(rows) + 1):
        planned = rows.get(r, [])
        lines = max((_lines(c.value, ws.column_dimensions[get_column_letter(k)].width)
                     for k, c in enumerate(planned, 1) if c.kind in WRAPPED and isinstance(c.value, str)), default=1)
        if lines > 1:
            ws.row_dimensions[r].height = LINE_HEIGHT * lines
        ws.append([cell(c.value, c.kind, text=c.text) for c in planned])


def _lines(text: str, width: float | None) -> int:
    """Lines ``text`` takes when wrapped in a column ``width`` characters wide (a character of
    proportional text is narrower than the width unit, the digit 0: about 1.1 fit in one)."""
    per_line = max(1, int((width or 8.43) * 1.1) - 1)
    return sum(-(-max(len(part), 1) // per_line) for part in text.split("\n"))


def _sweep_sheet(wb: Workbook, plan: sweep_plan.SweepPlan, styles, losses: list):
    """The ``Sweep`` sheet: E_total of every rate at a few iterations, and the overlay chart."""
    ws = wb.create_sheet(sweep_plan.SHEET)
    ws.sheet_properties.tabColor = "2F5597"
    ws.column_dimensions["A"].width = 12
    for k in range(len(plan.sheets)):
        ws.column_dimensions[get_column_letter(plan.column(k))].width = 13
    _print_sweep(ws, plan)
    _planned_rows(ws, styles, plan.rows)
    ws.add_chart(sweep_chart(plan, losses))
    return ws


class _CellMaker:
    """``cell(value, kind)``: a write-only cell in the named style of ``kind``."""

    def __init__(self, ws, styles):
        self.ws, self.styles = ws, styles

    def __call__(self, value, kind: str | None = None, text: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        if text:  # text from a file or a label is never a formula, whatever it starts with
            cell.data_type = "s"
        if kind is not None:
            cell.style = self.styles[kind].name
        return cell


def _parameter_rows(spec: Spec, layout: Layout, cell: _CellMaker) -> list[list]:
    """Rows 1 .. header_row - 1: title, learning rate, samples, frozen biases, the folded rows
    (what the sheet trains, colour key, connections) and the initial values."""
    net = spec.network
    rows: dict[int, list] = {}
    rows[TITLE_ROW] = [cell(spec.title, "title", text=True)] + [None] * (layout.chart_box[0] - 2) + \
        [cell(title_formula())]  # under the loss chart: its live title
    rows[ETA_ROW] = [cell(ETA_LABEL, "label", text=True), cell(spec.eta, "eta"),
                     cell("← type a new learning rate: every weight update reads eta", "hint", text=True)]
    names = [f"i{k}" for k in range(1, net.layers[0] + 1)] + [f"t{k}" for k in range(1, net.layers[-1] + 1)]
    samples = [list(spec.inputs[s]) + list(spec.targets[s]) for s in range(net.n_samples)]
    top = layout.samples_rows[0]
    if layout.samples_on_side:
        rows[top] = [cell("sample", "header", text=True)] + [cell(s, "header") for s in range(1, net.n_samples + 1)]
        for k, name in enumerate(names):
            rows[top + 1 + k] = [cell(name, "header", text=True)] + [cell(v[k], "given") for v in samples]
    else:
        rows[top] = [cell(h, "header", text=True) for h in ["sample", *names]]
        for s, values in enumerate(samples, 1):
            rows[top + s] = [cell(s, "iteration")] + [cell(v, "given") for v in values]
    neurons = [net.neuron(l, j) for l, j in sorted(net.bias_numbers, key=net.bias_numbers.get)]
    if layout.frozen_bias_rows is not None:
        names_row, values_row = layout.frozen_bias_rows
        rows[names_row] = [cell("bias (frozen)", "header", text=True)] + [
            cell(f"b{n}→{neuron}", "header", text=True) for n, neuron in enumerate(neurons, 1)]
        rows[values_row] = [cell("value", "label", text=True)] + [cell(b, "given") for b in spec.biases]
    meta = {"network": net.describe(), "activations": ", ".join(net.activations),
            "biases": net.bias_mode, "samples": net.n_samples, "iterations": spec.iterations}
    for key, row in layout.meta_rows.items():
        rows[row] = [cell(key, "label", text=True), cell(meta[key], text=isinstance(meta[key], str))]
    key = [cell("colour key", "label", text=True)]
    for kind in ("given", "weight", "forward", "loss", "delta", "gradient"):
        key.append(cell(KINDS[kind][0], kind, text=True))
    rows[layout.legend_row] = key
    initial = {layout.column[weight_name(n)].index: (net.connection(n), w) for n, w in enumerate(spec.weights, 1)}
    if net.bias_mode == "trained":
        initial.update({layout.column[bias_name(n)].index: (f"→{neuron}", b)
                        for n, (neuron, b) in enumerate(zip(neurons, spec.biases), 1)})
    width = max(initial)
    rows[layout.connection_row] = [cell("connection", "label", text=True)] + [
        cell(initial[c][0], "hint", text=True) if c in initial else None for c in range(2, width + 1)]
    rows[layout.initial_row] = [cell("initial value", "label", text=True)] + [
        cell(initial[c][1], "given") if c in initial else None for c in range(2, width + 1)]
    return [rows.get(r, []) for r in range(1, layout.header_row)]
