"""A hand-made workbook as check reads it: per sheet, every cell's formula and stored value.

The file is untrusted: it passes :func:`xlbackprop.reader.open_workbook`'s guards (zip bombs,
DOCTYPEs) before openpyxl reads it, twice, once for the formula text and once for the values
the student's spreadsheet program stored. An .xls or .ods file, a file that stores no values,
or any file with ``recalc=True`` is first recalculated and saved as .xlsx by LibreOffice::

    book = read("anna.xlsx")
    book.sheets[0].formula(33, 24)   # "=((R33-A33)*R33*(1-R33)*M33+...)*J33*(1-J33)*C33"
    book.sheets[0].value(33, 24)     # 0.0001882556669401121, what Excel computed
    book.unit                        # 1.1e-16; 5e-10 for a Google Sheets export (10 digits)

Rows and columns are 1-based, as in openpyxl.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import recalc
from ..errors import WorkbookError
from ..reader import open_workbook
from .formula import Node, parse, resolve_names

CONVERTED = (".xls", ".ods", ".xlsm", ".fods")
MAX_CELLS = 2_000_000
DOUBLE_UNIT = 2.0**-53


@dataclass
class Sheet:
    """One worksheet: ``formulas[(row, col)]`` the formula text, ``values[(row, col)]`` what is stored."""

    name: str
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    values: dict[tuple[int, int], Any] = field(default_factory=dict)
    names: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # defined names: eta -> (sheet, row, col)

    def parse(self, text: str) -> Node:
        """A formula of this sheet as a tree, its defined names (``eta``) read as the cells they name."""
        def lookup(name: str) -> tuple[str | None, int, int] | None:
            target = self.names.get(name.lower())
            if target is None:
                return None
            sheet, row, col = target
            return (None if sheet == self.name else sheet), row, col

        return resolve_names(parse(text), lookup)

    def formula(self, row: int, col: int) -> str | None:
        return self.formulas.get((row, col))

    def value(self, row: int, col: int) -> Any:
        return self.values.get((row, col))

    def number(self, row: int, col: int) -> float | None:
        """The stored value when it is a number (not text, not an error, not a boolean)."""
        v = self.values.get((row, col))
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    def text(self, row: int, col: int) -> str | None:
        """A label: a text cell (or a formula whose value is text)."""
        v = self.values.get((row, col))
        return v if isinstance(v, str) and not v.startswith("#") else None


@dataclass
class Book:
    """Every sheet of one file, and the relative rounding ``unit`` of its stored values."""

    path: Path
    sheets: list[Sheet]
    digits: int  # significant digits of the stored values (10 for Google Sheets, 15-17 otherwise)
    recalculated: bool = False

    @property
    def unit(self) -> float:
        return max(0.5 * 10.0 ** (1 - self.digits), DOUBLE_UNIT)


def read(path: str | Path, recalculate: bool = False, timeout: float = 120) -> Book:
    """Read ``path``; recalculate with LibreOffice first when asked, when it is not .xlsx, or
    when its formulas carry no stored values."""
    path = Path(path)
    if not path.exists():
        raise WorkbookError(f"{path}: no such file")
    if recalculate or path.suffix.lower() in CONVERTED:
        return _recalculated(path, timeout)
    book = _read_xlsx(path)
    if any(s.formulas for s in book.sheets) and not _has_values(book):
        return _recalculated(path, timeout)
    return book


def _recalculated(path: Path, timeout: float) -> Book:
    if path.suffix.lower() not in (".xlsx", *CONVERTED):
        raise WorkbookError(f"{path}: not a spreadsheet (.xlsx, .xls or .ods)")
    if path.suffix.lower() == ".xlsx":
        _guard(path)
    with tempfile.TemporaryDirectory(prefix="xlbackprop-check-") as folder:
        fresh = recalc.convert(path, folder, timeout=timeout)
        book = _read_xlsx(fresh)
    book.path, book.recalculated = path, True
    return book


def _guard(path: Path) -> None:
    with open_workbook(path, values=True):
        pass


def _has_values(book: Book) -> bool:
    return any(s.values.get(key) is not None for s in book.sheets for key in s.formulas)


def _read_xlsx(path: Path) -> Book:
    sheets: dict[str, Sheet] = {}
    with warnings.catch_warnings():  # students' files carry extensions openpyxl warns about
        warnings.simplefilter("ignore")
        with open_workbook(path, values=False) as wb:
            book_names = _defined_names(wb.defined_names)
            for ws in wb.worksheets:
                sheet = sheets[ws.title] = Sheet(ws.title)
                sheet.names = {**book_names, **_defined_names(getattr(ws, "defined_names", {}))}
                for row, col, v, kind in _cells(ws, path):
                    if kind == "f":
                        sheet.formulas[(row, col)] = v if isinstance(v, str) else str(getattr(v, "text", v))
                    else:
                        sheet.values[(row, col)] = v
        with open_workbook(path, values=True) as wb:
            for ws in wb.worksheets:
                sheet = sheets[ws.title]
                for row, col, v, _ in _cells(ws, path):
                    if (row, col) in sheet.formulas:
                        sheet.values[(row, col)] = v
    book = Book(path, list(sheets.values()), 17)
    book.digits = _digits(book)
    return book


def _defined_names(names) -> dict[str, tuple[str, int, int]]:
    """Defined names that stand for one cell: ``{"eta": ("Training", 3, 2)}``."""
    out = {}
    for name, defined in dict(names).items():
        try:
            destinations = list(defined.destinations)
        except Exception:  # a formula, a constant or a damaged name: not a cell
            continue
        if len(destinations) == 1 and ":" not in destinations[0][1]:
            from openpyxl.utils.cell import coordinate_to_tuple

            try:
                row, col = coordinate_to_tuple(destinations[0][1].replace("$", ""))
            except ValueError:
                continue
            out[name.lower()] = (destinations[0][0], row, col)
    return out


def _cells(ws, path: Path):
    if not hasattr(ws, "iter_rows"):  # a chartsheet
        return
    count = 0
    for cells in ws.iter_rows():
        for cell in cells:
            if cell.value is None or not hasattr(cell, "column"):
                continue
            count += 1
            if count > MAX_CELLS:
                raise WorkbookError(f"{path}: sheet {ws.title!r} holds more than {MAX_CELLS:,} cells; "
                                    f"no hand-made backprop table is that large")
            yield cell.row, cell.column, cell.value, cell.data_type


def significant_digits(x: float) -> int:
    """``significant_digits(0.5068745668) == 10``: the digits a stored value was written with."""
    mantissa = repr(abs(float(x))).split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa.rstrip("0")) if mantissa else 1


def _digits(book: Book) -> int:
    """The most digits any formula's stored value has: a file with none over 10 digits came from
    a program that stores 10 (Google Sheets), whatever its typed constants look like."""
    found = [significant_digits(v) for s in book.sheets for key in s.formulas
             if isinstance(v := s.values.get(key), float) and v != 0]
    return max(found, default=17)
