"""Issue 23's comparison of optimizers: ``build --compare sgd,momentum,adam`` writes one training
sheet per optimizer, all at the network's eta, and the Sweep sheet overlays them. Each sheet,
recalculated by LibreOffice, is held to the run written from the papers' equations
(tests/paper_optimizers.py); the Sweep table to each sheet's own E_total, read from the sheet by
its header; verify names a tampered moment on a compare sheet first; whatif sets a constant."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import edit_cell, worst_relative

import paper_optimizers as paper
import xlbackprop
from xlbackprop.core import presets
from xlbackprop.core.errors import SpecError
from xlbackprop.core.spec import from_mapping
from xlbackprop.verifying.verification import verify
from xlbackprop.verifying.whatif import WhatIfError, whatif
from xlbackprop.writing import writer
from xlbackprop.xlsx import engines, grid

SEED = {"layers": [2, 2, 2], "weights": [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55],
        "inputs": [[0.05, 0.1]], "targets": [[0.5, 0.5]], "eta": 1.0}
ALL = ("sgd", "momentum", "rmsprop", "adam")
RTOL = 1e-12
ITERATIONS = 1000


def _paper(optimizer: str, iterations: int, eta: float = 1.0, **constants) -> dict[str, list[float]]:
    """The seed trained by ``optimizer`` with the papers' equations (PyTorch's defaults unless given)."""
    defaults = {"momentum": 0.9, "alpha": 0.99, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, **constants}
    return paper.run(SEED["layers"], SEED["weights"], SEED["inputs"], SEED["targets"], eta, iterations, optimizer,
                     **defaults)


def _table(sheet: grid.Sheet) -> tuple[int, dict[str, int]]:
    """A training sheet's header row (the row whose A reads ``iteration``) and its columns by header,
    read from the sheet itself, not from the layout under test."""
    row = next(r for (r, c), v in sorted(sheet.values.items()) if c == 1 and v == "iteration")
    return row, {v: c for (r, c), v in sheet.values.items() if r == row and isinstance(v, str)}


def _column(sheet: grid.Sheet, name: str, iterations: int) -> list:
    row, columns = _table(sheet)
    return [sheet.values.get((row + k, columns[name])) for k in range(1, iterations + 1)]


def _sheets(path: Path, formulas: bool = False) -> dict[str, grid.Sheet]:
    return {s.name: s for s in grid.read_xlsx(path, formulas=formulas).sheets}


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    spec = from_mapping({**SEED, "iterations": ITERATIONS})
    return {"all": writer.build(spec, folder / "all.xlsx", compare=ALL),
            "short": writer.build(spec.with_overrides(iterations=60), folder / "short.xlsx",
                                  compare=("sgd", "momentum", "adam"))}


# -- the workbook as built ----------------------------------------------------------------------

def test_one_sheet_per_optimizer_each_reading_its_own_constants_by_address(books):
    sheets = _sheets(books["short"], formulas=True)
    assert list(sheets) == ["Training", "Sweep", "Derivation", "Network", "Matrices", "sgd", "momentum", "adam"]
    adam = sheets["adam"]
    row, columns = _table(adam)
    update = adam.formulas[(row + 2, columns["w1"])]  # iteration 2's w1
    assert "$B$6" in update and "$C$6" in update and "$D$6" in update and "$B$2" in update, update
    assert "beta1" not in update and "eta" not in update  # no name: the sheet's own cells
    labels = {v for (r, c), v in adam.values.items() if c == 1}
    assert "adam" in labels  # the optimizer block: adam | 0.9 | 0.999 | 1e-08
    with zipfile.ZipFile(books["short"]) as z:
        workbook = z.read("xl/workbook.xml").decode()
    scoped = re.findall(r'<definedName name="([^"]+)" localSheetId=', workbook)
    assert scoped and all(n == "_xlnm.Print_Titles" for n in scoped), scoped  # no sheet-scoped name of ours


def test_the_stored_values_are_the_papers(books):
    """What a reader that does not recalculate shows: each sheet's stored E_total, and the Sweep table's."""
    sheets = _sheets(books["short"])
    for name in ("sgd", "momentum", "adam"):
        exp = _paper(name, 60)
        assert worst_relative(_column(sheets[name], "E_total", 60), exp["E_total"]) <= RTOL, name
        assert worst_relative(_column(sheets[name], "w5", 60), exp["w5"]) <= RTOL, name


def _sweep_table(sheet: grid.Sheet) -> tuple[list[str], dict[int, list]]:
    header = next(r for (r, c), v in sheet.values.items() if c == 1 and v == "iteration")
    labels = [sheet.values[(header, c)] for c in range(2, 2 + 8) if (header, c) in sheet.values]
    rows = {sheet.values[(r, 1)]: [sheet.values.get((r, c)) for c in range(2, 2 + len(labels))]
            for r in range(header + 1, header + 20) if isinstance(sheet.values.get((r, 1)), int)}
    return labels, rows


def test_the_sweep_table_reads_each_sheet_at_its_own_e_total(books):
    """Each optimizer's state columns move its E_total column: the table must follow each sheet's own."""
    sheets = _sheets(books["short"])
    labels, rows = _sweep_table(sheets["Sweep"])
    assert labels == ["sgd", "momentum", "adam"]
    assert sorted(rows) == [1, 2, 10, 50, 60]
    for k, name in enumerate(labels):
        e_total = _paper(name, 60)["E_total"]
        for iteration, values in rows.items():
            assert values[k] == pytest.approx(e_total[iteration - 1], rel=RTOL), (name, iteration)
    formulas = _sheets(books["short"], formulas=True)["Sweep"].formulas
    row, columns = _table(sheets["adam"])
    letter = "".join(ch for ch in grid_letter(columns["E_total"]))
    assert f"='adam'!${letter}${row + 1}" in formulas.values()


def grid_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def test_the_chart_names_each_optimizer_and_draws_it_from_its_sheet(books):
    with zipfile.ZipFile(books["short"]) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    overlay = next(c for c in charts if "one curve per optimizer" in c)
    for name in ("sgd", "momentum", "adam"):
        assert f"'{name}'!$A$" in overlay  # its iterations, and its E_total beside
    assert overlay.count("<c:ser>") == 3 and "<c:legend>" in overlay


def test_the_api_builds_a_comparison_and_the_file_key_carries_one(tmp_path):
    path = xlbackprop.build("class-2024", tmp_path / "api.xlsx", compare=["adam", "sgd"], iterations=5)
    assert [s.name for s in grid.read_xlsx(path).sheets][5:] == ["adam", "sgd"]
    spec = from_mapping({**SEED, "compare": ["sgd", "adam"], "beta1": 0.8})  # adam's constant, for its sheet
    assert spec.compare == ("sgd", "adam") and spec.beta1 == 0.8
    path = writer.build(spec.with_overrides(iterations=5), tmp_path / "key.xlsx")
    sheets = _sheets(path)
    assert [s for s in sheets][5:] == ["sgd", "adam"]  # no rate sheets: the comparison takes their place
    assert 0.8 in sheets["adam"].values.values()
    assert worst_relative(_column(sheets["adam"], "E_total", 5), _paper("adam", 5, beta1=0.8)["E_total"]) <= RTOL


BAD_FILES = [
    ({"compare": ["sgd", "adamw"]}, "compare: 'adamw' is not an optimizer; choose from sgd, momentum, rmsprop, adam"),
    ({"compare": ["adam", "adam"]}, "compare: 'adam' is listed twice; each optimizer gets one sheet"),
    ({"compare": []}, "compare: lists no optimizer"),
    ({"compare": "adam"}, "compare: must be a list of optimizers"),
    ({"compare": ["momentum"], "beta1": 0.8}, "beta1: is a constant of adam, not of optimizer 'sgd'"),
]


@pytest.mark.parametrize("change, exp", BAD_FILES, ids=[str(b[0]) for b in BAD_FILES])
def test_a_bad_compare_key_names_its_field(change, exp):
    with pytest.raises(SpecError) as err:
        from_mapping({**SEED, **change})
    assert str(err.value).startswith(exp), str(err.value)


def _cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xlbackprop", *args], capture_output=True, text=True, cwd=cwd)


BAD_COMMANDS = [
    (["--compare", "sgd,adamw"], "error: --compare: 'adamw' is not an optimizer; choose from sgd, momentum, "
                                 "rmsprop, adam"),
    (["--compare", "sgd,momentum,sgd"], "error: --compare: 'sgd' is listed twice; each optimizer gets one sheet"),
    (["--compare", ""], "error: --compare: lists no optimizer; name at least one of sgd, momentum, rmsprop, adam"),
    (["--compare", "sgd,adam", "--sweep", "0.1,1"], "error: --compare: cannot go with a learning-rate sweep"),
]


@pytest.mark.parametrize("args, exp", BAD_COMMANDS, ids=[" ".join(b[0]) for b in BAD_COMMANDS])
def test_a_bad_compare_is_one_line_and_exit_2(tmp_path, args, exp):
    result = _cli("build", "--iterations", "3", "-o", str(tmp_path / "x.xlsx"), *args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(exp) and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_the_command_line_compares_and_a_file_key_gives_way_to_none(tmp_path):
    result = _cli("build", "--compare", "sgd,adam", "--iterations", "4", "-o", str(tmp_path / "c.xlsx"))
    assert result.returncode == 0, result.stderr
    assert "optimizers sgd, adam compared" in result.stdout
    assert [s.name for s in grid.read_xlsx(tmp_path / "c.xlsx").sheets][5:] == ["sgd", "adam"]
    result = _cli("build", "--preset", "adam-vs-sgd", "--compare", "none", "--sweep", "0.5", "--iterations", "4",
                  "-o", str(tmp_path / "s.xlsx"))
    assert result.returncode == 0, result.stderr
    assert [s.name for s in grid.read_xlsx(tmp_path / "s.xlsx").sheets][5:] == ["eta 0.5"]


# -- the preset ---------------------------------------------------------------------------------

def test_the_preset_shows_what_its_title_says():
    """adam-vs-sgd: at eta 0.1 SGD only divides E_total by about 3 in 200 iterations; momentum and
    Adam overshoot (E_total rises again somewhere) and end below 1e-10 (from the papers' run)."""
    spec = presets.load("adam-vs-sgd")
    assert spec.compare == ("sgd", "momentum", "adam") and spec.eta == 0.1 and spec.iterations == 200
    assert spec.weights == tuple(SEED["weights"]) and spec.network.optimizer == "sgd"
    runs = {name: np.array(_paper(name, 200, eta=0.1)["E_total"]) for name in spec.compare}
    assert 2.5 < runs["sgd"][0] / runs["sgd"][-1] < 4 and np.all(np.diff(runs["sgd"]) < 0)
    for name in ("momentum", "adam"):
        assert runs[name][-1] < 1e-10 and np.any(np.diff(runs[name]) > 0), name
    assert "eta 0.1" in spec.title and "1e-10" in spec.title


@pytest.mark.libreoffice
def test_the_preset_builds_and_verifies(tmp_path):
    result = _cli("build", "--preset", "adam-vs-sgd", "-o", str(tmp_path / "p.xlsx"))
    assert result.returncode == 0, result.stderr
    result = _cli("verify", str(tmp_path / "p.xlsx"))
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1].startswith("OK: ")


