"""Every formula cell stores its value, so readers that do not recalculate (Protected View,
previews, pandas, openpyxl data_only) show the numbers; verify finds stored values that are stale."""

from __future__ import annotations

import pytest
from conftest import edit_cell

from xlbackprop.sheets import matrices
from xlbackprop.sheets.sweep import DEFAULT_RATES
from xlbackprop.verifying import reader
from xlbackprop.verifying.verification import MATRIX_ATOL, verify
from xlbackprop.xlsx import grid
from xlbackprop.xlsx.engines import convert

OVERSHOOT = (0.1, 1.0, 10.0, 100.0, 1000.0)
CASES = [("class-2024", None, DEFAULT_RATES), ("class-2024", None, OVERSHOOT), ("class-2021", None, DEFAULT_RATES),
         ("mazur", None, DEFAULT_RATES), ("xor", 200, ()), ("deep", 60, ())]


def _formula_values(path):
    book = grid.read(path)
    return {(s.name, cell): s.values.get(cell) for s in book.sheets for cell in s.formulas}


def _matrix_differences(path, values) -> dict:
    """``(Matrices, (row, col)) -> allowance`` of each difference cell: MATRIX_ATOL times the largest
    stored value of the matrix it compares."""
    layout = reader.read(path).layout
    plan = matrices.plan(layout)
    out = {}
    for name, compared in plan.compares.items():
        source, block = plan.blocks[compared], plan.blocks[name]
        scale = max((abs(v) for i in range(source.rows) for j in range(source.cols)
                     if isinstance(v := values.get((matrices.SHEET, (source.top + i, source.left + j))), float)),
                    default=0.0)
        for i in range(block.rows):
            for j in range(block.cols):
                out[(matrices.SHEET, (block.top + i, block.left + j))] = MATRIX_ATOL * scale
    return out


@pytest.mark.parametrize("preset, iterations, sweep", CASES)
def test_every_formula_cell_stores_a_value(built, preset, iterations, sweep):
    values = _formula_values(built(preset, iterations=iterations, sweep=sweep))
    empty = [key for key, v in values.items() if v is None]
    assert values and not empty, empty[:5]


@pytest.mark.libreoffice
@pytest.mark.parametrize("preset, iterations, sweep", CASES)
def test_stored_values_are_what_libreoffice_computes(built, tmp_path, preset, iterations, sweep):
    """LibreOffice, recalculating, computes in every formula cell the number the file stores
    (it writes 15 significant digits, hence relative 1e-14; text and #NUM! exactly). A Matrices
    difference cell stores 0; its MMULT adds in its own order, so it may hold a few units in the
    last place of the matrix it compares, as verify allows (MATRIX_ATOL of the matrix's largest)."""
    path = built(preset, iterations=iterations, sweep=sweep)
    ours, theirs = _formula_values(path), _formula_values(convert(path, tmp_path))
    assert ours.keys() == theirs.keys()
    allowed = _matrix_differences(path, ours)
    for key, v in ours.items():
        w = theirs[key]
        if isinstance(v, float) and isinstance(w, float):
            assert abs(v - w) <= 1e-14 * abs(w) + allowed.get(key, 1e-300), (key, v, w)
        else:
            assert v == w, (key, v, w)


def test_pandas_reads_the_numbers(built):
    import pandas as pd  # a test dependency: pip install '.[test]'

    from xlbackprop import train

    frame = pd.read_excel(built("class-2024"), sheet_name="Training", header=12, index_col=0)
    expected = train("class-2024").to_pandas()
    assert frame.shape == expected.shape and list(frame.columns) == list(expected.columns)
    assert (frame.to_numpy() == expected.to_numpy()).all()  # the reference's numbers, to the last bit


