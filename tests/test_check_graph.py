"""check.graph: gradient descent in other layouts and networks, judged by its formula graph.

The workbooks (:mod:`handbooks`) are a sheet an iteration (Mazur's example, with biases), one row
a step trained online (tanh, trained biases, per-layer η typed in, ``w + η·δ·x``, loss (t − y)²),
a group of columns an iteration with independent runs from ``=RAND()``, and a block of rows a
step over a batch of 4 samples (means by AVERAGE), also with its parameters in a table of their
own that each block picks its row of by INDEX/ROW, and with every parameter, previous value and
gradient picked by INDEX/ROW in the block itself. Each is written with openpyxl, right and with
each slip class planted, then recalculated by LibreOffice in one run, so that it stores values as
a student's spreadsheet does; each is held to its verdict and its root cause, the cell and why.
The expected cells are where the slip was planted, not what the code under test says.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import handbooks as hb
from xlbackprop.check import check_file, html
from xlbackprop.check.report import as_dict, text
from xlbackprop.xlsx.engines import convert_all

pytestmark = pytest.mark.libreoffice

PARTIALS = {"B47": ("dE/dout_o1", "=-(B3-B21)"), "B48": ("dout_o1/dnet_o1", "=B21*(1-B21)"),
            "B49": ("dnet_o1/dw5", "=B17")}
# name -> (builder, slips)
BOOKS = {
    "mazur": (hb.mazur, {}),
    "mazur_slope": (hb.mazur, {"B30": "=(B27*B11+B28*B13)*B17*(1-B17)"}),  # a_h1's slope in δ_h2
    "mazur_weight": (hb.mazur, {"B29": "=(B27*B11+B28*B12)*B17*(1-B17)"}),  # w6 for w5 in δ_h1
    "mazur_fed": (hb.mazur, {"B20": "=B10*B16+B11*B19+B15"}),  # net_h1 fed to o1, not out_h1
    "mazur_twice": (hb.mazur, {"B33": "=2*B30*B1"}),  # a factor 2 in one gradient only
    "mazur_update": (hb.mazur, {"B41": "=B8-$B$5*B31"}),  # w3 updated with dE/dw1
    # Mazur's chain rule written out: ∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5 (a link)
    "mazur_partials": (lambda path, slips: hb.mazur(path, slips={"B35": "=B47*B48*B49", **slips}, extra=PARTIALS), {}),
    "mazur_partials_slip": (lambda path, slips: hb.mazur(path, slips={"B35": "=B47*B48*B49", **slips},
                                                          extra=PARTIALS), {"B48": "=B23*(1-B23)"}),
    "online": (hb.online, {}),
    "online_sigmoid_slope": (hb.online, {"P": "=O{row}*H{row}*K{row}*(1-K{row})"}),  # tanh's slope as σ's
    "online_change": (hb.online, {"P": "=Q{row}*H{row}*(1-K{row}^2)"}),  # the weight change for the delta
    "runs": (hb.runs, {}),
    "runs_slope_of_a": (hb.runs, {"8": "=({c5}-$B$8)*{c5}*(1-{c5})*{c1}*(1/(1+EXP(-{c3})))*(1-1/(1+EXP(-{c3})))*$B$7"}),
    "batch": (hb.batch, {}),
    "batch_twice": (hb.batch, {"Q": "=2*N{row}*B{row}"}),
    "batch_fed": (hb.batch, {"I": "=F{at}*E{row}+G{at}*H{row}+J{at}"}),
    "online_pasted": (hb.online, {"E9": 0.31}),  # a number typed over w1's update
    "changes": (lambda path, slips: hb.online(path, slips, changes=True), {}),
    "changes_delta": (lambda path, slips: hb.online(path, slips, changes=True), {"P": "=Q{row}*H{row}*(1-K{row}^2)"}),
    "course_labels": (lambda path, slips: hb.online(path, slips, labels=hb.COURSE_LIKE), {}),
    "two_tables": (lambda path, slips: hb.online(path, beside=slips),  # tanh's slope in the sigmoid table
                   {"P": "={O}{row}*{H}{row}*(1-{K}{row}^2)"}),
    "picked": (lambda path, slips: hb.batch(path, slips, picked=True), {}),
    "picked_fed": (lambda path, slips: hb.batch(path, slips, picked=True),
                   {"I": "=INDEX(F$1:F$200,ROW()-{back})*E{row}+INDEX(G$1:G$200,ROW()-{back})*H{row}"
                         "+INDEX(J$1:J$200,ROW()-{back})"}),
    "indexed": (hb.batch_indexed, {}),
    "indexed_twice": (hb.batch_indexed, {"Q": "=2*N{row}*B{row}"}),
    "indexed_slope": (hb.batch_indexed, {"N": "=L{row}*INDEX($B$4:$J$11,INT((ROW()-20)/8)+1,6)*F{row}*(1-F{row})"}),
}


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("graph")
    sources = []
    for name, (build, slips) in BOOKS.items():
        build(folder / f"{name}.xlsx", slips=slips)
        sources.append(folder / f"{name}.xlsx")
    convert_all(sources, folder / "recalculated")
    return {name: folder / "recalculated" / f"{name}.xlsx" for name in BOOKS}


def _only_table(books, name):
    result = check_file(books[name])
    assert len(result.tables) == 1, result
    return result, result.tables[0]


@pytest.mark.parametrize("name, layout, network", [
    ("mazur", "sheets", "2-2-2 sigmoid, with biases"),
    ("mazur_partials", "sheets", "2-2-2 sigmoid, with biases"),
    ("online", "rows", "2-1-1 tanh/sigmoid, with biases, online, 2 samples in turn"),
    ("runs", "column groups", "1-1-1 sigmoid, 3 runs side by side"),
    ("batch", "row blocks", "2-2-1 sigmoid, with biases, 4 samples a step"),
    ("indexed", "rows", "2-2-1 sigmoid, with biases, 4 samples a step"),
    ("picked", "row blocks", "2-2-1 sigmoid, with biases, 4 samples a step"),
    ("changes", "rows", "2-1-1 tanh/sigmoid, with biases, online, 2 samples in turn"),
])
def test_a_right_sheet_of_each_layout_is_right(books, name, layout, network):
    result, table = _only_table(books, name)
    assert (result.status, table.errors, table.warnings) == ("right", [], [])
    assert (table.table.layout, table.table.network) == (layout, network)
    t = as_dict(result)["tables"][0]
    assert (t["layout"], t["network"]) == (layout, network)


def test_the_conventions_are_notes_not_slips(books):
    """(t − y)² with the gradients of ½(t − y)², and w + η·δ·x: the sheet's conventions."""
    _, table = _only_table(books, "online")
    notes = " ".join(table.notes)
    assert "every gradient is 0.5 times the gradient of the loss perda (N5)" in notes
    assert "the updates add η·g (w + η·δ·x)" in notes


