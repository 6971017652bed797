"""Check a workbook: recalculate it in a spreadsheet engine and hold every cell against the reference.

The reference is computed from the parameters read from the workbook itself, so a file whose
eta, inputs or initial weights a user changed is checked against its own numbers. The report
has one line per quantity, in the spirit of llm.c's ``OK, maxdiff = ...``::

    quantity   cells  max abs err  max rel err  worst cell  verdict
    w1           100      5.0e-16      3.4e-15  B118        OK
    ...
    OK: 3,100 cells of output/backprop.xlsx agree with the reference within relative 1e-12

A cell passes when ``|got - expected| <= RTOL * |expected|`` (an expected 0 must be 0), or
when it holds an error value (``#NUM!``) where the reference overflows too (a diverging run).
The values LibreOffice saves carry 15 significant digits, so agreement is ~5e-15 at best.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable

import numpy as np
from openpyxl.utils.cell import quote_sheetname

from ..core import scratch
from ..core.arithmetic import IEEE, LIBREOFFICE, Arithmetic
from ..core.errors import WorkbookError
from ..core.network import E_TOTAL
from ..core.reference import train
from ..sheets import derivation, diagram, matrices
from ..sheets.derivation import SHEET as DERIVATION_SHEET
from ..sheets.diagram import SHEET as DIAGRAM_SHEET
from ..sheets.matrices import SHEET as MATRICES_SHEET
from ..sheets.layout import SHEET
from ..sheets.sweep import SHEET as SWEEP_SHEET
from ..xlsx import engines, grid, model
from ..xlsx.guards import MAX_CELLS_VERIFY, guard
from . import culprits, reader

RTOL = 1e-12


@dataclass(frozen=True)
class Engine:
    """A spreadsheet engine verify can recalculate with, and how closely it must agree.

    A cell passes when ``|got - expected| <= rtol * |expected| + atol * scale``, ``scale`` being
    the largest magnitude of that quantity in the run. LibreOffice computes in IEEE doubles as the
    reference does, so it must agree to the last digits it saves (``atol`` 0). Gnumeric computes
    in 80-bit extended precision: each operation differs from the double one by up to 1e-16 of
    its operands, which adds up over thousands of iterations and shows in full where a quantity
    cancels (``a_o1 - t1`` near convergence), hence its looser, stated tolerance. IronCalc's EXP is
    not correctly rounded near 0 (``EXP(-6.07E-17)`` gives 1, the C library 1 − 2⁻⁵³), which shows
    in full where a sigmoid's output then cancels against its target: SGD on class-2024 never gets
    there in 10,000 iterations, momentum and Adam do by iteration 600, hence its ``atol``.
    """

    name: str
    recalculate: Callable[..., Path] | None  # into a copy, in a process of its own; None: IronCalc, in memory
    version: Callable[[], str]
    arithmetic: Arithmetic
    rtol: float
    atol: float
    # how far this engine's values drift from LibreOffice's arithmetic, which the build stores, as a
    # share of the quantity's largest value: LibreOffice rounds a sum that cancels to within 2^-48 to
    # 0, an IEEE engine does not; over 10,000 iterations of class-2024 they part by up to 1.6e-14
    drift: float = 0.0

    @property
    def stored_atol(self) -> float:
        """How far a stored value may be from this engine's before it counts as stale (as ``atol``)."""
        return max(self.atol, self.drift)

    def describe(self) -> str:
        extra = f" + {self.atol:g} x the quantity's largest value (or what cancels in it)" if self.atol else ""
        return f"relative {self.rtol:g}{extra}; finite-difference slopes also {self.rtol:g} x E/2h, which they cancel"


ENGINES = {
    "libreoffice": Engine("libreoffice", engines.convert, engines.version, LIBREOFFICE, RTOL, 0.0),
    "gnumeric": Engine("gnumeric", engines.convert_gnumeric, engines.gnumeric_version, IEEE, 1e-9, 1e-12),
    "ironcalc": Engine("ironcalc", None, model.version, IEEE, RTOL, 1e-13, 1e-13),
}
SHOW_MISMATCHES = 10
# the Matrices sheet's MMULT adds in its own order: a cell may differ from the Training sheet's left
# to right sums by a few units in the last place of its matrix's largest value
MATRIX_ATOL = 1e-13


