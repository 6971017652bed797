"""How the build scales: time, peak memory and size up to Excel's last row, beside plain openpyxl and the floor.

    python bench/scale.py                          # everything, one run (about 45 minutes on 2 cores)
    python bench/scale.py --quick                  # 100 and 10,000 iterations only; no full height, no what-if
    python bench/scale.py --only writes --only whatif     # parts: writes large verify whatif reference stretch

Prints one table, a row as soon as it is measured; times are this machine's, in this run. Each row
is measured in a fresh Python process (this script run with ``--case``), so its peak memory is its own.

Rows (the network is ``class-2024``'s 2-2-2 unless it says ``4-8-8-2``):

- ``build``: ``xlbackprop.writer.build(spec, path)``, the product: parameter block, colour key,
  column widths, frozen panes, named styles, the training table and the loss chart.
- ``bare openpyxl``: the library's own cost, as a bare openpyxl write-only loop: the same training
  cells (the same formula text, from ``Layout`` and ``Templates``, the same named styles, one reused
  ``WriteOnlyCell`` per column), the same header row and the parameter cells the formulas read
  (eta in B3 and its defined name, inputs, targets, initial weights), saved with ``wb.save``.
  Left out: title, shape rows, connection row, colour key, widths, panes, page setup, chart,
  fixed timestamps (about 40 cells and a few small parts; the table is 99.9 % of any file here).
- ``raw XML floor``: the same cells as ``bare openpyxl``, each cell's XML as openpyxl writes it
  (``<c r="B21" s="2"><f>B20-eta*Y20</f><v></v></c>``), one ``str.format`` per row, streamed into
  ``zipfile`` (deflate, the same level as openpyxl) with minimal workbook parts and a styles part
  holding the same fills and number formats: no spool file, no cell objects.
- ``verify``: ``xlbackprop.verify.verify(path)`` of a built workbook (LibreOffice recalculates it,
  every cell against numpy); notes split its time. Peak MB is the Python side only.
- ``what-if ours`` / ``what-if course``: LibreOffice through UNO (``bench/_whatif_uno.py``, system
  Python): the book is loaded, then for each of 3 learning rates B3 (``eta``) is set and
  ``calculateAll()`` runs; wall s is the median of the 3, peak MB is soffice's. ``ours`` is the
  built workbook; ``course`` is the course template's style: no δ columns, each gradient repeating
  its whole chain (``∂E/∂w1 = ((a_o1-t1)*(a_o1*(1-a_o1))*w5 + (a_o2-t2)*(a_o2*(1-a_o2))*w7)
  *(a_h1*(1-a_h1))*i1``), on the same parameter cells. Both are checked to give the same numbers.
- ``reference``: ``xlbackprop.reference.train(spec)``, the numpy engine.
- ``stretch``: at 100,000 iterations, the bare loop and the floor again with zlib level 1 instead
  of openpyxl's default 6, and a profile of where the bare loop's time goes.

Columns: ``cells`` is training rows × columns; ``wall s`` is ``time.perf_counter`` around the
measured call only (interpreter start, imports and the spec are outside); ``CPU s`` is user +
system time of the process and its children over the same span (less sensitive to a busy
machine); ``peak MB`` is the process's VmHWM at the end, imports included (the 100-iteration rows
show that floor); ``file MB`` is the file written. The full height is the most iterations that
fit: 2-2-2's iteration 1 sits on row 20, so 1,048,557 iterations fill rows 20 .. 1,048,576.
At the end: build / bare openpyxl at each size, and the build's peak memory against 150 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.cell import absolute_coordinate, get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.writer.excel import ExcelWriter

from xlbackprop import presets, recalc, writer
from xlbackprop.expressions import Templates
from xlbackprop.layout import ETA_ROW, EXCEL_MAX_ROWS, SHEET, Layout
from xlbackprop.reference import train
from xlbackprop.spec import Spec, from_mapping
from xlbackprop.styles import KINDS, named_styles
from xlbackprop.verify import verify

PRESET = "class-2024"
LARGE = {"title": "bench: 4-8-8-2 sigmoid, 4 samples", "layers": [4, 8, 8, 2], "activation": "sigmoid",
         "seed": 7, "eta": 0.5, "inputs": [[0, 0, 1, 1], [0, 1, 0, 1], [1, 0, 0, 1], [1, 1, 1, 0]],
         "targets": [[0, 1], [1, 0], [1, 1], [0, 0]]}
WHATIF_ETAS = (0.5, 2.0, 0.1)
MEMORY_LIMIT_MB = 150
RATIO_TARGET, RATIO_AT = 1.15, 100_000
HERE = Path(__file__).resolve().parent

# One column of the training table after ``iteration``: header, kind (its style), the formula of
# iteration 1 and the formula after it, with ``{r}`` for the cell's row and ``{p}`` for the row above.
Column = tuple[str, str, str, str]


# -- what is written -------------------------------------------------------------------------
def make_spec(network: str, iterations: int) -> Spec:
    if network == "2-2-2":
        return presets.load(PRESET).with_overrides(iterations=iterations)
    return from_mapping({**LARGE, "iterations": iterations})


def full_height(network: str) -> int:
    """The most iterations that fit Excel's rows: 1,048,557 for 2-2-2."""
    return EXCEL_MAX_ROWS - Layout(make_spec(network, 1).network, 1).first_row + 1


