"""Built workbooks, recalculated by LibreOffice, against the reference computed from each preset."""

import zipfile

import numpy as np
import pytest
from openpyxl import load_workbook

from xlbackprop.core import presets
from xlbackprop.core.network import ITERATION
from xlbackprop.core.reference import train
from xlbackprop.sheets.layout import Layout
from xlbackprop.verifying.reader import read
from xlbackprop.verifying.verification import RTOL, verify
from xlbackprop.writing import writer

PRESETS = ["class-2024", "class-2021", "mazur"]


def assert_matches_reference(path, spec):
    """Every training cell of the recalculated ``path`` against ``train(spec)``, within RTOL."""
    data = read(path)
    exp = train(spec)
    layout = Layout(spec.network, spec.iterations)
    assert data.layout == layout
    assert set(data.cells) == {c.name for c in layout.columns if c.name != ITERATION}
    for name, cells in data.cells.items():
        got = np.array(cells, dtype=float)
        np.testing.assert_allclose(got, exp[name], rtol=RTOL, atol=0, err_msg=name)


@pytest.mark.libreoffice
@pytest.mark.parametrize("preset", PRESETS)
def test_preset_recalculated_by_libreoffice_matches_reference(preset, recalculated):
    assert_matches_reference(recalculated(preset), presets.load(preset))


@pytest.mark.libreoffice
@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_ten_thousand_iterations_match_reference_in_every_cell(preset, built):
    path = built(preset, iterations=10_000)
    report = verify(path)
    assert report.ok, report.text
    assert sum(c.cells for c in report.checks if c.name not in ("Derivation", "Network", "Matrices", "Matrices Δ")) == 10_000 * 31
    assert max(c.max_rel for c in report.checks) < RTOL


def test_header_and_parameter_block_follow_the_contract(built):
    wb = load_workbook(built("class-2024"))
    ws = wb["Training"]
    header = [c.value for c in ws[13]]
    assert header == (["iteration"] + [f"w{n}" for n in range(1, 9)]
                      + ["h1", "a_h1", "h2", "a_h2", "o1", "a_o1", "o2", "a_o2", "E1", "E2", "E_total"]
                      + ["δ_o1", "δ_o2", "δ_h1", "δ_h2"] + [f"∂E/∂w{n}" for n in range(1, 9)])
    assert [ws.cell(14 + k, 1).value for k in range(3)] == [1, 2, 3]
    assert ws.max_row == 113
    eta = wb.defined_names["eta"]
    assert eta.attr_text == "'Training'!$B$2" and eta.localSheetId is None  # workbook scope
    assert ws["B2"].value == 1.0
    assert [ws.cell(12, 1 + n).value for n in range(1, 9)] == [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55]
    assert ws.freeze_panes == "B14"


def test_every_quantity_cell_is_a_live_formula(built):
    data = read(built("mazur"), values=False)
    for name, cells in data.cells.items():
        assert all(isinstance(v, str) and v.startswith("=") for v in cells), name


def test_workbook_has_a_loss_chart_of_e_total(built):
    with zipfile.ZipFile(built("class-2024")) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    assert "<c:scatterChart>" in chart
    assert "'Training'!$T$14:$T$113" in chart  # E_total
    assert "'Training'!$A$14:$A$113" in chart  # iteration
    assert "Loss E_total by iteration" in chart


def test_two_builds_give_identical_bytes(tmp_path):
    spec = presets.load("mazur")
    a = writer.build(spec, tmp_path / "a.xlsx").read_bytes()
    b = writer.build(spec, tmp_path / "b.xlsx").read_bytes()
    assert a == b
    c = writer.build(spec.with_overrides(eta=0.25), tmp_path / "c.xlsx").read_bytes()
    assert c != a


def test_title_is_text_even_when_it_looks_like_a_formula(tmp_path):
    from dataclasses import replace

    spec = replace(presets.load("class-2024"), title="=HYPERLINK(\"http://x\")")
    path = writer.build(spec, tmp_path / "t.xlsx")
    ws = load_workbook(path)["Training"]
    assert ws["A1"].value == "=HYPERLINK(\"http://x\")" and ws["A1"].data_type == "s"


def test_charts_reach_the_last_excel_row():
    # openpyxl's chart Reference stops at row 1,000,000; a full-height workbook ends at 1,048,576
    from openpyxl import Workbook
    from openpyxl.xml.functions import tostring

    from xlbackprop.sheets.chart import loss_chart, sweep_chart
    from xlbackprop.sheets.sweep import SweepPlan

    spec = presets.load("class-2024")
    layout = Layout(spec.network, 1_048_563)
    assert layout.last_row == 1_048_576
    ws = Workbook(write_only=True).create_sheet("Training")
    for chart in (loss_chart(ws, layout, 1.0), sweep_chart(SweepPlan(("eta 0.1", "eta 1"), layout))):
        xml = tostring(chart._write()).decode()
        assert "$T$14:$T$1048576" in xml and "$A$14:$A$1048576" in xml


