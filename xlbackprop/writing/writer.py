"""Write the planned workbook with openpyxl: this module places every cell openpyxl writes.

The layout (:mod:`xlbackprop.sheets.layout`) says where each quantity lives and the expressions
(:mod:`xlbackprop.sheets.expressions`) what each formula says; this module streams them into a
write-only workbook, row by row, so memory stays flat however many iterations there are.
The sheets, in order: ``Training``, ``Sweep`` (with a learning-rate sweep, :mod:`xlbackprop.sheets.sweep`),
``Derivation``, ``Network``, ``Matrices`` (:mod:`xlbackprop.sheets.matrices`), then one training sheet
per rate of the sweep (``eta 0.1``, ...), or per optimizer of a comparison (``sgd``, ``momentum``, ``adam``).
The training rows themselves are written as ready XML as the sheet parts are zipped, each formula
with its computed value (:mod:`xlbackprop.writing.stored`), and :mod:`xlbackprop.writing.package`
gives drawing and chart parts Excel's namespace prefixes; how each sheet prints is
:mod:`xlbackprop.writing.printing`'s.
The file is written beside its target under a temporary name and renamed at the end, and
its bytes depend only on the spec (fixed timestamps inside and outside the zip).
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.packaging.custom import StringProperty
from openpyxl.utils.cell import absolute_coordinate, get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.writer.excel import ExcelWriter

from ..core import outputs
from ..core.errors import OutputError, SpecError
from ..core.network import bias_name, weight_name
from ..core.spec import Spec
from ..sheets import derivation, diagram, limits, matrices
from ..sheets.chart import loss_chart, sweep_chart, title_formula
from ..sheets.layout import ETA_LABEL, ETA_ROW, OPTIMIZER_LABEL, ROW_PT, SHEET, TITLE_ROW, Layout
from ..sheets.styles import KINDS, named_styles
from ..core.optimizers import compared
from ..sheets.sweep import DEFAULT_RATES, SweepPlan, axis, compare_sheet_name, sheet_name, valid_rates
from ..sheets.sweep import SHEET as SWEEP_SHEET
from . import printing, stored
from .package import Package

FIXED_TIME = dt.datetime(2024, 2, 9, 0, 0, 0)  # the seed lecture's date; keeps builds byte-identical


def build(spec: Spec, path: str | Path, progress: Callable[[int], None] | None = None,
          sweep: Sequence[float] | None = None, force: bool = False, compare: Sequence[str] | None = None) -> Path:
    """Write the workbook of ``spec`` to ``path``, with one training sheet per rate of ``sweep``
    (``()`` for none; None: :data:`DEFAULT_RATES`, or none when optimizers are compared), or per
    optimizer of ``compare`` (None: the spec's ``compare``; ``()`` for none); ``progress(k)`` is told
    of the k training rows written so far, over all sheets. An existing ``path`` is replaced only
    when it is xlbackprop's own unchanged output, or with ``force``
    (:func:`xlbackprop.core.outputs.workbook_target`)."""
    rates, optimizers, path = refusals(spec, path, sweep, force, compare)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError("path", f"cannot create folder {path.parent}: {exc.strerror}") from None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    wb = Workbook(write_only=True)
    try:
        values = _fill(wb, spec, rates, optimizers, progress)
        with Package(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True, values=values) as archive:
            ExcelWriter(wb, archive).write_data()
            archive.write_later()
        outputs.workbook_target(path, force)  # again: the user may have saved it while this built
        os.replace(tmp, path)
    except BaseException as exc:
        _discard(wb)
        if isinstance(exc, OSError):
            raise outputs.written_error("path", path, exc) from None
        raise
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def refusals(spec: Spec, path: str | Path, sweep: Sequence[float] | None, force: bool,
             compare: Sequence[str] | None = None) -> tuple[tuple[float, ...], tuple[str, ...], Path]:
    """Raise, before anything is written, what :func:`build` would refuse: a spec past Excel's
    limits, a bad sweep or comparison, both at once, an output that is a folder, not .xlsx, or a
    file build must not replace. Returns the sweep's rates, the compared optimizers and the path
    (the command line calls it before its progress bar)."""
    if not isinstance(spec, Spec):
        raise TypeError(f"writer.build takes a Spec, got {type(spec).__name__}; xlbackprop.build takes a preset "
                        f"name, a network file or a mapping as well")
    optimizers = spec.compare if compare is None else (compared(tuple(compare)) if len(compare) else ())
    if optimizers and sweep is not None and len(sweep):
        raise SpecError("compare", f"cannot go with a learning-rate sweep: the Sweep sheet overlays either rates "
                                   f"or optimizers ({', '.join(optimizers)}); give --sweep none, or --compare none "
                                   f"for the sweep, or build two workbooks")
    rates = valid_rates(() if optimizers else (DEFAULT_RATES if sweep is None else sweep))
    limits.enforce(spec)  # every formula within Excel's limits, or one line saying which is not
    for optimizer in optimizers:
        if optimizer != spec.network.optimizer:
            limits.enforce(spec.trained_by(optimizer))
    path = Path(path)
    if path.is_dir():
        raise OutputError("path", f"{path} is a folder; give a file name such as {path / 'backprop.xlsx'}")
    if path.suffix.lower() != ".xlsx":
        raise OutputError("path", f"{path} must end in .xlsx, as the workbook is an Excel file; "
                                  f"try {path.with_suffix('.xlsx')}")
    outputs.workbook_target(path, force)  # no edit of the user's is lost
    return rates, optimizers, path


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


def _fill(wb: Workbook, spec: Spec, rates: tuple[float, ...], optimizers: tuple[str, ...],
          progress: Callable[[int], None] | None) -> dict[str, Callable[[], stored.Values]]:
    """Plan and stream every sheet; return, per worksheet part, how to get its stored values."""
    layout = Layout(spec.network, spec.iterations)
    values: dict[str, Callable[[], stored.Values]] = {}
    wb.properties.creator = "xlbackprop"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    # the digest of every other part, filled in as the package closes (Package.write_later)
    wb.custom_doc_props.append(StringProperty(name=outputs.PROPERTY, value=outputs.PLACEHOLDER))
    # each extra training sheet: its name, spec (its rate, or its optimizer) and layout
    if optimizers:
        extra = [(compare_sheet_name(o), spec.trained_by(o)) for o in optimizers]
        extra = [(name, replace(s, title=f"{spec.title} (optimizer {s.network.optimizer}, learning rate {spec.eta:g})"))
                 for name, s in extra]
    else:
        extra = [(sheet_name(r), replace(spec, eta=r, title=f"{spec.title} (learning rate {r:g})")) for r in rates]
    layouts = [Layout(s.network, s.iterations) for _, s in extra]
    styles = named_styles(state=any(lay.constants for lay in [layout, *layouts]))
    for style in dict.fromkeys(styles.values()):
        wb.add_named_style(style)

    def rows_done(sheets_before: int):
        if progress is None:
            return None
        return lambda k: progress(sheets_before * layout.iterations + k)

    ws, ids = _training_sheet(wb, SHEET, spec, layout, styles)
    values[_part(wb, ws)] = lambda: stored.Training(spec, layout, ids, rows_done(0))
    wb.defined_names["eta"] = DefinedName("eta", attr_text=f"'{SHEET}'!{absolute_coordinate(layout.eta_cell)}")
    for name in layout.constants:  # beta1, beta2, epsilon ...: no cell address (BETA is past Excel's XFD)
        wb.defined_names[name] = DefinedName(name, attr_text=f"'{SHEET}'!{layout.constant_cell(name)}")
    names = tuple(name for name, _ in extra)
    specs = [s for _, s in extra]
    e_totals: dict[str, dict[int, float]] = {}  # each extra sheet's E_total at the Sweep table's iterations
    if extra:
        floor, zero = axis(specs, losses=stored.e_total)
        plan = SweepPlan(names, layout, floor, zero, tuple(layouts) if optimizers else ())
        ws = _sweep_sheet(wb, plan, styles, [stored.losses(s) for s in specs])
        values[_part(wb, ws)] = stored.Later(lambda: stored.sweep(plan, specs, e_totals))
    ws = _derivation_sheet(wb, layout, styles)
    values[_part(wb, ws)] = lambda: stored.derivation_sheet(spec, layout)
    ws = _diagram_sheet(wb, layout, styles)
    values[_part(wb, ws)] = lambda: stored.diagram_sheet(spec, layout)
    matrix_values = stored.matrices_sheet(spec, layout)
    ws = _matrices_sheet(wb, layout, styles, matrix_values)
    values[_part(wb, ws)] = lambda: matrix_values
    for k, ((name, sheet_spec), sheet_layout) in enumerate(zip(extra, layouts), 1):
        ws, ids = _training_sheet(wb, name, sheet_spec, sheet_layout, styles)
        values[_part(wb, ws)] = lambda sheet_spec=sheet_spec, sheet_layout=sheet_layout, ids=ids, k=k, name=name: \
            stored.Training(sheet_spec, sheet_layout, ids, rows_done(k), e_totals, sheet=name)
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
    printing.table(ws, layout)
    # rows of 10-point text (the styles' size); the block above the header low enough for a laptop
    ws.sheet_format.defaultRowHeight, ws.sheet_format.customHeight = ROW_PT, True
    for row, points in layout.row_heights.items():
        ws.row_dimensions[row].height = points
    ws.sheet_format.outlineLevelRow = 1
    for row in layout.folded_rows:  # under the + beside "initial value"
        ws.row_dimensions[row].outlineLevel, ws.row_dimensions[row].hidden = 1, True
    ws.row_dimensions[layout.initial_row].collapsed = True

    cell = _CellMaker(ws, styles)
    for row in _parameter_rows(spec, layout, cell, name):
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
    printing.derivation(ws, widths)
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
    printing.network(ws, width)
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


def _matrices_sheet(wb: Workbook, layout: Layout, styles, values: stored.Planned):
    """The ``Matrices`` sheet: each layer's W, the forward and backward pass and the update as matrices,
    array formulas on them, live at the iteration typed into B3. The cells inside an array formula's
    range hold its values only, written here from ``values`` (the anchor's is filled in as it zips)."""
    plan = matrices.plan(layout)
    ws = wb.create_sheet(matrices.SHEET)
    ws.sheet_properties.tabColor = "BF8F00"
    width = max(len(r) for r in plan.rows.values())
    ws.column_dimensions["A"].width = 10
    for column in range(2, width + 1):
        ws.column_dimensions[get_column_letter(column)].width = 11
    printing.matrices(ws, width)
    iterations = DataValidation(type="whole", operator="between", formula1="1", formula2=str(layout.iterations),
                                showErrorMessage=True, error=f"an iteration from 1 to {layout.iterations}")
    iterations.add(matrices.ITERATION_CELL)
    ws.data_validations.append(iterations)

    def placed(row: int, column: int, cell):
        coordinate = f"{get_column_letter(column)}{row}"
        if coordinate in plan.arrays:
            return replace(cell, value=ArrayFormula(plan.arrays[coordinate], cell.value))
        if coordinate in plan.interior:
            return replace(cell, value=values.value(row, column))
        return cell
    _planned_rows(ws, styles, {r: [placed(r, k, c) for k, c in enumerate(cells, 1)] for r, cells in plan.rows.items()})
    return ws


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


def _sweep_sheet(wb: Workbook, plan: SweepPlan, styles, losses: list):
    """The ``Sweep`` sheet: E_total of every rate at a few iterations, and the overlay chart."""
    ws = wb.create_sheet(SWEEP_SHEET)
    ws.sheet_properties.tabColor = "2F5597"
    ws.column_dimensions["A"].width = 12
    for k in range(len(plan.sheets)):
        ws.column_dimensions[get_column_letter(plan.column(k))].width = 13
    printing.sweep(ws, plan)
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


def _parameter_rows(spec: Spec, layout: Layout, cell: _CellMaker, sheet: str) -> list[list]:
    """Rows 1 .. header_row - 1 of training sheet ``sheet``: title, learning rate, samples, frozen
    biases, the folded rows (what the sheet trains, colour key, connections) and the initial values."""
    net = spec.network
    rows: dict[int, list] = {}
    rows[TITLE_ROW] = [cell(spec.title, "title", text=True)] + [None] * (layout.chart_box[0] - 2) + \
        [cell(title_formula(layout.eta_reference(sheet)))]  # under the loss chart: its live title
    reads = "eta" if sheet == SHEET else f"this sheet's {layout.eta_cell}"
    rows[ETA_ROW] = [cell(ETA_LABEL, "label", text=True), cell(spec.eta, "eta"),
                     cell(f"← type a new learning rate: every weight update reads {reads}", "hint", text=True)]
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
    if layout.optimizer_rows is not None:  # Adam's: optimizer | beta1 | beta2 | epsilon over adam | 0.9 | ...
        names_row, values_row = layout.optimizer_rows
        constants = spec.constants()
        rows[names_row] = [cell(OPTIMIZER_LABEL, "header", text=True)] + [
            cell(name, "header", text=True) for name in constants]
        rows[values_row] = [cell(net.optimizer, "label", text=True)] + [cell(v, "given") for v in constants.values()]
    meta = {"network": net.describe(), "activations": ", ".join(net.activations),
            "biases": net.bias_mode, "samples": net.n_samples, "iterations": spec.iterations, "loss": net.loss}
    for key, row in layout.meta_rows.items():
        rows[row] = [cell(key, "label", text=True), cell(meta[key], text=isinstance(meta[key], str))]
    key = [cell("colour key", "label", text=True)]
    for kind in ("given", "weight") + (("state",) if layout.constants else ()) + ("forward", "loss", "delta", "gradient"):
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
