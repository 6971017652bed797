"""The learning-rate sweep: one training sheet per rate, the Sweep sheet, each rate's own eta."""

import re
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import edit_cell
from openpyxl import load_workbook

from xlbackprop.cli import main
from xlbackprop.core import presets
from xlbackprop.core.errors import SpecError
from xlbackprop.core.reference import train
from xlbackprop.sheets import sweep
from xlbackprop.verifying.reader import read_all
from xlbackprop.verifying.verification import RTOL, verify
from xlbackprop.xlsx.engines import convert

RATES = sweep.DEFAULT_RATES
RATE_SHEETS = ["eta 0.1", "eta 0.2", "eta 0.5", "eta 0.8", "eta 1", "eta 2"]


def test_default_workbook_has_one_training_sheet_per_rate_of_the_assignment(built):
    wb = load_workbook(built("class-2024", sweep=RATES))
    assert wb.sheetnames == ["Training", "Sweep", "Derivation", "Network", "Matrices"] + RATE_SHEETS
    assert wb.defined_names["eta"].attr_text == "'Training'!$B$2"
    assert wb["Training"]["F15"].value == "=F14-eta*AC14"
    for name, rate in zip(RATE_SHEETS, RATES):
        ws = wb[name]
        assert ws["B2"].value == rate
        assert "eta" not in ws.defined_names  # no sheet-scoped name: Google Sheets has none
        assert ws["F15"].value == "=F14-$B$2*AC14"  # the contract of Training, reading the sheet's own B2
        assert [c.value for c in ws[13]] == [c.value for c in wb["Training"][13]]


def test_sweep_table_reads_e_total_of_every_rate_sheet(built):
    ws = load_workbook(built("class-2024", sweep=RATES))["Sweep"]
    assert [ws.cell(4, c).value for c in range(1, 8)] == ["iteration"] + [
        f"=\"eta \"&'{name}'!$B$2" for name in RATE_SHEETS]
    assert [ws.cell(r, 1).value for r in range(5, 10)] == [1, 2, 10, 50, 100]
    assert ws["B5"].value == "='eta 0.1'!$T$14"
    assert ws["G9"].value == "='eta 2'!$T$113"


def test_sweep_chart_overlays_every_rate_on_a_log_axis(built):
    with zipfile.ZipFile(built("class-2024", sweep=RATES)) as z:
        charts = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")}
    overlay = [c for c in charts.values() if "one curve per learning rate" in c]
    assert len(overlay) == 1 and len(charts) == 1 + len(RATES) + 1  # a loss chart per training sheet
    chart = overlay[0]
    assert chart.count("<c:ser>") == len(RATES)
    assert re.search(r'logBase val="10"', chart)
    for k, name in enumerate(RATE_SHEETS):
        letter = "BCDEFG"[k]
        assert f"'Sweep'!${letter}$4" in chart  # the legend entry is the live header cell
        assert f"'{name}'!$T$14:$T$113" in chart


@pytest.mark.libreoffice
def test_each_rate_sheet_matches_the_reference_for_its_rate(recalculated):
    contents = read_all(recalculated("class-2024", sweep=RATES))
    assert list(contents.training) == ["Training"] + RATE_SHEETS
    for name, rate in zip(RATE_SHEETS, RATES):
        exp = train(presets.load("class-2024").with_overrides(eta=rate))
        for quantity, cells in contents.training[name].cells.items():
            np.testing.assert_allclose(np.array(cells, dtype=float), exp[quantity], rtol=RTOL, atol=0,
                                       err_msg=f"{name} {quantity}")
        for iteration in (1, 2, 10, 50, 100):
            assert contents.sweep_cells[(name, iteration)] == pytest.approx(exp["E_total"][iteration - 1], rel=RTOL)
    # the rates differ: a faster rate ends lower for this network (no overshoot below eta = 2)
    last = [contents.sweep_cells[(name, 100)] for name in RATE_SHEETS]
    assert last == sorted(last, reverse=True)


@pytest.mark.libreoffice
def test_changing_one_rate_sheets_eta_moves_only_that_curve(built, recalculated, tmp_path):
    before = read_all(recalculated("class-2024", sweep=RATES))
    edited = tmp_path / "edited.xlsx"
    edit_cell(built("class-2024", sweep=RATES), edited, "B2", '<c r="B2" s="3" t="n"><v>0.3</v></c>', "eta 0.5")
    after = read_all(convert(edited, tmp_path / "out"))
    exp = train(presets.load("class-2024").with_overrides(eta=0.3))
    np.testing.assert_allclose(np.array(after.training["eta 0.5"].cells["E_total"], dtype=float),
                               exp["E_total"], rtol=RTOL, atol=0)
    assert after.sweep_cells[("eta 0.5", 100)] == pytest.approx(exp["E_total"][99], rel=RTOL)
    assert after.sweep_cells[("eta 0.5", 100)] != pytest.approx(before.sweep_cells[("eta 0.5", 100)], rel=1e-3)
    for name in ["Training"] + [n for n in RATE_SHEETS if n != "eta 0.5"]:
        assert after.training[name].cells == before.training[name].cells, name
    report = verify(edited)  # every cell agrees for the new rate; the values the edit left behind are stale
    assert all(c.ok for c in report.checks) and report.stale and not report.ok, report.text
    resaved = verify(tmp_path / "out" / "edited.xlsx")  # as LibreOffice saved it: recalculated, fresh
    assert resaved.ok, resaved.text


