"""How the build scales: time, peak memory and size up to Excel's last row, beside plain openpyxl and the floor.

    python bench/scale.py                          # everything, one run (about 50 minutes on 2 cores)
    python bench/scale.py --quick                  # 100 and 10,000 iterations only; no full height, no what-if
    python bench/scale.py --only writes --only whatif     # parts: writes large verify whatif reference stretch
    python bench/scale.py --only optimizer         # Adam's build against the floor at 100,000 iterations

Prints one table, a row as soon as it is measured, then a summary; times are this machine's, in
this run. Each case runs in a fresh Python process (this script with ``--case``), so each peak
memory is that case's own.

Rows (2-2-2 is the ``class-2024`` preset; 4-8-8-2 is :data:`LARGE`, sigmoid, 4 samples, 450 columns;
``2-2-2 adam`` is ``class-2024`` trained by Adam: 47 columns, the floor's cells its formulas and named
constants too):

- ``build``: ``xlbackprop.writing.writer.build(spec, path, sweep=())``: the product as it stands, without
  the learning-rate sweep sheets (``--sweep none``): parameter block, colour key, widths, frozen
  panes, named styles, the training table, the loss chart, and the sheets of fixed size the build
  adds (Derivation and Network: a constant cost, not per row).
- ``bare openpyxl``: the library's own cost, measured as a bare openpyxl write-only loop writing the
  same training cells: the same formula text (from ``Layout`` and ``Templates``), the same named
  styles, one reused ``WriteOnlyCell`` per column, the same header row and the parameter cells the
  formulas read (eta in B2 and its defined name, inputs, targets, initial weights), then what
  ``wb.save`` does. Left out: title, shape rows, connection row, colour key, widths, panes, page
  setup, chart and fixed timestamps (about 40 cells and a few small parts).
- ``raw XML floor``: the cells of ``bare openpyxl``, each in the XML openpyxl writes for it
  (``<c r="B21" s="2"><f>B20-eta*Y20</f><v></v></c>``), one ``str.format`` per row, streamed
  straight into ``zipfile`` (deflate at openpyxl's level, ZIP64) with minimal workbook parts and
  a styles part with the same fills and number formats: no cell objects, no spool file.
- ``verify (engine)``: ``xlbackprop.verifying.verification.verify(path, engine=...)`` of a built workbook, with
  LibreOffice, Gnumeric and IronCalc in turn (the engine recalculates it,
  every cell is held against numpy); the notes split its time. Peak MB is the Python side only.
- ``what-if ours`` / ``what-if course``: LibreOffice through UNO (``bench/_whatif_uno.py``, run by
  the system Python): the book is loaded, then three times B2 (``eta``) is set to a new rate and
  ``calculateAll()`` runs; wall s is the median of the three, peak MB is soffice's. ``ours`` is the
  built workbook; ``course`` is the course template's style: no δ columns, every gradient repeats
  its whole chain (``∂E/∂w1 = ((a_o1-t1)*(a_o1*(1-a_o1))*w5+(a_o2-t2)*(a_o2*(1-a_o2))*w7)
  *(a_h1*(1-a_h1))*i1``) on the same parameter cells. The notes check both give the same numbers.
- ``reference``: ``xlbackprop.core.reference.train(spec)``, the numpy engine.
- ``raw XML floor, zlib-ng``: the floor with its sheet part deflated by zlib-ng at the same level,
  as the build deflates its parts (``xlbackprop.writing.package.zlib_ng_deflating``): the floor of a writer
  with the build's compressor, beside the floor the target is set against.
- stretch, at 100,000 iterations: ``..., zlib level 1``: the bare loop and the floor with deflate
  level 1 instead of 6; ``openpyxl + text rows``: openpyxl writes the workbook of ``bare openpyxl``
  (every part, the styles, the defined name, the rows above the table) but the training rows, which
  reach its sheet part as XML text with openpyxl's style ids, spliced in as the zip takes the part;
  ``bare stage 1..5``: the bare loop stopped after each stage, so a stage costs its row minus the
  row before.

Columns: ``cells`` is training rows × columns; ``wall s`` is ``time.perf_counter`` around the
measured call only (interpreter start, imports and the spec are outside); ``CPU s`` is user + system
time of the process and its children over the same span (steadier on a busy machine); ``peak MB``
is the process's VmHWM at its end, imports included (the 100-iteration rows show that floor), plus
the peak of the second process a long build computes its reference in (the two run side by side);
``file MB`` is the file written. The full height is the most iterations that fit: 2-2-2's
iteration 1 is on row 14, so 1,048,563 iterations fill rows 14 .. 1,048,576. A case that fails
says FAILED and why; a writer's failed row keeps its time and memory up to the failure.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Iterator, NamedTuple
from xml.sax.saxutils import escape

import openpyxl
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.cell import absolute_coordinate, get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.writer.excel import ExcelWriter

from xlbackprop.core import presets
from xlbackprop.core.reference import train
from xlbackprop.core.spec import Spec, from_mapping
from xlbackprop.sheets.expressions import Templates
from xlbackprop.sheets.layout import ETA_ROW, EXCEL_MAX_ROWS, SHEET, Layout
from xlbackprop.sheets.styles import KINDS, named_styles
from xlbackprop.verifying.verification import verify
from xlbackprop.writing import writer
from xlbackprop.writing.package import zlib_ng_deflating
from xlbackprop.xlsx import engines as recalc

PRESET = "class-2024"
LARGE = {"title": "bench: 4-8-8-2 sigmoid, 4 samples", "layers": [4, 8, 8, 2], "activation": "sigmoid",
         "seed": 7, "eta": 0.5, "inputs": [[0, 0, 1, 1], [0, 1, 0, 1], [1, 0, 0, 1], [1, 1, 1, 0]],
         "targets": [[0, 1], [1, 0], [1, 1], [0, 0]]}
WHATIF_ETAS = (0.5, 2.0, 0.1)
MEMORY_LIMIT_MB = 150
RATIO_AT = 100_000
FLOOR_TARGET = 1.5  # the build with stored values within 1.5 times the raw XML floor, from 100,000 iterations
CHUNK_CHARACTERS = 1 << 20  # the floor writes its rows about 1 MB at a time
HERE = Path(__file__).resolve().parent


class Column(NamedTuple):
    """A training-table column after ``iteration``: formulas with ``{r}`` for the row, ``{p}`` the row above."""

    name: str
    kind: str  # its style
    first: str  # the formula of iteration 1
    rest: str  # the formula after it


# -- what is written -------------------------------------------------------------------------
def make_spec(network: str, iterations: int) -> Spec:
    if network in ("2-2-2", "adam"):
        spec = presets.load(PRESET).with_overrides(iterations=iterations)
        if network == "adam":  # PyTorch's constants, the defaults
            spec = dataclasses.replace(spec, network=dataclasses.replace(spec.network, optimizer="adam"))
        return spec
    return from_mapping({**LARGE, "iterations": iterations})


def describe(spec: Spec) -> str:
    """The network column: ``2-2-2``, or ``2-2-2 adam`` with an optimizer."""
    net = spec.network
    return net.describe() + ("" if net.optimizer == "sgd" else f" {net.optimizer}")


def full_height(network: str) -> int:
    """The most iterations that fit Excel's rows: 1,048,563 for 2-2-2."""
    return EXCEL_MAX_ROWS - Layout(make_spec(network, 1).network, 1).first_row + 1


