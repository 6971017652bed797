"""What if: a workbook recalculated with given values changed, as a user who types a new η sees it.

    result = whatif("output/backprop.xlsx", {"eta": 0.5})
    print(result.text)
    # whatif output/backprop.xlsx, sheet Training: eta = 0.5 (was 1)  (engine: IronCalc 0.9.1)
    # E_total: 0.0141814 at iteration 1, 0.000634492 at iteration 100; it never falls below 1 % of its start
    # the numpy reference trains the same numbers: E_total agrees within relative 0.0e+00

The file itself is never changed: IronCalc changes its model in memory, LibreOffice and Gnumeric
recalculate an edited copy in a temporary folder. What can be set are the given values of a
training sheet's parameter block: ``eta``, the initial weights ``w1`` … and biases ``b1`` …, and
the constants of the sheet's optimizer (``beta1``, ``beta2``, ``epsilon`` on an Adam sheet;
``momentum``; RMSProp's ``alpha``), held to the network file's rules (a constant in [0, 1),
epsilon above 0).
The numpy reference trains the same numbers, and the result says how closely the engine agrees.
"""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from openpyxl.utils.cell import coordinate_to_tuple

from ..core import scratch
from ..core.errors import FieldError, WorkbookError
from ..core.network import E_TOTAL
from ..core.optimizers import CONSTANTS, DEFAULTS, NAMES
from ..core.reference import train
from ..sheets.layout import SHEET, Layout
from ..xlsx import engines, grid, scan
from ..xlsx.guards import DAMAGED, MAX_CELLS_VERIFY, damaged, guard
from . import reader
from .verification import ENGINES

BELOW = 0.01  # "falls below 1 % of its start"
_NAME = re.compile(r"^(eta|w\d+|b\d+)$")
OWNERS = {key: [n for n in NAMES if key in CONSTANTS[n]] for key in DEFAULTS}  # beta1: adam


class WhatIfError(FieldError):
    """A ``--set`` that names no given value of the sheet, or a value that is not a number."""


@dataclass(frozen=True)
class WhatIf:
    """E_total of one training sheet recalculated with ``changes``: its run, and where it lands."""

    path: Path
    sheet: str
    changes: dict[str, float]
    was: dict[str, Any]  # what the file held in each changed cell
    engine: str
    e_total: list[Any]  # per iteration, as the engine computed it (a number, or "#NUM!" where it overflows)
    reference_rel_err: float  # the largest relative difference from the numpy reference's E_total (0 where
    # the two are within the engine's absolute allowance, as verify holds them: IronCalc's EXP near 0)
    atol: float = 0.0  # that allowance, a share of the run's largest E_total

    @property
    def first(self) -> Any:
        return self.e_total[0]

    @property
    def last(self) -> Any:
        return self.e_total[-1]

    @property
    def below(self) -> int | None:
        """The first iteration at which E_total is below 1 % of its value at iteration 1 (None: never)."""
        start = self.first
        if not _number(start):
            return None
        return next((k for k, e in enumerate(self.e_total, 1) if _number(e) and e < BELOW * start), None)

    @property
    def diverges(self) -> int | None:
        """The first iteration whose E_total is an error value (the run overflows), if any."""
        return next((k for k, e in enumerate(self.e_total, 1) if not _number(e)), None)

    @property
    def text(self) -> str:
        where = f"whatif {self.path}, sheet {self.sheet}"
        changed = ", ".join(f"{name} = {value:g} (was {self.was[name]:g})" for name, value in self.changes.items())
        n = len(self.e_total)
        lines = [f"{where}: {changed}  (engine: {self.engine})"]
        run = f"E_total: {_show(self.first)} at iteration 1, {_show(self.last)} at iteration {n:,}"
        if self.diverges is not None:
            run += f"; it overflows (the run diverges) from iteration {self.diverges:,}"
        elif self.below is not None:
            run += f"; below 1 % of its start from iteration {self.below:,}"
        else:
            run += "; it never falls below 1 % of its start"
        lines.append(run)
        allowance = f" (or {self.atol:g} of its largest value, as verify allows this engine)" if self.atol else ""
        lines.append(f"the numpy reference trains the same numbers: E_total agrees within relative "
                     f"{self.reference_rel_err:.1e}{allowance}")
        return "\n".join(lines)


