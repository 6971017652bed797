"""Read an .xlsx package's cells in one streaming pass: each cell's formula and stored value.

openpyxl reads a sheet twice to give both (once with formulas, once with values) and builds a
Python object per cell, empty styled cells included; a class's workbooks hold hundreds of
thousands of those. This reads each worksheet part once with lxml's ``iterparse``, keeps
only cells that hold something, and expands shared formulas with openpyxl's own
:class:`~openpyxl.formula.translate.Translator`, as openpyxl does::

    <c r="E26"><f t="shared" si="3"/><v>0.14996...</v></c>   with the master E25 = "E24-$P$19*X24"
    -> formulas[(26, 5)] = "=E25-$P$19*X25", values[(26, 5)] = 0.14996..., digits["E26"] = 17

The package must have passed :func:`xlbackprop.reader.check_package` (no zip bomb, no DOCTYPE)
before anything here opens it; the XML parser also resolves no entities and fetches nothing.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterator

from lxml import etree
from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
WORKSHEET = "/worksheet"
_INTEGER = re.compile(r"-?\d{1,15}")
ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}


@dataclass
class RawSheet:
    """One worksheet's cells: ``formulas`` and ``values`` by (row, col), 1-based; ``digits`` the
    most significant digits any formula's stored number was written with."""

    name: str
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    values: dict[tuple[int, int], Any] = field(default_factory=dict)
    digits: int = 0


def _parser_args() -> dict:
    return {"resolve_entities": False, "no_network": True, "huge_tree": False, "remove_comments": True}


def _xml(archive: zipfile.ZipFile, name: str):
    return etree.fromstring(archive.read(name), etree.XMLParser(**_parser_args()))


def workbook(archive: zipfile.ZipFile) -> tuple[list[tuple[str, str]], list[tuple[str, str | None, str]]]:
    """The worksheets ``(name, part)`` in order, and the defined names ``(name, sheet or None, text)``."""
    book = _xml(archive, "xl/workbook.xml")
    rels_part = "xl/_rels/workbook.xml.rels"
    targets = {}
    if rels_part in archive.namelist():
        for rel in _xml(archive, rels_part).iter(f"{PKG_REL}Relationship"):
            if rel.get("Type", "").endswith(WORKSHEET):
                target = rel.get("Target", "")
                targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else \
                    posixpath.normpath(posixpath.join("xl", target))
    sheets = [(s.get("name"), targets[s.get(f"{REL}id")]) for s in book.iter(f"{MAIN}sheet")
              if s.get(f"{REL}id") in targets]
    names = []
    for d in book.iter(f"{MAIN}definedName"):
        local = d.get("localSheetId")
        sheet = sheets[int(local)][0] if local is not None and local.isdigit() and int(local) < len(sheets) else None
        names.append((d.get("name", ""), sheet, d.text or ""))
    return sheets, names


def shared_strings(archive: zipfile.ZipFile) -> list[str]:
    name = "xl/sharedStrings.xml"
    if name not in archive.namelist():
        return []
    return ["".join(t.text or "" for t in si.iter(f"{MAIN}t")) for si in _xml(archive, name).iter(f"{MAIN}si")]


def cells(archive: zipfile.ZipFile, part: str, name: str, strings: list[str], max_cells: int) -> RawSheet:
    """Every non-empty cell of one worksheet part."""
    sheet = RawSheet(name)
    shared: dict[str, Translator] = {}  # si -> the master formula, ready to be moved
    columns: dict[str, int] = {}
    with archive.open(part) as stream:
        for row, col, coordinate, kind, f, v in _cells(stream, columns):
            if f is not None:
                formula = _formula(f, coordinate, shared)
                if formula is not None:
                    sheet.formulas[(row, col)] = formula
            value = _value(kind, v, strings)
            if value is not None:
                sheet.values[(row, col)] = value
                if f is not None and isinstance(value, float) and value != 0:
                    sheet.digits = max(sheet.digits, significant_digits(v.text))
            if len(sheet.values) + len(sheet.formulas) > 2 * max_cells:
                raise ValueError(f"sheet {name!r} holds more than {max_cells:,} cells")
    return sheet


def _cells(stream, columns: dict[str, int]) -> Iterator[tuple[int, int, str, str, Any, Any]]:
    last_row, col = 0, 0
    row_tag, cell_tag = f"{MAIN}row", f"{MAIN}c"
    for _, el in etree.iterparse(stream, events=("end",), tag=(cell_tag, row_tag), **_parser_args()):
        if el.tag == row_tag:
            last_row, col = int(el.get("r") or last_row + 1), 0
            el.clear()
            continue
        coordinate = el.get("r")
        if coordinate:
            if len(el) == 0:  # an empty, merely styled cell: most of a sheet
                el.clear()
                continue
            letters, row = coordinate_from_string(coordinate)
            col = columns.get(letters) or columns.setdefault(letters, column_index_from_string(letters))
        else:  # a cell may leave out r: then it follows the one before, in its row
            parent = el.getparent()
            row = int(parent.get("r")) if parent is not None and parent.get("r") else last_row + 1
            col += 1
            coordinate = f"{get_column_letter(col)}{row}"
        f, v, inline = el.find(f"{MAIN}f"), el.find(f"{MAIN}v"), el.find(f"{MAIN}is")
        if f is not None or v is not None or inline is not None:
            yield row, col, coordinate, el.get("t", "n"), f, (v if inline is None else inline)
        el.clear()


def _formula(f, coordinate: str, shared: dict[str, Translator]) -> str | None:
    kind, text = f.get("t", "normal"), f.text
    if kind == "dataTable":
        return None
    if kind == "shared":
        si = f.get("si", "")
        if text:
            shared[si] = Translator("=" + text, origin=coordinate)
            return "=" + text
        return shared[si].translate_formula(coordinate) if si in shared else None
    return "=" + text if text else None


def _value(kind: str, v, strings: list[str]) -> Any:
    if v is None:
        return None
    if v.tag == f"{MAIN}is":
        return "".join(t.text or "" for t in v.iter(f"{MAIN}t"))
    text = v.text
    if text is None:
        return None
    if kind == "s":
        index = int(text)
        return strings[index] if 0 <= index < len(strings) else None
    if kind in ("str", "inlineStr"):
        return text
    if kind == "b":
        return text.strip() in ("1", "true")
    if kind == "e":
        return text if text in ERRORS else "#VALUE!"
    if _INTEGER.fullmatch(text):
        return int(text)  # as openpyxl reads it: a count stays a whole number
    try:
        return float(text)
    except ValueError:
        return None


def significant_digits(text: str) -> int:
    """Significant digits as written: ``"0.5068745668"`` -> 10, ``"2.014245767E-05"`` -> 10."""
    mantissa = text.lower().split("e")[0].lstrip("-+").replace(".", "").lstrip("0")
    return len(mantissa.rstrip("0")) or 1