def _build(spec: Spec, path: Path) -> None:
    """xlbackprop's build without learning-rate sweep sheets (the command line's ``--sweep none``)."""
    writer.build(spec, path, sweep=())


def table_columns(layout: Layout) -> list[Column]:
    """The training table as xlbackprop plans it."""
    t = Templates(layout)
    return [Column(c.name, c.kind, t.first[c.name], t.rest[c.name]) for c in layout.columns[1:]]


def course_columns(layout: Layout) -> list[Column]:
    """The course template's style (2-2-2, one sample): weights, forward pass and loss as ours, then
    ``∂E/∂w1..w8`` each repeating its chain instead of reading δ columns. Products group as ours do
    (``(a_o1-t1)*(a_o1*(1-a_o1))`` is our δ_o1's text), so both books compute the same bits."""
    t = Templates(layout)
    kept = [c for c in layout.columns[1:] if c.kind in ("weight", "forward", "loss")]

    def ref(name: str) -> str:  # weights, forward pass and loss sit in the same columns in both books
        return f"{layout.column[name].letter}{{r}}"

    i1, i2 = layout.input_cell(1, 1), layout.input_cell(1, 2)
    d_o1, d_o2 = t.rest["δ_o1"][1:], t.rest["δ_o2"][1:]
    d_h1 = f"({d_o1}*{ref('w5')}+{d_o2}*{ref('w7')})*({ref('a_h1')}*(1-{ref('a_h1')}))"
    d_h2 = f"({d_o1}*{ref('w6')}+{d_o2}*{ref('w8')})*({ref('a_h2')}*(1-{ref('a_h2')}))"
    chains = [f"{d_h1}*{i1}", f"{d_h1}*{i2}", f"{d_h2}*{i1}", f"{d_h2}*{i2}",
              f"{d_o1}*{ref('a_h1')}", f"{d_o1}*{ref('a_h2')}", f"{d_o2}*{ref('a_h1')}", f"{d_o2}*{ref('a_h2')}"]
    gradient_letter = [get_column_letter(len(kept) + 2 + k) for k in range(len(chains))]
    columns = []
    for c in kept:
        rest = t.rest[c.name]
        if c.kind == "weight":
            rest = f"={c.letter}{{p}}-eta*{gradient_letter[int(c.name[1:]) - 1]}{{p}}"
        columns.append(Column(c.name, c.kind, t.first[c.name], rest))
    return columns + [Column(f"∂E/∂w{n}", "gradient", f"={chain}", f"={chain}") for n, chain in enumerate(chains, 1)]