def whatif(path: str | Path, changes: Mapping[str, float], sheet: str = SHEET, engine: str | None = None,
           timeout: float = 900) -> WhatIf:
    """Recalculate ``path`` in ``engine`` (default: LibreOffice where it is installed, else
    IronCalc) with the given values ``changes`` (``{"eta": 0.5}``) on training sheet ``sheet``;
    the file is not changed. Raises :class:`WhatIfError` for a change that names no given value,
    :class:`~xlbackprop.core.errors.WorkbookError` for a file that is not an xlbackprop workbook."""
    path = Path(path)
    guard(path)
    chosen = ENGINES[engine or engines.default_engine()]
    sheets = _sheet_names(path)
    if SHEET not in sheets:
        raise WorkbookError(f"{path}: no sheet named {SHEET!r}; {reader.NOT_OURS}")
    training = [SHEET, *reader.training_sheets(sheets)]
    if sheet not in training:
        kind = "no training sheet" if sheet in sheets else "no sheet"
        raise WhatIfError("sheet", f"{path} has {kind} {sheet!r}; its training sheets: {', '.join(training)}")
    before = reader.read(path, sheet=sheet)
    cells = {name: _cell(before.layout, name, value, sheet) for name, value in changes.items()}
    if not cells:
        raise WhatIfError("changes", "give at least one value to change, such as eta=0.5")
    was = {name: _given(before.spec, name) for name in cells}
    if chosen.recalculate is None:  # IronCalc: change the model in memory
        computed = grid.in_memory(path, MAX_CELLS_VERIFY, {(sheet, *coordinate_to_tuple(c)): v
                                                           for c, v in cells.values()})[1]
        contents = reader.read_all(path, book=computed)
    else:
        with scratch.folder("xlbackprop-whatif-") as folder:
            edited = Path(folder) / "edited" / path.name
            edited.parent.mkdir()
            _edited_copy(path, edited, sheet, cells)
            try:
                contents = reader.read_all(chosen.recalculate(edited, Path(folder) / "out", timeout=timeout))
            except BaseException:
                engines.stop_all()
                raise
    data = contents.training[sheet]
    for name, (coordinate, value) in cells.items():  # the engine's copy holds the new numbers
        if _given(data.spec, name) != value:
            raise WorkbookError(f"{path}: {coordinate} of sheet {sheet!r} ({name}) did not take the value {value:g}")
    expected = train(data.spec, chosen.arithmetic)[E_TOTAL]
    e_total = data.cells[E_TOTAL]
    got = np.array([e if _number(e) else np.nan for e in e_total], dtype=float)
    scale = float(np.nanmax(np.abs(expected), initial=0.0))
    with np.errstate(invalid="ignore", divide="ignore"):  # within the engine's share of the run's largest, as verify
        rel = np.where((expected == got) | (np.abs(got - expected) <= chosen.atol * scale), 0.0,
                       np.abs(got - expected) / np.abs(expected))
    rel = np.where(np.isnan(got) & np.isnan(expected), 0.0, np.where(np.isnan(rel), np.inf, rel))
    return WhatIf(path, sheet, {n: v for n, (_, v) in cells.items()}, was, chosen.version(), e_total,
                  float(rel.max(initial=0.0)), chosen.atol)


