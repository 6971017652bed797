"""The text report of `xlbackprop check` reads as a teacher reads it: a small block per finding,
short lines, each message once; and a result's repr is one short line, not every cell of the file.

The report objects here are written by hand in the shape :func:`xlbackprop.check.report.as_dict`
gives (the JSON of ``--json``), so the expected text does not come from the code under test.
"""

from __future__ import annotations

import pytest
from studentbooks import build_case

from xlbackprop.check import FileResult, check_file
from xlbackprop.check.report import as_dict, text

SLOPE = "uses a_h1's slope J33*(1-J33) where a_h2's belongs (L33*(1-L33))"
Z33 = {"quantity": "∂E/∂w3", "kind": "formula", "column": "Z", "row": 33,
       "got": 0.00022487247755452336, "expected": 0.0002248134625761186,
       "formula": "=((R33-A33)*R33*(1-R33)*N33+(T33-B33)*T33*(1-T33)*P33)*J33*(1-J33)*C33",
       "cause": f"∂E/∂w3 (column Z, from row 33): {SLOPE}"}
LONG_MATH = ("does not compute ∂E/∂w1 = ((a_o1 − t1)·a_o1(1 − a_o1)·w5 + (a_o2 − t2)·a_o2(1 − a_o2)·w7)"
             "·a_h1(1 − a_h1)·i1")
X32 = {"quantity": "∂E/∂w1", "kind": "formula", "column": "X", "row": 32, "got": 1.641445306e-05,
       "expected": 0.000188255667,
       "formula": "=((R32*A32)*R32*(1-R32)*M32 + (T32*A32)*T32*(1-T32)*O32)*J32*(1-J32)*C32",
       "cause": f"∂E/∂w1 (column X, from row 32): {LONG_MATH}"}
V35 = {"quantity": "E2", "kind": "not-uniform", "column": "V", "row": 35, "got": 0.1768742306,
       "expected": 0.06239738083, "formula": "=(1/2)*((A35 - R35)^2)",
       "cause": "E2 (column V, from row 35): the formula changes at row 35: uses t1 (A35) where t2 belongs (B35); "
                "uses a_o1 (R35) where a_o2 belongs (T35)"}
E38 = {"quantity": "w1", "kind": "not-uniform", "column": "E", "row": 38, "got": 0.149953903,
       "expected": 0.1499651172, "formula": "=E37 - (B33*X37)",
       "cause": "w1 (column E, from row 38): the formula changes at row 38: does not compute w1 = w1 of the row "
                "above − η·∂E/∂w1 of the row above"}
AE33 = {"quantity": "∂E/∂w7", "column": "AE", "row": 33, "formula": "=(U33-B33)*U33*(1-U33)*K33",
        "cause": "∂E/∂w7 (column AE, from row 33): right only by coincidence: uses t1 (B33) where t2 belongs (C33)"}
NAMES = ["w1", "w2", "w3", "w4", "h1", "a_h1", "h2", "a_h2", "w5", "w6", "w7", "w8", "o1", "a_o1", "o2", "a_o2",
         "E1", "E2", "E_total", *(f"∂E/∂w{n}" for n in range(1, 9))]


def table(**changes) -> dict:
    out = {"sheet": "Sheet1", "header_row": 32, "first_row": 33, "last_row": 78, "eta": 0.5,
           "eta_cell": "Sheet1!$H$30", "columns": {}, "verdict": "wrong", "errors": [Z33], "warnings": [],
           "message": "", "notes": [], "dragged": ["w3", "w4", "h2"]}
    return {**out, **changes}


def report(*tables: dict, status: str = "wrong", message: str = "1 table, 1 root cause",
           file: str = "students/anna.xlsx") -> dict:
    return {"file": file, "status": status, "message": message, "tables": list(tables)}


def test_a_finding_is_a_small_block_cell_numbers_formula_why():
    assert text([report(table())]).splitlines() == [
        "students/anna.xlsx: wrong (1 table, 1 root cause)",
        "  Sheet1, header row 32, rows 33-78, η = 0.5 (Sheet1!$H$30): wrong",
        "    Z33  ∂E/∂w3 (column Z, from row 33)",
        "      got 0.0002248724776, expected 0.0002248134626",
        "      formula =((R33-A33)*R33*(1-R33)*N33+(T33-B33)*T33*(1-T33)*P33)*J33*(1-J33)*C33",
        "      why: uses a_h1's slope J33*(1-J33) where a_h2's belongs (L33*(1-L33))",
        "    3 more columns off only because of these: w3, w4, h2",
    ]


