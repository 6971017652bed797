"""check.updates: weight updates found by their formulas alone, labels ignored, in every layout
hand-made gradient descent takes (rows, blocks of rows, groups of columns, one sheet per iteration).

The workbooks are built with openpyxl and read as they are (formulas and typed numbers, no
engine), but for the one test of ``check_file``, which recalculates the file it reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.utils.cell import get_column_letter as L
from openpyxl.workbook.defined_name import DefinedName

from xlbackprop.check import check_file
from xlbackprop.check.updates import Training, find
from xlbackprop.xlsx.grid import Book, Sheet, read_xlsx


def _read(wb: Workbook, tmp_path: Path, name: str = "book.xlsx") -> Book:
    path = tmp_path / name
    wb.save(path)
    return read_xlsx(path)


def _course_rows(ws, first: int = 14, iterations: int = 20, eta_cell: str = "$B$2", per_layer: str | None = None,
                 sign: str = "-") -> None:
    """The course's table: w1..w8 in B..I, one row per iteration, ∂E/∂w1..8 in Y..AF."""
    ws["A1"], ws["A2"], ws["B2"] = "toy", "learning rate", 0.5
    ws["A3"], ws["B3"] = "learning rate, output layer", 0.25
    for k in range(8):
        ws.cell(first - 1, 2 + k, f"w{k + 1}")
        ws.cell(first, 2 + k, 0.15 + 0.05 * k)
    for r in range(first, first + iterations):
        ws.cell(r, 1, r - first + 1)
        for k in range(8):
            w, g = L(2 + k), L(25 + k)
            ws.cell(r, 25 + k, f"={w}{r}*J{r}*(1-J{r})")  # some gradient, a formula
            if r > first:
                eta = per_layer if per_layer and k >= 4 else eta_cell
                ws.cell(r, 2 + k, f"={w}{r - 1}{sign}{eta}*{g}{r - 1}")
        ws.cell(r, 10, f"=B{r}*0.05+C{r}*0.1")


def _only(book: Book) -> Training:
    found = find(book)
    assert len(found) == 1, [t.describe() for t in found]
    return found[0]


def test_rows_the_course_layout(tmp_path):
    wb = Workbook()
    _course_rows(wb.active)
    t = _only(_read(wb, tmp_path))
    assert (t.layout, len(t.weights), t.iterations, t.step) == ("rows", 8, 20, (1, 0))
    assert t.eta == ["'Sheet'!$B$2"] and t.sign == "-"
    assert t.weights[0][:2] == [("Sheet", 14, 2), ("Sheet", 15, 2)] and t.weights[7][-1] == ("Sheet", 33, 9)
    assert t.describe() == "8 weights updated over 20 iterations along rows (w − η·g, η in B2), in 'Sheet'!B14:I33"


def test_tables_stacked_on_one_sheet_are_two(tmp_path):
    """One table per learning rate, one below the other: two trainings, not 16 weights."""
    wb = Workbook()
    _course_rows(wb.active, first=14, iterations=10)
    _course_rows(wb.active, first=40, iterations=12, eta_cell="$B$3")
    first, second = find(_read(wb, tmp_path))
    assert (len(first.weights), first.iterations, first.eta) == (8, 12, ["'Sheet'!$B$3"])
    assert (len(second.weights), second.iterations, second.eta) == (8, 10, ["'Sheet'!$B$2"])
    assert first.span() == "'Sheet'!B40:I51" and second.span() == "'Sheet'!B14:I23"


def test_a_slip_of_copying_does_not_make_a_weight_more(tmp_path):
    """w3's update of row 18 reads w2's cell (a copy slip, ``=C17-$B$2*Z17`` in D18): w3 is still
    one weight, its cells the column D they stand in."""
    wb = Workbook()
    ws = wb.active
    _course_rows(ws)
    ws["D18"] = "=C17-$B$2*Z17"
    t = _only(_read(wb, tmp_path))
    assert (len(t.weights), t.iterations) == (8, 20)
    assert t.weights[2] == [("Sheet", r, 4) for r in range(14, 34)]