def test_sweep_option(tmp_path):
    runner = CliRunner()
    path = tmp_path / "s.xlsx"
    result = runner.invoke(main, ["build", "--sweep", "0.1,1,10,100", "--iterations", "20", "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert load_workbook(path, read_only=True).sheetnames == ["Training", "Sweep", "Derivation", "Network", "Matrices",
                                                              "eta 0.1", "eta 1", "eta 10", "eta 100"]
    result = runner.invoke(main, ["build", "--sweep", "none", "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert load_workbook(path, read_only=True).sheetnames == ["Training", "Derivation", "Network", "Matrices"]


@pytest.mark.parametrize("text, message", [
    ("0.1,fast", "sweep: must be rates separated by commas, such as 0.1,1,10, or none; got 'fast'"),
    ("1,inf", "sweep: rates must be finite numbers, got 'inf'"),
    ("1,1.0", "sweep: rate 1.0 is listed twice (sheet 'eta 1')"),
    (",".join(["1"] * 13), "sweep: at most 12 rates fit one chart, got 13"),
])
def test_bad_sweep_is_one_clear_error(text, message):
    with pytest.raises(SpecError) as err:
        sweep.parse_rates(text)
    assert str(err.value) == message


@pytest.mark.parametrize("iterations, exp", [(1, [1]), (7, [1, 2, 7]), (100, [1, 2, 10, 50, 100]),
                                             (1000, [1, 2, 10, 50, 100, 1000])])
def test_table_rows_stop_at_the_last_iteration(iterations, exp):
    assert sweep.summary_iterations(iterations) == exp


@pytest.mark.libreoffice
def test_render_draws_the_sweep_overlay_with_one_colour_per_rate(built, tmp_path):
    from PIL import Image

    from xlbackprop.sheets.chart import SWEEP_COLOURS

    result = CliRunner().invoke(main, ["render", str(built("class-2024", sweep=RATES)), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loss-chart.png", "sweep-chart.png"]
    with Image.open(tmp_path / "sweep-chart.png") as picture:
        assert picture.width > 600 and picture.height > 300
        rgb = np.asarray(picture.convert("RGB")).astype(int)
    for colour in SWEEP_COLOURS[:len(RATES)]:
        target = np.array([int(colour[i:i + 2], 16) for i in (0, 2, 4)])
        near = int((np.abs(rgb - target).sum(axis=-1) < 40).sum())
        assert near > 150, f"curve in #{colour} is missing ({near} pixels)"


def test_the_overlay_axis_is_linear_only_where_a_loss_reaches_zero():
    spec = presets.load("class-2024")

    def rates(spec, etas):  # the specs of the rate sheets, as the axis is given them
        return [spec.with_overrides(eta=r) for r in etas]

    assert sweep.axis(rates(spec, RATES)) == (None, False)  # every E_total > 0: a log axis, its range the spreadsheet's
    fast = (0.1, 1, 10, 100, 1000)
    losses = np.concatenate([train(spec.with_overrides(eta=r))["E_total"] for r in fast])
    assert losses.min() == 0 and 0 < losses[losses > 0].min() < 1e-16  # a_o - t cancels to exactly 0
    assert sweep.axis(rates(spec, fast)) == (1e-16, True)  # linear, and a log axis would start at its floor, 1e-16
    long = spec.with_overrides(iterations=10_000)
    assert sweep.axis(rates(long, fast)) == (1e-16, False)  # too long to look first


@pytest.mark.libreoffice
def test_overshoot_and_saturation_rates_still_draw_every_curve(tmp_path):
    from PIL import Image

    from xlbackprop.sheets.chart import SWEEP_COLOURS
    from xlbackprop.verifying.render import render
    from xlbackprop.writing import writer

    rates = (0.1, 1, 10, 100, 1000)
    path = writer.build(presets.load("class-2024"), tmp_path / "fast.xlsx", sweep=rates)
    assert verify(path).ok
    render(path, tmp_path)
    with Image.open(tmp_path / "sweep-chart.png") as picture:
        rgb = np.asarray(picture.convert("RGB")).astype(int)
    for colour in SWEEP_COLOURS[:len(rates)]:
        target = np.array([int(colour[i:i + 2], 16) for i in (0, 2, 4)])
        assert int((np.abs(rgb - target).sum(axis=-1) < 40).sum()) > 150, colour


def test_a_sweep_whose_loss_reaches_zero_gets_a_linear_axis(built):
    """eta 10 drives class-2024's E_total to exactly 0 at iteration 84; a log axis cannot show 0
    (Excel warns, LibreOffice draws nothing), so that sweep's overlay is linear from 0."""
    assert np.any(train(presets.load("class-2024").with_overrides(eta=10.0))["E_total"] == 0)
    with zipfile.ZipFile(built("class-2024", sweep=(0.1, 1.0, 10.0))) as z:
        overlay = next(z.read(n).decode() for n in z.namelist()
                       if n.startswith("xl/charts/chart") and "one curve per learning rate" in z.read(n).decode())
    assert "logBase" not in overlay and "linear scale: a loss reaches 0" in overlay
