"""whatif, the user's loop made testable: type a new η (or weight) into a sheet and see it retrain,
in each engine; and each rate sheet reading its own η without a sheet-scoped name."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace

import numpy as np
import pytest
from test_nothing_lost import cli, one_line_error

from xlbackprop.check import check_file
from xlbackprop.core import presets
from xlbackprop.core.arithmetic import IEEE
from xlbackprop.core.errors import WorkbookError
from xlbackprop.core.reference import train
from xlbackprop.sheets.sweep import DEFAULT_RATES
from xlbackprop.verifying.reader import read_all
from xlbackprop.verifying.verification import ENGINES as TOLERANCES
from xlbackprop.verifying.verification import verify
from xlbackprop.verifying.whatif import WhatIfError, whatif
from xlbackprop.xlsx import grid

EVERY_ENGINE = [pytest.param("libreoffice", marks=pytest.mark.libreoffice),
                pytest.param("gnumeric", marks=pytest.mark.gnumeric), "ironcalc"]
RATE_SHEETS = [f"eta {r:g}" for r in DEFAULT_RATES]


def _seed(**overrides):
    return presets.load("class-2024").with_overrides(**overrides)


@pytest.mark.parametrize("engine", EVERY_ENGINE)
@pytest.mark.parametrize("sheet", ["Training", "eta 0.5"])
def test_typing_a_new_eta_retrains_the_sheet_in_each_engine(built, engine, sheet):
    path = built("class-2024", sweep=DEFAULT_RATES)
    before = path.read_bytes()
    result = whatif(path, {"eta": 3.0}, sheet=sheet, engine=engine)
    expected = train(_seed(eta=3.0), IEEE)["E_total"]
    tolerance = TOLERANCES[engine]
    got = np.array(result.e_total, dtype=float)
    np.testing.assert_allclose(got, expected, rtol=tolerance.rtol, atol=tolerance.atol * expected.max())
    old = train(_seed(eta=1.0 if sheet == "Training" else 0.5), IEEE)["E_total"]
    assert abs(got[-1] - old[-1]) > 0.1 * old[-1]  # it did retrain
    start = expected[0]
    assert result.below == 1 + int(np.argmax(expected < 0.01 * start)) and result.below > 1
    assert result.was == {"eta": 1.0 if sheet == "Training" else 0.5}
    assert path.read_bytes() == before  # the file itself is never changed
    line = result.text.splitlines()[1]
    assert line.endswith(f"below 1 % of its start from iteration {result.below}")


def test_an_initial_weight_can_be_changed_too(built):
    result = whatif(built("class-2024"), {"w1": 0.5, "w8": -0.2}, engine="ironcalc")
    spec = _seed()
    weights = np.array(spec.weights, dtype=float)
    weights[0], weights[7] = 0.5, -0.2
    expected = train(replace(spec, weights=type(spec.weights)(weights)), IEEE)["E_total"]
    np.testing.assert_allclose(np.array(result.e_total, dtype=float), expected, rtol=1e-12)


def test_a_rate_sheet_reads_its_own_eta_with_no_sheet_scoped_name(built):
    """Each rate sheet's updates read its own B2 by absolute reference; the only name is the
    workbook's eta (Training's). Typing into one rate sheet's B2 retrains that sheet alone."""
    path = built("class-2024", sweep=DEFAULT_RATES)
    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode()
    names = re.findall(r'<definedName name="([^"]*)"( localSheetId="\d+")?>([^<]*)<', book)
    assert [(n, text) for n, scoped, text in names if not n.startswith("_xlnm.")] == [("eta", "'Training'!$B$2")]
    assert all(n.startswith("_xlnm.") for n, scoped, _ in names if scoped)  # print titles only
    stored, computed = grid.in_memory(path)
    for sheet in computed.sheets:
        if sheet.name in RATE_SHEETS:
            assert sheet.formulas[15, 6] == "=F14-$B$2*AC14"
            assert not [f for f in sheet.formulas.values() if re.search(r"\beta\b", re.sub(r"\"[^\"]*\"|'[^']*'", "", f))]
    _, changed = grid.in_memory(path, changes={("eta 0.5", 2, 2): 3.0})
    contents = read_all(path, book=changed)
    for sheet, rate in [("Training", 1.0), *zip(RATE_SHEETS, DEFAULT_RATES)]:
        expected = train(_seed(eta=3.0 if sheet == "eta 0.5" else rate), IEEE)["E_total"]
        np.testing.assert_allclose(np.array(contents.training[sheet].cells["E_total"], dtype=float), expected,
                                   rtol=1e-12, err_msg=sheet)


