"""check reads a student's softmax classifier by its formula graph, as any other gradient descent.

The workbook is written here as a student lays it out, one row a step: a 2-2-3 sigmoid network,
its three outputs ``y = EXP(z)/sum`` over a cell ``sum = EXP(z1)+EXP(z2)+EXP(z3)``, the loss
``−Σ t·LN(y)``, the output deltas ``y − t``, the hidden deltas and gradients, and the updates
``w − lr·g``. Right, and with each slip planted (the squared error's δ kept after the softmax, a
gradient reading another activation); recalculated by LibreOffice,
so that it stores values as a student's spreadsheet does. The expected cells are where each slip
was planted; the correct values come from the loss's own slope (finite differences here).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from xlbackprop.check import check_file
from xlbackprop.xlsx.engines import convert_all

pytestmark = pytest.mark.libreoffice

X, T, LR = (0.5, 0.9), (0.0, 1.0, 0.0), 0.5
START = (0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.2, 0.1, -0.3, 0.5)
W = [get_column_letter(2 + k) for k in range(10)]  # w1..w10 in B..K
G = [get_column_letter(29 + k) for k in range(10)]  # their gradients in AC..AL
HEADERS = (["step"] + [f"w{n}" for n in range(1, 11)] + ["h1", "a1", "h2", "a2", "z1", "z2", "z3", "sum", "y1", "y2",
           "y3", "loss", "d1", "d2", "d3", "dh1", "dh2"] + [f"g{n}" for n in range(1, 11)])


def classifier(path: Path, slips: dict[str, str], steps: int = 30) -> None:
    """A student's softmax classifier, one row a step from row 5; ``slips``: a column's formula in
    every row (``{r}`` its row)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Softmax"
    for col, (label, value) in enumerate(zip(("x1", "x2", "t1", "t2", "t3", "lr"), X + T + (LR,)), 1):
        ws.cell(1, col, label)
        ws.cell(2, col, value)
    for col, label in enumerate(HEADERS, 1):
        ws.cell(4, col, label)
    for r in range(5, 5 + steps):
        f = {"A": r - 4}
        f.update({W[k]: START[k] if r == 5 else f"={W[k]}{r - 1}-$F$2*{G[k]}{r - 1}" for k in range(10)})
        f.update({"L": f"=B{r}*$A$2+C{r}*$B$2", "M": f"=1/(1+EXP(-L{r}))", "N": f"=D{r}*$A$2+E{r}*$B$2",
                  "O": f"=1/(1+EXP(-N{r}))", "P": f"=F{r}*M{r}+G{r}*O{r}", "Q": f"=H{r}*M{r}+I{r}*O{r}",
                  "R": f"=J{r}*M{r}+K{r}*O{r}", "S": f"=EXP(P{r})+EXP(Q{r})+EXP(R{r})",
                  "T": f"=EXP(P{r})/S{r}", "U": f"=EXP(Q{r})/S{r}", "V": f"=EXP(R{r})/S{r}",
                  "W": f"=-($C$2*LN(T{r})+$D$2*LN(U{r})+$E$2*LN(V{r}))",
                  "X": f"=T{r}-$C$2", "Y": f"=U{r}-$D$2", "Z": f"=V{r}-$E$2",
                  "AA": f"=(X{r}*F{r}+Y{r}*H{r}+Z{r}*J{r})*M{r}*(1-M{r})",
                  "AB": f"=(X{r}*G{r}+Y{r}*I{r}+Z{r}*K{r})*O{r}*(1-O{r})",
                  "AC": f"=AA{r}*$A$2", "AD": f"=AA{r}*$B$2", "AE": f"=AB{r}*$A$2", "AF": f"=AB{r}*$B$2",
                  "AG": f"=X{r}*M{r}", "AH": f"=X{r}*O{r}", "AI": f"=Y{r}*M{r}", "AJ": f"=Y{r}*O{r}",
                  "AK": f"=Z{r}*M{r}", "AL": f"=Z{r}*O{r}"})
        f.update({col: text.format(r=r) for col, text in slips.items()})
        for col, value in f.items():
            ws[f"{col}{r}"] = value
    wb.save(path)


BOOKS = {
    "right": {},
    "squared_delta": {"X": "=(T{r}-$C$2)*T{r}*(1-T{r})"},  # the squared error's δ kept after the softmax
    "wrong_activation": {"AH": "=X{r}*M{r}"},  # ∂E/∂w6 with a1 where a2 belongs
}


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("softmax")
    for name, slips in BOOKS.items():
        classifier(folder / f"{name}.xlsx", slips)
    convert_all([folder / f"{name}.xlsx" for name in BOOKS], folder / "recalculated")
    return {name: folder / "recalculated" / f"{name}.xlsx" for name in BOOKS}


def _delta_o1() -> float:
    """∂E/∂z1 of step 1 by central differences of the loss −Σ t·ln(softmax(z)): independent of check."""
    def hidden(k):
        return 1 / (1 + math.exp(-(START[2 * k] * X[0] + START[2 * k + 1] * X[1])))
    a = [hidden(0), hidden(1)]
    z = [START[4 + 2 * k] * a[0] + START[5 + 2 * k] * a[1] for k in range(3)]

    def loss(z1):
        e = [math.exp(v) for v in (z1, z[1], z[2])]
        return -sum(t * math.log(v / sum(e)) for t, v in zip(T, e))
    h = 1e-6
    return (loss(z[0] + h) - loss(z[0] - h)) / (2 * h)


def test_a_right_softmax_classifier_is_right_and_named_so(books):
    result = check_file(books["right"])
    assert result.status == "right", result
    assert result.tables[0].table.network == "2-2-3 sigmoid/softmax"


def test_the_squared_errors_delta_after_a_softmax_is_the_root_cause(books):
    result = check_file(books["squared_delta"])
    assert result.status == "wrong"
    [finding] = result.tables[0].errors
    assert (finding.column, finding.row) == ("X", 5)
    assert "not a derivative of the loss" in finding.cause
    assert math.isclose(finding.expected, _delta_o1(), rel_tol=1e-6)


def test_a_gradient_reading_another_activation_is_named_with_its_reference(books):
    [finding] = check_file(books["wrong_activation"]).tables[0].errors
    assert (finding.column, finding.row) == ("AH", 5)
    assert "reads a1 (M5) where a2 (O5) belongs" in finding.cause
