"""The Network sheet: the network drawn in cells, live at the iteration a user types."""

import pytest
from conftest import edit_cell

from xlbackprop.core import presets
from xlbackprop.core.reference import train
from xlbackprop.sheets import diagram
from xlbackprop.sheets.layout import Layout
from xlbackprop.verifying.reader import read_all
from xlbackprop.verifying.verification import RTOL, verify
from xlbackprop.xlsx.engines import convert


def test_neurons_and_weights_are_lookups_into_training():
    plan = diagram.plan(Layout(presets.load("class-2024").network, 100))
    cells = {(r, c + 1): cell.value for r, row in plan.rows.items() for c, cell in enumerate(row)}
    assert cells[(7, 2)] == "i1" and cells[(7, 3)] == "=Training!$B$4"
    assert cells[(7, 4)] == "w1: i1→h1" and cells[(7, 5)] == "=INDEX(Training!$B$14:$B$113,$B$3)"
    assert cells[(7, 6)] == "h1" and cells[(7, 7)] == "=INDEX(Training!$K$14:$K$113,$B$3)"
    assert cells[(9, 10)] == "o2" and cells[(9, 11)] == "=INDEX(Training!$Q$14:$Q$113,$B$3)"
    assert cells[(7, 12)] == "=Training!$D$4"  # the target beside o1


def test_several_samples_choose_the_shown_sample():
    plan = diagram.plan(Layout(presets.load("xor").network, 10))
    values = [c.value for row in plan.rows.values() for c in row]
    # XOR's four samples stand one to a column (inputs i1 in row 4)
    assert "=CHOOSE($B$4,Training!$B$4,Training!$C$4,Training!$D$4,Training!$E$4)" in values


@pytest.mark.libreoffice
def test_typing_an_iteration_shows_that_iterations_values(built, tmp_path):
    edited = tmp_path / "it40.xlsx"
    edit_cell(built("xor", iterations=60), edited, "B3", '<c r="B3" t="n"><v>40</v></c>', "Network")
    edited2 = tmp_path / "it40-s3.xlsx"
    edit_cell(edited, edited2, "B4", '<c r="B4" t="n"><v>3</v></c>', "Network")
    contents = read_all(convert(edited2, tmp_path / "out"))
    exp = train(presets.load("xor").with_overrides(iterations=60))
    cells = contents.diagram_cells
    assert cells["B5"] == pytest.approx(exp["E_total"][39], rel=RTOL)
    assert cells["G7"] == pytest.approx(exp["s3.a_h1"][39], rel=RTOL)  # hidden h1 of sample 3 at iteration 40
    assert (cells["C8"], cells["C10"]) == (1.0, 0.0)  # sample 3 is (1, 0)
    report = verify(edited2)
    assert report.ok, report.text