def test_rows_with_the_plus_convention_eta_delta_x(tmp_path):
    """``w + η·δ·x``: B5 = B4 + $B$1*D4*E4, δ a formula, x a typed input of its row."""
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "eta", 0.1
    ws["B4"], ws["C4"] = 0.3, -0.2
    for r in range(4, 16):
        ws[f"E{r}"], ws[f"F{r}"] = 1.0, 0.5 * (r % 2)  # the inputs of the sample of this row
        ws[f"D{r}"] = f"=0.5-(B{r}*E{r}+C{r}*F{r})"  # δ = t - y
        if r > 4:
            ws[f"B{r}"] = f"=B{r - 1}+$B$1*D{r - 1}*E{r - 1}"
            ws[f"C{r}"] = f"=C{r - 1}+$B$1*D{r - 1}*F{r - 1}"
    t = _only(_read(wb, tmp_path))
    assert (t.layout, len(t.weights), t.iterations, t.eta, t.sign) == ("rows", 2, 12, ["'Sheet'!$B$1"], "+")
    assert "(w + η·g, η in B1)" in t.describe()


def test_row_blocks_a_full_batch_per_step(tmp_path):
    """A 2-2-1 XOR net: per step a block of 8 rows (header, 4 samples, their means), the next
    block's weights the weights less η times the mean gradient."""
    wb = Workbook()
    ws = wb.active
    ws["L1"], ws["M1"] = "η", 2.0
    for b in range(6):
        top = 2 + 8 * b
        for k in range(9):
            ws.cell(top, 2 + k, f"w{k + 1}")
            w, g = L(2 + k), L(12 + k)
            ws.cell(top + 1, 2 + k, 0.1 * (k + 1) if b == 0 else f"={w}{top + 1 - 8}-$M$1*{g}{top + 5 - 8}")
            for s in range(4):  # the samples read the block's weights
                ws.cell(top + 1 + s, 12 + k, f"=${w}${top + 1}*{s + 1}*0.01")
            ws.cell(top + 5, 12 + k, f"=AVERAGE({g}{top + 1}:{g}{top + 4})")
    t = _only(_read(wb, tmp_path))
    assert (t.layout, len(t.weights), t.iterations, t.step, t.eta) == ("row blocks", 9, 6, (8, 0), ["'Sheet'!$M$1"])
    assert "in blocks of 8 rows" in t.describe()


def test_column_groups_a_transposed_table_of_runs(tmp_path):
    """One group of 8 columns per iteration (4 weights, 4 gradients), one row per run from =RAND()."""
    wb = Workbook()
    ws = wb.active
    ws["A14"], ws["B14"] = "eta", 0.7
    for run in range(2, 12):
        for it in range(5):
            for k in range(4):
                w, g = 2 + 8 * it + k, 6 + 8 * it + k
                ws.cell(run, w, "=RAND()" if it == 0 else f"={L(w - 8)}{run}-$B$14*{L(g - 8)}{run}")
                ws.cell(run, g, f"={L(w)}{run}*(1-{L(w)}{run})")
    t = _only(_read(wb, tmp_path))
    assert (t.layout, len(t.weights), t.iterations, t.step, t.eta) == ("column groups", 40, 5, (0, 8),
                                                                        ["'Sheet'!$B$14"])
    assert t.describe().endswith("in groups of 8 columns (w − η·g, η in B14), in 'Sheet'!B2:AK11")