# -- recalculated -------------------------------------------------------------------------------

@pytest.mark.libreoffice
def test_libreoffice_matches_the_papers_on_every_compare_sheet_over_1000_iterations(books, tmp_path):
    """Every cell of every optimizer's sheet, as LibreOffice computes it, against the papers' run;
    and the Sweep table, recalculated, against the sheets' E_total cells."""
    sheets = _sheets(engines.convert(books["all"], tmp_path))
    for name in ALL:
        exp = _paper(name, ITERATIONS)
        _, columns = _table(sheets[name])
        assert set(columns) - {"iteration"} == set(exp), name
        for quantity in exp:
            cells = _column(sheets[name], quantity, ITERATIONS)
            assert all(isinstance(v, float) or v == 0 for v in cells), (name, quantity)  # 0 reads back as 0
            assert worst_relative(cells, exp[quantity]) <= RTOL, (name, quantity)
    labels, rows = _sweep_table(sheets["Sweep"])
    assert labels == list(ALL)
    for k, name in enumerate(labels):
        e_total = _column(sheets[name], "E_total", ITERATIONS)
        for iteration, values in rows.items():
            assert values[k] == e_total[iteration - 1], (name, iteration)


@pytest.mark.parametrize("engine", [pytest.param("libreoffice", marks=pytest.mark.libreoffice), "ironcalc",
                                    pytest.param("gnumeric", marks=pytest.mark.gnumeric)])