def given_rows(spec: Spec, layout: Layout, columns: list[Column]) -> dict[int, list[tuple[object, str]]]:
    """Rows above the table that its formulas read (eta, inputs and targets, initial weights), then
    the header: ``{row: [(value, kind), ...]}``."""
    assert spec.network.bias_mode == "none", "the bench's networks have no biases"
    rows = {ETA_ROW: [("eta", "label"), (spec.eta, "eta")]}
    for s, (inputs, targets) in enumerate(zip(spec.inputs, spec.targets), 1):
        rows[layout.samples_rows[0] + s] = [(s, "iteration")] + [(v, "given") for v in (*inputs, *targets)]
    if layout.optimizer_rows is not None:  # the named constants the updates read
        rows[layout.optimizer_rows[1]] = [(spec.network.optimizer, "label")] + [
            (v, "given") for v in spec.constants().values()]
    initial = {layout.column[f"w{n}"].index: w for n, w in enumerate(spec.weights, 1)}  # beside them: state columns
    rows[layout.initial_row] = [("initial value", "label")] + [
        (initial.get(k), "given") for k in range(2, max(initial) + 1)]
    rows[layout.header_row] = [(name, "header") for name in ["iteration"] + [c.name for c in columns]]
    return rows


# -- through openpyxl --------------------------------------------------------------------------
def write_openpyxl(spec: Spec, path: Path, columns: list[Column], level: int | None = None) -> None:
    """The cells through openpyxl's write-only mode and nothing else; ``level`` is zlib's (None:
    openpyxl's own, as ``wb.save`` does it)."""
    layout = Layout(spec.network, spec.iterations)
    wb, ws, styles = _openpyxl_book(spec, layout, columns)
    cells = [_styled(ws, styles[kind].name) for kind in ["iteration"] + [c.kind for c in columns]]
    first, rest = [c.first for c in columns], [c.rest for c in columns]
    for iteration in range(1, spec.iterations + 1):
        row = layout.row(iteration)
        cells[0].value = iteration
        for cell, template in zip(cells[1:], first if iteration == 1 else rest):
            cell.value = template.format(r=row, p=row - 1)
        ws.append(cells)
    _save(wb, _deflated(path, level))


def write_spliced(spec: Spec, path: Path, columns: list[Column]) -> None:
    """openpyxl writes the workbook of :func:`write_openpyxl` but for the training rows, which go
    into its sheet part as XML text (with openpyxl's own style ids) while the zip takes the part."""
    layout = Layout(spec.network, spec.iterations)
    wb, ws, styles = _openpyxl_book(spec, layout, columns)
    style_id = {kind: _styled(ws, styles[kind].name).style_id for kind in ["iteration"] + [c.kind for c in columns]}
    _save(wb, _SplicingZipFile(path, _xml_rows(layout, columns, style_id), "w", zipfile.ZIP_DEFLATED, allowZip64=True))


def _save(wb: Workbook, archive: zipfile.ZipFile) -> None:
    """What ``wb.save(path)`` does, into a zip of our choosing."""
    with archive:
        ExcelWriter(wb, archive).write_data()


