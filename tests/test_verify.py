"""verify: its report, a tampered workbook, and files it cannot check."""

import os
import zipfile

import pytest
from click.testing import CliRunner
from conftest import copy_with, edit_cell
from openpyxl import Workbook

from xlbackprop.core.errors import EngineError, WorkbookError
from xlbackprop.verifying.verification import verify

# the engines that must catch each kind of tampering: IronCalc needs no system package (quick tier)
ENGINES = [pytest.param("libreoffice", marks=pytest.mark.libreoffice), "ironcalc"]


@pytest.mark.parametrize("engine", ENGINES)
def test_report_lists_every_quantity(built, engine):
    report = verify(built("class-2024"), engine=engine)
    assert report.ok
    text = report.text
    for name in ("w1", "a_h1", "E_total", "δ_h2", "∂E/∂w8"):
        assert any(line.split()[0] == name and line.endswith("OK") for line in text.splitlines()), name
    assert sum(c.cells for c in report.checks if c.name not in ("Derivation", "Network", "Matrices", "Matrices Δ")) == 100 * 31
    assert text.splitlines()[-1].startswith(f"OK: {report.cells:,} cells")
    assert text.splitlines()[0].split("(engine: ")[1].startswith({"libreoffice": "LibreOffice", "ironcalc": "IronCalc"}[engine])


@pytest.mark.parametrize("engine", ENGINES)
def test_course_template_bug_in_one_gradient_is_caught(built, tmp_path, engine):
    # The course's template computed ∂E/∂w3 with h1's delta; put that bug into iteration 5.
    tampered = tmp_path / "bug.xlsx"
    edit_cell(built("class-2021"), tampered, "AA18", '<c r="AA18" s="12"><f>W18*$B$4</f><v></v></c>')
    report = verify(tampered, engine=engine)
    assert not report.ok
    bad = {c.name: c for c in report.checks if not c.ok}
    assert "∂E/∂w3" in bad
    assert bad["∂E/∂w3"].mismatches[0].startswith("AA18 (iteration 5): got ")
    # the wrong gradient flows into w3 from iteration 6 on, and from there into everything after
    assert bad["w3"].mismatches[0].startswith("D19 (iteration 6)")
    # the report leads with the culprit, its formula and ours, and counts the cells it drags along
    lines = report.text.splitlines()
    assert lines[1].startswith("CULPRIT AA18 (∂E/∂w3, iteration 5): =W18*$B$4 where xlbackprop writes =X18*$B$4")
    assert "δ_h1 (W18) where δ_h2 belongs (X18)" in lines[1]
    assert lines[2].endswith("other cells are off only because of these (xlbackprop verify --all lists every cell)")
    assert "MISMATCH" not in report.text.replace("MISMATCH (", "")  # no per-cell lines unless asked
    every = verify(tampered, engine=engine, show_all=True)
    assert "MISMATCH ∂E/∂w3 at AA18" in every.text and every.text.count("\nMISMATCH ") > 1000


@pytest.mark.parametrize("engine", ENGINES)
def test_a_constant_over_one_gradient_is_named_first(built, tmp_path, engine):
    """The issue's Y25 (Y19 since the block was lowered): one ∂E/∂w1 overwritten with a constant drags
    2,905 cells; Y19 comes first."""
    tampered = tmp_path / "y25.xlsx"
    edit_cell(built("class-2024"), tampered, "Y19", '<c r="Y19"><v>0.0001</v></c>')
    lines = verify(tampered, engine=engine).text.splitlines()
    assert lines[1] == ("CULPRIT Y19 (∂E/∂w1, iteration 6): holds 0.0001, a constant where a formula belongs; "
                        "xlbackprop writes =W19*$B$4")
    assert len(lines) < 45


