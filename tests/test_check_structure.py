"""check.structure: a one-row-per-iteration training table whose header labels are not the
contract's (Portuguese here), read by its formulas: which column is which quantity, and the
network, from what each cell references.

The workbooks are built with openpyxl and recalculated by LibreOffice, so that they store
values as a student's spreadsheet program does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.utils.cell import column_index_from_string as C

from xlbackprop.check import check_file, structure, tables
from xlbackprop.check.report import as_dict, text
from xlbackprop.check.judge import judge
from xlbackprop.check.problem import recover
from xlbackprop.xlsx.engines import convert_all
from xlbackprop.xlsx.grid import Book, read_xlsx

pytestmark = pytest.mark.libreoffice

FIRST, ITERATIONS = 5, 20
# the course's columns: contract name -> letter (δ's in U..X, so that ∂E/∂w1 is Y: =B5-$H$2*Y5)
LETTERS = {**{f"w{n}": chr(ord("A") + n) for n in range(1, 9)},
           "h1": "J", "a_h1": "K", "h2": "L", "a_h2": "M", "o1": "N", "a_o1": "O", "o2": "P", "a_o2": "Q",
           "E1": "R", "E2": "S", "E_total": "T", "δ_o1": "U", "δ_o2": "V", "δ_h1": "W", "δ_h2": "X",
           **{f"∂E/∂w{n}": l for n, l in zip(range(1, 9), ("Y", "Z", "AA", "AB", "AC", "AD", "AE", "AF"))}}
PORTUGUESE = {**{f"w{n}": f"peso {n}" for n in range(1, 9)},
              **{n: f"net {n}" for n in ("h1", "h2", "o1", "o2")},
              **{f"a_{n}": f"saída {n}" for n in ("h1", "h2", "o1", "o2")},
              "E1": "erro 1", "E2": "erro 2", "E_total": "erro total",
              **{f"δ_{n}": f"delta {n}" for n in ("o1", "o2", "h1", "h2")},
              **{f"∂E/∂w{n}": f"grad {n}" for n in range(1, 9)}}


def _course(ws, input_labels=("entrada 1", "entrada 2"), slip: bool = False) -> None:
    """The course's 2-2-2 network, one row per iteration from row 5, Portuguese labels in row 4;
    inputs in B2, C2, targets in E2, F2, η in H2, each labelled above."""
    for letter, label, value in (("B", input_labels[0], 0.05), ("C", input_labels[1], 0.1),
                                 ("E", "alvo 1", 0.01), ("F", "alvo 2", 0.99), ("H", "taxa", 0.5)):
        ws[f"{letter}1"], ws[f"{letter}2"] = label, value
    ws["A4"] = "iteração"
    for name, label in PORTUGUESE.items():
        ws[f"{LETTERS[name]}4"] = label
    for r in range(FIRST, FIRST + ITERATIONS):
        ws[f"A{r}"] = r - FIRST + 1
        for n, w0 in enumerate((0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55), start=1):
            w, g = LETTERS[f"w{n}"], LETTERS[f"∂E/∂w{n}"]
            ws[f"{w}{r}"] = w0 if r == FIRST else f"={w}{r - 1}-$H$2*{g}{r - 1}"
        slope_h1, slope_h2 = f"K{r}*(1-K{r})", f"M{r}*(1-M{r})"
        back_h1, back_h2 = f"(U{r}*F{r}+V{r}*H{r})", f"(U{r}*G{r}+V{r}*I{r})"
        cells = {"h1": f"=B{r}*$B$2+C{r}*$C$2", "a_h1": f"=1/(1+EXP(-J{r}))",
                 "h2": f"=D{r}*$B$2+E{r}*$C$2", "a_h2": f"=1/(1+EXP(-L{r}))",
                 "o1": f"=F{r}*K{r}+G{r}*M{r}", "a_o1": f"=1/(1+EXP(-N{r}))",
                 "o2": f"=H{r}*K{r}+I{r}*M{r}", "a_o2": f"=1/(1+EXP(-P{r}))",
                 "E1": f"=0.5*($E$2-O{r})^2", "E2": f"=0.5*($F$2-Q{r})^2", "E_total": f"=R{r}+S{r}",
                 "δ_o1": f"=(O{r}-$E$2)*O{r}*(1-O{r})", "δ_o2": f"=(Q{r}-$F$2)*Q{r}*(1-Q{r})",
                 "δ_h1": f"={back_h1}*{slope_h1}", "δ_h2": f"={back_h2}*{slope_h2}",
                 "∂E/∂w1": f"={back_h1}*{slope_h1}*$B$2", "∂E/∂w2": f"={back_h1}*{slope_h1}*$C$2",
                 "∂E/∂w3": f"={back_h2}*{slope_h1 if slip else slope_h2}*$B$2",
                 "∂E/∂w4": f"={back_h2}*{slope_h2}*$C$2",
                 "∂E/∂w5": f"=U{r}*K{r}", "∂E/∂w6": f"=U{r}*M{r}", "∂E/∂w7": f"=V{r}*K{r}", "∂E/∂w8": f"=V{r}*M{r}"}
        for name, formula in cells.items():
            ws[f"{LETTERS[name]}{r}"] = formula


def _loan(ws) -> None:
    """Not gradient descent, though its balances fall as ``B6 = B5 − $H$2·D5`` does: two loans."""
    ws["A1"], ws["H2"] = "pagamento", 0.9
    ws["B4"], ws["C4"], ws["D4"], ws["E4"] = "saldo 1", "saldo 2", "juros 1", "juros 2"
    for r in range(FIRST, FIRST + ITERATIONS):
        for bal, interest, rate in (("B", "D", 0.01), ("C", "E", 0.02)):
            ws[f"{bal}{r}"] = 1000.0 if r == FIRST else f"={bal}{r - 1}-$H$2*{interest}{r - 1}"
            ws[f"{interest}{r}"] = f"={bal}{r}*{rate}"


BUILDERS = {"portuguese": lambda ws: _course(ws, ("x1", "x2")),
            "slip": lambda ws: _course(ws, ("x1", "x2"), slip=True),
            "unlabelled_inputs": _course,
            "loan": _loan}


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    """Each workbook, recalculated by LibreOffice in one run."""
    folder = tmp_path_factory.mktemp("structure")
    sources = []
    for name, build in BUILDERS.items():
        wb = Workbook()
        wb.active.title = "Treino"
        build(wb.active)
        sources.append(folder / f"{name}.xlsx")
        wb.save(sources[-1])
    out = convert_all(sources, folder / "recalculated")
    return {name: path for name, path in zip(BUILDERS, out)}


def _book(books, name: str) -> Book:
    return read_xlsx(books[name])


def test_no_table_by_labels(books):
    """The premise: the labels say nothing, and the formulas show gradient descent."""
    assert tables.find_all(_book(books, "portuguese")) == []


def test_columns_and_network_from_the_formulas(books):
    book = _book(books, "portuguese")
    (table,) = structure.find_all(book)
    assert (table.sheet.name, table.header_row, table.first_row, table.last_row) == ("Treino", 4, 5, 24)
    assert table.columns == {name: C(letter) for name, letter in LETTERS.items()}
    assert table.network.layers == (2, 2, 2) and table.network.activations == ("sigmoid", "sigmoid")
    assert table.network.bias_mode == "none" and table.network.n_samples == 1 and not table.own


def test_judged_right(books):
    book = _book(books, "portuguese")
    (table,) = structure.find_all(book)
    result = judge(book, table)
    assert result.verdict == "right", (result, result.errors, result.warnings)
    assert not result.errors and not result.warnings
    assert result.problem.eta_cell == "$H$2" and result.problem.cells["t2"] == (2, 6)


def test_the_course_slip_is_found(books):
    """∂E/∂w3 with h1's slope: the root cause in its column at the first data row, nothing else."""
    book = _book(books, "slip")
    (table,) = structure.find_all(book)
    result = judge(book, table)
    assert result.verdict == "wrong"
    assert [(e.quantity, e.column, e.row, e.kind) for e in result.errors] == [("∂E/∂w3", "AA", 5, "formula")], \
        result.errors