def _deflated(path: Path, level: int | None = None) -> zipfile.ZipFile:
    """The zip ``wb.save`` opens, with zlib's ``level`` exposed (None: the default, 6)."""
    return zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=level)


def _openpyxl_book(spec: Spec, layout: Layout, columns: list[Column]):
    """A write-only workbook holding the named styles, the given rows and header, and the name ``eta``."""
    wb = Workbook(write_only=True)
    styles = named_styles(state=bool(layout.constants))
    for style in dict.fromkeys(styles.values()):
        wb.add_named_style(style)
    ws = wb.create_sheet(SHEET)
    given = given_rows(spec, layout, columns)
    for r in range(1, layout.header_row + 1):
        ws.append([_styled(ws, styles[kind].name, value) for value, kind in given.get(r, [])])
    wb.defined_names["eta"] = DefinedName("eta", attr_text=f"'{SHEET}'!{absolute_coordinate(layout.eta_cell)}")
    for name in layout.constants:
        wb.defined_names[name] = DefinedName(name, attr_text=f"'{SHEET}'!{layout.constant_cell(name)}")
    return wb, ws, styles


def _styled(ws, style: str, value=None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.style = style
    return cell


class _SplicingZipFile(zipfile.ZipFile):
    """A zip that streams ``rows`` into the first sheet part openpyxl hands it, before ``</sheetData>``."""

    def __init__(self, path: Path, rows: Iterator[bytes], *args, **kwargs):
        super().__init__(path, *args, **kwargs)
        self.rows = rows

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        if arcname != "xl/worksheets/sheet1.xml":
            return super().write(filename, arcname, compress_type, compresslevel)
        head, tail = Path(filename).read_bytes().split(b"</sheetData>")  # the rows above the table only
        with self.open(arcname, "w", force_zip64=True) as part:
            part.write(head)
            for chunk in self.rows:
                part.write(chunk)
            part.write(b"</sheetData>" + tail)


# -- the raw floor ----------------------------------------------------------------------------
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
RAW_PARTS = {
    "[Content_Types].xml":
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/></Types>',
    "_rels/.rels":
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
    "xl/_rels/workbook.xml.rels":
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/worksheet" '
        f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{_REL}/styles" '
        'Target="styles.xml"/></Relationships>',
}
# kind -> (font: 0 plain, 1 bold, 2 grey; fill colour or None; number format)
RAW_KINDS = {kind: (0, colour, fmt) for kind, (_, colour, fmt) in KINDS.items() if kind != "bias"}
RAW_KINDS.update(header=(1, "D9D9D9", "General"), iteration=(2, None, "General"),
                 eta=(1, "FFD966", "General"), label=(1, None, "General"))
RAW_STYLE_ID = {kind: i for i, kind in enumerate(RAW_KINDS, 1)}  # cellXfs 0 is the default


def write_raw(spec: Spec, path: Path, columns: list[Column], level: int | None = None, ng: bool = False) -> None:
    """The cells of :func:`write_openpyxl` as XML text, streamed straight into the zip; ``ng``: the
    sheet part deflated by zlib-ng, as the build deflates its parts (``Package``)."""
    layout = Layout(spec.network, spec.iterations)
    given = given_rows(spec, layout, columns)
    parts = {**RAW_PARTS, "xl/workbook.xml": _raw_workbook(layout), "xl/styles.xml": _raw_styles()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            if ng:
                zlib_ng_deflating(sheet)
            sheet.write(f'<worksheet xmlns="{_MAIN}"><sheetData>'.encode())
            sheet.write("".join(_given_row_xml(r, given.get(r, [])) for r in range(1, layout.header_row + 1)).encode())
            for chunk in _xml_rows(layout, columns, RAW_STYLE_ID):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")


def _xml_rows(layout: Layout, columns: list[Column], style_id: dict[str, int]) -> Iterator[bytes]:
    """The training rows' XML, in chunks of about :data:`CHUNK_CHARACTERS`."""
    first, rest = _row_template(columns, "first", style_id), _row_template(columns, "rest", style_id)
    offset, step = layout.first_row - 1, max(1, CHUNK_CHARACTERS // len(rest))
    for start in range(layout.first_row, layout.last_row + 1, step):
        stop = min(start + step, layout.last_row + 1)
        yield "".join((rest if r > layout.first_row else first).format(r=r, p=r - 1, i=r - offset)
                      for r in range(start, stop)).encode()


def _row_template(columns: list[Column], which: str, style_id: dict[str, int]) -> str:
    """One row's XML (``which`` formulas: first or rest) with ``{r}``, ``{p}`` and ``{i}`` (the iteration) to fill."""
    cells = [f'<c r="A{{r}}" s="{style_id["iteration"]}" t="n"><v>{{i}}</v></c>']
    for k, column in enumerate(columns, 2):
        cells.append(f'<c r="{get_column_letter(k)}{{r}}" s="{style_id[column.kind]}">'
                     f'<f>{escape(getattr(column, which)[1:])}</f><v></v></c>')
    return '<row r="{r}">' + "".join(cells) + "</row>"


def _given_row_xml(r: int, cells: list[tuple[object, str]]) -> str:
    out = []
    for k, (value, kind) in enumerate(cells, 1):
        ref, style = f"{get_column_letter(k)}{r}", RAW_STYLE_ID[kind]
        if value is None:
            continue
        if isinstance(value, str):
            out.append(f'<c r="{ref}" s="{style}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        else:
            out.append(f'<c r="{ref}" s="{style}" t="n"><v>{value!r}</v></c>')
    return f'<row r="{r}">{"".join(out)}</row>'


def _raw_workbook(layout: Layout) -> str:
    names = [("eta", absolute_coordinate(layout.eta_cell))] + [(n, layout.constant_cell(n)) for n in layout.constants]
    defined = "".join(f"<definedName name=\"{name}\">'{SHEET}'!{cell}</definedName>" for name, cell in names)
    return (f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets><sheet name="{SHEET}" sheetId="1" r:id="rId1"/>'
            f'</sheets><definedNames>{defined}</definedNames><calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')


def _raw_styles() -> str:
    formats = sorted({fmt for _, _, fmt in RAW_KINDS.values()} - {"General"})
    format_id = {"General": 0, **{fmt: 164 + k for k, fmt in enumerate(formats)}}
    colours = [colour for _, colour, _ in RAW_KINDS.values() if colour]
    fill_id = {None: 0, **{colour: 2 + k for k, colour in enumerate(colours)}}
    xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'] + [
        f'<xf numFmtId="{format_id[fmt]}" fontId="{font}" fillId="{fill_id[colour]}" borderId="0" xfId="0" '
        'applyNumberFormat="1" applyFont="1" applyFill="1"/>' for font, colour, fmt in RAW_KINDS.values()]
    return (f'<styleSheet xmlns="{_MAIN}"><numFmts count="{len(formats)}">'
            + "".join(f'<numFmt numFmtId="{format_id[f]}" formatCode="{f}"/>' for f in formats) + "</numFmts>"
            '<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/>'
            '<name val="Calibri"/></font><font><sz val="11"/><color rgb="FF595959"/><name val="Calibri"/></font></fonts>'
            f'<fills count="{2 + len(colours)}"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill>'
            + "".join(f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/></patternFill></fill>' for c in colours)
            + '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


# -- the cases, each run in its own process ------------------------------------------------------
@contextlib.contextmanager
def timed(row: dict):
    """Record ``wall`` and ``cpu`` seconds of the block into ``row``, also when it fails."""
    wall, cpu = time.perf_counter(), _cpu()
    try:
        yield
    finally:
        row["wall"], row["cpu"] = time.perf_counter() - wall, _cpu() - cpu


@contextlib.contextmanager
def children_peak(row: dict):
    """Record in ``row["children_mb"]`` the peak memory of the processes the block starts (the
    build's reference process), read from their own ``VmHWM`` every 0.1 s while they run. (The
    kernel's ``ru_maxrss`` for a child counts the parent's pages it shares between fork and exec.)"""
    peaks: dict[int, float] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.1):
            for pid in _children():
                try:
                    peaks[pid] = _peak_mb(f"/proc/{pid}/status")
                except (OSError, StopIteration):
                    pass  # it ended between the two reads

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
        if peaks:
            row["children_mb"] = max(peaks.values())


def _children() -> list[int]:
    me = os.getpid()
    return [int(p) for p in Path(f"/proc/{me}/task/{me}/children").read_text().split()]


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_mb(status_file: str = "/proc/self/status") -> float:
    status = Path(status_file).read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def _write_case(label: str, write, check: bool = False):
    """A case timing ``write(spec, path, columns)``; with ``check``, a small file is read back too.
    A writer that fails is a result too: its row says so, with the time and memory up to the failure."""
    def case(spec: Spec, folder: Path) -> list[dict]:
        path, row = folder / "book.xlsx", {"label": label}
        columns = table_columns(Layout(spec.network, spec.iterations))  # the bare loop's given input
        try:
            with timed(row), children_peak(row):
                write(spec, path, columns)
        except Exception as exc:
            row.update(failed=True, notes=f"FAILED (time and memory up to the failure): {type(exc).__name__}: {exc}")
            return [row]
        row["file_mb"] = path.stat().st_size / 1e6
        if check and spec.iterations <= 100:
            row["notes"] = _opens_in_openpyxl(path, spec)
        second = row.pop("children_mb", None)  # the build's reference process
        if second:
            own = _peak_mb()
            row.update(peak_mb=own + second, notes=f"peak MB: this process {own:.1f} + reference process {second:.1f}")
        return [row]
    return case


def _opens_in_openpyxl(path: Path, spec: Spec) -> str:
    """Check a file not written by xlbackprop is a workbook: openpyxl (read-only) finds every formula."""
    wb = openpyxl.load_workbook(path, read_only=True)
    formulas = sum(isinstance(v, str) and v.startswith("=") for row in wb[SHEET].iter_rows(values_only=True) for v in row)
    wb.close()
    expected = spec.iterations * (len(Layout(spec.network, 1).columns) - 1)
    assert formulas == expected, f"the file holds {formulas} formulas, not {expected}"
    return f"valid: openpyxl reads back all {formulas:,} formulas"


def _verify_case(engine: str):
    def case(spec: Spec, folder: Path) -> list[dict]:
        return _verify_with(spec, folder, engine)
    return case


def _verify_with(spec: Spec, folder: Path, engine: str) -> list[dict]:
    path, row = folder / "book.xlsx", {"label": f"verify ({engine})"}
    _build(spec, path)
    with timed(row):
        report = verify(path, engine=engine)
    row["file_mb"] = path.stat().st_size / 1e6
    parts = ", ".join(f"{name} {s:.1f} s" for name, s in report.seconds.items())
    worst = max(c.max_rel for c in report.checks)
    row["notes"] = f"{parts}; {'OK' if report.ok else 'FAILED'}, worst rel. error {worst:.1e}"
    return [row]


def _whatif_case(spec: Spec, folder: Path) -> list[dict]:
    layout = Layout(spec.network, spec.iterations)
    probes = [("E_total", k) for k in (1, 10, 100, 1000, spec.iterations)] + [(w, spec.iterations) for w in ("w1", "w8")]
    cells = [layout.cell(name, k) for name, k in probes]
    ours, course, course_table = folder / "ours.xlsx", folder / "course.xlsx", course_columns(layout)
    _build(spec, ours)
    write_openpyxl(spec, course, course_table)
    rows, values = [], []
    for label, path, width in (("what-if ours", ours, len(layout.columns) - 1),
                               ("what-if course", course, len(course_table))):
        out = subprocess.run(["/usr/bin/python3", str(HERE / "_whatif_uno.py"), str(path), "--eta",
                              *map(str, WHATIF_ETAS), "--cells", *cells], capture_output=True, text=True, check=True)
        result = json.loads(out.stdout.splitlines()[-1])
        values.append([result["values"][c] for c in cells])
        rows.append({"label": label, "cells": spec.iterations * width, "wall": statistics.median(result["recalc"]),
                     "peak_mb": result["soffice_peak_mb"], "file_mb": path.stat().st_size / 1e6,
                     "notes": f"set eta + calculateAll: {' '.join(f'{s:.2f}' for s in result['recalc'])} s; "
                              f"load {result['load']:.1f} s; peak MB is soffice's"})
    expected = train(spec.with_overrides(eta=WHATIF_ETAS[-1]))
    worst = max(abs(got - e) / abs(e) for got, e in zip(values[1], (expected[n][k - 1] for n, k in probes)) if e)
    rows[1]["notes"] += (f"; {'the same' if values[0] == values[1] else 'NOT the same'} values as ours in "
                         f"{', '.join(cells)}, {worst:.0e} from numpy (eta {WHATIF_ETAS[-1]})")
    return rows


def _reference_case(spec: Spec, folder: Path) -> list[dict]:
    row = {"label": "reference"}
    with timed(row):
        train(spec)
    return [row]


STAGES = ("format the formula text", "+ WriteOnlyCell.value =", "+ openpyxl's row to cells (ws._values_to_row)",
          "+ ws.append (cells to XML, spooled)", "+ save (deflate into the zip)")


def _stages_case(spec: Spec, folder: Path) -> list[dict]:
    """Where the bare loop's time goes: the loop run once per stage, stopping after that stage."""
    rows = []
    for stage, what in enumerate(STAGES, 1):
        row = {"label": f"bare stage {stage}"}
        with timed(row):
            wb = _bare_until(stage, spec)
            if stage == len(STAGES):
                _save(wb, _deflated(folder / "book.xlsx"))
        if stage < len(STAGES):  # untimed: openpyxl closes its stream and deletes its spool file
            _save(wb, _deflated(folder / "book.xlsx"))
        row["notes"] = what + (f": {row['wall'] - rows[-1]['wall']:+.2f} s" if rows else "")
        rows.append(row)
    return rows


def _bare_until(stage: int, spec: Spec) -> Workbook:
    layout = Layout(spec.network, spec.iterations)
    columns = table_columns(layout)
    wb, ws, styles = _openpyxl_book(spec, layout, columns)
    cells = [_styled(ws, styles[kind].name) for kind in ["iteration"] + [c.kind for c in columns]]
    first, rest = [c.first for c in columns], [c.rest for c in columns]
    for iteration in range(1, spec.iterations + 1):
        row = layout.row(iteration)
        texts = [template.format(r=row, p=row - 1) for template in (first if iteration == 1 else rest)]
        if stage >= 2:
            cells[0].value = iteration
            for cell, text in zip(cells[1:], texts):
                cell.value = text
        if stage == 3:
            collections.deque(ws._values_to_row(cells, row), maxlen=0)
        if stage >= 4:
            ws.append(cells)
    return wb


CASES = {
    "build": _write_case("build", lambda spec, path, columns: _build(spec, path)),
    "bare": _write_case("bare openpyxl", write_openpyxl),
    "raw": _write_case("raw XML floor", write_raw, check=True),
    "bare-level1": _write_case("bare openpyxl, zlib level 1", lambda *a: write_openpyxl(*a, level=1)),
    "raw-level1": _write_case("raw XML floor, zlib level 1", lambda *a: write_raw(*a, level=1)),
    "raw-zlib-ng": _write_case("raw XML floor, zlib-ng", lambda *a: write_raw(*a, ng=True)),
    "spliced": _write_case("openpyxl + text rows", write_spliced, check=True),
    "stages": _stages_case,
    "verify": _verify_case("libreoffice"),
    "verify-gnumeric": _verify_case("gnumeric"),
    "verify-ironcalc": _verify_case("ironcalc"),
    "whatif": _whatif_case,
    "reference": _reference_case,
}


def run_case(kind: str, network: str, iterations: int) -> None:
    """In the child process: measure one case and print its rows as one JSON line."""
    spec = make_spec(network, iterations)
    with tempfile.TemporaryDirectory(prefix="xlbackprop-bench-") as folder:
        rows = CASES[kind](spec, Path(folder))
    for row in rows:
        row.setdefault("cells", iterations * (len(Layout(spec.network, 1).columns) - 1))
        row.setdefault("peak_mb", _peak_mb())
        row.update(network=describe(spec), iterations=iterations)
    print(json.dumps(rows))


# -- the table ----------------------------------------------------------------------------------
def plan(quick: bool) -> dict[str, list[tuple[str, str, int]]]:
    """Parts, each a list of (case, network, iterations), in the order they run."""
    trio = ("build", "bare", "raw")
    sizes = [100, 10_000] if quick else [100, 10_000, 100_000, full_height("2-2-2")]
    large = [100, 10_000] if quick else [10_000, 100_000]
    stretch = 10_000 if quick else RATIO_AT
    return {
        "writes": [(k, "2-2-2", n) for n in sizes for k in trio],
        "large": [(k, "large", n) for n in large for k in trio],
        "verify": [(k, "2-2-2", n) for n in (1_000, 10_000) for k in ("verify", "verify-gnumeric", "verify-ironcalc")],
        "whatif": [] if quick else [("whatif", "2-2-2", 10_000)],
        "reference": [("reference", "2-2-2", 10_000 if quick else 1_000_000)],
        "optimizer": [(k, "adam", n) for n in ([100, 10_000] if quick else [100, RATIO_AT]) for k in trio]
        + [("raw-zlib-ng", "adam", 10_000 if quick else RATIO_AT)],
        "stretch": [(k, "2-2-2", n) for k, n in (("spliced", 100), ("spliced", stretch), ("bare-level1", stretch),
                                                  ("raw-level1", stretch), ("stages", stretch))],
    }


def measure(kind: str, network: str, iterations: int) -> list[dict]:
    """Run one case in a fresh process of this script."""
    out = subprocess.run([sys.executable, __file__, "--case", kind, network, str(iterations)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        error = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit code {out.returncode}"
        return [{"label": kind, "network": network, "iterations": iterations, "failed": True, "notes": f"FAILED: {error}"}]
    return json.loads(out.stdout.splitlines()[-1])


HEADER = (f"{'measure':<27} {'network':<8} {'iterations':>10} {'cells':>12} {'wall s':>8} {'CPU s':>8} "
          f"{'peak MB':>8} {'file MB':>8}  notes")


def format_row(row: dict) -> str:
    def number(key: str, fmt: str, width: int = 8) -> str:
        return format(row[key], f">{width}{fmt}") if key in row else "-".rjust(width)
    return (f"{row['label']:<27} {row['network']:<8} {row['iterations']:>10,} {number('cells', ',', 12)} "
            f"{number('wall', '.2f')} {number('cpu', '.2f')} {number('peak_mb', '.1f')} "
            f"{number('file_mb', '.2f')}  {row.get('notes', '')}")


def summary(rows: list[dict]) -> list[str]:
    """build (and openpyxl + text rows) / bare openpyxl and bare / floor at each size, and the builds'
    peak memory against the limit; failed rows give no ratio."""
    done = {(r["label"], r["network"], r["iterations"]): r for r in rows if not r.get("failed")}
    lines = []
    for (label, network, n), row in done.items():
        bare, raw = done.get(("bare openpyxl", network, n)), done.get(("raw XML floor", network, n))
        if label not in ("build", "openpyxl + text rows") or bare is None:
            continue
        ratio = row["wall"] / bare["wall"]
        floor = ""
        if raw and label == "build":  # the issue's measure: the build, stored values and all, against the floor
            over = row["wall"] / raw["wall"]
            target = f" (target ≤ {FLOOR_TARGET}: {'met' if over <= FLOOR_TARGET else 'NOT met'})" \
                if n >= RATIO_AT else ""
            floor = f"; build / raw floor {over:.2f}{target}; bare openpyxl / raw floor {bare['wall'] / raw['wall']:.1f}"
            ng = done.get(("raw XML floor, zlib-ng", network, n))
            if ng:
                floor += f"; build / raw floor with zlib-ng {row['wall'] / ng['wall']:.2f}"
        lines.append(f"{network} at {n:>9,}: {label} / bare openpyxl {ratio:.3f} wall, "
                     f"{row['cpu'] / bare['cpu']:.3f} CPU{floor}")
    builds = [r for r in rows if r["label"] == "build" and "peak_mb" in r]
    for network in dict.fromkeys(r["network"] for r in builds):
        peaks = [r for r in builds if r["network"] == network]
        worst = max(r["peak_mb"] for r in peaks)
        lines.append(f"{network} build peak memory: " + ", ".join(
            f"{r['peak_mb']:.1f} MB at {r['iterations']:,}{' (up to its failure)' if r.get('failed') else ''}"
            for r in peaks) + f"; all under {MEMORY_LIMIT_MB} MB: {'yes' if worst < MEMORY_LIMIT_MB else 'NO'}")
    return lines


def machine() -> str:
    return (f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; Python {platform.python_version()}, "
            f"openpyxl {openpyxl.__version__} (lxml {'on' if openpyxl.LXML else 'off'}); {recalc.version()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 and 10,000 iterations; no full height, no what-if")
    parser.add_argument("--only", action="append", choices=list(plan(True)), help="run only this part (repeatable)")
    parser.add_argument("--case", nargs=3, metavar=("CASE", "NETWORK", "ITERATIONS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        run_case(args.case[0], args.case[1], int(args.case[2]))
        return
    parts = plan(args.quick)
    print(machine(), flush=True)
    print(HEADER, flush=True)
    rows = []
    for part in args.only or list(parts):
        for case in parts[part]:
            for row in measure(*case):
                rows.append(row)
                print(format_row(row), flush=True)
    for line in summary(rows):
        print(line, flush=True)


if __name__ == "__main__":
    main()
