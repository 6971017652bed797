"""A workbook recalculated by IronCalc in this process, read straight from its memory.

IronCalc (``pip install ironcalc``, a spreadsheet engine in Rust) loads an .xlsx holding each
formula's stored value until it evaluates, then its own. So one load gives both what the file
stores and what IronCalc computes, with no file written and none read back::

    sheet = recalculate(path, max_cells).sheets[0]
    sheet.cells[9], sheet.formulas[9]     # (14, 10), "=B14*$B$4+C14*$C$4": row, column (1-based)
    sheet.stored[9], sheet.computed[9]    # 0.0775, 0.0775

IronCalc reads a formula that stores no value as storing 0; :func:`xlbackprop.xlsx.grid.in_memory`
tells the two apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import EngineError, WorkbookError

INSTALL = "IronCalc is not installed; install it with: pip install ironcalc"


@dataclass
class LoadedSheet:
    """Every non-empty cell of one sheet, by index: where it is, its formula, its two values."""

    name: str
    cells: list[tuple[int, int]]  # (row, column), 1-based
    formulas: list[str | None]
    stored: list[Any]  # as the file stores it (0 for a formula that stores nothing)
    computed: list[Any]  # as IronCalc computes it


@dataclass
class Loaded:
    sheets: list[LoadedSheet]
    defined: list[tuple[str, str | None, str]]  # (name, sheet or None for the workbook, "Training!$B$2")


def version() -> str:
    """``"IronCalc 0.9.1"``."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return f"IronCalc {installed('ironcalc')}"
    except PackageNotFoundError:
        raise EngineError(INSTALL) from None


def recalculate(path: Path, max_cells: int, changes: dict[tuple[str, int, int], float] | None = None) -> Loaded:
    """Load ``path`` (already guarded) into IronCalc, read what it stores, evaluate, read what it
    computes; ``changes`` are numbers typed into cells first, ``{("Training", 2, 2): 0.5}``. Raises :class:`EngineError` when IronCalc is missing or cannot load the file, and
    :class:`WorkbookError` when a sheet holds more than ``max_cells`` cells."""
    try:
        import ironcalc
    except ImportError:
        raise EngineError(INSTALL) from None
    try:
        model = ironcalc.load_from_xlsx(str(path), "en", "UTC")
        names = [sheet["name"] for sheet in model.get_worksheets_properties()]
        cells: list[list[tuple[int, int]]] = [[] for _ in names]
        for s, row, col in model.get_all_cells():
            cells[s].append((row, col))
        for name, where in zip(names, cells):
            if len(where) > max_cells:
                raise WorkbookError(f"{path}: sheet {name!r} holds {len(where):,} cells, more than the {max_cells:,} "
                                    f"a sheet may hold here")
        formula, value = model.get_cell_formula, model.get_cell_value
        sheets = [LoadedSheet(name, where, [formula(s, r, c) for r, c in where], _values(value, s, where), [])
                  for s, (name, where) in enumerate(zip(names, cells))]
        for (sheet, row, col), number in (changes or {}).items():
            if sheet not in names:
                raise WorkbookError(f"{path}: no sheet named {sheet!r}")
            model.update_cell_with_number(names.index(sheet), row, col, float(number))
        model.evaluate()
        for s, sheet in enumerate(sheets):
            sheet.computed = _values(value, s, sheet.cells)
        defined = [(d["name"], None if d["scope"] is None else names[d["scope"]], d["formula"])
                   for d in model.get_defined_name_list()]
    except WorkbookError:
        raise
    except BaseException as exc:  # its WorkbookError, or a panic in Rust (pyo3's PanicException is a BaseException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise EngineError(f"IronCalc could not recalculate {path.name}: {exc}") from None
    return Loaded(sheets, defined)


def _values(value, s: int, where: list[tuple[int, int]]) -> list[Any]:
    """The cells' values as the file reader gives them: a whole number as an int (a count such as
    100 iterations), the rest as IronCalc has them (float, str, bool, an error as "#NUM!")."""
    out = [value(s, r, c) for r, c in where]
    return [int(v) if v.__class__ is float and v.is_integer() and -2**53 < v < 2**53 else v for v in out]