@dataclass
class QuantityCheck:
    """The comparison of one column: ``name`` over all iterations."""

    name: str
    cells: int
    max_abs: float
    max_rel: float
    worst_cell: str
    allowed: float = 0.0  # the absolute error allowed where it is largest (the tolerance that line was held to)
    mismatches: list[str] = field(default_factory=list)  # "T57 (iteration 38): got 0.1, expected 0.2"
    n_mismatches: int = 0
    n_overflowed: int = 0  # cells where sheet and reference both overflow (#NUM! and NaN): agreement

    @property
    def ok(self) -> bool:
        return self.n_mismatches == 0


@dataclass
class Report:
    path: Path
    checks: list[QuantityCheck]
    not_formulas: list[str]
    engine: str
    seconds: dict[str, float]
    tolerance: str = f"relative {RTOL:g}"
    culprits: list[culprits.Culprit] = field(default_factory=list)
    show_all: bool = False  # list every wrong cell, not only the root causes
    stale: list[str] = field(default_factory=list)  # cells whose stored value is not what they compute
    notes: list[str] = field(default_factory=list)  # said before the verdict: "Training holds 120 iteration rows, ..."

    @property
    def ok(self) -> bool:
        return not self.not_formulas and not self.stale and all(c.ok for c in self.checks)

    @property
    def cells(self) -> int:
        return sum(c.cells for c in self.checks)

    @property
    def text(self) -> str:
        """The report as ``xlbackprop verify`` prints it."""
        lines = [f"verify {self.path}  (engine: {self.engine}; tolerance: {self.tolerance})"]
        lines += [c.line(first=k == 0) for k, c in enumerate(self.culprits)]
        wrong = sum(c.n_mismatches for c in self.checks)
        if self.culprits and wrong > len(self.culprits) and not self.show_all:
            lines.append(f"{wrong - len(self.culprits):,} other cells are off only because of these "
                         f"(xlbackprop verify --all lists every cell)")
        lines.append(f"{'quantity':<12} {'cells':>9} {'max abs err':>12} {'allowed':>9} {'max rel err':>12}  "
                     f"{'worst cell':<16} verdict")
        for c in self.checks:
            lines.append(f"{c.name:<12} {c.cells:>9,} {c.max_abs:>12.1e} {c.allowed:>9.1e} {c.max_rel:>12.1e}  "
                         f"{c.worst_cell:<16} {'OK' if c.ok else f'MISMATCH ({c.n_mismatches:,} cells)'}")
        if self.show_all or not self.culprits:
            for c in self.checks:
                for m in c.mismatches:
                    lines.append(f"MISMATCH {c.name} at {m}")
        if self.not_formulas:
            shown = ", ".join(self.not_formulas[:SHOW_MISMATCHES])
            lines.append(f"NOT A FORMULA: {len(self.not_formulas):,} training cells hold a constant instead of "
                         f"a live formula: {shown}{' ...' if len(self.not_formulas) > SHOW_MISMATCHES else ''}")
        if self.stale:
            shown = "; ".join(self.stale[:SHOW_MISMATCHES])
            n = len(self.stale)
            lines.append(f"STALE: {n:,} training cell{'s' if n != 1 else ''} store{'' if n != 1 else 's'} a value "
                         f"other than the one {'they compute' if n != 1 else 'it computes'} "
                         f"(edited, or saved without recalculating): {shown}"
                         f"{' ...' if len(self.stale) > SHOW_MISMATCHES else ''}")
        lines += [f"note: {note}" for note in self.notes]
        overflowed = sum(c.n_overflowed for c in self.checks)
        if overflowed:
            lines.append(f"note: {overflowed:,} cells overflow to #NUM! in the sheet, where the reference overflows "
                         f"too (the run diverges; try a smaller eta)")
        timing = ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items())
        if self.ok:
            worst = max(self.checks, key=lambda c: c.max_rel)
            lines.append(f"OK: {self.cells:,} cells of {self.path} agree with the reference within {self.tolerance} "
                         f"(worst: {worst.name} at {worst.worst_cell}, rel {worst.max_rel:.1e}; {timing})")
        else:
            bad = sum(c.n_mismatches for c in self.checks) + len(self.not_formulas)
            lines.append(f"FAILED: {bad:,} of {self.cells:,} cells of {self.path} are wrong ({timing})")
        return "\n".join(lines)


