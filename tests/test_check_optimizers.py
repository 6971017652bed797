"""check reads gradient descent with momentum or Adam by its formula graph (check.states).

The workbooks (:mod:`optbooks`) are the course's 2-2-2 table with each weight's optimizer state in
columns of its own, written with openpyxl, right and with each slip class planted, recalculated by
LibreOffice in one run. A right sheet's stored values are first held to the optimizers written from
the papers (:mod:`paper_optimizers`), so that "right" means the sheet is momentum or Adam; then each
planted slip must be the one root cause, at the cell where it was planted, with its cause in words.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl.utils.cell import column_index_from_string as index

import optbooks as ob
import paper_optimizers as paper
from xlbackprop.check import check_file
from xlbackprop.check.report import as_dict
from xlbackprop.xlsx.engines import convert_all
from xlbackprop.xlsx.grid import read

pytestmark = pytest.mark.libreoffice

# ∂E/∂w3 with a_h1's slope K where a_h2's M belongs: a backprop slip under the optimizer
W3_SLOPE = "=((O{r}-$E$3)*O{r}*(1-O{r})*G{r}+(Q{r}-$E$4)*Q{r}*(1-Q{r})*I{r})*K{r}*(1-K{r})*$E$1"
# name -> (optimizer, slips, the cell of the one root cause, words its cause must hold)
BOOKS = {
    "momentum": ("momentum", {}, None, ()),
    "adam": ("adam", {}, None, ()),
    "m_backprop": ("momentum", {"W": W3_SLOPE}, "W10", ("reads a_h1 (K10) where", "a_h2 (M10) belongs")),
    "m_other_gradient": ("momentum", {"AE": "=$B$2*AE{p}+U{r}"}, "AE10",
                         ("velocity of w3", "reads ∂E/∂w1 (U10) where ∂E/∂w3 (W10) belongs")),
    "m_previous_gradient": ("momentum", {"AE": "=$B$2*AE{p}+W{p}"}, "AE10",
                            ("reads ∂E/∂w3 (W9), which this step's weights do not change", "∂E/∂w3 (W10) belongs")),
    "m_other_state": ("momentum", {"D": "=D{p}-$B$1*AC{p}"}, "D10",
                      ("update of w3", "reads v_w1 (AC9), the velocity of w1", "where the velocity of w3")),
    "m_other_mu": ("momentum", {"AD": "=0.99*AD{p}+V{r}"}, "AD10", ("by 0.99 where μ = 0.9 belongs",)),
    "a_backprop": ("adam", {"W": W3_SLOPE}, "W10", ("reads a_h1 (K10) where", "a_h2 (M10) belongs")),
    "a_no_one_minus_beta1": ("adam", {"AC": "=$B$2*AC{p}+U{r}"}, "AC10",
                             ("first moment of w1", "multiplies ∂E/∂w1 (U10) by 1 where 1 − β1 = 0.1 belongs")),
    "a_other_gradient": ("adam", {"AL": "=$B$3*AL{p}+(1-$B$3)*U{r}^2"}, "AL10",
                         ("second moment of w2", "reads ∂E/∂w1 (U10) where ∂E/∂w2 (V10) belongs")),
    "a_no_square": ("adam", {"AK": "=$B$3*AK{p}+(1-$B$3)*U{r}"}, "AK10", ("takes ∂E/∂w1 (U10) where its square belongs",)),
    "a_wrong_t": ("adam", {"AS": "=AC{r}/(1-$B$2^A{p})"}, "AS10",
                  ("bias-corrected first moment of w1", "by 1 − β1^1 where 1 − β1^2 belongs (this is step 2)")),
    "a_sqrt_of_mhat": ("adam", {"B": "=B{p}-$B$1*SQRT(AS{p})/(SQRT(BA{p})+$B$4)"}, "B10",
                       ("update of w1", "takes the square root of m̂ where m̂ belongs")),
    "a_previous_gradient": ("adam", {"AF": "=$B$2*AF{p}+(1-$B$2)*X{p}"}, "AF10",
                            ("first moment of w4", "reads ∂E/∂w4 (X9), which this step's weights do not change")),
    "a_other_state": ("adam", {"D": "=D{p}-$B$1*AS{p}/(SQRT(BA{p})+$B$4)"}, "D10",
                      ("update of w3", "reads m_w1 (AC9), the first moment of w1")),
    "velocity": ("velocity", {}, None, ()),
    "v_other_gradient": ("velocity", {"AE": "=$B$2*AE{p}-$B$1*U{r}"}, "AE10",
                         ("velocity of w3", "reads ∂E/∂w1 (U10) where ∂E/∂w3 (W10) belongs")),
    "v_other_state": ("velocity", {"D": "=D{p}+AC{p}"}, "D10",
                      ("update of w3", "reads vel_w1 (AC9), the velocity of w1", "where the velocity of w3")),
    "v_plus_eta": ("velocity", {"AD": "=$B$2*AD{p}+$B$1*V{r}"}, "AD10",
                   ("velocity of w2", "multiplies ∂E/∂w2 (V10) by 0.5 where −η = −0.5 belongs")),
    "ema": ("momentum", {}, None, (), {"ema": True, "headers": {"v": "velocity "}}),
    "ema_backprop": ("momentum", {"W": W3_SLOPE}, "W10", ("reads a_h1 (K10) where",),
                     {"ema": True, "headers": {"v": "velocity "}}),
    "inline": ("adam", {}, None, (), {"inline": True, "headers": {"m": "mom ", "s": "sq "}}),
    "i_sqrt_of_mhat": ("adam", {"C": "=C{p}-$B$1*SQRT(AD{p}/(1-$B$2^A{p}))/(SQRT(AL{p}/(1-$B$3^A{p}))+$B$4)"}, "C10",
                       ("update of w2", "takes the square root of m̂ where m̂ belongs"), {"inline": True}),
    "i_wrong_t": ("adam", {"C": "=C{p}-$B$1*(AD{p}/(1-$B$2^(A{p}+1)))/(SQRT(AL{p}/(1-$B$3^A{p}))+$B$4)"}, "C10",
                  ("update of w2", "divides m by 1 − β1^2 where 1 − β1^1 belongs (this is step 1)"), {"inline": True}),
    "i_wrong_state": ("adam", {"AN": "=$B$3*AN{p}+(1-$B$2)*X{r}^2"}, "AN10",
                      ("second moment of w4", "multiplies ∂E/∂w4 (X10) by 0.1 where 1 − β2 = 0.001 belongs"),
                      {"inline": True}),
}


def _options(name: str) -> dict:
    return BOOKS[name][4] if len(BOOKS[name]) > 4 else {}


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("optimizers")
    for name, (optimizer, slips, *_, ) in BOOKS.items():
        ob.write(folder / f"{name}.xlsx", optimizer, slips=slips, **_options(name))
    convert_all(sorted(folder.glob("*.xlsx")), folder / "recalculated")
    return {name: folder / "recalculated" / f"{name}.xlsx" for name in BOOKS}


RIGHT = ["momentum", "velocity", "adam", "ema", "inline"]


@pytest.mark.parametrize("name", RIGHT)
def test_a_right_sheet_stores_the_papers_run(books, name):
    """The sheet the tests call right is the optimizer of the papers: its weights and states as
    LibreOffice computed them against a run written from the equations (to rounding, 1e-12).
    CS231n's velocity is −η times Polyak's v; the EMA form's v is (1 − μ) times it, with η/(1 − μ)."""
    optimizer = BOOKS[name][0]
    constants = [value for _, value in ob.CONSTANTS[optimizer]]
    eta, scale = constants[0], 1.0
    if optimizer == "adam":
        extra = {"beta1": constants[1], "beta2": constants[2], "epsilon": constants[3]}
    else:
        extra = {"momentum": constants[1]}
        scale = -eta if optimizer == "velocity" else 1 - constants[1] if _options(name).get("ema") else 1.0
        eta = eta * (1 - constants[1]) if _options(name).get("ema") else eta
    want = paper.run((2, 2, 2), ob.WEIGHTS, [ob.INPUTS], [ob.TARGETS], eta, 12,
                     optimizer="adam" if optimizer == "adam" else "momentum", **extra)
    sheet = read(books[name]).sheets[0]
    columns = {n: (ob.COL[n], 1.0) for n in [f"w{k}" for k in range(1, 9)] + ["E_total"]}
    states = {"momentum": {"v": "v"}, "velocity": {"vel": "v"}, "adam": {"m": "m", "s": "v"}}[optimizer]
    for ours, theirs in states.items():
        columns.update({f"{theirs}_w{k}": (ob.state_column(ours, k, optimizer), scale) for k in range(1, 9)})
    worst = max(abs(sheet.number(ob.FIRST + i, index(col)) - times * want[name][i]) / max(1.0, abs(want[name][i]))
                for name, (col, times) in columns.items() for i in range(12))
    assert worst < 1e-12