def _build(spec: Spec, path: Path) -> None:
    """xlbackprop's build without learning-rate sweep sheets (the command line's ``--sweep none``)."""
    writer.build(spec, path, sweep=())


def table_columns(layout: Layout) -> list[Column]:
    """The training table as xlbackprop plans it."""
    t = Templates(layout)
    return [(c.name, c.kind, t.first[c.name], t.rest[c.name]) for c in layout.columns[1:]]


def course_columns(layout: Layout) -> list[Column]:
    """The course template's style (2-2-2, one sample): weights, forward pass and loss as ours, then
    ``∂E/∂w1..w8`` each repeating the chain instead of reading δ columns. Its products group as
    ours do (``(a_o1-t1)*(a_o1*(1-a_o1))`` is our δ_o1's text), so both books compute the same bits."""
    t = Templates(layout)
    kept = [c for c in layout.columns[1:] if c.kind in ("weight", "forward", "loss")]

    def ref(name: str) -> str:  # weights, forward and loss sit in the same columns in both books
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
        columns.append((c.name, c.kind, t.first[c.name], rest))
    return columns + [(f"∂E/∂w{n}", "gradient", f"={chain}", f"={chain}") for n, chain in enumerate(chains, 1)]


def given_rows(spec: Spec, layout: Layout, columns: list[Column]) -> dict[int, list[tuple[object, str]]]:
    """Rows above the table that its formulas read (eta, inputs and targets, initial weights), then the header."""
    assert spec.network.bias_mode == "none", "the bench's networks have no biases"
    rows = {ETA_ROW: [("eta", "label"), (spec.eta, "eta")]}
    for s, (inputs, targets) in enumerate(zip(spec.inputs, spec.targets), 1):
        rows[layout.sample_row(s)] = [(s, "iteration")] + [(v, "given") for v in (*inputs, *targets)]
    rows[layout.weights_rows[2]] = [("initial value", "label")] + [(w, "given") for w in spec.weights]
    rows[layout.header_row] = [(name, "header") for name in ["iteration"] + [c[0] for c in columns]]
    return rows


# -- the bare openpyxl loop --------------------------------------------------------------------
def write_openpyxl(spec: Spec, path: Path, columns: list[Column], level: int | None = None) -> None:
    """The same cells through openpyxl's write-only mode and nothing else (``level``: zlib's; None is
    openpyxl's own choice, as ``wb.save`` makes it)."""
    layout = Layout(spec.network, spec.iterations)
    wb = Workbook(write_only=True)
    styles = named_styles()
    for style in dict.fromkeys(styles.values()):
        wb.add_named_style(style)
    ws = wb.create_sheet(SHEET)
    given = given_rows(spec, layout, columns)
    for r in range(1, layout.header_row + 1):
        ws.append([_styled(ws, styles[kind].name, value) for value, kind in given.get(r, [])])
    cells = [_styled(ws, styles[kind].name) for kind in ["iteration"] + [c[1] for c in columns]]
    first, rest = [c[2] for c in columns], [c[3] for c in columns]
    for iteration in range(1, spec.iterations + 1):
        row = layout.row(iteration)
        cells[0].value = iteration
        for cell, template in zip(cells[1:], first if iteration == 1 else rest):
            cell.value = template.format(r=row, p=row - 1)
        ws.append(cells)
    wb.defined_names["eta"] = DefinedName("eta", attr_text=f"'{SHEET}'!{absolute_coordinate(layout.eta_cell)}")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=level) as archive:
        ExcelWriter(wb, archive).write_data()  # what wb.save(path) does, with the zip level exposed