def _sheet_names(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return [name for name, _ in scan.workbook(archive)[0]]
    except DAMAGED as exc:
        raise damaged(path, exc) from None


def parse_changes(texts: list[str] | tuple[str, ...]) -> dict[str, float]:
    """``["eta=0.5", "w1=0.2"]`` -> ``{"eta": 0.5, "w1": 0.2}`` (the command line's ``--set``)."""
    out = {}
    for text in texts:
        name, sep, value = text.partition("=")
        if not sep:
            raise WhatIfError("changes", f"{text!r} should read NAME=VALUE, such as eta=0.5")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise WhatIfError("changes", f"{text!r}: {value.strip()!r} is not a number") from None
    return out


def _cell(layout: Layout, name: str, value: float, sheet: str = SHEET) -> tuple[str, float]:
    """Where given value ``name`` lives (``"B2"`` for eta), with its new value checked."""
    net = layout.network
    if name in DEFAULTS:
        return _constant_cell(layout, name, value, sheet)
    if not _NAME.match(name):
        constants = "".join(f", {c}" for c in layout.constants)
        raise WhatIfError("changes", f"{name!r} is not a given value whatif can change: eta, w1..w{net.n_weights}"
                                 + (f", b1..b{net.n_biases}" if net.bias_mode != "none" else "") + constants)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise WhatIfError("changes", f"{name} must be a finite number, got {value!r}")
    if name == "eta":
        if value <= 0:
            raise WhatIfError("changes", f"eta must be above 0, got {value:g}")
        return layout.eta_cell, float(value)
    n, count = int(name[1:]), net.n_weights if name[0] == "w" else (net.n_biases if net.bias_mode != "none" else 0)
    if not 1 <= n <= count:
        what = "weights" if name[0] == "w" else "biases"
        raise WhatIfError("changes", f"{name}: the {'-'.join(map(str, net.layers))} network has {count} {what}")
    cell = layout.initial_weight_cell(n) if name[0] == "w" else layout.bias_cell(n)
    return cell.replace("$", ""), float(value)


def _constant_cell(layout: Layout, name: str, value: float, sheet: str) -> tuple[str, float]:
    """Where optimizer constant ``name`` lives on ``sheet`` (``"B6"`` for Adam's beta1 on the seed),
    with its new value held to the network file's rules."""
    optimizer = layout.network.optimizer
    if name not in layout.constants:
        has = f"whose constants are {', '.join(layout.constants)}" if layout.constants else "which has no constants"
        raise WhatIfError("changes", f"{name} is a constant of {' and '.join(OWNERS[name])}; sheet {sheet!r} "
                                     f"trains by {optimizer}, {has}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise WhatIfError("changes", f"{name} must be a finite number, got {value!r}")
    if name == "epsilon" and value <= 0:
        raise WhatIfError("changes", f"epsilon must be above 0, got {value:g}: it keeps the step finite where the "
                                     f"squared gradients are 0")
    if name != "epsilon" and not 0 <= value < 1:
        raise WhatIfError("changes", f"{name} must be in [0, 1), got {value:g}")
    return layout.constant_cell(name).replace("$", ""), float(value)


def _given(spec, name: str) -> float:
    if name == "eta":
        return spec.eta
    if name in DEFAULTS:
        return getattr(spec, name)
    values = spec.weights if name[0] == "w" else spec.biases
    return values[int(name[1:]) - 1]


def _edited_copy(src: Path, dst: Path, sheet: str, cells: dict[str, tuple[str, float]]) -> None:
    """Copy ``src`` to ``dst`` with each cell's stored number replaced, as a spreadsheet program
    would save the edit."""
    try:
        with zipfile.ZipFile(src) as zin:
            parts = dict(scan.workbook(zin)[0])
            if sheet not in parts:
                raise WorkbookError(f"{src}: no sheet named {sheet!r}")
            text = zin.read(parts[sheet]).decode("utf-8")
            for coordinate, value in cells.values():
                text = _set(src, sheet, text, coordinate, value)
            with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
                for item in zin.infolist():
                    zout.writestr(item, text.encode("utf-8") if item.filename == parts[sheet] else zin.read(item))
    except DAMAGED as exc:
        raise damaged(src, exc) from None


def _set(src: Path, sheet: str, xml: str, coordinate: str, value: float) -> str:
    cell = re.compile(rf'<c\b(?=[^>]*\br="{coordinate}")([^>]*?)(?:/>|>.*?</c>)', re.S)
    m = cell.search(xml)
    if m is None:
        raise WorkbookError(f"{src}: sheet {sheet!r} has no cell {coordinate}")
    attrs = re.sub(r'\s\bt="[^"]*"', "", m[1])
    return xml[:m.start()] + f"<c{attrs}><v>{value!r}</v></c>" + xml[m.end():]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _show(value: Any) -> str:
    return f"{value:.6g}" if _number(value) else repr(value)
