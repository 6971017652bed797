"""Shared fixtures: built and recalculated workbooks, and the LibreOffice gate.

Tests marked ``libreoffice`` need ``soffice``, ``gnumeric`` ``ssconvert``, ``browser`` chromium,
``exceljs`` node with ExcelJS in .node/, ``validator`` ../shared/tools/ooxml_validate.py. Without
them they are skipped on a developer's machine, and under CI (CI=true) the run stops before any
test, so a CI run can never pass by skipping them.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

from xlbackprop.core import presets
from xlbackprop.writing import writer
from xlbackprop.xlsx.engines import convert

ROOT = Path(__file__).resolve().parent.parent
VALIDATOR = ROOT.parent / "shared" / "tools" / "ooxml_validate.py"  # the ISO schemas' check, beside the repository
EXCELJS = ROOT / ".node" / "node_modules" / "exceljs"
HAVE = {"libreoffice": shutil.which("soffice") is not None or shutil.which("libreoffice") is not None,
        "gnumeric": shutil.which("ssconvert") is not None,
        "browser": shutil.which("chromium") is not None,
        "exceljs": shutil.which("node") is not None and EXCELJS.exists(),
        "validator": VALIDATOR.exists()}
INSTALL = {"libreoffice": "apt-get install -y libreoffice-calc-nogui", "gnumeric": "apt-get install -y gnumeric",
           "browser": "apt-get install -y chromium",
           "exceljs": "bash scripts/setup.sh (npm installs ExcelJS into .node/)",
           "validator": "put the shared folder, with tools/ooxml_validate.py, beside the repository"}
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Property tests draw the same examples on every CI run (a failure there is reproducible);
# developers get fresh random ones with HYPOTHESIS_PROFILE=random.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("random", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "random"))


ENGINE_MARKS = ("libreoffice", "gnumeric", "browser", "slow", "exceljs", "validator")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not any(mark in item.keywords for mark in ENGINE_MARKS):
            item.add_marker(pytest.mark.quick)  # `-m quick`: no spreadsheet engine, no browser
        for engine, present in HAVE.items():
            if engine in item.keywords and not present:
                item.add_marker(pytest.mark.skip(reason=f"{engine} is not installed ({INSTALL[engine]})"))


def pytest_sessionstart(session):
    missing = [engine for engine, present in HAVE.items() if not present]
    if IN_CI and missing:
        raise pytest.UsageError(f"CI=true but {', '.join(missing)} not installed: "
                                + "; ".join(INSTALL[m] for m in missing))


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """``built(preset, **overrides) -> Path``: one build per distinct request, shared by the session.

    Builds leave the learning-rate sweep out unless ``sweep`` asks for it (``sweep=DEFAULT_RATES``)."""
    cache: dict = {}
    folder = tmp_path_factory.mktemp("built")

    def make(preset: str, eta: float | None = None, iterations: int | None = None, sweep: tuple = ()) -> Path:
        key = (preset, eta, iterations, sweep)
        if key not in cache:
            spec = presets.load(preset).with_overrides(eta=eta, iterations=iterations)
            cache[key] = writer.build(spec, folder / f"{len(cache)}-{preset}.xlsx", sweep=sweep)
        return cache[key]

    return make


@pytest.fixture(scope="session")
def recalculated(built, tmp_path_factory):
    """``recalculated(preset, ...) -> Path``: the build, recalculated and saved by LibreOffice."""
    cache: dict = {}
    folder = tmp_path_factory.mktemp("recalculated")

    def make(preset: str, eta: float | None = None, iterations: int | None = None, sweep: tuple = ()) -> Path:
        key = (preset, eta, iterations, sweep)
        if key not in cache:
            cache[key] = convert(built(preset, eta, iterations, sweep), folder / f"{len(cache)}")
        return cache[key]

    return make


def worst_relative(got, exp) -> float:
    """The worst relative difference of ``got`` from ``exp``: 0 where both are equal (0 and 0 too),
    inf where one is 0 or NaN and the other not."""
    got, exp = np.asarray(got, dtype=float), np.asarray(exp, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(got == exp, 0.0, np.abs(got - exp) / np.abs(exp))
    return float(np.nanmax(np.where(np.isnan(rel), np.inf, rel)))


def edit_cell(src: Path, dst: Path, ref: str, cell_xml: str, sheet: str = "Training") -> None:
    """Copy the package ``src`` to ``dst`` with cell ``ref`` of sheet ``sheet`` replaced.

    This edits the file as a spreadsheet program would save it, without loading it in
    openpyxl (which would drop the chart): ``edit_cell(a, b, "B3", '<c r="B3"><v>0.5</v></c>')``.
    """
    pattern = re.compile(rf'<c r="{ref}"(?: [^>]*)?(?:/>|>.*?</c>)', re.S)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        names = re.findall(r'<sheet [^>]*name="([^"]*)"', zin.read("xl/workbook.xml").decode("utf-8"))
        part = f"xl/worksheets/sheet{names.index(sheet) + 1}.xml"  # openpyxl numbers sheet parts in order
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == part:
                text, count = pattern.subn(cell_xml.replace("\\", "\\\\"), data.decode("utf-8"), count=1)
                assert count == 1, f"cell {ref} not found in {src}"
                data = text.encode("utf-8")
            zout.writestr(item, data)


def copy_with(src: Path, dst: Path, replace: dict) -> None:
    """Copy the package ``src`` to ``dst`` with the parts in ``replace`` swapped for new bytes."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, replace.get(item.filename, zin.read(item.filename)))


@pytest.fixture(scope="session")
def student_books(tmp_path_factory):
    """Every case of tests/studentbooks.py, built and (where it has formulas) recalculated in one
    LibreOffice run, so that it stores values as a student's spreadsheet program does."""
    from studentbooks import CASES, build_case

    from xlbackprop.xlsx.engines import convert_all

    built_folder = tmp_path_factory.mktemp("student-built")
    saved = tmp_path_factory.mktemp("student-saved")
    paths = {name: build_case(name, built_folder) for name in CASES}
    formulas = [name for name in CASES if CASES[name].needs_recalc]
    for name, path in zip(formulas, convert_all([paths[n] for n in formulas], saved)):
        paths[name] = path
    return paths
