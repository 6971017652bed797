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
}


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("optimizers")
    for name, (optimizer, slips, _, _) in BOOKS.items():
        ob.write(folder / f"{name}.xlsx", optimizer, slips=slips)
    convert_all(sorted(folder.glob("*.xlsx")), folder / "recalculated")
    return {name: folder / "recalculated" / f"{name}.xlsx" for name in BOOKS}


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_a_right_sheet_stores_the_papers_run(books, optimizer):
    """The sheet the tests call right is the optimizer of the papers: its weights and states as
    LibreOffice computed them against a run written from the equations (to rounding, 1e-12)."""
    constants = dict(ob.CONSTANTS[optimizer])
    extra = {"momentum": constants.get("mu")} if optimizer == "momentum" else \
        {"beta1": constants["beta1"], "beta2": constants["beta2"], "epsilon": constants["eps"]}
    want = paper.run((2, 2, 2), ob.WEIGHTS, [ob.INPUTS], [ob.TARGETS], constants["eta"], 12, optimizer=optimizer,
                     **{k: v for k, v in extra.items() if v is not None})
    sheet = read(books[optimizer]).sheets[0]
    names = [f"w{k}" for k in range(1, 9)] + ["E_total"]
    columns = {n: ob.COL[n] for n in names}
    states = {"momentum": {"v": "v"}, "adam": {"m": "m", "s": "v"}}[optimizer]
    for ours, theirs in states.items():
        columns.update({f"{theirs}_w{k}": ob.state_column(ours, k, optimizer) for k in range(1, 9)})
    worst = max(abs(sheet.number(ob.FIRST + i, index(col)) - want[name][i]) / max(1.0, abs(want[name][i]))
                for name, col in columns.items() for i in range(12))
    assert worst < 1e-12


@pytest.mark.parametrize("optimizer, said", [("momentum", "2-2-2 sigmoid, momentum 0.9"),
                                             ("adam", "2-2-2 sigmoid, Adam (β1 0.9, β2 0.999)")])
def test_a_right_sheet_is_right_and_named(books, optimizer, said):
    result = check_file(books[optimizer])
    assert result.status == "right", result
    table = as_dict(result)["tables"][0]
    assert table["network"] == said
    assert table["errors"] == []


@pytest.mark.parametrize("name", [n for n, (_, _, cell, _) in BOOKS.items() if cell])
def test_each_slip_is_its_one_root_cause_where_it_was_planted(books, name):
    _, _, cell, words = BOOKS[name]
    result = check_file(books[name])
    assert result.status == "wrong" and len(result.tables) == 1, result
    errors = result.tables[0].errors
    assert [f"{e.column}{e.row}" for e in errors] == [cell], [e.cause for e in errors]
    cause = " ".join(errors[0].cause.split())
    for w in words:
        assert w in cause, cause