@pytest.mark.parametrize("name", RIGHT)
def test_the_correct_run_follows_a_right_sheet(books, name):
    """check's correct run (its own forward, ∂L/∂w by the complex step, then the sheet's optimizer
    at the constants its states use) against the losses LibreOffice computed in the file."""
    curve = as_dict(check_file(books[name]), curve=True)["tables"][0]["curve"]
    got, expected = curve["got"], curve["expected"]
    assert len(got) == len(expected) == 11  # 12 rows, 11 updates
    assert max(abs(g - e) / abs(e) for g, e in zip(got, expected)) < 1e-9


def test_the_correct_run_leaves_a_wrong_sheet(books):
    curve = as_dict(check_file(books["a_wrong_t"]), curve=True)["tables"][0]["curve"]
    got, expected = curve["got"], curve["expected"]
    assert abs(got[1] - expected[1]) <= 1e-12 and abs(got[2] - expected[2]) > 1e-6


@pytest.mark.parametrize("name, said", [("momentum", "2-2-2 sigmoid, momentum 0.9"),
                                        ("velocity", "2-2-2 sigmoid, momentum 0.9"),
                                        ("ema", "2-2-2 sigmoid, momentum 0.9"),
                                        ("adam", "2-2-2 sigmoid, Adam (β1 0.9, β2 0.999)"),
                                        ("inline", "2-2-2 sigmoid, Adam (β1 0.9, β2 0.999)")])