def _lab(hex_colour: str) -> tuple[float, float, float]:
    """sRGB to CIE L*a*b* (D65), to measure how far apart two colours look."""
    rgb = [int(hex_colour[k:k + 2], 16) / 255 for k in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    x = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def test_sweep_colours_are_clearly_distinct():
    """Every pair of the twelve curve colours differs by more than 20 ΔE (CIE76): a person tells them apart."""
    from itertools import combinations

    from xlbackprop.sheets.chart import SWEEP_COLOURS
    from xlbackprop.sheets.sweep import MAX_RATES

    assert len(set(SWEEP_COLOURS)) >= MAX_RATES
    for a, b in combinations(SWEEP_COLOURS[:MAX_RATES], 2):
        distance = sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b))) ** 0.5
        assert distance > 20, (a, b, distance)


def test_loss_chart_title_reads_the_sheets_eta(built):
    """The title is linked to a cell holding ="Loss E_total by iteration, η = "&eta (Excel follows it
    live), with the built η cached for readers that show the cache."""
    import zipfile

    with zipfile.ZipFile(built("class-2024", sweep=(0.1, 2))) as z:
        charts = [z.read(n).decode() for n in sorted(z.namelist()) if n.startswith("xl/charts/chart")]
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    titled = [c for c in charts if "Loss E_total by iteration, η = " in c]
    assert len(titled) == 3 and all("<c:strRef><c:f>" in c and "!$J$1</c:f>" in c for c in titled)
    assert {"η = 1<", "η = 0.1<", "η = 2<"} <= {m for c in titled for m in ("η = 1<", "η = 0.1<", "η = 2<") if m in c}
    assert "&amp;eta</f>" in sheet


@pytest.mark.parametrize("preset", ["class-2024", "class-2021", "mazur", "xor", "deep"])
def test_a_laptop_shows_twenty_iteration_rows_and_the_chart(built, preset):
    """At 1366×768 and 100 % zoom, Excel with its ribbon open under a 40-pixel taskbar leaves about
    489 pixels of grid (docs/workbook.md); the frozen rows (title, η, samples, initial values, header;
    the folded rows are hidden) must leave 20 rows of iterations, and the loss chart must end by
    column O, the last a 1366-pixel screen shows beside the 19-wide column A."""
    import re
    import zipfile

    with zipfile.ZipFile(built(preset, iterations=30, sweep=())) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        drawing = next(z.read(n).decode() for n in z.namelist() if n.startswith("xl/drawings/drawing"))
    frozen = int(re.search(r'<pane [^>]*ySplit="(\d+)"', sheet)[1])
    default = float(re.search(r'<sheetFormatPr [^>]*defaultRowHeight="([\d.]+)"', sheet)[1])
    assert 'customHeight="1"' in re.search(r"<sheetFormatPr [^>]*>", sheet)[0]
    rows = {int(m[1]): m[0] for m in re.finditer(r'<row r="(\d+)"[^>]*>', sheet)}
    points = 0.0
    for r in range(1, frozen + 1):
        tag = rows.get(r, "")
        if 'hidden="1"' not in tag:
            height = re.search(r'ht="([\d.]+)"', tag)
            points += float(height[1]) if height else default
    pixels = points * 4 / 3
    assert (489 - pixels) // (default * 4 / 3) >= 20, (preset, pixels)
    last_column = int(re.search(r"<xdr:to><xdr:col>(\d+)</xdr:col>", drawing)[1])  # 0-based, exclusive
    assert last_column <= 15, preset


def test_a_title_that_reads_like_a_label_is_still_read_back(tmp_path):
    """The reader finds the folded rows (network, activations, ...) by their labels in column A,
    below the title and η: a title that happens to read "network" is not taken for them."""
    from dataclasses import replace

    from xlbackprop.verifying.reader import read

    spec = replace(presets.load("mazur"), title="network")
    data = read(writer.build(spec, tmp_path / "t.xlsx", sweep=()), values=False)
    assert data.spec == spec and data.layout.network == spec.network


# -- printing ---------------------------------------------------------------------------------

def _package(path) -> tuple[str, dict[str, str]]:
    """workbook.xml and each sheet's part, by sheet name (openpyxl numbers the parts in order)."""
    import re

    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode()
        names = re.findall(r'<sheet [^>]*name="([^"]*)"', book)
        return book, {name: z.read(f"xl/worksheets/sheet{k}.xml").decode() for k, name in enumerate(names, 1)}


def _page_setup(sheet: str) -> dict[str, str]:
    import re

    return dict(re.findall(r'(\w+)="([^"]*)"', re.search(r"<pageSetup [^>]*/>", sheet)[0]))


