"""A second, independent engine: Gnumeric recalculates the same workbooks, in extended precision."""

import os

import pytest
from conftest import edit_cell

from xlbackprop.core.errors import EngineError
from xlbackprop.verifying.verification import ENGINES, verify

pytestmark = pytest.mark.gnumeric


@pytest.mark.parametrize("preset", ["class-2024", "class-2021", "mazur", "xor", "deep"])
def test_every_preset_agrees_with_the_reference_in_gnumeric(preset, built):
    from xlbackprop.sheets.sweep import DEFAULT_RATES

    report = verify(built(preset, sweep=DEFAULT_RATES), engine="gnumeric")
    assert report.ok, report.text
    assert report.engine.startswith("Gnumeric")
    assert "relative 1e-09 + 1e-12" in report.text  # the stated, looser tolerance of extended precision


@pytest.mark.parametrize("engine", ["gnumeric", pytest.param("libreoffice", marks=pytest.mark.libreoffice)])
def test_one_iteration_agrees_in_both_engines(built, engine):
    """Gnumeric reads a one-cell range as a cell, where INDEX gives #REF!: the Network sheet's
    lookups span two rows even when the run has one."""
    report = verify(built("class-2024", iterations=1), engine=engine)
    assert report.ok, report.text


def test_each_line_shows_the_tolerance_it_was_held_to(built):
    """The allowed error printed for a training quantity is Gnumeric's stated tolerance at its worst
    cell: at least 1e-12 of the quantity's largest value (the reference's, computed here), at most
    1e-9 + 1e-12 of it; and the line prints the allowance it held its cells to."""
    from xlbackprop.core import presets
    from xlbackprop.core.arithmetic import IEEE
    from xlbackprop.core.reference import train

    report = verify(built("class-2024"), engine="gnumeric")
    header, *lines = [l for l in report.text.splitlines() if l.split()[0] in ("quantity", "w1", "E_total")]
    assert header.split()[:7] == ["quantity", "cells", "max", "abs", "err", "allowed", "max"]
    run = train(presets.load("class-2024"), IEEE)
    printed = {line.split()[0]: float(line.split()[3]) for line in report.text.splitlines()
               if line.split() and line.split()[0] in run}
    assert len(printed) == 31
    for check in report.checks:
        if check.name not in run:
            continue
        scale = float(abs(run[check.name]).max())
        assert 1e-12 * scale <= check.allowed <= (1e-9 + 1e-12) * scale, check
        assert printed[check.name] == float(f"{check.allowed:.1e}")


def test_libreoffice_is_held_to_the_last_digits():
    assert (ENGINES["libreoffice"].rtol, ENGINES["libreoffice"].atol) == (1e-12, 0.0)


def test_gnumeric_catches_the_course_template_bug(built, tmp_path):
    tampered = tmp_path / "bug.xlsx"
    edit_cell(built("class-2021"), tampered, "AA18", '<c r="AA18" s="12"><f>W18*$B$4</f><v></v></c>')
    report = verify(tampered, engine="gnumeric")
    assert not report.ok
    assert any(m.startswith("AA18 (iteration 5)") for c in report.checks for m in c.mismatches)


def test_gnumeric_missing_says_how_to_install(built, monkeypatch):
    monkeypatch.setenv("PATH", os.path.dirname(os.__file__))
    with pytest.raises(EngineError, match="apt-get install -y gnumeric"):
        verify(built("class-2024"), engine="gnumeric")
