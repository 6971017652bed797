"""The Derivation sheet: the lecture's steps on iteration 1, and the finite-difference check in cells."""

import pytest
from conftest import edit_cell
from openpyxl import load_workbook

from xlbackprop.core import presets
from xlbackprop.core.arithmetic import IEEE
from xlbackprop.core.reference import train
from xlbackprop.core.spec import from_mapping
from xlbackprop.sheets import derivation
from xlbackprop.sheets.layout import Layout
from xlbackprop.verifying.reader import read_all
from xlbackprop.verifying.verification import verify
from xlbackprop.xlsx.engines import convert

SEED = Layout(presets.load("class-2024").network, 100)


@pytest.mark.parametrize("formula, absolute_only, exp", [
    ("=O20-$D$11", False, "=Training!O20-Training!$D$11"),
    ("=(U20*F20+V20*H20)*(K20*(1-K20))", False, "=(Training!U20*Training!F20+Training!V20*Training!H20)*"
                                                  "(Training!K20*(1-Training!K20))"),
    ("=IF(J20>=0,1/(1+EXP(-J20)),EXP(J20)/(1+EXP(J20)))", False,
     "=IF(Training!J20>=0,1/(1+EXP(-Training!J20)),EXP(Training!J20)/(1+EXP(Training!J20)))"),
    ("=B20-eta*Y20", False, "=Training!B20-eta*Training!Y20"),
    ("=0.5*($D$11-O91)^2", True, "=0.5*(Training!$D$11-O91)^2"),
])
def test_qualify_points_references_at_training(formula, absolute_only, exp):
    assert derivation.qualify(formula, absolute_only=absolute_only) == exp


def _rows_by_quantity(plan):
    return {cells[0].value: (row, cells) for row, cells in plan.rows.items() if cells and cells[0].text}


def test_the_chain_rule_for_w5_reads_like_the_lecture():
    rows = _rows_by_quantity(derivation.plan(SEED))
    factors = [rows[q][1] for q in ("∂E/∂a_o1", "∂a_o1/∂o1", "∂o1/∂w5")]
    assert [f[2].value for f in factors] == ["a_o1 − t1", "g' = a(1-a)", "a_h1"]
    assert [f[3].value for f in factors] == ["=O14-$D$4", "=O14*(1-O14)", "=K14"]
    assert [f[4].value for f in factors] == ["=Training!O14-Training!$D$4",
                                             "=Training!O14*(1-Training!O14)", "=Training!K14"]
    rows_of = [rows[q][0] for q in ("∂E/∂a_o1", "∂a_o1/∂o1", "∂o1/∂w5")]
    product = next(cells for row, cells in derivation.plan(SEED).rows.items()
                   if cells and cells[0].value == "∂E/∂w5" and cells[1].value == "the three factors multiplied")
    assert product[4].value == "=E{}*E{}*E{}".format(*rows_of)
    assert product[5].value == "=Training!AC14"
    hidden = rows["∂E/∂a_h1"][1]
    assert (hidden[2].value, hidden[3].value) == ("δ_o1·w5 + δ_o2·w7", "=U14*F14+V14*H14")


def test_every_gradient_has_a_finite_difference_row_and_two_perturbed_passes():
    plan = derivation.plan(SEED)
    assert plan.parameters == [f"w{n}" for n in range(1, 9)]
    runs = [cells[0].value for cells in plan.rows.values() if cells and cells[0].kind == "iteration"]
    assert runs == [f"w{n} {sign} h" for n in range(1, 9) for sign in ("+", "−")]