def verify(path: str | Path, timeout: float = 900, engine: str | None = None,
           say: Callable[[str], None] = lambda message: None, show_all: bool = False) -> Report:
    """Recalculate ``path`` in ``engine`` (:data:`ENGINES`; None: LibreOffice where it is installed,
    else IronCalc) and compare every cell with the reference.

    Every training sheet is checked (``Training`` and the rate sheets of a sweep, each against
    the reference for its own parameters), and so is the sweep table. Raises
    :class:`~xlbackprop.core.errors.WorkbookError` or :class:`~xlbackprop.core.errors.EngineError` when
    the file cannot be checked at all. ``say`` hears what it is doing (for a progress line);
    ``show_all`` lists every wrong cell rather than the root causes.
    """
    path = Path(path)
    guard(path)  # before LibreOffice sees it: no zip bomb, no DOCTYPE
    chosen = ENGINES[engine or engines.default_engine()]
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    if chosen.recalculate is None:
        report = _verify_in_memory(path, chosen, say, show_all, seconds)
    else:
        report = _verify_beside(path, chosen, timeout, say, show_all, seconds)
    seconds["total"] = time.perf_counter() - start
    return report


def _verify_beside(path: Path, chosen: Engine, timeout: float, say: Callable[[str], None], show_all: bool,
                   seconds: dict[str, float]) -> Report:
    """Through an engine in its own process (LibreOffice, Gnumeric), which saves a recalculated copy."""
    with scratch.folder("xlbackprop-verify-") as out, ThreadPoolExecutor(1) as pool:
        try:
            # the engine recalculates in its own process while this one reads the file and runs the reference
            start = time.perf_counter()
            job = pool.submit(_timed, chosen.recalculate, path, out, timeout=timeout)
            version = chosen.version()
            say(f"recalculating in {version}, reading the workbook")
            # is it ours, is every quantity a live formula, and what values does it store (against the engine's)?
            formulas, before = reader.read_both(path)
            seconds["read"] = time.perf_counter() - start
            expected = _expected(before, chosen, say, seconds)
            recalculated, seconds["recalculate"] = job.result()
            mark = time.perf_counter()
            data = reader.read_all(recalculated)
            seconds["read back"] = time.perf_counter() - mark
            return _judged(path, formulas, before, data, expected, chosen, version, say, show_all, seconds,
                           lambda: grid.read_xlsx(recalculated, max_cells=MAX_CELLS_VERIFY))
        except BaseException:  # a bad file or Ctrl-C: stop LibreOffice rather than wait for it
            engines.stop_all()
            raise


def _verify_in_memory(path: Path, chosen: Engine, say: Callable[[str], None], show_all: bool,
                      seconds: dict[str, float]) -> Report:
    """Through IronCalc in this process: one load gives what the file stores and what it computes."""
    version = chosen.version()
    say(f"recalculating in {version}")
    mark = time.perf_counter()
    stored, computed = grid.in_memory(path, MAX_CELLS_VERIFY)
    seconds["recalculate"] = time.perf_counter() - mark
    mark = time.perf_counter()
    formulas, before = reader.read_both(path, stored)
    data = reader.read_all(path, book=computed)
    seconds["read"] = time.perf_counter() - mark
    expected = _expected(before, chosen, say, seconds)
    return _judged(path, formulas, before, data, expected, chosen, version, say, show_all, seconds, lambda: computed)


