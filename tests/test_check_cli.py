"""`xlbackprop check` from the command line: untrusted files, a batch, JSON, HTML, exit codes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import copy_with
from openpyxl import Workbook
from studentbooks import build_case

from xlbackprop.check import check_file
from xlbackprop.cli import main


def _run(*args):
    return CliRunner().invoke(main, ["check", *map(str, args)])


@pytest.fixture
def odd_files(tmp_path):
    """Files a teacher's folder may hold besides workbooks, and a pasted-values workbook (it stores
    numbers and no formula, so it needs no engine)."""
    pasted = build_case("pasted_values", tmp_path)
    bomb = tmp_path / "bomb.xlsx"
    copy_with(pasted, bomb, {"xl/worksheets/sheet1.xml": b"<a>" + b" " * (200 * 2**20) + b"</a>"})
    laughs = tmp_path / "laughs.xlsx"
    copy_with(pasted, laughs, {"xl/worksheets/sheet1.xml": b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a/>'})
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook")
    wb = Workbook()
    wb.active["A1"] = "my notes on backprop"
    notes = tmp_path / "essay.xlsx"
    wb.save(notes)
    return {"pasted": pasted, "bomb": bomb, "laughs": laughs, "text": text, "essay": notes,
            "missing": tmp_path / "missing.xlsx"}


def test_a_batch_goes_on_past_files_it_cannot_read(odd_files):
    order = ["missing", "text", "bomb", "laughs", "essay", "pasted"]
    result = _run("--json", *[odd_files[k] for k in order])
    assert result.exit_code == 2, result.output
    got = json.loads(result.output)
    assert [r["status"] for r in got] == ["unreadable", "unreadable", "unreadable", "unreadable", "no-table", "wrong"]
    assert "no such file" in got[0]["message"] and "not an .xlsx" in got[1]["message"]
    assert "zip bomb" in got[2]["message"] and "document type" in got[3]["message"]
    assert all("\n" not in r["message"] for r in got)
    table = got[5]["tables"][0]
    assert {e["kind"] for e in table["errors"]} == {"values-only"} and "curve" not in table
    assert set(table) >= {"sheet", "header_row", "first_row", "last_row", "eta", "eta_cell", "columns", "verdict",
                          "errors", "warnings"}


def test_text_report_is_one_line_a_refused_file(odd_files):
    result = _run(odd_files["bomb"], odd_files["text"])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert len(lines) == 3 and lines[0].endswith("zip bomb)") and lines[2] == "2 files: 2 unreadable"


def test_pasted_values_are_reported_as_one_list(odd_files):
    result = _run(odd_files["pasted"])
    assert result.exit_code == 1
    assert "values only: 27 columns" in result.output and len(result.output.splitlines()) <= 6, result.output
    assert all(len(line) <= 100 for line in result.output.splitlines()[1:]), result.output


def test_text_report_of_an_incomplete_file_says_why_once(tmp_path):
    result = _run(build_case("not_filled", tmp_path))
    assert result.exit_code == 1
    assert result.output.count("not filled in") == 1, result.output


def test_html_page_for_the_batch(odd_files, tmp_path):
    page = tmp_path / "out" / "report.html"
    result = _run("--html", page, odd_files["pasted"], odd_files["essay"])
    assert result.exit_code == 1
    text = page.read_text(encoding="utf-8")
    assert text.count('id="f-') == 2 and "<svg" in text and "values-only" in text
    assert [p.name for p in page.parent.iterdir()] == ["report.html"]  # no temporary file left


def test_help_names_the_exit_codes():
    result = CliRunner().invoke(main, ["check", "--help"])
    assert result.exit_code == 0 and "Exit codes: 0" in result.output and "--recalc" in result.output


def test_no_file_is_a_usage_error():
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 2 and result.output.count("\n") == 1


@pytest.mark.libreoffice
def test_exit_codes_follow_the_verdicts(student_books):
    assert _run(student_books["right"], student_books["mazur_biases"]).exit_code == 0
    assert _run(student_books["right"], student_books["template_slip"]).exit_code == 1
    assert _run(student_books["not_filled"]).exit_code == 1


@pytest.mark.libreoffice
def test_engine_timeout_is_one_refused_file(tmp_path):
    formulas_only = build_case("right", tmp_path)  # no stored values: check must recalculate it
    result = _run("--timeout", "0.01", formulas_only)
    assert result.exit_code == 2 and "took longer than 0.01 s" in result.output


def test_a_folder_is_the_spreadsheets_in_it_by_name(tmp_path):
    """A teacher points check at the submissions folder: its spreadsheets, in name order; not its
    subfolders, the lock files Excel and LibreOffice leave, or files of other kinds."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    right = build_case("pasted_values", tmp_path)
    (folder / "Ben.xlsx").write_bytes(right.read_bytes())
    (folder / "anna.xlsx").write_bytes(right.read_bytes())
    (folder / "~$anna.xlsx").write_bytes(b"lock")
    (folder / ".~lock.anna.xlsx#").write_text("lock")
    (folder / "readme.txt").write_text("submissions of week 4")
    (folder / "old").mkdir()
    (folder / "old" / "carl.xlsx").write_bytes(right.read_bytes())
    result = _run("--json", folder)
    got = [r["file"] for r in json.loads(result.output)]
    assert got == [str(folder / "anna.xlsx"), str(folder / "Ben.xlsx")]


def test_a_folder_without_spreadsheets_is_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here")
    result = _run(tmp_path)
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert result.output.startswith(f"error: {tmp_path}: a folder with no spreadsheet in it")


def test_without_libreoffice_check_recalculates_an_xlsx_with_ironcalc(tmp_path, monkeypatch):
    """A file that stores no values (written by a program, never opened in a spreadsheet) is
    recalculated by IronCalc where LibreOffice is not installed, and gets the same root causes;
    an .ods still needs LibreOffice and says so in one line."""
    from xlbackprop.xlsx import engines

    def absent():
        raise engines.EngineError("LibreOffice (soffice) is not installed")

    monkeypatch.setattr(engines, "soffice", absent)
    result = check_file(build_case("template_slip", tmp_path))
    assert result.status == "wrong" and result.message.endswith("(recalculated by IronCalc)")
    assert {e.quantity for e in result.tables[0].errors} == {"∂E/∂w3", "∂E/∂w4"}
    ods = tmp_path / "anna.ods"
    ods.write_bytes(b"PK\x03\x04 not really")
    unread = check_file(ods)
    assert unread.status == "unreadable" and "read through LibreOffice, which is not installed" in unread.message
