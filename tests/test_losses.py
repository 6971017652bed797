"""The losses of core/losses.py against a second implementation written here from the textbook
formulas (plain Python floats), Wikipedia's published softmax example, finite differences, and
LibreOffice computing the Excel forms."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlbackprop.core import losses
from xlbackprop.core.arithmetic import LIBREOFFICE


def textbook_softmax(o: list[float]) -> list[float]:
    e = [math.exp(x) for x in o]
    total = sum(e)
    return [x / total for x in e]


def textbook_cross_entropy(o: list[float], t: list[float]) -> float:
    return -sum(tk * math.log(ak) for tk, ak in zip(t, textbook_softmax(o)))


def textbook_binary(o: list[float], t: list[float]) -> float:
    a = [1 / (1 + math.exp(-x)) for x in o]
    return -sum(tk * math.log(ak) + (1 - tk) * math.log(1 - ak) for tk, ak in zip(t, a))


def test_softmax_is_wikipedias_example():
    """Wikipedia, "Softmax function", Example: softmax(1, 2, 3, 4, 1, 2, 3) =
    (0.024, 0.064, 0.175, 0.475, 0.024, 0.064, 0.175) to three decimals."""
    m, e, s = losses.softmax(np.array([1, 2, 3, 4, 1, 2, 3.0]))
    assert np.round(e / s, 3).tolist() == [0.024, 0.064, 0.175, 0.475, 0.024, 0.064, 0.175]
    assert m.item() == 4.0


unit = st.floats(0.01, 0.99)
pre = st.floats(-30, 30)


@given(st.lists(pre, min_size=2, max_size=6), st.data())
def test_softmax_cross_entropy_is_the_textbooks(o, data):
    weights = data.draw(st.lists(st.floats(0.0, 1.0), min_size=len(o), max_size=len(o)).filter(lambda w: sum(w) > 0.1))
    t = [w / sum(weights) for w in weights]
    a, e = losses.softmax_cross_entropy(np.array(o), np.array(t))
    assert a.tolist() == pytest.approx(textbook_softmax(o), rel=1e-12, abs=1e-300)
    assert e.item() == pytest.approx(textbook_cross_entropy(o, t), rel=1e-12, abs=1e-12)


@given(st.lists(st.tuples(st.floats(-8, 8), unit), min_size=1, max_size=4))
def test_binary_cross_entropy_is_the_textbooks(pairs):
    """Within |o| ≤ 8, where the textbook's log(1 − a) keeps 12 digits (at o = 20 it keeps 8)."""
    o, t = [p[0] for p in pairs], [p[1] for p in pairs]
    assert losses.binary_cross_entropy(np.array(o), np.array(t)).item() == \
        pytest.approx(textbook_binary(o, t), rel=1e-11, abs=1e-13)


@pytest.mark.parametrize("kind", ["softmax", "binary"])
def test_the_output_delta_is_the_gradient_by_finite_differences(kind):
    rng = np.random.default_rng(7)
    o = rng.uniform(-3, 3, 4)
    t = rng.uniform(0, 1, 4)
    if kind == "softmax":
        t = t / t.sum()
        loss, a = (lambda x: textbook_cross_entropy(list(x), list(t))), np.array(textbook_softmax(list(o)))
    else:
        loss, a = (lambda x: textbook_binary(list(x), list(t))), 1 / (1 + np.exp(-o))
    h = 1e-6
    numeric = [(loss(o + h * np.eye(4)[k]) - loss(o - h * np.eye(4)[k])) / (2 * h) for k in range(4)]
    assert losses.output_delta(a, t).tolist() == pytest.approx(numeric, rel=1e-7, abs=1e-9)


def test_nothing_overflows_or_meets_ln_0():
    """Pre-activations far past EXP's 709: the shifted softmax, its log-sum-exp loss and the
    softplus stay finite, and equal their limits."""
    a, e = losses.softmax_cross_entropy(np.array([1000.0, 1001.0, 200.0]), np.array([0.0, 0.0, 1.0]))
    assert np.isfinite(a).all() and a[2] == 0.0  # e^-801 underflows: a_3 is 0, yet its loss is finite
    assert e.item() == pytest.approx(801 + math.log(1 + math.exp(-1)), rel=1e-15)
    assert losses.binary_cross_entropy(np.array([800.0, -800.0]), np.array([0.0, 1.0])).item() == 1600.0


@pytest.mark.libreoffice
def test_libreoffice_computes_the_excel_forms_as_numpy_does(tmp_path):
    """Each Excel form in a row of cells, recalculated by LibreOffice, equals the numpy form with
    LibreOffice's additions, to the 15 digits it stores, in rows that would overflow a naive sheet."""
    from xlbackprop.xlsx.engines import convert
    rows = [([0.3, -1.2, 2.5], [0.2, 0.3, 0.5]), ([1000.0, 1001.0, 200.0], [0.0, 0.0, 1.0]),
            ([-745.0, 3.0, 0.1], [1.0, 0.0, 0.0]), ([1e-3, 2e-3, -4e-3], [1 / 3, 1 / 3, 1 / 3])]
    wb = openpyxl.Workbook()
    ws = wb.active
    # A-C o, D-F t, G m, H-J e, K-M a, N E, O-Q δ, R binary E
    for r, (o, t) in enumerate(rows, start=1):
        for k in range(3):
            ws.cell(r, 1 + k, o[k])
            ws.cell(r, 4 + k, t[k])
        oc, tc, ec = [f"{c}{r}" for c in "ABC"], [f"{c}{r}" for c in "DEF"], [f"{c}{r}" for c in "HIJ"]
        ws[f"G{r}"] = "=" + losses.excel_softmax_shift(oc)
        for k in range(3):
            ws.cell(r, 8 + k, "=" + losses.excel_softmax_exp(oc[k], f"G{r}"))
            ws.cell(r, 11 + k, "=" + losses.excel_softmax_output(ec[k], ec))
            ws.cell(r, 15 + k, "=" + losses.excel_output_delta(f"{'KLM'[k]}{r}", tc[k]))
        ws[f"N{r}"] = "=" + losses.excel_softmax_cross_entropy(tc, oc, f"G{r}", ec)
        ws[f"R{r}"] = "=" + losses.excel_binary_cross_entropy(tc, oc)
    wb.save(tmp_path / "losses.xlsx")
    got = openpyxl.load_workbook(convert(tmp_path / "losses.xlsx", tmp_path / "out"), data_only=True).active
    for r, (o, t) in enumerate(rows, start=1):
        m, e, s = losses.softmax(np.array(o), LIBREOFFICE)
        a, loss = losses.softmax_cross_entropy(np.array(o), np.array(t), LIBREOFFICE)
        delta = losses.output_delta(a, np.array(t), LIBREOFFICE)
        binary = losses.binary_cross_entropy(np.array(o), np.array(t), LIBREOFFICE)
        sheet = [got.cell(r, c).value for c in range(7, 19)]
        ours = [m.item(), *e, *a, loss.item(), *delta, binary.item()]
        for cell, x in zip(sheet, ours):  # LibreOffice stores 15 significant digits
            assert abs(cell - x) <= 0.5 * 10.0 ** (math.floor(math.log10(abs(x))) - 14) if x else cell == 0, (r, sheet, ours)