def _expected(before: reader.Contents, chosen: Engine, say: Callable[[str], None], seconds: dict[str, float]) -> dict:
    say("running the reference")
    mark = time.perf_counter()
    expected = {sheet: train(contents.spec, chosen.arithmetic) for sheet, contents in before.training.items()}
    seconds["reference"] = time.perf_counter() - mark
    return expected


def _judged(path: Path, formulas: reader.Contents, before: reader.Contents, data: reader.Contents, expected: dict,
            chosen: Engine, version: str, say: Callable[[str], None], show_all: bool, seconds: dict[str, float],
            recalculated: Callable[[], grid.Book]) -> Report:
    """Every cell of the engine's ``data`` against the reference, stored values against the
    engine's, and where anything is wrong the root causes, read from the ``recalculated`` book."""
    say("comparing every cell with the reference")
    mark = time.perf_counter()
    report = _report(path, data, formulas, expected, chosen, version, seconds, show_all)
    report.stale = _stale(before, data, chosen)
    seconds["compare"] = time.perf_counter() - mark
    if not report.ok:
        say("looking for the root causes")
        report.culprits = culprits.find(recalculated(), {sheet: c.layout for sheet, c in data.training.items()})
    return report


def _timed(function: Callable, *args, **kwargs) -> tuple[Any, float]:
    start = time.perf_counter()
    return function(*args, **kwargs), time.perf_counter() - start


def _report(path: Path, data: reader.Contents, formulas: reader.Contents, expected: dict, chosen: Engine,
            version: str, seconds: dict[str, float], show_all: bool) -> Report:
    compare = partial(_compare, engine=chosen, limit=None if show_all else SHOW_MISMATCHES)
    for sheet, contents in data.training.items():  # the engine's copy should hold the file's parameters
        if sheet not in expected or contents.spec != formulas.training[sheet].spec:
            expected[sheet] = train(contents.spec, chosen.arithmetic)
    checks = []
    # every quantity of any training sheet, in Training's order, then the state columns only a
    # comparison's optimizer sheets have (Training trained by SGD, a sheet ``adam`` with m_w1 ..)
    names = list(dict.fromkeys(c.name for contents in data.training.values() for c in contents.layout.columns[1:]))
    for name in names:
        having = [(sheet, contents) for sheet, contents in data.training.items() if name in contents.layout.column]
        got, exp = [], []
        for sheet, contents in having:
            got += contents.cells[name]
            exp.append(expected[sheet][name])
        where = _Where([sheet for sheet, _ in having], [contents.rows for _, contents in having])
        notes = _Lazy(lambda k, where=where: f"iteration {where(k)[1]}")
        refs = _Lazy(lambda k, where=where, name=name: _cell(data, name, *where(k)))
        checks.append(compare(name, got, np.concatenate(exp), refs, notes))
    not_formulas = [_ref(sheet, f"{contents.layout.column[name].letter}{contents.layout.first_row + k}")
                    for sheet, contents in formulas.training.items()
                    for name, cells in contents.cells.items()
                    for k, v in enumerate(cells) if not _is_formula(v)]
    if data.sweep is not None:
        plan = data.sweep
        keys = list(data.sweep_cells)
        refs = [_ref(SWEEP_SHEET, plan.cell(plan.sheets.index(sheet), it)) for sheet, it in keys]
        notes = [f"E_total of {sheet!r} at iteration {it}" for sheet, it in keys]
        exp = np.array([expected[sheet][E_TOTAL][it - 1] for sheet, it in keys])
        checks.append(compare(f"{SWEEP_SHEET} table", [data.sweep_cells[k] for k in keys], exp, refs, notes))
        not_formulas += [ref for ref, key in zip(refs, keys) if not _is_formula(formulas.sweep_cells[key])]
    if data.derivation is not None:
        checks.append(_check_derivation(path, data, expected[SHEET], chosen))
        not_formulas += [_ref(DERIVATION_SHEET, c) for c in data.derivation.expected
                         if not _is_formula(formulas.derivation_cells[c])]
    if data.diagram is not None:
        checks.append(_check_diagram(path, data, expected[SHEET], chosen))
        not_formulas += [_ref(DIAGRAM_SHEET, c) for c in data.diagram.expected
                         if not _is_formula(formulas.diagram_cells[c])]
    if data.matrices is not None:
        checks += _check_matrices(path, data, expected[SHEET], chosen)
        not_formulas += [_ref(MATRICES_SHEET, c) for c in matrices.formula_cells(data.matrices)
                         if not _is_formula(formulas.matrices_cells[c])]
    longer = [f"sheet {sheet!r} holds {c.rows:,} iteration rows, {c.rows - c.layout.iterations:,} more than its iterations cell says "
              f"({c.layout.iterations:,}); every row was checked"
              for sheet, c in formulas.training.items() if c.rows > c.layout.iterations]
    return Report(path, checks, not_formulas, version, seconds, chosen.describe(), show_all=show_all, notes=longer)


