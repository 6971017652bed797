"""The plain scan of sheet parts (regular expressions) reads what lxml reads, or hands over to it."""

from __future__ import annotations

import io
import zipfile

import pytest

from xlbackprop.core import presets
from xlbackprop.writing import writer
from xlbackprop.xlsx import scan as xlsx

MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
SHEET = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {MAIN}><sheetData>'
         '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="2"/><c r="C1" t="b"><v>1</v></c>'
         '<c r="D1" t="e"><v>#NUM!</v></c><c r="E1" t="inlineStr"><is><t>a &amp; b</t></is></c></row>'
         '<row r="2"><c r="A2"><f>B2&amp;"x&lt;y"</f><v>3x&lt;y</v></c><c r="B2"><v>3</v></c>'
         '<c r="C2"><f t="shared" ref="C2:C4" si="0">B2*2</f><v>6</v></c>'
         '<c r="D2" t="str"><f aca="false">"η = "&amp;B2</f><v>η = 3</v></c><c r="E2"><v>1.2345678901234567E-05</v></c></row>'
         '<row r="3"><c r="C3"><f t="shared" si="0"/><v>0.5</v></c><c r="AB3"><v>-2</v></c></row>'
         '<row r="4"><c r="C4"><f t="shared" si="0"/><v>0.25</v></c></row>'
         "</sheetData></worksheet>")


def _both(sheet_xml: str, strings=("label",)) -> tuple[xlsx.RawSheet, xlsx.RawSheet | None]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("s.xml", sheet_xml)
    with zipfile.ZipFile(buffer) as z:
        with z.open("s.xml") as stream:
            try:
                scanned = xlsx._scan(stream, "S", list(strings), 10**6)
            except xlsx._Unusual:
                scanned = None
        lxml_read = xlsx._read_lxml(z, "s.xml", "S", list(strings), 10**6)
    return lxml_read, scanned


def test_scan_reads_every_kind_of_cell_as_lxml_does():
    by_lxml, scanned = _both(SHEET)
    assert scanned is not None
    assert (scanned.formulas, scanned.values, scanned.digits) == (by_lxml.formulas, by_lxml.values, by_lxml.digits)
    assert scanned.formulas[(3, 3)] == "=B3*2" and scanned.formulas[(2, 1)] == '=B2&"x<y"'
    assert scanned.values[(1, 5)] == "a & b" and scanned.values[(1, 3)] is True and scanned.values[(1, 4)] == "#NUM!"
    assert scanned.values[(3, 28)] == -2 and isinstance(scanned.values[(2, 2)], int)


@pytest.mark.parametrize("unusual", [
    SHEET.replace("<worksheet ", "<x:worksheet ").replace("</worksheet>", "</x:worksheet>")
         .replace(MAIN, MAIN.replace("xmlns=", "xmlns:x=")),  # prefixed
    SHEET.replace('<c r="B2">', "<c>"),  # a cell without r
    SHEET.replace('<c r="B2">', '<c r="B2" x="a/b">'),  # an attribute the scan does not expect
    SHEET.replace(f"<worksheet {MAIN}>", f'<worksheet {MAIN} xmlns:y="urn:y">').replace(
        '<c r="AB3"><v>-2</v></c>', '<y:c r="AB3"><y:v>-2</y:v></y:c>'),  # a prefixed cell
    SHEET.replace("</row>", '<!-- <c r="Z9"><v>1</v></c> --></row>', 1),  # a comment that looks like a cell
])
def test_scan_hands_what_it_does_not_know_to_lxml(unusual):
    assert _both(unusual)[1] is None


def test_scan_reads_our_workbooks_as_lxml_does(tmp_path):
    path = writer.build(presets.load("xor"), tmp_path / "x.xlsx", sweep=(0.5,))
    with zipfile.ZipFile(path) as z:
        strings = xlsx.shared_strings(z)
        for name, part in xlsx.workbook(z)[0]:
            with z.open(part) as stream:
                scanned = xlsx._scan(stream, name, strings, 10**7)
            by_lxml = xlsx._read_lxml(z, part, name, strings, 10**7)
            assert (scanned.formulas, scanned.values, scanned.digits) == (by_lxml.formulas, by_lxml.values,
                                                                   by_lxml.digits), name


def test_ironcalc_reads_what_a_file_stores_and_what_it_computes(tmp_path):
    """grid.in_memory: one IronCalc load, two books. A formula that stores nothing has no stored
    value (IronCalc would say 0); whole numbers come back as ints, as the file reader gives them."""
    from openpyxl import Workbook

    from xlbackprop.xlsx import grid

    path = tmp_path / "small.xlsx"
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["A3"], ws["A4"], ws["A5"] = 100, "=A1*2", "=EXP(1000)", '="x"&A1', 2.5
    wb.save(path)
    stored, computed = grid.in_memory(path)
    assert stored.sheets[0].values == {(1, 1): 100, (5, 1): 2.5}
    assert computed.sheets[0].values == {(1, 1): 100, (2, 1): 200, (3, 1): "#NUM!", (4, 1): "x100", (5, 1): 2.5}
    assert computed.sheets[0].formulas[2, 1] == "=A1*2" and computed.engine == "IronCalc" and not stored.recalculated
    assert isinstance(stored.sheets[0].values[1, 1], int)


@pytest.mark.parametrize("tail", ["</c>", "<v></v></c>", "<v/></c>", "<x:v> </x:v></c>"])
def test_a_formula_without_a_stored_value_is_found_across_chunks(tmp_path, monkeypatch, tail):
    """scan.has_valueless_formulas reads a chunk at a time; a formula that ends a chunk and its
    empty value beginning the next is still found, and a formula with a value is not."""
    import zipfile

    from xlbackprop.xlsx import scan

    body = '<c r="A1"><f>1+1</f><v>2</v></c>' * 50
    for k, text in enumerate([body + '<c r="B1"><f>1+1</f>' + tail, body]):
        path = tmp_path / f"{k}.xlsx"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("s.xml", f"<worksheet><sheetData><row>{text}</row></sheetData></worksheet>")
        with zipfile.ZipFile(path) as z:
            monkeypatch.setattr(scan, "CHUNK", len(body) + 40)  # the chunk ends just after B1's formula
            assert scan.has_valueless_formulas(z, "s.xml") is (k == 0)
