"""The package as Excel writes it: schema-valid parts, prefixed drawings, and other readers load it.

``../shared/tools/ooxml_validate.py`` checks every part against the ISO/IEC 29500 schemas (the
test skips when ../shared is not beside the repository); Gnumeric must import every chart and
ExcelJS (node) must load the file, which both failed on openpyxl's unprefixed drawing parts.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import subprocess
import sys
import zipfile
import zlib

import pytest
from conftest import EXCELJS, VALIDATOR

from xlbackprop.sheets.sweep import DEFAULT_RATES

CASES = [("class-2024", None, DEFAULT_RATES), ("class-2024", None, (0.1, 1, 10, 100, 1000)), ("mazur", None, ()),
         ("xor", 100, DEFAULT_RATES), ("deep", 50, ())]


@pytest.mark.validator
@pytest.mark.parametrize("preset, iterations, sweep", CASES)
def test_every_part_is_schema_valid(built, preset, iterations, sweep):
    path = built(preset, iterations=iterations, sweep=sweep)
    result = subprocess.run([sys.executable, str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_drawings_and_charts_carry_excels_prefixes(built):
    with zipfile.ZipFile(built("class-2024", sweep=DEFAULT_RATES)) as z:
        parts = {n: z.read(n).decode() for n in z.namelist() if n.startswith(("xl/drawings/drawing", "xl/charts/"))}
    drawings = [t for n, t in parts.items() if n.startswith("xl/drawings/drawing")]
    charts = [t for n, t in parts.items() if n.startswith("xl/charts/")]
    assert drawings and all("<xdr:wsDr " in t and "<xdr:twoCellAnchor>" in t for t in drawings)
    assert len(charts) == 8 and all("<c:chartSpace " in t and '<c:scatterStyle val="lineMarker"/>' in t for t in charts)


def _raw_member(path, info: zipfile.ZipInfo) -> bytes:
    """A member's deflated bytes as they lie in the zip, after its local header (APPNOTE 4.3.7)."""
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        header = f.read(30)
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        f.seek(info.header_offset + 30 + name_length + extra_length)
        return f.read(info.compress_size)


def test_every_member_is_deflated_by_zlib_ng_and_reads_back_with_zlib(built):
    """zlib-ng writes the parts (faster than zlib at the same level); the standard library's zlib,
    as every reader's inflate, reads them back. A member written at once (writestr) is zlib-ng's
    deflate of it byte for byte, and not zlib's; each member ``Package.open`` gives to write holds
    zlib-ng's compressor."""
    from zlib_ng import zlib_ng

    from xlbackprop.writing.package import Package

    path = built("class-2024", iterations=300, sweep=(0.1, 1))
    ours = theirs = 0
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            data, raw = z.read(info), _raw_member(path, info)
            assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename
            assert zlib.decompress(raw, -15) == data, info.filename
            ng, standard = (m.compressobj(6, m.DEFLATED, -15) for m in (zlib_ng, zlib))
            ours += raw == ng.compress(data) + ng.flush()
            theirs += raw == standard.compress(data) + standard.flush()
    assert ours >= 10 and theirs < ours
    buffer = io.BytesIO()
    with Package(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        with package.open("part.xml", "w") as stream:
            assert type(stream._compressor) is type(zlib_ng.compressobj())
            stream.write(b"<a>" * 1000)
    with zipfile.ZipFile(buffer) as z:
        assert z.read("part.xml") == b"<a>" * 1000


@pytest.mark.gnumeric
def test_gnumeric_imports_every_chart(built, tmp_path):
    out = tmp_path / "book.gnumeric"
    subprocess.run(["ssconvert", str(built("class-2024", sweep=DEFAULT_RATES)), str(out)],
                   capture_output=True, timeout=300, check=True)
    assert gzip.decompress(out.read_bytes()).decode().count("<gnm:SheetObjectGraph") == 8


@pytest.mark.exceljs
def test_exceljs_loads_the_workbook(built, tmp_path):
    script = tmp_path / "load.js"
    script.write_text(f"""
const ExcelJS = require({json.dumps(str(EXCELJS))});
(async () => {{
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(process.argv[2]);
  const t = wb.getWorksheet('Training');
  console.log(JSON.stringify({{sheets: wb.worksheets.map(w => w.name), h1: t.getCell('J14').formula,
                               header: t.getCell('B13').value}}));
}})().catch(e => {{ console.error(e.message); process.exit(1); }});
""")
    result = subprocess.run(["node", str(script), str(built("class-2024", sweep=DEFAULT_RATES))],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["sheets"][:4] == ["Training", "Sweep", "Derivation", "Network"] and len(loaded["sheets"]) == 11
    assert (loaded["h1"], loaded["header"]) == ("B14*$B$4+C14*$C$4", "w1")