@pytest.mark.libreoffice
def test_verify_reports_a_stale_stored_value(built, tmp_path):
    """A value edited without recalculating (the formula still computes the old number)."""
    stale = tmp_path / "stale.xlsx"
    edit_cell(built("class-2024"), stale, "T19", '<c r="T19" s="10"><f>R19+S19</f><v>0.5</v></c>')
    report = verify(stale)
    assert not report.ok and report.stale and report.stale[0].startswith("T19 stores 0.5, computes ")
    assert "STALE: 1 training cell stores a value other than the one it computes" in report.text


def test_a_long_run_is_stored_block_by_block_with_the_same_numbers(tmp_path, monkeypatch):
    """Past stored.CACHED_RUNS iterations the rows are made from the reference a block at a time
    (flat memory at Excel's last row); the numbers are the one-piece run's, rows with #NUM! included."""
    from pathlib import Path

    import numpy as np

    from xlbackprop.core import presets
    from xlbackprop.core.reference import train
    from xlbackprop.core.spec import from_mapping
    from xlbackprop.sheets.layout import Layout
    from xlbackprop.writing import stored, writer

    monkeypatch.setattr(stored, "CACHED_RUNS", 10)
    monkeypatch.setattr(stored, "ROWS_PER_BLOCK", 7)
    diverging = from_mapping({"layers": [3, 3, 2], "activation": "linear", "eta": 2.0, "iterations": 45,
                              "weights": [0, 0, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0, 0, 1],
                              "inputs": [[-0.75, 0, 1]], "targets": [[0, 0]]})  # #NUM! from iteration 6 on
    for spec in (presets.load("xor").with_overrides(iterations=45), diverging):
        path = writer.build(spec, tmp_path / "long.xlsx", sweep=())
        sheet = next(s for s in grid.read_xlsx(Path(path)).sheets if s.name == "Training")
        layout, table = Layout(spec.network, spec.iterations), train(spec)
        assert np.isnan(table["E_total"][-1]) == (spec is diverging)
        for column in layout.columns[1:]:
            got = [sheet.values.get((layout.row(k), column.index)) for k in range(1, spec.iterations + 1)]
            exp = ["#NUM!" if np.isnan(x) else float(x) for x in table[column.name]]
            assert got == exp, column.name
            assert sheet.formulas[(layout.row(45), column.index)].startswith("=")


def test_a_long_sweep_takes_its_table_from_the_rate_sheets_runs(tmp_path, monkeypatch):
    """Past the runs kept whole, the Sweep sheet is zipped after the rate sheets and its table holds
    their E_total, each rate trained once (in the rows' second process); the numbers are the reference's."""
    from pathlib import Path

    from openpyxl.utils.cell import coordinate_to_tuple

    from xlbackprop.core import presets
    from xlbackprop.core.reference import train
    from xlbackprop.sheets import sweep
    from xlbackprop.sheets.layout import Layout
    from xlbackprop.sheets.sweep import SweepPlan, sheet_name
    from xlbackprop.writing import stored, writer

    monkeypatch.setattr(stored, "CACHED_RUNS", 10)
    monkeypatch.setattr(sweep, "FLOOR_BUDGET", 0)  # as for a long run: the axis does not look at the runs
    monkeypatch.setattr(stored, "BLOCK_CELLS", 7 * 30)  # the runs come in blocks of 7 iterations
    rates = (0.5, 2.0)
    spec = presets.load("class-2024").with_overrides(iterations=60)

    def trained_again(spec):
        raise AssertionError(f"the run of eta {spec.eta} was trained again for the Sweep table")

    monkeypatch.setattr(stored, "e_total", trained_again)
    path = writer.build(spec, tmp_path / "sweep.xlsx", sweep=rates)
    sheet = next(s for s in grid.read_xlsx(Path(path)).sheets if s.name == "Sweep")
    plan = SweepPlan(tuple(sheet_name(r) for r in rates), Layout(spec.network, spec.iterations))
    for k, rate in enumerate(rates):
        exp = train(spec.with_overrides(eta=rate))["E_total"]
        for iteration in plan.iterations:
            assert sheet.values[coordinate_to_tuple(plan.cell(k, iteration).replace("$", ""))] == \
                float(exp[iteration - 1]), (rate, iteration)