def test_a_right_sheet_is_right_and_named(books, name, said):
    result = check_file(books[name])
    assert result.status == "right", result
    table = as_dict(result)["tables"][0]
    assert table["network"] == said
    assert table["errors"] == []


@pytest.mark.parametrize("name", [n for n, (_, _, cell, *_) in BOOKS.items() if cell])
def test_each_slip_is_its_one_root_cause_where_it_was_planted(books, name):
    _, _, cell, words, *_ = BOOKS[name]
    result = check_file(books[name])
    assert result.status == "wrong" and len(result.tables) == 1, result
    errors = result.tables[0].errors
    assert [f"{e.column}{e.row}" for e in errors] == [cell], [e.cause for e in errors]
    cause = " ".join(errors[0].cause.split())
    for w in words:
        assert w in cause, cause


SEED = {"layers": [2, 2, 2], "weights": list(ob.WEIGHTS), "inputs": [list(ob.INPUTS)], "targets": [list(ob.TARGETS)],
        "eta": 0.05, "iterations": 20}


@pytest.fixture(scope="module")
def own(tmp_path_factory) -> dict[str, Path]:
    """xlbackprop's own workbooks trained by momentum and by Adam, and the Adam one with w1's first
    moment reading w2's gradient from row 20 on (saved by openpyxl, recalculated by LibreOffice)."""
    import openpyxl

    from xlbackprop.api import build
    from xlbackprop.core.spec import from_mapping
    folder = tmp_path_factory.mktemp("own")
    out = {name: build(from_mapping({**SEED, "optimizer": name}), folder / f"{name}.xlsx") for name in ("momentum", "adam")}
    wb = openpyxl.load_workbook(out["adam"])
    ws = wb["Training"]
    assert ws["C20"].value == "=beta1*C19+(1-beta1)*AO20" and ws["F20"].value == "=beta1*F19+(1-beta1)*AP20"
    for r in range(20, 34):
        ws[f"C{r}"] = f"=beta1*C{r - 1}+(1-beta1)*AP{r}"
    wb.save(folder / "slipped.xlsx")
    convert_all([folder / "slipped.xlsx"], folder / "recalculated")
    out["slipped"] = folder / "recalculated" / "slipped.xlsx"
    return out


@pytest.mark.parametrize("name, said", [("momentum", "momentum 0.9"), ("adam", "Adam (β1 0.9, β2 0.999)")])
def test_xlbackprops_own_optimizer_workbook_is_read_by_its_states(own, name, said):
    result = check_file(own[name])
    assert result.status == "right", result
    tables = as_dict(result)["tables"]  # Training, then the sweep's sheets
    assert tables[0]["sheet"] == "Training" and len(tables) > 1
    assert {t["network"] for t in tables} == {f"2-2-2 sigmoid, {said}"}


def test_a_slip_in_xlbackprops_own_adam_workbook_is_found_at_its_cell(own):
    result = check_file(own["slipped"])
    assert result.status == "wrong", result
    [error] = result.tables[0].errors
    assert (error.column, error.row) == ("C", 20)
    assert "reads" in error.cause and "(AP20) where" in error.cause and "(AO20) belongs" in error.cause, error.cause
