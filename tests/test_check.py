"""check on student-like workbooks with known slips (tests/studentbooks.py), recalculated by
LibreOffice so that they store values as a student's spreadsheet program does.

Each case must give its verdict, every planted slip as a root cause of the right kind at the
right row with a cause naming the right quantities, and nothing else: no false alarm.
"""

from __future__ import annotations

import pytest
from openpyxl.utils.cell import get_column_letter
from studentbooks import CASES, COLUMNS, ORDERED, build_case, round_stored_values

from xlbackprop.check import check_file
from xlbackprop.check.report import as_dict
from xlbackprop.xlsx.engines import convert_all

pytestmark = pytest.mark.libreoffice


def _matches(finding: dict, exp, warning: bool = False) -> bool:
    """An error matches in quantity, kind, row and words; a warning has no kind (the JSON carries
    none), so a case's expected warning must say ``warning`` for its kind."""
    kind = exp.kind == "warning" and "kind" not in finding if warning else finding["kind"] == exp.kind
    return (finding["quantity"] == exp.quantity and kind
            and (exp.row is None or finding["row"] == exp.row)
            and all(word in finding["cause"].lower() for word in exp.words))


def _judge(result: dict, case) -> None:
    assert result["status"] == case.verdict, result
    assert len(result["tables"]) == case.tables, result
    errors = [(t["sheet"], e) for t in result["tables"] for e in t["errors"]]
    warnings = [(t["sheet"], w) for t in result["tables"] for w in t["warnings"]]
    for exp in case.errors:
        assert any(sheet == exp.sheet and _matches(e, exp) for sheet, e in errors), (exp, errors)
    for exp in case.warnings:
        assert any(sheet == exp.sheet and _matches(w, exp, warning=True) for sheet, w in warnings), (exp, warnings)
    if case.name == "pasted_values":  # every computed column holds typed values: one entry each, nothing else
        computed = set(COLUMNS) - {"t1", "t2", "i1", "i2"}
        assert sorted(e["quantity"] for _, e in errors) == sorted(computed), errors
        assert {e["kind"] for _, e in errors} == {"values-only"}
    else:
        assert len(errors) == len(case.errors), errors
    assert len(warnings) == len(case.warnings), warnings


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_gives_its_verdict_and_root_causes(student_books, name):
    _judge(as_dict(check_file(student_books[name])), CASES[name])


@pytest.mark.parametrize("name", ["right", "template_slip", "stacked", "latent_target", "sliding_eta"])
def test_google_sheets_ten_digits(student_books, tmp_path, name):
    """A Google Sheets export stores 10 significant digits: the tolerance follows, no false alarm,
    and the slips are still found."""
    google = tmp_path / f"{name}-google.xlsx"
    round_stored_values(student_books[name], google, digits=10)
    _judge(as_dict(check_file(google)), CASES[name])


def test_cause_reads_like_the_math(student_books):
    """The issue's own example, word for word."""
    result = as_dict(check_file(student_books["template_slip"]))
    causes = [e["cause"] for e in result["tables"][0]["errors"]]
    assert causes[0] == ("∂E/∂w3 (column Z, from row 33): uses a_h1's slope J33*(1-J33) where a_h2's belongs "
                         "(L33*(1-L33))")
    error = result["tables"][0]["errors"][0]
    assert error["formula"].startswith("=((R33-A33)*R33*(1-R33)*N33") and error["column"] == "Z"
    assert abs(error["got"] - 0.000224872) < 5e-10 and abs(error["expected"] - 0.0002248134625761188) < 1e-15


def test_the_problem_comes_from_the_sheet(student_books):
    table = as_dict(check_file(student_books["column_order"]))["tables"][0]
    (_, _, row, column), = ORDERED.panel  # η's label, and its value one cell right of it
    assert table["eta"] == 0.1 and table["eta_cell"] == f"Sheet1!${get_column_letter(column + 1)}${row}"
    assert table["columns"]["a_h1"] != table["columns"]["h2"]
    table = as_dict(check_file(student_books["eta_column"]))["tables"][0]
    assert table["eta"] == 0.8 and table["eta_cell"] == "column A"


def test_stored_values_are_recalculated_when_missing(tmp_path):
    """A file openpyxl wrote holds formulas and no values: check recalculates it first."""
    result = check_file(build_case("template_slip", tmp_path))
    assert result.status == "wrong" and "recalculated by LibreOffice" in result.message
    assert {e.quantity for e in result.tables[0].errors} == {"∂E/∂w3", "∂E/∂w4"}


@pytest.mark.parametrize("fmt", ["ods", "xls"])
def test_ods_and_xls_are_converted(student_books, tmp_path, fmt):
    filter_name = {"ods": "ods", "xls": "xls:MS Excel 97"}[fmt]
    [other] = convert_all([student_books["template_slip"]], tmp_path, to=filter_name)
    result = as_dict(check_file(other))
    _judge(result, CASES["template_slip"])
