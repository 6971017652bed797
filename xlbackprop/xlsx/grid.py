"""A hand-made workbook as check reads it: per sheet, every cell's formula and stored value.

The file is untrusted: it passes :func:`xlbackprop.xlsx.guards.guard` (missing files, zip bombs,
DOCTYPEs) before :mod:`~xlbackprop.xlsx.scan` streams its sheets once, for the formula text and
the values the student's spreadsheet program stored. An .xls or .ods file, a file that stores no values,
or any file with ``recalc=True`` is first recalculated and saved as .xlsx by LibreOffice::

    book = read("anna.xlsx")
    book.sheets[0].formula(33, 24)   # "=((R33-A33)*R33*(1-R33)*M33+...)*J33*(1-J33)*C33"
    book.sheets[0].value(33, 24)     # 0.0001882556669401121, what Excel computed
    book.unit                        # 1.1e-16; 5e-10 for a Google Sheets export (10 digits)

Rows and columns are 1-based, as in openpyxl.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils.cell import column_index_from_string

from ..core import scratch
from ..core.errors import EngineError, WorkbookError
from . import engines, model, scan
from .formula import Node, parse, resolve_names
from .guards import DAMAGED, MAX_CELLS_CHECK, MAX_CELLS_VERIFY, damaged, guard

CONVERTED = (".xls", ".ods", ".xlsm", ".fods")
SPREADSHEETS = (".xlsx", *CONVERTED)  # what read() takes
DOUBLE_UNIT = 2.0**-53


@dataclass
class Sheet:
    """One worksheet: ``formulas[(row, col)]`` the formula text, ``values[(row, col)]`` what is stored."""

    name: str
    formulas: dict[tuple[int, int], str] = field(default_factory=dict, repr=False)
    values: dict[tuple[int, int], Any] = field(default_factory=dict, repr=False)
    names: dict[str, tuple[str, int, int]] = field(default_factory=dict, repr=False)  # eta -> (sheet, row, col)

    def __repr__(self) -> str:
        return f"Sheet({self.name!r}, {len(self.formulas):,} formulas, {len(self.values):,} values)"

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
    engine: str = ""  # what recalculated it: LibreOffice, or IronCalc where LibreOffice is not installed

    @property
    def unit(self) -> float:
        return max(0.5 * 10.0 ** (1 - self.digits), DOUBLE_UNIT)


def read(path: str | Path, recalculate: bool = False, timeout: float = 120) -> Book:
    """Read ``path``; recalculate it first when asked, when it is not .xlsx, or when its formulas
    carry no stored values: with LibreOffice, or where that is not installed with IronCalc (an
    .xlsx only: .xls and .ods need LibreOffice)."""
    path = Path(path)
    if not path.exists():
        raise WorkbookError(f"{path}: no such file")
    if recalculate or path.suffix.lower() in CONVERTED:
        return _recalculated(path, timeout)
    book = read_xlsx(path)
    if any(s.formulas for s in book.sheets) and not _has_values(book):
        return _recalculated(path, timeout)
    return book


def _recalculated(path: Path, timeout: float) -> Book:
    if path.suffix.lower() not in SPREADSHEETS:
        raise WorkbookError(f"{path}: not a spreadsheet (.xlsx, .xls or .ods)")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        guard(path)
    if engines.default_engine() == "libreoffice":
        with scratch.folder("xlbackprop-check-") as folder:
            book = read_xlsx(engines.convert(path, folder, timeout=timeout))
        book.path, book.recalculated, book.engine = path, True, "LibreOffice"
        return book
    if suffix == ".xlsx":  # no LibreOffice here: IronCalc, which pip installs, recalculates an .xlsx in memory
        return in_memory(path, MAX_CELLS_CHECK)[1]
    raise EngineError(f"{path}: a {suffix} file is read through LibreOffice, which is not installed; "
                      f"{engines.INSTALL_HINT}")


def in_memory(path: Path, max_cells: int = MAX_CELLS_VERIFY,
              changes: dict[tuple[str, int, int], float] | None = None) -> tuple[Book, Book]:
    """``path`` as it is stored and as IronCalc recalculates it (with ``changes`` typed in first:
    :func:`xlbackprop.xlsx.model.recalculate`), from one load in this process, the guards first.
    Where IronCalc says a formula stores 0 and it computes something else, and some formula of
    the file stores no value, the file's own values are read to tell a stored 0 from none, so a
    file saved without values does not seem to store zeros. Both books share one formulas dict."""
    guard(path)
    loaded = model.recalculate(path, max_cells, changes)
    stored, computed, on_file = [], [], None
    for sheet in loaded.sheets:
        names = _names(loaded.defined, sheet.name)
        formulas = {key: f for key, f in zip(sheet.cells, sheet.formulas) if f is not None}  # both books share it
        values = sheet.stored
        unsure = [k for k, (f, was, now) in enumerate(zip(sheet.formulas, values, sheet.computed))
                  if f is not None and was == 0 and now != 0]
        if unsure and on_file is None:  # a stored 0, or no stored value? the file says, where it may be either
            on_file = {s.name: s.values for s in read_xlsx(path, formulas=False, max_cells=max_cells).sheets} \
                if _valueless(path) else {}
        if unsure and on_file:
            values = [on_file[sheet.name].get(key) if v == 0 else v for key, v in zip(sheet.cells, values)]
        stored.append(Sheet(sheet.name, formulas, _present(sheet.cells, values), names))
        computed.append(Sheet(sheet.name, formulas, _present(sheet.cells, sheet.computed), names))
    return Book(path, stored, 17), Book(path, computed, 17, recalculated=True, engine="IronCalc")


def _present(keys: list[tuple[int, int]], values: list[Any]) -> dict[tuple[int, int], Any]:
    return {key: v for key, v in zip(keys, values) if v is not None}


def _valueless(path: Path) -> bool:
    """Whether any formula of ``path`` stores no value."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(scan.has_valueless_formulas(archive, part) for _, part in scan.workbook(archive)[0])
    except DAMAGED as exc:
        raise damaged(path, exc) from None