class _Where:
    """Sheet and iteration of index k of some sheets' rows laid end to end: ``where(k)``."""

    def __init__(self, sheets: list[str], rows: list[int]):
        self.sheets, self.starts = sheets, np.cumsum([0] + rows)

    def __call__(self, k: int) -> tuple[str, int]:
        s = int(np.searchsorted(self.starts, k, side="right")) - 1
        return self.sheets[s], k - int(self.starts[s]) + 1


def _cell(data: reader.Contents, name: str, sheet: str, iteration: int) -> str:
    """The cell of quantity ``name`` at ``iteration`` on training sheet ``sheet``, as the report names it."""
    layout = data.training[sheet].layout
    return _ref(sheet, f"{layout.column[name].letter}{layout.row(iteration)}")


def _stale(before: reader.Contents, after: reader.Contents, engine: Engine) -> list[str]:
    """Training cells whose stored value differs from what the engine computes there ("B21 stores
    0.1, computes 0.2"). A cell that stores nothing (a file written without values) is not stale."""
    out = []
    for sheet, stored in before.training.items():
        layout = stored.layout
        for name, cells in stored.cells.items():
            computed = after.training[sheet].cells[name]
            try:  # the usual case, numbers throughout: at numpy's speed
                was, now = np.array(cells, dtype=float), np.array(computed, dtype=float)
                if len(was) == len(now) and np.isfinite(now).all():
                    scale = float(np.abs(now).max(initial=0.0))
                    if (np.abs(was - now) <= engine.rtol * np.abs(now) + engine.stored_atol * scale).all():
                        continue
            except (TypeError, ValueError):
                pass
            scale = max((abs(v) for v in computed if isinstance(v, (int, float)) and math.isfinite(v)), default=0.0)
            for k, (was, now) in enumerate(zip(cells, computed)):
                if was is None or was == now:
                    continue
                numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (was, now))
                if numbers and abs(was - now) <= engine.rtol * abs(now) + engine.stored_atol * scale:
                    continue
                cell = _ref(sheet, f"{layout.column[name].letter}{layout.first_row + k}")
                out.append(f"{cell} stores {was!r}, computes {now!r}")
    return out


def _check_diagram(path: Path, data: reader.Contents, table, engine: Engine) -> QuantityCheck:
    """The Network sheet's values, against the reference at the iteration (and sample) it shows."""
    cells, spec = data.diagram_cells, data.training[SHEET].spec
    iteration = _chosen(path, cells, diagram.ITERATION_CELL, data.training[SHEET].layout.iterations)
    sample = _chosen(path, cells, diagram.SAMPLE_CELL, spec.network.n_samples) if spec.network.n_samples > 1 else 1
    coordinates = list(data.diagram.expected)
    exp = np.array([data.diagram.expected[c](table, spec, iteration, sample) for c in coordinates])
    refs = [_ref(DIAGRAM_SHEET, c) for c in coordinates]
    return _compare(DIAGRAM_SHEET, [cells[c] for c in coordinates], exp, refs, [f"iteration {iteration}"] * len(refs),
                    engine)