# name -> (the cell of the slip, its kind, words the cause must say)
SLIPS = {
    "mazur_slope": ("B30", "formula", "reads out_h1 (B17) where out_h2 (B19) belongs"),
    "mazur_weight": ("B29", "formula", "reads w6 (B11) where w5 (B10) belongs"),
    "mazur_fed": ("B20", "formula", "reads net_h1 (B16), a weighted sum, where its activation out_h1 (B17) belongs"),
    "mazur_twice": ("B33", "formula", "is twice the gradient of the loss E_total (B26) with respect to w3"),
    "mazur_update": ("B41", "update", "reads dE/dw1 (B31), the gradient of w1"),
    "mazur_partials_slip": ("B48", "formula", "dout_o1/dnet_o1 (B48, slope, in every step): reads out_o2 (B23) "
                                              "where out_o1 (B21) belongs"),
    "online_sigmoid_slope": ("P5", "formula", "multiplies by K5*(1-K5) where the slope of h (K5) at z oculta (J5)"),
    "online_change": ("P5", "formula", "reads Δv (Q5) where delta saída (O5) belongs"),
    "runs_slope_of_a": ("I2", "formula", "reads a1 (D2) where z1 (C2) belongs"),
    "batch_twice": ("Q9", "formula", "is twice this sample's gradient"),
    "batch_fed": ("I7", "formula", "reads z1 (E7), a weighted sum, where its activation a1 (F7) belongs"),
    "indexed_twice": ("Q24", "formula", "is twice this sample's gradient"),
    "indexed_slope": ("N22", "formula", "d2 (N22:N25, hidden delta, in every step): reads a1 (F22) where a2 (H22) belongs"),
    "changes_delta": ("P5", "formula", "delta oculta (P5, gradient of b1, in every step): reads Δv (Q5) where "
                                       "delta saída (O5) belongs"),
    "picked_fed": ("I7", "formula", "reads z1 (E7), a weighted sum, where its activation a1 (F7) belongs"),
    "online_pasted": ("E9", "values-only", "w1 (E9, update of w1, in step 5): holds a typed number where the update "
                                           "of w1 belongs (the next step's: =E9+0.5*P9*B9)"),
}


