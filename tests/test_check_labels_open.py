"""check on three things real course files do that the 36 labelled ones do not (tests/studentbooks.py's
2-2-2 sigmoid table, 20 iterations, recalculated by LibreOffice), each in a right version and in one
with the course template's slip planted (∂E/∂w3 with a_h1's slope where a_h2's belongs):

- ``i2_target``: the parameter block reads ``i1 i2 t1 i2`` above 0.05 0.1 0.01 0.99; the second
  ``i2`` is the target the loss formulas read, and the formulas win: it is read as t2, with a note.
- ``rate_columns``: E_total of other learning rates pasted as numbers right of the table, under
  ``E_0.1`` .. ``E_2.0``: not quantities of the table, ignored.
- ``remarks``: ``t1 ( output of out_o1)``, ``∂(E_total)/∂w1``: the quantity the remark is about.
"""

from __future__ import annotations

from dataclasses import replace

import openpyxl
import pytest
from studentbooks import COLUMNS, SEED, SLOPE, Layout, book, grad_labels, spec_mapping, swap

from xlbackprop.check import check_file
from xlbackprop.check.labels import quantity
from xlbackprop.check.report import as_dict, text
from xlbackprop.core.reference import train
from xlbackprop.core.spec import from_mapping
from xlbackprop.xlsx.engines import convert_all

ITERATIONS = 20
SLIP = {"∂E/∂w3": swap("∂E/∂w3", SLOPE[2], SLOPE[1])}  # the course template's slip, in ∂E/∂w3 only

# ---- 1. a target labelled i2 ------------------------------------------------------------------
# The parameter block in B1:F2, labels above the numbers; the table (without i and t columns)
# from row 4, reading them with $. render() wants a label left of each value, so the block is
# laid out again, labels above, once the table is written.
BLOCK = (("i1", "i1"), ("i2", "i2"), ("t1", "t1"), ("t2", "i2"), ("η", "η"))
I2_TARGET = Layout(header_row=4, columns=COLUMNS[4:], labels=grad_labels("∂E/∂w{}"),
                   panel=tuple((token, label, 2, k) for k, (token, label) in enumerate(BLOCK, 1)))


def _labels_above(wb: openpyxl.Workbook) -> openpyxl.Workbook:
    ws = wb.active
    ws.cell(2, 1).value = None
    for k, (token, label) in enumerate(BLOCK, 2):
        ws.cell(1, k, label)
        ws.cell(2, k, SEED[token])
    return wb


# ---- 2. E_total of other learning rates beside the table ---------------------------------------
RATES = ("0.1", "0.2", "0.5", "1.0", "2.0")
RATE_COLUMNS = replace(Layout(labels=grad_labels("∂E∂W{}")), columns=COLUMNS + tuple(f"E_{r}" for r in RATES))


def _rate_curves() -> dict[str, list[float]]:
    """``E_0.1`` -> the E_total of the same problem trained at η = 0.1, one number a row."""
    return {f"E_{r}": [float(x) for x in train(from_mapping(spec_mapping({**SEED, "η": float(r)}, ITERATIONS)))
                       ["E_total"]] for r in RATES}


def _with_rates(**table) -> openpyxl.Workbook:
    curves = _rate_curves()
    return book(RATE_COLUMNS, iterations=ITERATIONS,
                given=lambda name, k: curves[name][k] if name in curves else SEED.get(name), **table)


# ---- 3. labels with remarks --------------------------------------------------------------------
REMARKS = Layout(labels={"t1": "t1 ( output of out_o1)", "t2": "t2 (output of out_o2)",
                         "w1": "w1 (i1→h1)", "h1": "h1 = w1*i1 + w2*i2", "a_h1": "out_h1 = σ(h1)",
                         **grad_labels("∂(E_total)/∂w{}")})

