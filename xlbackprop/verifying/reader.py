"""Read an xlbackprop workbook back: its network, its parameters and every training value.

A file is untrusted until read: it passes :func:`xlbackprop.xlsx.guards.guard` first, then the
one-pass reader (:mod:`xlbackprop.xlsx.grid`) reads it. Everything verify needs comes from the
file itself: the shape from the labelled cells of the parameter block (``A4 network``,
``B4 2-2-2``), the numbers from the given-value cells, so a workbook whose eta, inputs or
initial weights a user changed is checked against its own numbers.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, Iterator

from openpyxl import load_workbook
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.utils.cell import coordinate_to_tuple

from ..core.activations import ACTIVATIONS
from ..core.losses import NAMES as LOSSES
from ..core.losses import OUTPUT_ONLY
from ..core.errors import SpecError, WorkbookError
from ..core.network import ITERATION, Network
from ..core.optimizers import NAMES
from ..core.spec import Spec, from_mapping
from ..sheets import derivation, diagram, matrices
from ..sheets.derivation import SHEET as DERIVATION_SHEET
from ..sheets.derivation import DerivationPlan
from ..sheets.diagram import SHEET as DIAGRAM_SHEET
from ..sheets.diagram import DiagramPlan
from ..sheets.layout import ETA_ROW, LOSS_KEY, META_KEYS, OPTIMIZER_LABEL, SAMPLES_TOP, SHEET, Layout
from ..sheets.matrices import SHEET as MATRICES_SHEET
from ..sheets.matrices import MatricesPlan
from ..sheets.sweep import SHEET as SWEEP_SHEET
from ..sheets.sweep import SweepPlan, is_compare_sheet
from ..xlsx.grid import Book, read_xlsx
from ..xlsx.guards import MAX_CELLS_VERIFY, damaged, guard

NOT_OURS = "not an xlbackprop workbook (a hand-made one: xlbackprop check FILE)"

RATE_SHEET_PREFIX = "eta "  # the training sheets of a sweep: eta 0.1, eta 0.2, ...
MAX_BLOCK_ROWS = 1_000  # the parameter block is shorter than this for any network Excel can hold


@dataclass(frozen=True)
class WorkbookData:
    """What a workbook holds: its spec, its layout and the cells of its training rows.

    ``cells[name][k]`` is what the file holds for quantity ``name`` at iteration k+1: a
    number, text such as ``"#NUM!"``, a formula string (when read without values) or None.
    ``layout`` is the sheet's as its iterations cell declares it; a table filled down past that
    (``rows`` > ``layout.iterations``) is read, and its ``spec`` trained, to its last row.
    """

    spec: Spec
    layout: Layout
    cells: dict[str, list[Any]]

    @property
    def rows(self) -> int:
        """The iteration rows read: the declared ones and any that continue the table below them."""
        return self.spec.iterations


@dataclass(frozen=True)
class Contents:
    """Everything verify checks in one file: each training sheet by name (``Training`` first,
    then the rate sheets of a sweep or the optimizer sheets of a comparison), the ``Sweep`` table,
    the ``Derivation`` and ``Network`` sheets."""

    training: dict[str, WorkbookData]
    sweep: SweepPlan | None
    sweep_cells: dict[tuple[str, int], Any]  # (rate or optimizer sheet, iteration) -> the table's cell
    derivation: DerivationPlan | None
    derivation_cells: dict[str, Any]  # coordinate -> cell, for every live cell of the plan and h
    diagram: DiagramPlan | None
    diagram_cells: dict[str, Any]  # coordinate -> cell, for every live cell and the chosen iteration, sample
    matrices: MatricesPlan | None = None
    matrices_cells: dict[str, Any] = field(default_factory=dict)  # coordinate -> cell, and the chosen iteration


def read(path: str | Path, values: bool = True, sheet: str = SHEET) -> WorkbookData:
    """Read training sheet ``sheet`` of ``path``; with ``values=False`` its cells hold formula text.
    Through the one-pass reader, as :func:`read_all` (openpyxl took 7.4 s of 10,000 iterations)."""
    path = Path(path)
    wb = _Streamed(path, values)
    return _parse(path, sheet, _rows(wb, path, sheet), wb.rows(sheet, filled=True))


class _Streamed:
    """A workbook read in one streaming pass (:mod:`xlbackprop.xlsx.scan`), guards first: each
    sheet's rows as values, or as formula text where a cell holds a formula. Several times faster
    than openpyxl's read-only mode, which must read a file twice to give both."""

    def __init__(self, path: Path, values: bool, book: Book | None = None):
        if book is None:
            book = read_xlsx(path, formulas=not values, max_cells=MAX_CELLS_VERIFY)
        self.sheets = {sheet.name: sheet for sheet in book.sheets}
        self.sheetnames = list(self.sheets)
        self.values = values
        self._grids: dict[tuple[str, bool], list[list[Any]]] = {}  # read_both asks for each twice

    def rows(self, name: str, filled: bool = False) -> list[list[Any]]:
        """The sheet's rows of values (or formulas, see the class); ``filled``: of whatever each
        cell holds, formula first, whether or not it stores a value. Don't change what it gives."""
        merged = filled or not self.values
        if (name, merged) not in self._grids:
            sheet = self.sheets[name]
            self._grids[name, merged] = _grid({**sheet.values, **sheet.formulas} if merged else sheet.values)
        return self._grids[name, merged]