def _has_values(book: Book) -> bool:
    return any(s.values.get(key) is not None for s in book.sheets for key in s.formulas)


def read_xlsx(path: Path, formulas: bool = True, max_cells: int = MAX_CELLS_CHECK) -> Book:
    """An .xlsx as it is, stored values and all (no recalculation), through the guards; without
    ``formulas`` the cells' values only. A sheet of more than ``max_cells`` is refused."""
    guard(path)
    try:
        with zipfile.ZipFile(path) as archive:
            parts, defined = scan.workbook(archive)
            strings = scan.shared_strings(archive)
            raws = [scan.cells(archive, part, name, strings, max_cells, formulas) for name, part in parts]
    except WorkbookError:
        raise
    except scan.TooLarge as exc:
        raise WorkbookError(f"{path}: {exc}") from None
    except DAMAGED as exc:
        raise damaged(path, exc) from None
    sheets = [Sheet(raw.name, raw.formulas, raw.values, _names(defined, raw.name)) for raw in raws]
    return Book(path, sheets, max((raw.digits for raw in raws), default=0) or 17)


_DESTINATION = re.compile(r"^(?:'((?:[^']|'')+)'|([^!]+))!\$?([A-Za-z]{1,3})\$?(\d+)$")


def _names(defined: list[tuple[str, str | None, str]], sheet: str) -> dict[str, tuple[str, int, int]]:
    """The defined names a formula of ``sheet`` sees: the workbook's, and its own sheet's over them."""
    return {**_defined_names(n for n in defined if n[1] is None), **_defined_names(n for n in defined if n[1] == sheet)}


def _defined_names(names) -> dict[str, tuple[str, int, int]]:
    """Defined names that stand for one cell: ``{"eta": ("Training", 3, 2)}``."""
    out = {}
    for name, _, text in names:
        m = _DESTINATION.match(text.strip())
        if m:
            sheet = m[1].replace("''", "'") if m[1] is not None else m[2]
            out[name.lower()] = (sheet, int(m[4]), column_index_from_string(m[3].upper()))
    return out
