"""Built workbooks, recalculated by LibreOffice, against the reference computed from each preset."""

import zipfile

import numpy as np
import pytest
from openpyxl import load_workbook

from xlbackprop import presets, writer
from xlbackprop.layout import Layout
from xlbackprop.network import ITERATION
from xlbackprop.reader import read
from xlbackprop.reference import train
from xlbackprop.verification import RTOL, verify

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
    assert sum(c.cells for c in report.checks if c.name not in ("Derivation", "Network")) == 10_000 * 31
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

    from xlbackprop.chart import loss_chart, sweep_chart
    from xlbackprop.sweep import SweepPlan

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

    from xlbackprop.chart import SWEEP_COLOURS
    from xlbackprop.sweep import MAX_RATES

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
    489 pixels of grid (the README); the frozen rows (title, η, samples, initial values, header;
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

    from xlbackprop.reader import read

    spec = replace(presets.load("mazur"), title="network")
    data = read(writer.build(spec, tmp_path / "t.xlsx", sweep=()), values=False)
    assert data.spec == spec and data.layout.network == spec.network