def _grid(cells: dict[tuple[int, int], Any]) -> list[list[Any]]:
    if not cells:
        return []
    height, width = max(cells)[0], max(cells, key=itemgetter(1))[1]
    grid = [[None] * width for _ in range(height)]
    for (r, c), v in cells.items():
        grid[r - 1][c - 1] = v
    return grid


def read_all(path: str | Path, values: bool = True, book: Book | None = None) -> Contents:
    """Read every training sheet of ``path``, its sweep table, and the live cells of its Derivation
    and Network sheets (where each is present): everything verify holds against the reference.
    ``book``: the file already read (IronCalc's copy in memory, :func:`xlbackprop.xlsx.grid.in_memory`)."""
    path = Path(path)
    return _contents(path, _Streamed(path, values, book))


def read_both(path: str | Path, book: Book | None = None) -> tuple[Contents, Contents]:
    """``read_all`` with formulas and with values, from one pass over the file (or from ``book``)."""
    path = Path(path)
    streamed = _Streamed(path, values=False, book=book)  # reads formulas too
    formulas = _contents(path, streamed)
    streamed.values = True
    return formulas, _contents(path, streamed)


def _contents(path: Path, wb: _Streamed) -> Contents:
    names = [SHEET, *training_sheets(wb.sheetnames)]
    training = {name: _parse(path, name, _rows(wb, path, name), wb.rows(name, filled=True)) for name in names}
    plan, cells = _sweep_plan(wb, training[SHEET].layout, {n: c.layout for n, c in training.items()}), {}
    if plan is not None:
        rows = _rows(wb, path, SWEEP_SHEET)
        cells = {(name, it): _at(rows, plan.cell(k, it)) for k, name in enumerate(plan.sheets)
                 for it in plan.iterations}
    steps, step_cells = None, {}
    if DERIVATION_SHEET in wb.sheetnames:
        steps = derivation.plan(training[SHEET].layout)
        rows = _rows(wb, path, DERIVATION_SHEET)
        step_cells = {c: _at(rows, c) for c in [derivation.H_CELL, *steps.expected]}
    drawing, drawing_cells = None, {}
    if DIAGRAM_SHEET in wb.sheetnames:
        drawing = diagram.plan(training[SHEET].layout)
        rows = _rows(wb, path, DIAGRAM_SHEET)
        drawing_cells = {c: _at(rows, c) for c in [diagram.ITERATION_CELL, diagram.SAMPLE_CELL, *drawing.expected]}
    views, view_cells = None, {}
    if MATRICES_SHEET in wb.sheetnames:
        views = matrices.plan(training[SHEET].layout)
        rows = _rows(wb, path, MATRICES_SHEET)
        view_cells = {c: _at(rows, c) for c in [matrices.ITERATION_CELL, *views.expected]}
    return Contents(training, plan, cells, steps, step_cells, drawing, drawing_cells, views, view_cells)


def read_charts(path: str | Path) -> tuple[Layout, SweepPlan | None]:
    """What pictures of the charts need, and no more: Training's layout and the sweep's plan."""
    path = Path(path)
    with open_workbook(path, values=False) as wb:
        layout = _parse(path, SHEET, _rows(wb, path, SHEET)).layout
        layouts = {n: _parse(path, n, _rows(wb, path, n)).layout for n in _compare_sheets(wb.sheetnames)}
        return layout, _sweep_plan(wb, layout, layouts)


def training_sheets(sheetnames: list[str]) -> list[str]:
    """The training sheets besides ``Training``: a sweep's rate sheets (``eta 0.1`` ..) and a
    comparison's optimizer sheets (``sgd``, ``adam`` ..), in the workbook's order."""
    return [n for n in sheetnames if n.startswith(RATE_SHEET_PREFIX) or is_compare_sheet(n)]


def _compare_sheets(sheetnames: list[str]) -> list[str]:
    return [n for n in sheetnames if is_compare_sheet(n)]