BUILD = {
    "i2_target": lambda **slips: _labels_above(book(I2_TARGET, iterations=ITERATIONS, **slips)),
    "rate_columns": _with_rates,
    "remarks": lambda **slips: book(REMARKS, iterations=ITERATIONS, **slips),
}
LAYOUT = {"i2_target": I2_TARGET, "rate_columns": RATE_COLUMNS, "remarks": REMARKS}


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[tuple[str, str], object]:
    """``(case, "right" | "wrong") -> path`` of every workbook, recalculated in one LibreOffice run."""
    built, saved = tmp_path_factory.mktemp("open-built"), tmp_path_factory.mktemp("open-saved")
    paths = {}
    for name, build in BUILD.items():
        for version, slips in (("right", {}), ("wrong", SLIP)):
            paths[(name, version)] = built / f"{name}-{version}.xlsx"
            build(slips=slips).save(paths[(name, version)])
    return dict(zip(paths, convert_all(list(paths.values()), saved)))


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", sorted(BUILD))
def test_right_table_is_right(books, name):
    result = as_dict(check_file(books[(name, "right")]))
    assert result["status"] == "right", result["message"]
    [table] = result["tables"]
    assert table["errors"] == [] and table["warnings"] == []


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", sorted(BUILD))
def test_planted_slip_is_the_root_cause(books, name):
    result = as_dict(check_file(books[(name, "wrong")]))
    assert result["status"] == "wrong", result["message"]
    [table] = result["tables"]
    lay = LAYOUT[name]
    [error] = table["errors"]
    assert (error["quantity"], error["kind"], error["row"]) == ("∂E/∂w3", "formula", lay.first_row)
    assert error["column"] == table["columns"]["∂E/∂w3"]
    assert table["columns"]["∂E/∂w3"] == openpyxl.utils.get_column_letter(lay.col("∂E/∂w3"))
    assert "a_h1" in error["cause"] and "a_h2" in error["cause"]


@pytest.mark.libreoffice
@pytest.mark.parametrize("version", ["right", "wrong"])
def test_target_labelled_i2_is_read_as_t2_with_a_note(books, version):
    result = as_dict(check_file(books[("i2_target", version)]))
    [table] = result["tables"]
    note = "cell E2 is labelled i2 but holds the target the loss uses: read as t2"
    assert table["notes"] == [note]
    assert f"note: {note}" in text([result])


@pytest.mark.libreoffice
def test_rate_columns_are_not_columns_of_the_table(books):
    [table] = as_dict(check_file(books[("rate_columns", "right")]))["tables"]
    assert set(table["columns"]) == set(COLUMNS)
    assert table["notes"] == []


@pytest.mark.libreoffice
def test_remark_labels_name_their_columns(books):
    [table] = as_dict(check_file(books[("remarks", "right")]))["tables"]
    assert set(table["columns"]) == set(COLUMNS)
    assert table["columns"]["t1"] == "A" and table["columns"]["∂E/∂w1"] == openpyxl.utils.get_column_letter(
        REMARKS.col("∂E/∂w1"))


@pytest.mark.parametrize("label, exp", [
    ("t1 ( output of out_o1)", "t1"), ("t2 (output of out_o2)", "t2"), ("∂(E_total)/∂w1", "∂E/∂w1"),
    ("∂(E_total)/∂w8", "∂E/∂w8"), ("i2 (input 2)", "i2"), ("a_o1 (out_o1)", "a_o1"),
    ("E_0.1", None), ("E_0.2", None), ("E_0.5", None), ("E_1.0", None), ("E_2.0", None),
    # labels that already read right must read the same
    ("w1 (i1→h1)", "w1"), ("out_h1 = σ(h1)", "a_h1"), ("h1 = w1*i1 + w2*i2", "h1"), ("E(1)", "E1"),
    ("E (η=0.1)", None), ("∂E/∂a_h1", None), ("E_t", "E_total"), ("E1", "E1"), ("L.R", "eta"),
])
def test_label_reads_past_remarks_and_rate_tags(label, exp):
    assert quantity(label) == exp