def test_check_file_reads_it_and_says_why_in_the_files_own_names(books):
    """check_file reads it (it calls structure.find_all), names the slip by the file's own label
    beside the contract's, and says the table was read by its formulas, which label is which."""
    result = check_file(books["slip"])
    assert result.status == "wrong" and [e.quantity for e in result.tables[0].errors] == ["∂E/∂w3"]
    assert result.tables[0].errors[0].cause.startswith("∂E/∂w3 = 'grad 3' (column AA, from row 5): uses a_h1's slope")
    said = text([as_dict(result)])
    assert "read by its formulas, as its labels are not xlbackprop's names" in said
    assert "B 'peso 1' is w1" in said and "T 'erro total' is E_total" in said


def test_not_gradient_descent_gives_no_table(books):
    book = _book(books, "loan")
    from xlbackprop.check import updates
    assert updates.find(book), "the premise: its balances look like weight updates"
    assert structure.find_all(book) == []
    assert check_file(books["loan"]).status == "no-table"


def test_unlabelled_inputs_are_the_cells_their_weights_multiply(books):
    """Inputs in cells no label names as inputs (``entrada 1``): they are the cells w1 and w2
    multiply in h1's weighted sum, a note says so, and the table is judged right."""
    book = _book(books, "unlabelled_inputs")
    (table,) = structure.find_all(book)
    assert judge(book, table).verdict == "right"
    notes = recover(table).notes
    assert "cell B2 (labelled 'entrada 1') holds the input its weight multiplies: read as i1" in notes
    assert "cell C2 (labelled 'entrada 2') holds the input its weight multiplies: read as i2" in notes