def test_verify_holds_every_compare_sheet(books, engine):
    report = verify(books["short"], engine=engine)
    assert report.ok, report.text
    checked = {c.name: c.cells for c in report.checks}
    assert checked["w1"] == 4 * 60  # Training and the three optimizer sheets
    assert checked["m_w5"] == 60 and checked["v_w5"] == 2 * 60  # adam's m; momentum's velocity and adam's v
    assert checked["Sweep table"] == 3 * 5


def _tampered(src: Path, dst: Path, sheet: str, quantity: str, iteration: int) -> str:
    sheets = _sheets(src)
    row, columns = _table(sheets[sheet])
    cell = f"{grid_letter(columns[quantity])}{row + iteration}"
    edit_cell(src, dst, cell, f'<c r="{cell}"><v>0.5</v></c>', sheet=sheet)
    return cell


@pytest.mark.parametrize("engine", [pytest.param("libreoffice", marks=pytest.mark.libreoffice), "ironcalc"])
def test_a_tampered_moment_on_a_compare_sheet_fails_verify_and_is_named_first(books, tmp_path, engine):
    cell = _tampered(books["short"], tmp_path / "t.xlsx", "adam", "m_w5", 5)
    report = verify(tmp_path / "t.xlsx", engine=engine)
    assert not report.ok
    lines = report.text.splitlines()
    assert lines[1].startswith(f"CULPRIT 'adam'!{cell} (m_w5, iteration 5): holds 0.5, a constant where a "
                               f"formula belongs; xlbackprop writes =$B$6*"), lines[1]
    assert lines[-1].startswith("FAILED")