@pytest.mark.parametrize("engine", ENGINES)
def test_pasted_value_in_place_of_a_formula_is_caught(built, tmp_path, engine):
    # A pasted value, even the right one, is not a live formula.
    from xlbackprop.verifying.reader import read

    right = read(built("mazur")).cells["E_total"][9]  # the value the build stores, the reference's
    pasted = tmp_path / "pasted.xlsx"
    edit_cell(built("mazur"), pasted, "T25", f'<c r="T25" s="10" t="n"><v>{right!r}</v></c>')
    report = verify(pasted, engine=engine)
    assert all(c.ok for c in report.checks)
    assert report.not_formulas == ["T25"] and not report.ok
    assert "NOT A FORMULA" in report.text


def test_missing_file(tmp_path):
    with pytest.raises(WorkbookError, match="no such file"):
        verify(tmp_path / "nothing.xlsx")


def test_not_a_zip(tmp_path):
    path = tmp_path / "text.xlsx"
    path.write_text("hello")
    with pytest.raises(WorkbookError, match="not an .xlsx file"):
        verify(path)


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(WorkbookError, match="not a readable .xlsx"):
        verify(path)


def test_workbook_not_made_by_xlbackprop(tmp_path):
    path = tmp_path / "plain.xlsx"
    wb = Workbook()
    wb.active.title = "Training"
    wb.active["A4"] = "something else"
    wb.save(path)
    with pytest.raises(WorkbookError, match="not an xlbackprop workbook"):
        verify(path)
    wb.active.title = "Sheet"
    wb.save(path)
    with pytest.raises(WorkbookError, match=r"no sheet named 'Training'; .*\(a hand-made one: xlbackprop check FILE\)"):
        verify(path)


def test_libreoffice_missing_says_how_to_install(built, monkeypatch):
    monkeypatch.setenv("PATH", os.path.dirname(os.__file__))  # no soffice on it
    with pytest.raises(EngineError, match="apt-get install -y libreoffice-calc-nogui"):
        verify(built("class-2024"), engine="libreoffice")  # asked for by name; by default IronCalc stands in


def test_zip_bomb_is_refused_before_anything_unpacks_it(built, tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    copy_with(built("class-2024"), bomb, {"xl/worksheets/sheet1.xml": b"<a>" + b" " * (200 * 2**20) + b"</a>"})
    with pytest.raises(WorkbookError, match="looks like a zip bomb"):
        verify(bomb)


def test_xml_with_entities_is_refused(built, tmp_path):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
              b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol2;</workbook>')
    evil = tmp_path / "laughs.xlsx"
    copy_with(built("class-2024"), evil, {"xl/workbook.xml": laughs})
    with pytest.raises(WorkbookError, match="declares a document type or entities"):
        verify(evil)


def test_cli_reports_untrusted_files_in_one_line(built, tmp_path):
    from click.testing import CliRunner

    from xlbackprop.cli import main

    bomb = tmp_path / "bomb.xlsx"
    copy_with(built("class-2024"), bomb, {"xl/worksheets/sheet1.xml": b"<a>" + b" " * (200 * 2**20) + b"</a>"})
    result = CliRunner().invoke(main, ["verify", str(bomb)])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "zip bomb" in result.output


@pytest.mark.libreoffice
def test_libreoffice_timeout_kills_it_and_leaves_nothing_behind(built, tmp_path):
    import subprocess
    import time

    from xlbackprop.xlsx.engines import convert

    with pytest.raises(EngineError, match="took longer than"):
        convert(built("class-2024", iterations=5000), tmp_path, timeout=0.3)
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", "xlbackprop-lo-"], capture_output=True, text=True).stdout
    assert left == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.libreoffice
def test_two_verify_runs_at_once_do_not_collide(built):
    from concurrent.futures import ThreadPoolExecutor

    paths = [built("class-2021"), built("mazur")]
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(verify, paths))
    assert all(r.ok for r in reports), [r.text for r in reports]