def test_a_long_cause_wraps_outside_its_parentheses_and_each_slip_gets_a_line():
    lines = text([report(table(errors=[X32, V35, E38], dragged=[]))]).splitlines()
    assert lines[2:] == [
        "    X32  ∂E/∂w1 (column X, from row 32)",
        "      got 1.641445306e-05, expected 0.000188255667",
        "      formula =((R32*A32)*R32*(1-R32)*M32 + (T32*A32)*T32*(1-T32)*O32)*J32*(1-J32)*C32",
        "      why: does not compute ∂E/∂w1 =",
        "           ((a_o1 − t1)·a_o1(1 − a_o1)·w5 + (a_o2 − t2)·a_o2(1 − a_o2)·w7)·a_h1(1 − a_h1)·i1",
        "    V35  E2 (column V, from row 35)",
        "      got 0.1768742306, expected 0.06239738083",
        "      formula =(1/2)*((A35 - R35)^2)",
        "      why: the formula changes at row 35:",
        "           uses t1 (A35) where t2 belongs (B35);",
        "           uses a_o1 (R35) where a_o2 belongs (T35)",
        "    E38  w1 (column E, from row 38)",
        "      got 0.149953903, expected 0.1499651172",
        "      formula =E37 - (B33*X37)",
        "      why: the formula changes at row 38:",
        "           does not compute w1 = w1 of the row above − η·∂E/∂w1 of the row above",
    ]


def test_a_cell_in_parentheses_stays_with_its_word():
    j31 = {"quantity": "w3", "kind": "update", "column": "J", "row": 31, "got": 0.2498117443,
           "expected": 0.2497751865, "formula": "=J30-($W$27*AA30)",
           "cause": "w3 (column J, from row 31): is updated with ∂E/∂w1 of the row above (AA30) where ∂E/∂w3 of "
                    "the row above belongs (AC30)"}
    assert text([report(table(errors=[j31], dragged=[]))]).splitlines()[-2:] == [
        "      why: is updated with ∂E/∂w1 of the row above (AA30) where ∂E/∂w3 of the row above",
        "           belongs (AC30)",
    ]


def test_lines_stay_short_but_a_formula_stays_whole():
    formula = "=" + "+".join(f"(R{r}-A{r})*R{r}*(1-R{r})*N{r}" for r in range(33, 39))  # 150 characters
    long_cause = {**Z33, "formula": formula,
                  "cause": "∂E/∂w3 (column Z, from row 33): " + " and ".join([SLOPE] * 4)}
    t = table(errors=[long_cause], dragged=NAMES, notes=["η is only a labelled cell that no formula references " * 3])
    lines = text([report(t)]).splitlines()
    assert f"      formula {formula}" in lines
    assert all(len(line) <= 100 for line in lines if not line.startswith("      formula ")), lines
    body = " ".join(line.strip() for line in lines)
    assert " and ".join([SLOPE] * 4) in body and ", ".join(NAMES) in body  # wrapped, nothing lost


def test_a_warning_is_a_block_without_numbers():
    lines = text([report(table(warnings=[AE33], dragged=[]))]).splitlines()
    assert lines[-3:] == [
        "    warning: AE33  ∂E/∂w7 (column AE, from row 33)",
        "      formula =(U33-B33)*U33*(1-U33)*K33",
        "      why: right only by coincidence: uses t1 (B33) where t2 belongs (C33)",
    ]


def test_pasted_values_are_one_wrapped_list():
    pasted = [{"quantity": q, "kind": "values-only", "column": "A", "row": 34, "got": 0.1, "expected": 0.1,
               "formula": None, "cause": f"{q} (column A, from row 34): holds a typed value where a formula belongs"}
              for q in NAMES]
    t = table(errors=pasted, dragged=[], notes=["η is only a labelled cell that no formula references"])
    assert text([report(t, message="1 table, 27 root causes")]).splitlines()[2:] == [
        "    values only: 27 columns hold typed values where formulas belong:",
        "      w1, w2, w3, w4, h1, a_h1, h2, a_h2, w5, w6, w7, w8, o1, a_o1, o2, a_o2, E1, E2, E_total,",
        "      ∂E/∂w1, ∂E/∂w2, ∂E/∂w3, ∂E/∂w4, ∂E/∂w5, ∂E/∂w6, ∂E/∂w7, ∂E/∂w8",
        "    note: η is only a labelled cell that no formula references",
    ]
    one = {**pasted[18], "got": 0.29, "expected": 0.2983711088, "cause": pasted[18]["cause"] + " (40 rows)"}
    assert text([report(table(errors=[one], dragged=[]))]).splitlines()[2:] == [
        "    A34  E_total (column A, from row 34)",
        "      got 0.29, expected 0.2983711088",
        "      why: holds a typed value where a formula belongs (40 rows)",
    ]