def _sweep_plan(wb, layout: Layout, layouts: dict[str, Layout]) -> SweepPlan | None:
    """The Sweep sheet's plan: over the rate sheets, or else the optimizer sheets (each its own layout)."""
    if SWEEP_SHEET not in wb.sheetnames:
        return None
    rates = [n for n in wb.sheetnames if n.startswith(RATE_SHEET_PREFIX)]
    if rates:
        return SweepPlan(tuple(rates), layout)
    optimizers = _compare_sheets(wb.sheetnames)
    if optimizers:
        return SweepPlan(tuple(optimizers), layout, layouts=tuple(layouts[n] for n in optimizers))
    return None


@contextmanager
def open_workbook(path: str | Path, values: bool) -> Iterator[Any]:
    """Open any .xlsx as untrusted input, read-only: the package guards first, then openpyxl
    (``values=True``: the values the file stores, else the formula text)."""
    path = Path(path)
    guard(path)
    try:
        with warnings.catch_warnings():  # Gnumeric's files have no default style; openpyxl says so
            warnings.filterwarnings("ignore", "Workbook contains no default style", UserWarning)
            wb = load_workbook(path, read_only=True, data_only=values)
    except Exception as exc:  # openpyxl raises many kinds for a damaged package
        raise damaged(path, exc) from None
    try:
        yield wb
    finally:
        wb.close()


def _rows(wb, path: str | Path, sheet: str) -> list[list[Any]]:
    if sheet not in wb.sheetnames:
        raise WorkbookError(f"{path}: no sheet named {sheet!r}; {NOT_OURS}")
    if isinstance(wb, _Streamed):
        return wb.rows(sheet)
    return [list(r) for r in wb[sheet].iter_rows(values_only=True)]


def is_error(value: Any) -> bool:
    """Whether a cell read with values holds a spreadsheet error: ``is_error("#NUM!") is True``."""
    return isinstance(value, str) and value in ERROR_CODES


def _at(rows: list[list[Any]], coordinate: str) -> Any:
    row, col = coordinate_to_tuple(coordinate.replace("$", ""))
    if row > len(rows) or col > len(rows[row - 1]):
        return None
    return rows[row - 1][col - 1]


def _parse(path: Path, sheet: str, rows: list[list[Any]], filled: list[list[Any]] | None = None) -> WorkbookData:
    """The training sheet ``sheet`` from its ``rows``; ``filled`` (the cells holding a formula or a
    value, stored or not) decides how many rows continue the table (:func:`_continued`)."""
    where = f"{path}" if sheet == SHEET else f"{path}, sheet {sheet!r}"
    top = next((r for r, row in enumerate(rows[SAMPLES_TOP - 1:MAX_BLOCK_ROWS], SAMPLES_TOP)  # below title and η
                if row and row[0] == META_KEYS[0]), None)
    if top is None:
        raise WorkbookError(f"{where}: no cell in column A reads 'network'; {NOT_OURS}")
    meta, at = {}, {}
    for k, key in enumerate(META_KEYS):
        if _at(rows, f"A{top + k}") != key:
            raise WorkbookError(f"{where}: cell A{top + k} should read {key!r}; {NOT_OURS}")
        meta[key], at[key] = _at(rows, f"B{top + k}"), f"B{top + k}"
    below = top + len(META_KEYS)  # the loss, where it is not the squared error
    meta[LOSS_KEY] = _at(rows, f"B{below}") if _at(rows, f"A{below}") == LOSS_KEY else "squared"
    at[LOSS_KEY] = f"B{below}"
    network = _network(where, meta, at, _optimizer(where, rows, top))
    iterations = meta["iterations"]
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise WorkbookError(f"{where}: cell {at['iterations']} (iterations) holds {iterations!r}, not a count")
    layout = Layout(network, iterations)
    header = rows[layout.header_row - 1] if len(rows) >= layout.header_row else []
    for column in layout.columns:
        got = header[column.index - 1] if column.index <= len(header) else None
        if got != column.name:
            raise WorkbookError(f"{where}: header cell {column.letter}{layout.header_row} reads {got!r} where "
                                f"{column.name!r} belongs; not an xlbackprop workbook of this shape")
    training = rows[layout.first_row - 1: layout.last_row]
    if len(training) < iterations:
        raise WorkbookError(f"{where}: {len(training)} training rows, but {at['iterations']} says {iterations}")
    more = len(_continued(where, rows if filled is None else filled, layout))
    training += rows[layout.last_row: layout.last_row + more]
    missing = iterations + more - len(training)  # rows at the end whose formulas store no value at all
    training += [[None] * len(layout.columns) for _ in range(missing)]
    cells = {c.name: [r[c.index - 1] if c.index <= len(r) else None for r in training]
             for c in layout.columns if c.name != ITERATION}
    spec = _spec(where, rows, layout)
    if len(training) > iterations:
        spec = spec.with_overrides(iterations=len(training))
    return WorkbookData(spec, layout, cells)