def test_a_tampered_gradient_on_the_sgd_sheet_is_named_first(books, tmp_path):
    cell = _tampered(books["short"], tmp_path / "t.xlsx", "sgd", "∂E/∂w5", 3)
    report = verify(tmp_path / "t.xlsx", engine="ironcalc")
    assert not report.ok
    assert report.text.splitlines()[1].startswith(f"CULPRIT 'sgd'!{cell} (∂E/∂w5, iteration 3): holds 0.5")


# -- whatif -------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", [pytest.param("libreoffice", marks=pytest.mark.libreoffice), "ironcalc"])
def test_whatif_sets_an_optimizers_constant(books, engine):
    result = whatif(books["short"], {"beta1": 0.8, "epsilon": 1e-6}, sheet="adam", engine=engine)
    exp = _paper("adam", 60, beta1=0.8, epsilon=1e-6)["E_total"]
    assert worst_relative(result.e_total, exp) <= RTOL
    assert worst_relative(result.e_total, _paper("adam", 60)["E_total"]) > 1e-3  # it did change the run
    assert result.text.splitlines()[0].startswith(f"whatif {books['short']}, sheet adam: beta1 = 0.8 (was 0.9), "
                                                  f"epsilon = 1e-06 (was 1e-08)")
    momentum = whatif(books["short"], {"momentum": 0.5}, sheet="momentum", engine=engine)
    assert worst_relative(momentum.e_total, _paper("momentum", 60, momentum=0.5)["E_total"]) <= RTOL


BAD_WHATIF = [
    ("adam", {"momentum": 0.5}, "changes: momentum is a constant of momentum; sheet 'adam' trains by adam, "
                                "whose constants are beta1, beta2, epsilon"),
    ("sgd", {"beta1": 0.5}, "changes: beta1 is a constant of adam; sheet 'sgd' trains by sgd, which has no constants"),
    ("adam", {"beta2": 1.0}, "changes: beta2 must be in [0, 1), got 1"),
    ("adam", {"epsilon": 0.0}, "changes: epsilon must be above 0, got 0"),
    ("momentum", {"momentum": float("nan")}, "changes: momentum must be a finite number"),
]


@pytest.mark.parametrize("sheet, changes, exp", BAD_WHATIF, ids=[str(b[1]) for b in BAD_WHATIF])
def test_whatif_refuses_a_constant_the_sheet_has_not_or_out_of_range(books, sheet, changes, exp):
    with pytest.raises(WhatIfError) as err:
        whatif(books["short"], changes, sheet=sheet, engine="ironcalc")
    assert str(err.value).startswith(exp), str(err.value)


def test_whatif_on_the_command_line_refuses_in_one_line(books):
    result = _cli("whatif", str(books["short"]), "--set", "beta1=2", "--sheet", "adam", "--engine", "ironcalc")
    assert result.returncode == 2
    assert result.stderr == "error: --set: beta1 must be in [0, 1), got 2\n"


def test_a_network_file_carries_a_comparison_and_its_errors_name_the_file(tmp_path):
    net = ('layers = [2, 2, 2]\nweights = [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55]\n'
           'inputs = [[0.05, 0.1]]\ntargets = [[0.5, 0.5]]\niterations = 5\n')
    (tmp_path / "good.toml").write_text(net + 'compare = ["momentum", "adam"]\nmomentum = 0.5\n')
    result = _cli("build", "--config", str(tmp_path / "good.toml"), "-o", str(tmp_path / "g.xlsx"))
    assert result.returncode == 0, result.stderr
    sheets = _sheets(tmp_path / "g.xlsx")
    assert list(sheets)[5:] == ["momentum", "adam"]
    assert worst_relative(_column(sheets["momentum"], "E_total", 5), _paper("momentum", 5, eta=0.5, momentum=0.5)["E_total"]) \
        <= RTOL
    (tmp_path / "bad.toml").write_text(net + 'compare = ["adam", "nadam"]\n')
    result = _cli("build", "--config", str(tmp_path / "bad.toml"), "-o", str(tmp_path / "b.xlsx"))
    assert result.returncode == 2
    assert result.stderr == (f"error: {tmp_path / 'bad.toml'}: compare: 'nadam' is not an optimizer; choose from "
                             f"sgd, momentum, rmsprop, adam\n")
    result = _cli("build", "--config", str(tmp_path / "good.toml"), "--sweep", "1", "-o", str(tmp_path / "b.xlsx"))
    assert result.returncode == 2 and result.stderr.startswith("error: --compare: cannot go with a learning-rate sweep")