@pytest.mark.libreoffice
@pytest.mark.parametrize("preset", ["class-2021", "mazur", "xor", "deep"])
def test_finite_differences_in_cells_agree_with_the_analytic_gradients(preset, built, tmp_path):
    contents = read_all(convert(built(preset, iterations=3), tmp_path))
    plan, cells = contents.derivation, contents.derivation_cells
    spec = presets.load(preset)
    h = cells[derivation.H_CELL]
    assert h == derivation.H
    table = train(spec, IEEE)
    fd_rows = {cells_[0].value: row for row, cells_ in plan.rows.items()
               if cells_ and cells_[0].value in plan.parameters and len(cells_) == 7}
    assert sorted(fd_rows) == sorted(plan.parameters)
    for p, row in fd_rows.items():
        analytic, e_plus, e_minus, slope = (cells[f"{c}{row}"] for c in "BCDE")
        assert analytic == pytest.approx(table["∂E/∂" + p][0], rel=1e-12, abs=0)
        # the slope of E in cells, against the same slope from numpy's own perturbed forward passes
        exp = (_loss(spec, p, +h) - _loss(spec, p, -h)) / (2 * h)
        assert slope == pytest.approx(exp, rel=1e-6, abs=1e-12), p
        assert slope == pytest.approx(analytic, rel=1e-5, abs=1e-9), p  # calculus: O(h²)
    differences = [cells[c] for c in plan.expected if c.startswith("G") and plan.expected[c] is not None
                   and int(c[1:]) < min(fd_rows.values()) - 2]
    assert differences and all(d == 0 for d in differences)  # each step recomputed here agrees to the last bit


def _loss(spec, parameter, step):
    """E_total at iteration 1 with one parameter moved, straight from the reference (IEEE arithmetic)."""
    data = {"layers": list(spec.network.layers), "activation": list(spec.network.activations),
            "weights": list(spec.weights), "iterations": 1,
            "inputs": [list(r) for r in spec.inputs], "targets": [list(r) for r in spec.targets]}
    if spec.network.bias_mode != "none":
        data["biases"], data["train_biases"] = list(spec.biases), spec.network.bias_mode == "trained"
    key = "weights" if parameter[0] == "w" else "biases"
    data[key][int(parameter[1:]) - 1] += step
    return train(from_mapping(data), IEEE)["E_total"][0]


@pytest.mark.libreoffice
def test_a_larger_h_is_read_from_the_sheet_and_still_verifies(built, tmp_path):
    edited = tmp_path / "h.xlsx"
    edit_cell(built("class-2021"), edited, "B4", '<c r="B4" t="n"><v>0.01</v></c>', "Derivation")
    report = verify(edited)
    assert report.ok, report.text
    contents = read_all(convert(edited, tmp_path / "out"))
    relative = [contents.derivation_cells[f"G{row}"] for row, cells in contents.derivation.rows.items()
                if cells and cells[0].value in contents.derivation.parameters and len(cells) == 7]
    assert max(relative) > 1e-6  # with h = 0.01 the O(h²) error shows, as calculus says it should


def test_derivation_sheet_is_in_every_workbook(built):
    wb = load_workbook(built("mazur"), read_only=True)
    assert wb.sheetnames == ["Training", "Derivation", "Network", "Matrices"]


@pytest.mark.libreoffice
def test_a_wrong_finite_difference_formula_fails_despite_the_cancellation_allowance(built, tmp_path):
    """The slope's allowance follows E/2h (it cancels); a slope over h instead of 2h is still caught."""
    path = built("class-2021")
    plan = derivation.plan(Layout(presets.load("class-2021").network, 100))
    row = next(r for r, cells in plan.rows.items() if cells and cells[0].value == "w1" and len(cells) == 7)
    edited = tmp_path / "slope.xlsx"
    edit_cell(path, edited, f"E{row}", f'<c r="E{row}"><f>(C{row}-D{row})/$B$4</f></c>', "Derivation")
    report = verify(edited)
    assert not report.ok and f"'Derivation'!E{row}" in report.text


def test_derivation_text_wraps_in_rows_tall_enough(built):
    """Words, math and formulas shown as text wrap within their column, and a row whose text needs
    several lines is that many lines tall (LibreOffice does not grow rows holding formulas)."""
    from xlbackprop.writing.writer import LINE_HEIGHT, _lines

    wb = load_workbook(built("class-2021"))
    ws = wb["Derivation"]
    wrapped = 0
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "s" and cell.style == "xlbackprop text":
                assert cell.alignment.wrap_text
                width = ws.column_dimensions[cell.column_letter].width
                need = _lines(cell.value, width)
                if need > 1:
                    wrapped += 1
                    assert ws.row_dimensions[cell.row].height >= LINE_HEIGHT * need, cell.coordinate
    assert wrapped >= 5