def test_an_interrupted_verify_stops_the_engine_it_started():
    """verify reads the file while LibreOffice works in another thread; when it fails or is
    interrupted meanwhile, recalc.stop_all kills the engine instead of waiting for it."""
    import signal
    import threading
    import time

    from xlbackprop.xlsx import engines as recalc

    worker = threading.Thread(target=recalc._run, args=(["sleep", "600"], 900), daemon=True)
    worker.start()
    for _ in range(1000):
        if recalc._RUNNING:
            break
        time.sleep(0.01)
    (proc,) = recalc._RUNNING
    recalc.stop_all()
    worker.join(60)
    assert not worker.is_alive() and proc.returncode == -signal.SIGKILL and not recalc._RUNNING


@pytest.mark.parametrize("preset", ["class-2024", "class-2021", "mazur", "xor", "deep"])
def test_ironcalc_agrees_on_every_preset_with_its_sweep(built, preset):
    """IronCalc, which pip installs, recalculates every preset's workbook (the default sweep
    included) equal to the IEEE reference within its stated tolerance."""
    from xlbackprop.sheets.sweep import DEFAULT_RATES

    report = verify(built(preset, sweep=DEFAULT_RATES), engine="ironcalc")
    assert report.ok, report.text
    assert "engine: IronCalc" in report.text.splitlines()[0]


def test_a_stale_stored_value_is_caught_by_ironcalc(built, tmp_path):
    """A cell whose stored value is not what its formula computes (edited, saved without
    recalculating) is named, though IronCalc's own values all agree."""
    stale = tmp_path / "stale.xlsx"
    edit_cell(built("class-2024"), stale, "T20", '<c r="T20" s="10"><f>R20+S20</f><v>0.5</v></c>')
    report = verify(stale, engine="ironcalc")
    assert all(c.ok for c in report.checks) and not report.ok
    assert report.stale == ["T20 stores 0.5, computes " + report.stale[0].split("computes ")[1]]


def test_without_libreoffice_verify_uses_ironcalc(built, monkeypatch):
    from xlbackprop.cli import main
    from xlbackprop.xlsx import engines

    monkeypatch.setattr(engines, "soffice", lambda: (_ for _ in ()).throw(engines.EngineError("no soffice")))
    assert engines.default_engine() == "ironcalc"
    result = CliRunner().invoke(main, ["verify", str(built("class-2024"))])
    assert result.exit_code == 0, result.output
    assert "engine: IronCalc" in result.output.splitlines()[0]


def test_ironcalc_tells_a_stored_0_from_no_stored_value(built, tmp_path):
    """IronCalc reads a formula that stores nothing as storing 0. A stale stored 0 is still named;
    the same cell storing no value (``<v></v>``, as openpyxl writes) is not stale."""
    zero, bare = tmp_path / "zero.xlsx", tmp_path / "bare.xlsx"
    edit_cell(built("class-2024"), zero, "T20", '<c r="T20" s="10"><f>R20+S20</f><v>0</v></c>')
    edit_cell(built("class-2024"), bare, "T20", '<c r="T20" s="10"><f>R20+S20</f><v></v></c>')
    stale = verify(zero, engine="ironcalc")
    assert [s.split(", computes")[0] for s in stale.stale] == ["T20 stores 0"] and not stale.ok
    assert verify(bare, engine="ironcalc").ok


def test_a_file_saved_without_any_values_verifies_under_ironcalc(built, tmp_path):
    """openpyxl saves formulas with no values at all; IronCalc computes them, nothing is stale."""
    from openpyxl import load_workbook

    bare = tmp_path / "bare.xlsx"
    wb = load_workbook(built("class-2024"))
    wb.save(bare)
    report = verify(bare, engine="ironcalc")
    assert report.ok and not report.stale, report.text


def test_the_command_line_offers_every_engine_verify_has():
    from xlbackprop import cli
    from xlbackprop.verifying.verification import ENGINES as VERIFY_ENGINES

    assert set(cli.ENGINES) == set(VERIFY_ENGINES)