def _mazur(wb: Workbook, sheets: int, linked: bool) -> None:
    """One sheet per iteration: a vertical list of 8 weights C5:C12, their gradients C14:C21, the
    updated weights C23:C30. A later sheet's weights link to the previous sheet's updated ones
    (``linked``), or its updates read them there directly."""
    wb.remove(wb.active)
    for n in range(1, sheets + 1):
        ws = wb.create_sheet(f"Iter {n}")
        ws["B2"], ws["C2"] = "learning rate", 0.5
        prev = f"'Iter {n - 1}'!"
        for k in range(8):
            ws.cell(5 + k, 2, f"w{k + 1}")
            if n == 1:
                ws.cell(5 + k, 3, 0.1 + 0.05 * k)
            elif linked:
                ws.cell(5 + k, 3, f"={prev}C{23 + k}")
            ws.cell(14 + k, 3, f"=C{5 + k}*0.01" if n == 1 or linked else f"={prev}C{23 + k}*0.01")
            old = f"C{5 + k}" if n == 1 or linked else f"{prev}C{23 + k}"
            ws.cell(23 + k, 3, f"={old}-$C$2*C{14 + k}")


@pytest.mark.parametrize("linked", [True, False])
def test_sheets_one_sheet_per_iteration(tmp_path, linked):
    wb = Workbook()
    _mazur(wb, 3, linked)
    t = _only(_read(wb, tmp_path))
    assert (t.layout, len(t.weights), t.step) == ("sheets", 8, "previous sheet")
    assert t.iterations == 4  # the first sheet's weights, and each sheet's updated ones
    assert t.weights[0] == [("Iter 1", 5, 3), ("Iter 1", 23, 3), ("Iter 2", 23, 3), ("Iter 3", 23, 3)]
    assert t.eta == ["'Iter 1'!$C$2", "'Iter 2'!$C$2", "'Iter 3'!$C$2"]
    assert "across 3 sheets" in t.describe() and "'Iter 1'!C5:C30 … 'Iter 3'!C23:C30" in t.describe()


def test_eta_typed_into_each_update_online_two_rows_per_step(tmp_path):
    """A 2-1-1 net trained online: two rows per step (one sample each), η typed as numbers, one
    for the hidden layer's weights and another for the output's."""
    wb = Workbook()
    ws = wb.active
    ws["B2"], ws["C2"], ws["D2"] = 0.2, -0.1, 0.4
    for step in range(7):
        r = 2 + 2 * step
        ws[f"F{r}"], ws[f"G{r}"], ws[f"H{r}"] = f"=B{r}*0.3", f"=C{r}*0.3", f"=D{r}*0.3"
        ws[f"F{r + 1}"] = f"=F{r}*2"  # the second sample's row
        if step:
            ws[f"B{r}"], ws[f"C{r}"] = f"=B{r - 2}-0.5*F{r - 2}", f"=C{r - 2}-(F{r - 2}*0.5)"
            ws[f"D{r}"] = f"=D{r - 2}-((0.25)*H{r - 2})"
    t = _only(_read(wb, tmp_path))
    assert (t.layout, len(t.weights), t.iterations, t.step, t.eta) == ("row blocks", 3, 7, (2, 0), [0.5, 0.25])
    assert "η typed as 0.5, 0.25" in t.describe()


def test_per_layer_eta_two_cells(tmp_path):
    wb = Workbook()
    _course_rows(wb.active, per_layer="$B$3")
    t = _only(_read(wb, tmp_path))
    assert len(t.weights) == 8 and t.eta == ["'Sheet'!$B$2", "'Sheet'!$B$3"]
    assert "η in B2, B3" in t.describe()