def _check_matrices(path: Path, data: reader.Contents, table, engine: Engine) -> list[QuantityCheck]:
    """The Matrices sheet's values against the reference at the iteration it shows, and its
    difference cells against 0 (blank where they compare with a next row the table does not have).
    MMULT may add in another order than the Training sheet's sums (LibreOffice's compensates), so
    each cell is allowed :data:`MATRIX_ATOL` of its matrix's largest value (for a difference, of
    the matrix it compares), besides the engine's own tolerance; a difference's relative error is
    reported against that largest value, as its expected 0 has none."""
    plan, cells, spec = data.matrices, data.matrices_cells, data.training[SHEET].spec
    iteration = _chosen(path, cells, matrices.ITERATION_CELL, data.training[SHEET].layout.iterations, MATRICES_SHEET)
    values = {c: e(table, spec, iteration) for c, e in plan.expected.items()}
    largest, differences = {}, set()
    for name, block in plan.blocks.items():
        source = plan.blocks[plan.compares.get(name, name)]
        magnitudes = [abs(v) for v in (values.get(source.cell(i, j)) for i in range(1, source.rows + 1)
                                       for j in range(1, source.cols + 1)) if isinstance(v, float)]
        for i in range(1, block.rows + 1):
            for j in range(1, block.cols + 1):
                largest[block.cell(i, j)] = max(magnitudes, default=0.0)
                if name in plan.compares:
                    differences.add(block.cell(i, j))
    looser = replace(engine, atol=max(engine.atol, MATRIX_ATOL))
    note = [f"iteration {iteration}"]
    checks = []
    for label, group in ((MATRICES_SHEET, [c for c in values if c not in differences]),
                         (f"{MATRICES_SHEET} Δ", [c for c in values if c in differences])):
        numeric = [c for c in group if not isinstance(values[c], str)]
        exp = np.array([values[c] for c in numeric], dtype=float)
        scale = np.array([largest.get(c, abs(values[c])) for c in numeric], dtype=float)
        got = [cells[c] for c in numeric]
        check = _compare(label, got, exp, [_ref(MATRICES_SHEET, c) for c in numeric], note * len(numeric), looser,
                         scale)
        if label != MATRICES_SHEET and numeric:
            share = [abs(g) / m if isinstance(g, (int, float)) and m > 0 else (0.0 if g == 0 else math.inf)
                     for g, m in zip(got, scale)]
            check.max_rel = float(max(share))
        for c in group:
            if isinstance(values[c], str) and cells[c] not in (None, ""):
                check.n_mismatches += 1
                check.mismatches.append(f"{_ref(MATRICES_SHEET, c)} (iteration {iteration}, the last): got "
                                        f"{cells[c]!r}, expected it blank (Training has no next row)")
        check.cells = len(group)
        checks.append(check)
    return checks


def _chosen(path: Path, cells: dict, coordinate: str, most: int, sheet: str = DIAGRAM_SHEET) -> int:
    value = cells[coordinate]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or not 1 <= value <= most:
        raise WorkbookError(f"{path}: cell {coordinate} of {sheet!r} holds {value!r}; "
                            f"it should be a whole number from 1 to {most}")
    return int(value)