NOT_FILLED = "not filled in: the header and the given values only"


def test_an_incomplete_file_says_why_once(tmp_path):
    """Issue 18: the file's line and its one table's line both said 'not filled in'."""
    out = text([as_dict(check_file(build_case("not_filled", tmp_path)))])
    assert out.count(NOT_FILLED) == 1, out
    assert out.splitlines() == [f"{tmp_path / 'not_filled.xlsx'}: incomplete ({NOT_FILLED})",
                                "  Sheet1, header row 32, rows 33-33: incomplete"]


def test_several_incomplete_tables_each_say_why_once():
    empty = "E2, ∂E/∂w8 hold no values"
    tables = [table(verdict="incomplete", message=NOT_FILLED, errors=[], dragged=[], eta=None),
              table(verdict="right", errors=[], dragged=[], header_row=90, first_row=91, last_row=120),
              table(verdict="incomplete", message=empty, errors=[], dragged=[], header_row=130, first_row=131,
                    last_row=170, sheet="the second sheet, whose long name pushes the message down")]
    out = text([report(*tables, status="incomplete", message=f"{NOT_FILLED}; {empty} (recalculated by LibreOffice)")])
    assert out.splitlines() == [
        "students/anna.xlsx: incomplete (3 tables, 2 incomplete (recalculated by LibreOffice))",
        f"  Sheet1, header row 32, rows 33-78: incomplete: {NOT_FILLED}",
        "  Sheet1, header row 90, rows 91-120, η = 0.5 (Sheet1!$H$30): right",
        "  the second sheet, whose long name pushes the message down, header row 130, rows 131-170, η = 0.5 "
        "(Sheet1!$H$30): incomplete:",
        f"      {empty}",
    ]


def test_a_wrong_file_still_says_why_a_table_is_incomplete():
    t = table(verdict="incomplete", message=NOT_FILLED, errors=[], dragged=[], eta=None)
    out = text([report(table(), t, message="2 tables, 1 root cause")])
    assert out.count(NOT_FILLED) == 1 and f"rows 33-78: incomplete: {NOT_FILLED}" in out


def test_reprs_are_one_short_line(tmp_path, capsys):
    """Issue 18: print(check_file(p)) printed every cell of the file."""
    pasted = check_file(build_case("pasted_values", tmp_path))
    print(pasted)
    shown = capsys.readouterr().out
    assert shown == f"FileResult('{tmp_path / 'pasted_values.xlsx'}', 'wrong', 1 table, 27 root causes)\n"
    assert repr(pasted.tables[0]) == "TableResult('Sheet1', header row 32, rows 33-72, 'wrong', 27 root causes)"
    assert repr(pasted.tables[0].errors[0]) == "Finding('E34', 'w1', 'values-only')"  # row 33's w1 is given
    assert repr(pasted.tables) == "[TableResult('Sheet1', header row 32, rows 33-72, 'wrong', 27 root causes)]"
    empty = check_file(build_case("not_filled", tmp_path))
    assert repr(empty) == f"FileResult('{tmp_path / 'not_filled.xlsx'}', 'incomplete', 1 table, '{NOT_FILLED}')"
    assert repr(empty.tables[0]) == f"TableResult('Sheet1', header row 32, rows 33-33, 'incomplete', '{NOT_FILLED}')"
    long = FileResult("a.xlsx", "unreadable", "x" * 5000)
    assert repr(long) == f"FileResult('a.xlsx', 'unreadable', 0 tables, '{'x' * 77}...')"
    assert all(len(repr(r)) < 300 and "\n" not in repr(r) for r in (pasted, pasted.tables[0], empty))


@pytest.mark.parametrize("message", ["1 table, 1 root cause", "1 table, 1 root cause (recalculated by LibreOffice)"])
def test_the_file_line_keeps_its_message(message):
    assert text([report(table(), message=message)]).splitlines()[0] == f"students/anna.xlsx: wrong ({message})"