@pytest.mark.parametrize("name", sorted(SLIPS))
def test_each_slip_is_its_one_root_cause_in_the_files_own_names(books, name):
    cell, kind, words = SLIPS[name]
    result, table = _only_table(books, name)
    assert result.status == "wrong"
    assert [(f.column + str(f.row), f.kind) for f in table.errors] == [(cell, kind)], text([as_dict(result)])
    assert words in table.errors[0].cause
    assert "in every step" in table.errors[0].cause or name == "online_pasted"


def test_the_courses_labels_over_another_network_are_read_by_its_formulas(books):
    """w1..w5, h1, a_h1, E_total over a 2-1-1 net: the labels say the course's table, which it
    cannot be (no w6, no h2); its formulas say what it trains, and that reading stands."""
    result = check_file(books["course_labels"])
    assert (result.status, len(result.tables)) == ("right", 1), result
    assert result.tables[0].table.network == "2-1-1 tanh/sigmoid, with biases, online, 2 samples in turn"


def test_two_networks_side_by_side_are_two_tables(books):
    """A tanh table and a sigmoid table over the same rows of one sheet: each its own verdict."""
    result = check_file(books["two_tables"])
    assert [(t.verdict, t.table.network) for t in result.tables] == [
        ("right", "2-1-1 tanh/sigmoid, with biases, online, 2 samples in turn"),
        ("wrong", "2-1-1 sigmoid, with biases, online, 2 samples in turn")]
    assert [(f.column + str(f.row), f.kind) for f in result.tables[1].errors] == [("AJ5", "formula")]
    assert "multiplies by (1-AE5^2) where the slope of h (AE5) at z oculta (AD5)" in result.tables[1].errors[0].cause
    assert result.tables[1].table.where == ("5 weights updated over 12 iterations along rows (w + η·g, η typed as "
                                            "0.5, 0.3), in 'Online'!Y5:AC16")


def test_a_slip_in_every_sample_row_is_one_finding_over_the_rows(books):
    _, table = _only_table(books, "batch_fed")
    assert "z3 (I7:I10, weighted sum, in every step)" in table.errors[0].cause


def test_the_report_says_where_and_what_it_trains(books):
    out = text([as_dict(check_file(books["online_change"]))])
    assert "5 weights updated over 12 iterations along rows (w + η·g, η typed as 0.5, 0.3), in 'Online'!E5:I16; " \
           "2-1-1 tanh/sigmoid, with biases, online, 2 samples in turn: wrong" in out
    assert "P5  gradient of b1" in out and "formula =Q5*H5*(1-K5^2)" in out


def test_the_random_start_is_read_as_stored(books):
    """The runs start at =RAND(): judged on the draw the file stores, never drawn again."""
    first, second = check_file(books["runs"]), check_file(books["runs"])
    assert first.status == second.status == "right"


# ---- single slips planted: a reference swapped for its sibling in each backward formula ----

MAZUR_BACKWARD = {r: f for r, f in [(27, "=(B21-B3)*B21*(1-B21)"), (28, "=(B23-B4)*B23*(1-B23)"),
                                    (29, "=(B27*B10+B28*B12)*B17*(1-B17)"), (30, "=(B27*B11+B28*B13)*B19*(1-B19)"),
                                    (31, "=B29*B1"), (32, "=B29*B2"), (33, "=B30*B1"), (34, "=B30*B2"),
                                    (35, "=B27*B17"), (36, "=B27*B19"), (37, "=B28*B17"), (38, "=B28*B19")]}
