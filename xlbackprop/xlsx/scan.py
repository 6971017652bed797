"""Read an .xlsx package's cells in one streaming pass: each cell's formula and stored value.

openpyxl reads a sheet twice to give both (once with formulas, once with values) and builds a
Python object per cell, empty styled cells included; a class's workbooks hold hundreds of
thousands of those. This reads each worksheet part once with lxml's ``iterparse``, keeps
only cells that hold something, and expands shared formulas with openpyxl's own
:class:`~openpyxl.formula.translate.Translator`, as openpyxl does::

    <c r="E26"><f t="shared" si="3"/><v>0.14996...</v></c>   with the master E25 = "E24-$P$19*X24"
    -> formulas[(26, 5)] = "=E25-$P$19*X25", values[(26, 5)] = 0.14996..., digits["E26"] = 17

The package must have passed :func:`xlbackprop.xlsx.guards.guard` (no zip bomb, no DOCTYPE)
before anything here opens it; the XML parser also resolves no entities and fetches nothing.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from html import unescape as _unescape
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



class TooLarge(ValueError):
    """A sheet holds more cells than a reader takes (the file is whole, only too big)."""


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


# a formula element followed by no stored value: the cell's end, or an empty <v/> or <v></v> (openpyxl's)
_VALUELESS = re.compile(rb"(?:</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>)\s*"
                        rb"(?:</(?:\w+:)?c>|<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)")
CHUNK = 1 << 22


def has_valueless_formulas(archive: zipfile.ZipFile, part: str) -> bool:
    """Whether some formula of a worksheet part stores no value (a file written by a library that
    computes nothing), read at the speed of a byte search, a chunk at a time."""
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK):
            text = tail + chunk
            if _VALUELESS.search(text):
                return True
            tail = text[-512:]  # a match that straddles two chunks is whole in the next
    return False


def cells(archive: zipfile.ZipFile, part: str, name: str, strings: list[str], max_cells: int,
          formulas: bool = True) -> RawSheet:
    """Every non-empty cell of one worksheet part (without ``formulas``, only the values)."""
    try:
        with archive.open(part) as stream:
            return _scan(stream, name, strings, max_cells, formulas)
    except _Unusual:
        return _read_lxml(archive, part, name, strings, max_cells)


def _read_lxml(archive: zipfile.ZipFile, part: str, name: str, strings: list[str], max_cells: int) -> RawSheet:
    """:func:`cells` through lxml's ``iterparse``: any well-formed part, a few times slower than the scan."""
    sheet = RawSheet(name)
    shared: dict[str, Translator] = {}  # si -> the master formula, ready to be moved
    columns: dict[str, int] = {}
    counted = 0
    with archive.open(part) as stream:
        for row, col, coordinate, kind, f, v in _cells(stream, columns):
            if f is not None:
                formula = _formula(f.get("t", "normal"), f.get("si", ""), f.text, coordinate, shared)
                if formula is not None:
                    sheet.formulas[(row, col)] = formula
            value = _value(kind, v, strings)
            if value is not None:
                sheet.values[(row, col)] = value
                if f is not None and counted < DIGITS_SAMPLE and isinstance(value, float) and value != 0:
                    sheet.digits, counted = max(sheet.digits, significant_digits(v.text)), counted + 1
            if len(sheet.values) + len(sheet.formulas) > 2 * max_cells:
                raise TooLarge(f"sheet {name!r} holds more than {max_cells:,} cells, more than xlbackprop reads")
    return sheet


class _Unusual(Exception):
    """A sheet part the plain scan does not read (prefixed tags, cells without ``r``): lxml reads it."""


_ROOT = re.compile(rb'<worksheet\b[^>]*\bxmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
# a cell: its column and row, attributes, then (unless it closes at once) a formula's attributes
# and text, a value, and anything else (an inline string) before </c>; f is None without <f>
# (attributes hold no "/": a cell whose do is not matched, and the count of cells tells)
_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"([^>/]*)(?:/>|>(?:<f([^>/]*)(?:/>|>([^<]*)</f>))?'
                   rb'(?:<v>([^<]*)</v>)?([^<]*(?:<(?!/c>)[^<]*)*)</c>)')