def _check_derivation(path: Path, data: reader.Contents, table, engine: Engine) -> QuantityCheck:
    """Every live cell of the Derivation sheet, against numpy: the steps from the reference table,
    the finite-difference cells from reference runs with one parameter moved by the sheet's own h."""
    plan, cells = data.derivation, data.derivation_cells
    spec = data.training[SHEET].spec
    h = cells[derivation.H_CELL]
    if isinstance(h, bool) or not isinstance(h, (int, float)):
        raise WorkbookError(f"{path}: cell {derivation.H_CELL} of {DERIVATION_SHEET!r} (h) holds {h!r}, not a number")
    perturbed = {(p, sign): train(derivation.perturbed_spec(spec, p, sign, h), engine.arithmetic)
                 for p in plan.parameters for sign in (1, -1)}
    context = derivation.Context(table, perturbed, float(h), spec)
    coordinates = list(plan.expected)
    exp = np.array([plan.expected[c](context) for c in coordinates])
    cancelled = np.array([plan.cancels[c](context) if c in plan.cancels else 0.0 for c in coordinates])
    scale = np.where(cancelled > 0, cancelled, np.abs(exp))
    refs = [_ref(DERIVATION_SHEET, c) for c in coordinates]
    # a finite-difference slope (E(w+h) - E(w-h)) / 2h cancels: its error follows E/2h, not the slope
    return _compare(DERIVATION_SHEET, [cells[c] for c in coordinates], exp, refs, ["a step of iteration 1"] * len(refs),
                    engine, scale, floor=engine.rtol * cancelled)


class _Lazy:
    """``refs[k]`` or ``notes[k]`` made when asked for: the report names a few cells of millions."""

    def __init__(self, make: Callable[[int], str]):
        self.make = make

    def __getitem__(self, k: int) -> str:
        return self.make(int(k))


def _ref(sheet: str, coordinate: str) -> str:
    """A cell as the report names it: ``T57`` on Training, ``'eta 2'!T57`` elsewhere."""
    return coordinate if sheet == SHEET else f"{quote_sheetname(sheet)}!{coordinate}"


def _is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith("=")


def _compare(name: str, cells: list, expected: np.ndarray, refs: list[str], notes: list[str],
             engine: Engine = ENGINES["libreoffice"], scale: np.ndarray | None = None,
             floor: np.ndarray | None = None, limit: int | None = SHOW_MISMATCHES) -> QuantityCheck:
    """Hold one quantity against the reference: a number where the reference has one, within the
    engine's tolerance, and an error value (``#NUM!``) where the reference overflowed (NaN).
    ``refs[k]`` names cell k (``"T57"``, ``"'eta 2'!T57"``), ``notes[k]`` says what it is;
    ``scale[k]`` is what the engine's ``atol`` is a share of (default: the quantity's largest value);
    ``floor[k]`` an allowance of its own, for a cell that cancels (a finite-difference slope)."""
    is_error = np.array([reader.is_error(v) for v in cells], dtype=bool)
    got = np.array([v if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan for v in cells],
                   dtype=float)
    overflowed = np.isnan(expected)
    with np.errstate(invalid="ignore", divide="ignore"):
        abs_err = np.abs(got - expected)
        rel_err = np.where(expected == 0, np.where(got == 0, 0.0, np.inf), abs_err / np.abs(expected))
    rel_err = np.where(np.isnan(rel_err), np.inf, rel_err)
    abs_err = np.where(np.isnan(abs_err), np.inf, abs_err)
    both_overflowed = overflowed & is_error
    rel_err[both_overflowed] = abs_err[both_overflowed] = 0.0
    if scale is None:
        finite = np.abs(expected[np.isfinite(expected)])
        scale = np.full(len(expected), float(finite.max()) if finite.size else 0.0)
    allowed = engine.rtol * np.abs(expected) + engine.atol * scale + (0.0 if floor is None else floor)
    bad = np.flatnonzero(~both_overflowed & ~(abs_err <= allowed))
    worst = int(np.argmax(rel_err))
    check = QuantityCheck(name, len(cells), float(abs_err.max()), float(rel_err.max()),
                          refs[worst], allowed=float(allowed[int(np.argmax(abs_err))]),
                          n_mismatches=len(bad), n_overflowed=int(both_overflowed.sum()))
    for k in bad[:limit]:
        exp = "an error value (the math overflows)" if overflowed[k] else repr(float(expected[k]))
        check.mismatches.append(f"{refs[k]} ({notes[k]}): got {cells[k]!r}, expected {exp}")
    return check