SIBLINGS = {"B17": "B19", "B19": "B17", "B21": "B23", "B23": "B21", "B3": "B4", "B4": "B3", "B1": "B2",
            "B2": "B1", "B10": "B11", "B11": "B10", "B12": "B13", "B13": "B12", "B27": "B28", "B28": "B27",
            "B29": "B30", "B30": "B29"}


def _mutants() -> dict[str, tuple[str, str]]:
    """One mutant per reference with a sibling in each backward formula: name -> (cell, formula)."""
    out = {}
    for row, formula in MAZUR_BACKWARD.items():
        for m in re.finditer(r"B\d+", formula):
            ref = m.group()
            if ref in SIBLINGS:
                mutant = formula[:m.start()] + SIBLINGS[ref] + formula[m.end():]
                out[f"B{row}_{m.start()}"] = (f"B{row}", mutant)
    return out


MUTANTS = _mutants()


@pytest.fixture(scope="module")
def mutants(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("mutants")
    for name, (cell, formula) in MUTANTS.items():
        hb.mazur(folder / f"{name}.xlsx", slips={cell: formula})
    convert_all(sorted(folder.glob("*.xlsx")), folder / "recalculated")
    return {name: folder / "recalculated" / f"{name}.xlsx" for name in MUTANTS}


def test_every_planted_slip_is_found_exactly_where_it_was_planted(mutants):
    assert len(MUTANTS) >= 20
    missed = {}
    for name, (cell, formula) in MUTANTS.items():
        result = check_file(mutants[name])
        found = [f.column + str(f.row) for t in result.tables for f in t.errors]
        if (result.status, found) != ("wrong", [cell]):
            missed[name] = (formula, result.status, found)
    assert missed == {}


@pytest.mark.parametrize("name", ["mazur", "online", "runs", "batch"])
def test_the_correct_run_follows_a_right_sheet(books, name):
    """The run check trains from the first step's weights (its own forward, ∂L/∂w by the complex
    step) against the losses LibreOffice computed in the file."""
    curve = as_dict(check_file(books[name]), curve=True)["tables"][0]["curve"]
    got, expected = curve["got"], curve["expected"]
    assert len(got) == len(expected) >= 3
    assert max(abs(g - e) / abs(e) for g, e in zip(got, expected)) < 1e-9


def test_the_correct_run_leaves_a_wrong_sheet_after_its_first_step(books):
    curve = as_dict(check_file(books["online_change"]), curve=True)["tables"][0]["curve"]
    got, expected = curve["got"], curve["expected"]
    assert abs(got[0] - expected[0]) <= 1e-12 * abs(expected[0]) and abs(got[1] - expected[1]) > 1e-6


def test_the_html_page_says_where_a_graph_table_is(books):
    page = html.render([as_dict(check_file(books["batch_fed"]), curve=True)])
    assert "9 weights updated over 8 iterations in blocks of 8 rows" in page
    assert "2-2-1 sigmoid, with biases, 4 samples a step" in page
    assert "(1 = row" not in page  # a step is a block of rows: no one row names an iteration


@pytest.fixture(scope="module")
def old_files(tmp_path_factory) -> dict[str, Path]:
    """The homework as an old .xls (Excel 97), written by LibreOffice from the .xlsx."""
    folder = tmp_path_factory.mktemp("xls")
    hb.homework(folder / "homework.xlsx")
    hb.homework(folder / "homework_weight.xlsx", slips={"W": "=(U{row}*K{row}+V{row}*K{row})*O{row}*(1-O{row})"})
    sources = [folder / "homework.xlsx", folder / "homework_weight.xlsx"]
    convert_all(sources, folder / "old", to="xls:MS Excel 97")
    return {p.stem: p for p in (folder / "old").glob("*.xls")}


def test_an_old_xls_with_a_constant_one_input_for_its_biases(old_files):
    result = check_file(old_files["homework"])
    assert result.status == "right", result
    assert result.tables[0].table.network == "2-1-2 sigmoid, with biases, online, 2 samples in turn"
    slipped = check_file(old_files["homework_weight"])
    (table,) = slipped.tables
    assert [(f.column + str(f.row), f.kind) for f in table.errors] == [("W4", "formula")]
    assert "dh (W4, hidden delta, in every step): reads u11 (K4) where u21 (M4) belongs" in table.errors[0].cause