_INTEGER_BYTES = re.compile(rb"-?\d{1,15}")
_CELL_START = re.compile(rb"<(?:[\w.-]+:)?c[ >/]")  # every cell tag, prefixed too: a count the scan must match
_T = re.compile(rb'\bt="(\w+)"')
_SI = re.compile(rb'\bsi="(\d+)"')
_INLINE = re.compile(rb"<t(?: [^>]*)?>(.*?)</t>", re.S)
CHUNK = 1 << 22
DIGITS_SAMPLE = 5_000  # formula values whose digits are counted: a program writes them all alike


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8")
    return _unescape(text) if "&" in text else text


def _scan(stream, name: str, strings: list[str], max_cells: int, read_formulas: bool = True) -> RawSheet:
    """The cells of a sheet part as spreadsheet programs write it (unprefixed tags, every cell
    with its ``r``, in rows), by regular expressions over the XML, a block of rows at a time:
    several times faster than lxml's element per cell. Anything else raises :class:`_Unusual`,
    and :func:`cells` reads the part with lxml instead. The text is XML the guards passed
    (no DOCTYPE, so no entities but the five predefined and character references)."""
    sheet = RawSheet(name)
    shared: dict[str, Translator] = {}
    columns: dict[bytes, int] = {}
    formulas, values = sheet.formulas, sheet.values
    head, tail, digits, counted = True, b"", 0, 0
    while True:
        data = stream.read(CHUNK)
        if head:
            if not _ROOT.search(data[:4096]):
                raise _Unusual
            head = False
        buffer = tail + data
        if data:
            cut = buffer.rfind(b"</row>")
            if cut < 0:
                tail = buffer
                continue
            body, tail = buffer[:cut + 6], buffer[cut + 6:]
        else:
            body, tail = buffer, b""
        if b"<!--" in body or b"<![CDATA[" in body:
            raise _Unusual  # a comment or CDATA section could hold text that looks like cells
        found = 0
        for letters, row_text, attributes, f_attributes, f_text, v_text, rest in _CELL.findall(body):
            found += 1
            if f_attributes is None and v_text is None and not rest:
                continue  # an empty, merely styled cell: most of a sheet
            col = columns.get(letters) or columns.setdefault(letters, column_index_from_string(letters.decode()))
            key = (int(row_text), col)
            if b"t=" not in attributes or b't="n"' in attributes:
                kind = "n"
            else:
                found_kind = _T.search(attributes)
                kind = found_kind[1].decode() if found_kind else "n"
            formula = None
            if f_attributes is not None and not read_formulas:
                formula = True  # a formula's value: its digits count
            elif f_attributes is not None:
                if b"t=" in f_attributes:  # shared, array or data-table (LibreOffice adds aca="false" to all)
                    kind_of, si = _T.search(f_attributes), _SI.search(f_attributes)
                    formula = _formula(kind_of[1].decode() if kind_of else "normal", si[1].decode() if si else "",
                                       _text(f_text) if f_text else None, (letters + row_text).decode(), shared)
                elif f_text:
                    formula = "=" + (_text(f_text) if b"&" in f_text else f_text.decode())
                if formula is not None:
                    formulas[key] = formula
            if rest:  # an inline string, or something this scan does not know
                if b"<is>" not in rest:
                    raise _Unusual
                value: Any = "".join(_text(t) for t in _INLINE.findall(rest))
            elif v_text is None:
                continue
            elif kind == "n":
                value = int(v_text) if _INTEGER_BYTES.fullmatch(v_text) else _float(v_text)
            else:
                value = _scalar(kind, _text(v_text), strings)
            if value is not None:
                values[key] = value
                if formula is not None and counted < DIGITS_SAMPLE and type(value) is float and value != 0:
                    digits, counted = max(digits, significant_digits(v_text.decode())), counted + 1
        if found != len(_CELL_START.findall(body)):
            raise _Unusual
        if len(values) + len(formulas) > 2 * max_cells:
            raise TooLarge(f"sheet {name!r} holds more than {max_cells:,} cells, more than xlbackprop reads")
        if not data:
            sheet.digits = digits
            return sheet


def _float(raw: bytes) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None


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


def _formula(kind: str, si: str, text: str | None, coordinate: str, shared: dict[str, Translator]) -> str | None:
    """The formula of a cell's ``<f>``: of type ``kind`` (``t``: normal, shared, array, dataTable),
    shared index ``si``, ``text``; a shared formula's later cells are its master's, moved."""
    if kind == "dataTable":
        return None
    if kind == "shared":
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
    return _scalar(kind, v.text, strings)


def _scalar(kind: str, text: str | None, strings: list[str]) -> Any:
    """A ``<v>``'s text as the value of a cell of type ``kind``."""
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