def test_training_sheets_print_their_header_row_and_iteration_column_on_every_page(built):
    """Every training sheet repeats its header row atop each page and column A left of each page
    across (the defined name _xlnm.Print_Titles, scoped to the sheet), prints at 70 % (its
    10-point text at 7 points) without fitting to the page, landscape, across then down."""
    import html
    import re

    book, sheets = _package(built("class-2024", sweep=(0.1, 2)))
    names = list(sheets)
    titles = {int(m[1]): html.unescape(m[2]) for m in
              re.finditer(r'<definedName name="_xlnm.Print_Titles" localSheetId="(\d+)">([^<]*)</definedName>', book)}
    training = ["Training", "eta 0.1", "eta 2"]
    assert {names[k] for k in titles} == {*training, "Derivation"}
    for name in training:
        assert titles[names.index(name)] == f"'{name}'!$13:$13,'{name}'!$A:$A"
        setup = _page_setup(sheets[name])
        assert setup["scale"] == "70" and setup["orientation"] == "landscape" and setup["pageOrder"] == "overThenDown"
        assert "fitToWidth" not in setup and "fitToHeight" not in setup
        assert "fitToPage" not in sheets[name]
        assert "&amp;A, page &amp;P" in sheets[name]  # the footer names the sheet and the page
        # pages across: iteration and w1..w8 | h1 .. E_total | δ_o1 .. ∂E/∂w8 (columns I and T end them)
        assert re.findall(r'<brk id="(\d+)"', sheets[name]) == ["9", "20"]
    assert titles[names.index("Derivation")] == "'Derivation'!$A:$A"  # names the perturbed runs on its right half


def test_no_sheet_is_fitted_to_a_page_or_printed_below_7_points(built):
    """A sheet fitted to one page shrank with its width (the Training sheet's text to 3 points);
    each prints at a fixed scale: 10-point text at 6.8 points or more."""
    _, sheets = _package(built("class-2024", sweep=(0.1, 2)))
    assert set(sheets) == {"Training", "Sweep", "Derivation", "Network", "Matrices", "eta 0.1", "eta 2"}
    for name, sheet in sheets.items():
        setup = _page_setup(sheet)
        assert "fitToPage" not in sheet and "fitToWidth" not in setup, name
        assert int(setup["scale"]) >= 68, name
    assert _page_setup(sheets["Sweep"])["scale"] == "100"  # the table on one page, the chart on the next


@pytest.mark.parametrize("preset", ["class-2024", "mazur", "xor", "deep"])
def test_each_page_across_fits_a_landscape_page_and_keeps_the_chart_whole(built, preset):
    """Planned in the widest reader's column widths (7 points a unit, LibreOffice without Carlito),
    column A and each page's columns fit across landscape Letter at the training scale, so no
    reader adds a break of its own; no page starts inside the loss chart's columns."""
    import re

    from xlbackprop.writing.printing import PAGE_ACROSS_PT, TABLE_SCALE, UNIT_PT

    path = built(preset, iterations=5)
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        drawing = z.read("xl/drawings/drawing1.xml").decode()
    widths = {int(m[2]): float(m[1]) for m in re.finditer(r'<col width="([\d.]+)" customWidth="1" min="(\d+)"', sheet)}
    breaks = [int(b) for b in re.findall(r'<brk id="(\d+)"', sheet)]
    ends = [1] + breaks + [max(widths)]
    for first, last in zip(ends, ends[1:]):
        units = widths[1] + sum(widths[c] for c in range(first + 1, last + 1))
        assert units * UNIT_PT * TABLE_SCALE / 100 <= PAGE_ACROSS_PT, (preset, first, last)
    chart_from, chart_to = (int(c) for c in re.findall(r"<xdr:col>(\d+)</xdr:col>", drawing)[:2])  # 0-based
    assert not [b for b in breaks if chart_from < b < chart_to], (preset, breaks, chart_from, chart_to)
    assert len(breaks) >= 2  # three parts at least: parameters, forward pass, backward pass


@pytest.mark.libreoffice
def test_printed_training_sheet_is_legible_with_its_header_on_every_page(built, tmp_path):
    """LibreOffice prints 1,000 iterations on many pages, three across (parameters, forward pass,
    backward pass), each with the header row of its columns and the iteration column."""
    import re
    import subprocess

    from xlbackprop.xlsx.engines import convert

    pdf = convert(built("class-2024", iterations=1000), tmp_path, to="pdf")
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    training = [p for p in pages if re.search(r"Training, page \d+", p)]
    assert len(training) > 30  # about 60 iterations a page, three pages across
    across = [("w1", "w8"), ("h1", "E_total"), ("δ_o1", "∂E/∂w8")]
    for k, page in enumerate(training):
        words = page.split()
        assert "iteration" in words, k
        assert all(h in words for h in across[k % 3]), (k, page[:300])
        if k >= 3:  # (the first three also hold the chart, whose clipped text a PDF keeps)
            assert not any(h in words for other in across if other != across[k % 3] for h in other), k
        assert f"Training, page {k + 1}" in page
    assert "1000" in training[-1].split()
    heights = subprocess.run(["pdftotext", "-bbox", "-f", "4", "-l", "4", str(pdf), "-"], capture_output=True,
                             text=True, check=True).stdout  # page 4: iterations below the first page's
    boxes = [float(b) - float(a) for a, b in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', heights)]
    assert min(boxes) > 8.5  # 7-point text (a word's box is 1.3 times its size); fitted to a page it was 3.6
    derivation = [p for p in pages if "Derivation, page" in p]
    assert "difference" in derivation[0].split()  # its steps' columns A to G on one page across