def _old_contract(src, dst) -> None:
    """A workbook as xlbackprop wrote it before: each rate sheet reads a sheet-scoped name ``eta``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        book = zin.read("xl/workbook.xml").decode()
        sheets = re.findall(r'<sheet [^>]*name="([^"]*)"', book)
        scoped = "".join(f"<definedName name=\"eta\" localSheetId=\"{k}\">'{name}'!$B$2</definedName>"
                         for k, name in enumerate(sheets) if name in RATE_SHEETS)
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = book.replace("</definedNames>", scoped + "</definedNames>").encode()
            elif re.fullmatch(r"xl/worksheets/sheet\d+\.xml", item.filename) and \
                    sheets[int(re.findall(r"\d+", item.filename)[0]) - 1] in RATE_SHEETS:
                text = data.decode()
                assert "-$B$2*" in text
                data = text.replace("-$B$2*", "-eta*").replace("&amp;$B$2<", "&amp;eta<").encode()
            zout.writestr(item, data)


@pytest.mark.parametrize("engine", [pytest.param("libreoffice", marks=pytest.mark.libreoffice), "ironcalc"])
def test_workbooks_of_the_old_contract_still_verify_check_and_retrain(built, tmp_path, engine):
    old = tmp_path / "old.xlsx"
    _old_contract(built("class-2024", sweep=(0.1, 2.0)), old)
    report = verify(old, engine=engine)
    assert report.ok, report.text
    result = whatif(old, {"eta": 3.0}, sheet="eta 2", engine=engine)
    np.testing.assert_allclose(np.array(result.e_total, dtype=float), train(_seed(eta=3.0), IEEE)["E_total"],
                               rtol=1e-12)


def test_check_reads_a_workbook_of_the_old_contract_as_right(built, tmp_path):
    old = tmp_path / "old.xlsx"
    _old_contract(built("class-2024", sweep=(0.1, 2.0)), old)
    assert check_file(old).status == "right"


@pytest.mark.parametrize("args, message", [
    (["--set", "w9=0.5"], "error: --set: w9: the 2-2-2 network has 8 weights"),
    (["--set", "eta=fast"], "error: --set: 'eta=fast': 'fast' is not a number"),
    (["--set", "eta"], "error: --set: 'eta' should read NAME=VALUE, such as eta=0.5"),
    (["--set", "eta=0"], "error: --set: eta must be above 0, got 0"),
    (["--set", "h1=2"], "error: --set: 'h1' is not a given value whatif can change: eta, w1..w8"),
    (["--set", "eta=1", "--sheet", "eta 7"], "has no sheet 'eta 7'; its training sheets: Training"),
    (["--set", "eta=1", "--sheet", "Derivation"], "has no training sheet 'Derivation'; its training sheets: Training"),
])
def test_a_bad_change_is_one_line_and_exit_2(built, args, message):
    result = cli("whatif", built("class-2024"), *args, "--engine", "ironcalc")
    assert result.returncode == 2
    line = one_line_error(result)
    assert line.startswith(message) or message in line, line


def test_whatif_prints_where_training_lands(built):
    result = cli("whatif", built("class-2024"), "--set", "eta=3", "--engine", "ironcalc")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines[0].endswith("sheet Training: eta = 3 (was 1)  (engine: IronCalc 0.9.1)")
    expected = train(_seed(eta=3.0), IEEE)["E_total"]
    assert lines[1].startswith(f"E_total: {expected[0]:.6g} at iteration 1, {expected[-1]:.6g} at iteration 100")
    assert lines[2].startswith("the numpy reference trains the same numbers")


def test_a_file_that_is_not_ours_is_said_so(tmp_path):
    from openpyxl import Workbook

    path = tmp_path / "mine.xlsx"
    Workbook().save(path)
    with pytest.raises(WorkbookError, match="not an xlbackprop workbook"):
        whatif(path, {"eta": 1}, engine="ironcalc")


def test_nothing_to_change_is_said_so(built):
    with pytest.raises(WhatIfError, match="give at least one value to change"):
        whatif(built("class-2024"), {}, engine="ironcalc")


def test_an_engine_near_zero_is_held_as_verify_holds_it(tmp_path):
    """adam-vs-sgd's Adam sheet with beta1 = 0.5 trains E_total down to 1e-33 and 0, where IronCalc's EXP
    (not correctly rounded near 0) leaves values that differ from numpy's by more than their own size:
    a relative error of 4 there, though far below 1e-13 of the run's largest E_total, which verify
    allows IronCalc. whatif holds it the same way, and says so."""
    from xlbackprop.writing.writer import build

    path = build(presets.load("adam-vs-sgd"), tmp_path / "compare.xlsx")
    result = whatif(path, {"beta1": 0.5}, sheet="adam", engine="ironcalc")
    got = np.array(result.e_total, dtype=float)
    assert got.min() < 1e-20 * got.max()  # it does reach (near) 0
    assert result.reference_rel_err <= TOLERANCES["ironcalc"].rtol
    assert result.text.splitlines()[-1].endswith("(or 1e-13 of its largest value, as verify allows this engine)")