def test_eta_a_defined_name_and_on_another_sheet(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Training"
    params = wb.create_sheet("Params")
    params["B4"] = 0.3
    wb.defined_names["eta"] = DefinedName("eta", attr_text="Params!$B$4")
    _course_rows(ws, iterations=5, eta_cell="eta", per_layer="Params!B4")
    t = _only(_read(wb, tmp_path))
    assert (t.layout, len(t.weights), t.iterations, t.eta) == ("rows", 8, 5, ["'Params'!$B$4"])
    assert "η in 'Params'!B4" in t.describe()


def test_an_xlbackprop_workbook(built):
    """xlbackprop's own Training sheet (``=B14-eta*Y14``) first; its Derivation sheet's one step
    from the first row's weights may follow."""
    found = find(read_xlsx(built("class-2024", iterations=12)))
    t = found[0]
    assert (t.layout, len(t.weights), t.iterations, t.eta) == ("rows", 8, 12, ["'Training'!$B$2"])
    assert t.describe() == ("8 weights updated over 12 iterations along rows (w − η·g, η in B2), "
                            "in 'Training'!B14:I25")


def test_not_gradient_descent_a_running_balance(tmp_path):
    """Differences and sums of cells, and products without a typed number: no η·g, no update."""
    wb = Workbook()
    ws = wb.active
    ws["B1"], ws["E1"] = 100.0, 3.0
    for r in range(2, 40):
        ws[f"C{r}"], ws[f"D{r}"] = 5.0 + r, f"=C{r}/2"
        ws[f"B{r}"] = f"=B{r - 1}-C{r}"  # a running balance
        ws[f"E{r}"] = f"=E{r - 1}+C{r}-D{r}"
        ws[f"F{r}"] = f"=F{r - 1}-D{r}*G{r}"  # a product of two formulas (no η)
        ws[f"G{r}"] = f"=D{r}*2"
        ws[f"H{r}"] = f"=B{r}*C{r}-D{r}"
    assert find(_read(wb, tmp_path)) == []


def test_unreadable_formulas_and_lone_updates_are_left_out(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["B2"] = 0.5, 1.0, "=B1-$A$1*C1"  # one update, alone
    ws["C1"] = "=SIN(B1)"
    for r in range(3, 30):
        ws[f"D{r}"] = f"=D{r - 1}-$A$1*{{1,2}}"  # an array constant: not a formula parse reads
        ws[f"E{r}"] = f"=E{r - 1}-$A$1*FOO(D{r})+"
    assert find(_read(wb, tmp_path)) == []


def test_a_sheet_built_by_hand_in_memory():
    sheet = Sheet("S", {(r, 2): f"=B{r - 1}-$A$1*C{r - 1}" for r in range(3, 8)}
                  | {(r, 3): f"=B{r}^2" for r in range(2, 8)}, {(1, 1): 0.1, (2, 2): 1.0})
    t = _only(Book(Path("s.xlsx"), [sheet], 17))
    assert (t.layout, len(t.weights), t.iterations, t.eta) == ("rows", 1, 6, ["'S'!$A$1"])


def _portuguese_241(ws) -> None:
    """A 2-4-1 network, one iteration: weights w1..w12 in B3:M3, labelled in Portuguese, their
    gradients in B20:M20, the new weights in B22:M22 with η typed into each (``=B3-0.5*B20``)."""
    ws.title = "Plan1"
    ws["A1"], ws["B1"] = "taxa de aprendizagem", 0.5
    ws["A2"], ws["A3"] = "pesos", "peso"
    ws["A5"], ws["B5"], ws["C5"], ws["A6"], ws["B6"] = "entradas", 0.05, 0.1, "alvo", 0.9
    for k in range(12):
        ws.cell(2, 2 + k, f"peso {k + 1}")
        ws.cell(3, 2 + k, 0.1 + 0.02 * k)
    for h in range(4):  # the hidden layer: net input and activation
        ws.cell(8, 2 + h, f"=$B$5*{L(2 + 2 * h)}3+$C$5*{L(3 + 2 * h)}3")
        ws.cell(9, 2 + h, f"=1/(1+EXP(-{L(2 + h)}8))")
    ws["A10"], ws["B10"] = "saída", "=1/(1+EXP(-(J3*B9+K3*C9+L3*D9+M3*E9)))"
    ws["A11"], ws["B11"] = "erro", "=0.5*($B$6-B10)^2"
    ws["A12"], ws["B12"] = "delta saída", "=(B10-$B$6)*B10*(1-B10)"
    for h in range(4):
        ws.cell(13, 2 + h, f"=$B$12*{L(10 + h)}3*{L(2 + h)}9*(1-{L(2 + h)}9)")
    ws["A20"], ws["A22"] = "gradiente", "novo peso"
    for k in range(8):
        ws.cell(20, 2 + k, f"={L(2 + k // 2)}13*{'$B$5' if k % 2 == 0 else '$C$5'}")
    for k in range(4):
        ws.cell(20, 10 + k, f"=$B$12*{L(2 + k)}9")
    for k in range(12):
        ws.cell(22, 2 + k, f"={L(2 + k)}3-0.5*{L(2 + k)}20")


def test_portuguese_one_iteration_sheet(tmp_path):
    wb = Workbook()
    _portuguese_241(wb.active)
    t = _only(_read(wb, tmp_path))
    assert (len(t.weights), t.iterations, t.eta) == (12, 2, [0.5])
    assert t.describe() == "12 weights updated once (w − η·g, η typed as 0.5), in 'Plan1'!B3:M22"


@pytest.mark.libreoffice
def test_check_file_reads_the_one_iteration_sheet_by_its_formula_graph(tmp_path):
    wb = Workbook()
    _portuguese_241(wb.active)
    path = tmp_path / "rede.xlsx"
    wb.save(path)
    result = check_file(path)
    assert (result.status, len(result.tables)) == ("right", 1)
    assert (result.tables[0].table.network, result.tables[0].table.layout) == ("2-4-1 sigmoid", "row blocks")


@pytest.mark.libreoffice
def test_check_file_says_what_the_formulas_show_and_what_they_lack(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Plan1"
    ws["A1"] = 0.9  # two balances paid down as B6 = B5 − $A$1·D5: updates, but no loss reads them
    for r in range(3, 23):
        for bal, interest, rate in (("B", "D", 0.01), ("C", "E", 0.02)):
            ws[f"{bal}{r}"] = 1000.0 if r == 3 else f"={bal}{r - 1}-$A$1*{interest}{r - 1}"
            ws[f"{interest}{r}"] = f"={bal}{r}*{rate}"
    wb.save(tmp_path / "loan.xlsx")
    result = check_file(tmp_path / "loan.xlsx")
    assert result.status == "no-table" and result.tables == []
    assert result.message == (
        "no training table: no sheet ('Plan1') has a header row with the weights w1, w2 ... and one row per "
        "iteration below it; found by their formulas: 2 weights updated over 20 iterations along rows "
        "(w − η·g, η in A1), in 'Plan1'!B3:C22, but no loss cell depends on them (a cell that reads every "
        "weight through the forward pass and that no gradient reads)")


def test_check_file_says_nothing_more_where_no_formula_trains(tmp_path):
    wb = Workbook()
    wb.active["A1"] = "my notes on backprop"
    wb.save(tmp_path / "notes.xlsx")
    result = check_file(tmp_path / "notes.xlsx")
    assert (result.status, result.message) == ("no-table", "no training table: no sheet ('Sheet') has a header row "
                                               "with the weights w1, w2 ... and one row per iteration below it")


def test_an_update_that_adds_a_weight_change_column():
    """``w − Δw`` with Δw = η·g in a column of its own; E_total = E1 + E2 beside it is no update."""
    formulas = {(r, 2): f"=B{r - 1}-C{r - 1}" for r in range(3, 9)}  # w − Δw
    formulas |= {(r, 3): f"=$A$1*D{r}" for r in range(2, 9)}  # Δw = η·g
    formulas |= {(r, 4): f"=B{r}^2" for r in range(2, 9)}  # g
    formulas |= {(r, 5): f"=0.5*(1-B{r})^2" for r in range(2, 9)} | {(r, 6): f"=0.5*(2-B{r})^2" for r in range(2, 9)}
    formulas |= {(r, 7): f"=E{r}+F{r}" for r in range(2, 9)}  # E_total = E1 + E2
    sheet = Sheet("S", formulas, {(1, 1): 0.1, (2, 2): 1.0})
    t = _only(Book(Path("s.xlsx"), [sheet], 17))
    assert (t.layout, len(t.weights), t.iterations, t.eta) == ("rows", 1, 7, ["'S'!$A$1"])