def _continued(where: str, rows: list[list[Any]], layout: Layout) -> list[list[Any]]:
    """The rows below the declared last iteration that continue the table (filled down, as a fill
    handle does): whole rows, every column of the table holding something, up to the first empty
    row. Anything else below the table is refused: verify must see every row a table holds."""
    width = len(layout.columns)
    def used(row: list[Any]) -> list[int]:
        return [k for k, v in enumerate(row[:width]) if v is not None and v != ""]

    below = rows[layout.last_row:]
    whole = 0
    while whole < len(below) and len(used(below[whole])) == width:
        whole += 1
    stray = next((k for k in range(whole, len(below)) if used(below[k])), None)
    if stray is not None:
        row = layout.last_row + stray + 1
        column = layout.columns[used(below[stray])[0]]
        raise WorkbookError(
            f"{where}: row {row} below the training table holds {below[stray][column.index - 1]!r} in "
            f"{column.letter}{row} ({column.name}) but is not a whole row of the table; verify checks every row "
            f"a table holds: fill the table down whole, or clear what is below it")
    return below[:whole]


def _optimizer(where: str, rows: list[list[Any]], top: int) -> str:
    """The optimizer the sheet's formulas apply: named under ``optimizer``, right above the folded
    rows (``A5 optimizer``, ``A6 adam``); SGD where there is no such block."""
    if top < SAMPLES_TOP + 4 or _at(rows, f"A{top - 2}") != OPTIMIZER_LABEL:
        return "sgd"
    name = _at(rows, f"A{top - 1}")
    if name not in NAMES or name == "sgd":
        raise WorkbookError(f"{where}: cell A{top - 1} (optimizer) holds {name!r}; it should name the "
                            f"optimizer the sheet's formulas apply: {', '.join(NAMES[1:])}")
    return name


def _network(where: str, meta: dict[str, Any], at: dict[str, str], optimizer: str = "sgd") -> Network:
    try:
        layers = tuple(int(n) for n in str(meta["network"]).split("-"))
        activations = tuple(a.strip() for a in str(meta["activations"]).split(","))
    except ValueError:
        raise WorkbookError(f"{where}: cell {at['network']} should hold layer sizes like 2-2-2, "
                            f"got {meta['network']!r}") from None
    if len(layers) < 2 or min(layers) < 1 or len(activations) != len(layers) - 1 \
            or any(a not in ACTIVATIONS for a in activations[:-1]) \
            or activations[-1] not in (*ACTIVATIONS, *OUTPUT_ONLY):
        raise WorkbookError(f"{where}: network {meta['network']!r} with activations {meta['activations']!r} "
                            f"is not a network xlbackprop makes")
    if meta["biases"] not in ("none", "frozen", "trained"):
        raise WorkbookError(f"{where}: cell {at['biases']} should be none, frozen or trained")
    samples = meta["samples"]
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise WorkbookError(f"{where}: cell {at['samples']} (samples) holds {samples!r}, not a count")
    if meta[LOSS_KEY] not in LOSSES:
        raise WorkbookError(f"{where}: cell {at[LOSS_KEY]} (loss) holds {meta[LOSS_KEY]!r}; it should be "
                            f"{' or '.join(LOSSES)}")
    return Network(layers, activations, meta["biases"], samples, optimizer, meta[LOSS_KEY])


def _spec(where: str, rows: list[list[Any]], layout: Layout) -> Spec:
    """The spec this workbook trains, from its given-value cells."""
    net = layout.network
    data: dict[str, Any] = {
        "title": str(_at(rows, "A1") or ""),
        "layers": list(net.layers),
        "activation": list(net.activations),
        "loss": net.loss,
        "eta": _at(rows, f"B{ETA_ROW}"),
        "iterations": layout.iterations,
        "inputs": [[_at(rows, layout.input_cell(s, k)) for k in range(1, net.layers[0] + 1)]
                   for s in range(1, net.n_samples + 1)],
        "targets": [[_at(rows, layout.target_cell(s, k)) for k in range(1, net.layers[-1] + 1)]
                    for s in range(1, net.n_samples + 1)],
        "weights": [_at(rows, layout.initial_weight_cell(n)) for n in range(1, net.n_weights + 1)],
    }
    if net.bias_mode != "none":
        data["biases"] = [_at(rows, layout.bias_cell(n)) for n in range(1, net.n_biases + 1)]
        data["train_biases"] = net.bias_mode == "trained"
    if layout.constants:
        data["optimizer"] = net.optimizer
        data.update({name: _at(rows, layout.constant_cell(name)) for name in layout.constants})
    try:
        return from_mapping(data)
    except SpecError as exc:
        raise WorkbookError(f"{where}: a parameter cell is wrong: {exc}") from None