def _styled(ws, style: str, value=None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.style = style
    return cell


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


def write_raw(spec: Spec, path: Path, columns: list[Column], level: int | None = None) -> None:
    """The same cells as :func:`write_openpyxl`, as XML text streamed straight into the zip."""
    layout = Layout(spec.network, spec.iterations)
    given = given_rows(spec, layout, columns)
    batch = 1000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, text in {**RAW_PARTS, "xl/workbook.xml": _raw_workbook(layout), "xl/styles.xml": _raw_styles()}.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<worksheet xmlns="{_MAIN}"><sheetData>'.encode())
            sheet.write("".join(_raw_given_row(r, given.get(r, [])) for r in range(1, layout.header_row + 1)).encode())
            first, rest = _raw_row_template(columns, 2), _raw_row_template(columns, 3)
            for start in range(1, spec.iterations + 1, batch):
                stop = min(start + batch, spec.iterations + 1)
                sheet.write("".join((first if i == 1 else rest).format(r=layout.row(i), p=layout.row(i) - 1, i=i)
                                    for i in range(start, stop)).encode())
            sheet.write(b"</sheetData></worksheet>")


def _raw_row_template(columns: list[Column], which: int) -> str:
    """One row's XML with ``{r}``, ``{p}`` and ``{i}`` (the iteration) left to fill."""
    cells = [f'<c r="A{{r}}" s="{RAW_STYLE_ID["iteration"]}" t="n"><v>{{i}}</v></c>']
    for k, column in enumerate(columns, 2):
        cells.append(f'<c r="{get_column_letter(k)}{{r}}" s="{RAW_STYLE_ID[column[1]]}">'
                     f'<f>{escape(column[which][1:])}</f><v></v></c>')
    return '<row r="{r}">' + "".join(cells) + "</row>"


def _raw_given_row(r: int, cells: list[tuple[object, str]]) -> str:
    out = []
    for k, (value, kind) in enumerate(cells, 1):
        ref, style = f"{get_column_letter(k)}{r}", RAW_STYLE_ID[kind]
        if isinstance(value, str):
            out.append(f'<c r="{ref}" s="{style}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        else:
            out.append(f'<c r="{ref}" s="{style}" t="n"><v>{value!r}</v></c>')
    return f'<row r="{r}">{"".join(out)}</row>'


def _raw_workbook(layout: Layout) -> str:
    return (f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets><sheet name="{SHEET}" sheetId="1" r:id="rId1"/>'
            f"</sheets><definedNames><definedName name=\"eta\">'{SHEET}'!{absolute_coordinate(layout.eta_cell)}"
            '</definedName></definedNames><calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')


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


# -- the cases, each run in its own process ----------------------------------------------------
@contextlib.contextmanager
def timed(row: dict):
    """Record ``wall`` and ``cpu`` seconds of the block into ``row``."""
    wall, cpu = time.perf_counter(), _cpu()
    yield
    row["wall"], row["cpu"] = time.perf_counter() - wall, _cpu() - cpu


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def _write_case(label: str, write, check: bool = False):
    """A case timing ``write(spec, path)``; with ``check``, a small file is read back too."""
    def case(spec: Spec, folder: Path) -> list[dict]:
        path, row = folder / "book.xlsx", {"label": label}
        with timed(row):
            write(spec, path)
        row["file_mb"] = path.stat().st_size / 1e6
        if check and spec.iterations <= 100:
            row["notes"] = _opens_in_openpyxl(path, spec)
        return [row]
    return case


def _bare(level: int | None = None):
    return lambda spec, path: write_openpyxl(spec, path, table_columns(Layout(spec.network, spec.iterations)), level)


def _raw(level: int | None = None):
    return lambda spec, path: write_raw(spec, path, table_columns(Layout(spec.network, spec.iterations)), level)


def _opens_in_openpyxl(path: Path, spec: Spec) -> str:
    """Check the floor's file is a workbook: openpyxl (read-only) finds every formula."""
    wb = openpyxl.load_workbook(path, read_only=True)
    formulas = sum(isinstance(v, str) and v.startswith("=") for row in wb[SHEET].iter_rows(values_only=True) for v in row)
    wb.close()
    expected = spec.iterations * (len(Layout(spec.network, 1).columns) - 1)
    assert formulas == expected, f"the floor's file holds {formulas} formulas, not {expected}"
    return f"valid: openpyxl reads back all {formulas:,} formulas"


def _verify_case(spec: Spec, folder: Path) -> list[dict]:
    path, row = folder / "book.xlsx", {"label": "verify"}
    _build(spec, path)
    with timed(row):
        report = verify(path)
    row["file_mb"] = path.stat().st_size / 1e6
    parts = ", ".join(f"{name} {s:.1f} s" for name, s in report.seconds.items())
    worst = max(c.max_rel for c in report.checks)
    row["notes"] = f"{parts}; {'OK' if report.ok else 'FAILED'}, worst rel. error {worst:.1e}"
    return [row]


def _whatif_case(spec: Spec, folder: Path) -> list[dict]:
    layout = Layout(spec.network, spec.iterations)
    ours, course = folder / "ours.xlsx", folder / "course.xlsx"
    _build(spec, ours)
    write_openpyxl(spec, course, course_columns(layout))
    probes = [("E_total", k) for k in (1, 10, 100, 1000, spec.iterations)] + [(w, spec.iterations) for w in ("w1", "w8")]
    cells = [layout.cell(name, k) for name, k in probes]
    rows, values = [], []
    for label, path, columns in (("what-if ours", ours, table_columns(layout)),
                                 ("what-if course", course, course_columns(layout))):
        out = subprocess.run(["/usr/bin/python3", str(HERE / "_whatif_uno.py"), str(path), "--eta",
                              *map(str, WHATIF_ETAS), "--cells", *cells], capture_output=True, text=True, check=True)
        result = json.loads(out.stdout.splitlines()[-1])
        values.append([result["values"][c] for c in cells])
        rows.append({"label": label, "cells": spec.iterations * len(columns), "wall": statistics.median(result["recalc"]), "peak_mb": result["soffice_peak_mb"],
                     "file_mb": path.stat().st_size / 1e6,
                     "notes": f"set eta + calculateAll: {' '.join(f'{s:.2f}' for s in result['recalc'])} s; "
                              f"load {result['load']:.1f} s; peak MB is soffice's"})
    expected = train(spec.with_overrides(eta=WHATIF_ETAS[-1]))
    exp = [float(expected[name][k - 1]) for name, k in probes]
    same = values[0] == values[1]
    worst = max(abs(g - e) / abs(e) for g, e in zip(values[0], exp) if e)
    rows[1]["notes"] += (f"; {'the same' if same else 'NOT the same'} {len(cells)} probed cells as ours "
                         f"({', '.join(cells)}), {worst:.0e} from numpy at eta = {WHATIF_ETAS[-1]}")
    return rows


def _reference_case(spec: Spec, folder: Path) -> list[dict]:
    row = {"label": "reference"}
    with timed(row):
        train(spec)
    return [row]


def _profile_case(spec: Spec, folder: Path) -> list[dict]:
    """Where the bare loop's time goes: cProfile's top functions by own time (profiling slows it)."""
    row = {"label": "bare openpyxl, profiled"}
    profile = cProfile.Profile()
    with timed(row):
        profile.runcall(_bare(), spec, folder / "book.xlsx")
    stats = pstats.Stats(profile)
    total = sum(t for _, _, t, _, _ in stats.stats.values())
    top = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:8]
    row["notes"] = "own time: " + ", ".join(f"{fn} {t / total:.0%}" for (_, _, fn), (_, _, t, _, _) in top)
    return [row]


CASES = {
    "build": _write_case("build", _build),
    "bare": _write_case("bare openpyxl", _bare()),
    "raw": _write_case("raw XML floor", _raw(), check=True),
    "bare-level1": _write_case("bare openpyxl, zlib level 1", _bare(1)),
    "raw-level1": _write_case("raw XML floor, zlib level 1", _raw(1)),
    "profile": _profile_case,
    "verify": _verify_case,
    "whatif": _whatif_case,
    "reference": _reference_case,
}


def run_case(kind: str, network: str, iterations: int) -> None:
    """In the child process: measure one case and print its rows as one JSON line."""
    spec = make_spec(network, iterations)
    cells = iterations * (len(Layout(spec.network, 1).columns) - 1)
    with tempfile.TemporaryDirectory(prefix="xlbackprop-bench-") as folder:
        rows = CASES[kind](spec, Path(folder))
    for row in rows:
        row.setdefault("peak_mb", _peak_mb())
        row.setdefault("cells", cells)
        row.update(network=spec.network.describe(), iterations=iterations)
    print(json.dumps(rows))


# -- the table ----------------------------------------------------------------------------------
def plan(quick: bool) -> dict[str, list[tuple[str, str, int]]]:
    """Parts, each a list of (case, network, iterations), in the order they run."""
    sizes = [100, 10_000] if quick else [100, 10_000, 100_000, full_height("2-2-2")]
    large = [100, 10_000] if quick else [10_000, 100_000]
    trio = ("build", "bare", "raw")
    return {
        "writes": [(k, "2-2-2", n) for n in sizes for k in trio],
        "large": [(k, "large", n) for n in large for k in trio],
        "verify": [("verify", "2-2-2", n) for n in (1_000, 10_000)],
        "whatif": [] if quick else [("whatif", "2-2-2", 10_000)],
        "reference": [("reference", "2-2-2", 10_000 if quick else 1_000_000)],
        "stretch": [(k, "2-2-2", 10_000 if quick else RATIO_AT) for k in ("bare-level1", "raw-level1", "profile")],
    }


def measure(kind: str, network: str, iterations: int) -> list[dict]:
    """Run one case in a fresh process of this script."""
    out = subprocess.run([sys.executable, __file__, "--case", kind, network, str(iterations)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"case {kind} {network} {iterations} failed:\n{out.stderr}")
    return json.loads(out.stdout.splitlines()[-1])


HEADER = (f"{'measure':<28} {'network':<8} {'iterations':>10} {'cells':>12} {'wall s':>8} {'CPU s':>8} "
          f"{'peak MB':>8} {'file MB':>8}  notes")


def format_row(row: dict) -> str:
    def number(key: str, fmt: str) -> str:
        return format(row[key], fmt) if key in row else f"{'-':>8}"
    return (f"{row['label']:<28} {row['network']:<8} {row['iterations']:>10,} {row['cells']:>12,} "
            f"{number('wall', '>8.2f')} {number('cpu', '>8.2f')} {number('peak_mb', '>8.1f')} "
            f"{number('file_mb', '>8.2f')}  {row.get('notes', '')}")


def summary(rows: list[dict]) -> list[str]:
    """build / bare openpyxl (and bare / floor) at each size, and the build's memory against the limit."""
    by = {(r["label"], r["network"], r["iterations"]): r for r in rows}
    lines = []
    for (label, network, n), build in by.items():
        bare, raw = by.get(("bare openpyxl", network, n)), by.get(("raw XML floor", network, n))
        if label != "build" or bare is None:
            continue
        ratio = build["wall"] / bare["wall"]
        verdict = f" (target ≤ {RATIO_TARGET}: {'met' if ratio <= RATIO_TARGET else 'NOT met'})" if n == RATIO_AT else ""
        floor = f"; bare openpyxl / raw floor {bare['wall'] / raw['wall']:.2f}" if raw else ""
        lines.append(f"{network} at {n:>9,}: build / bare openpyxl {ratio:.3f} wall, "
                     f"{build['cpu'] / bare['cpu']:.3f} CPU{verdict}{floor}")
    builds = [r for r in rows if r["label"] == "build"]
    for network in dict.fromkeys(r["network"] for r in builds):
        peaks = [(r["iterations"], r["peak_mb"]) for r in builds if r["network"] == network]
        worst = max(p for _, p in peaks)
        lines.append(f"{network} build peak memory: " + ", ".join(f"{p:.1f} MB at {n:,}" for n, p in peaks)
                     + f"; under {MEMORY_LIMIT_MB} MB: {'yes' if worst < MEMORY_LIMIT_MB else 'NO'}")
    return lines


def machine() -> str:
    return (f"{platform.node()}: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, Python {platform.python_version()}, "
            f"openpyxl {openpyxl.__version__} (lxml {'on' if openpyxl.LXML else 'off'}), {recalc.version()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 and 10,000 iterations; no full height, no what-if")
    parser.add_argument("--only", action="append", choices=list(plan(False)), help="run only this part (repeatable)")
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
    print("\n".join(summary(rows)), flush=True)


if __name__ == "__main__":
    main()
