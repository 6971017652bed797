"""check on xlbackprop's own workbooks: right as built, for any network; with a slip planted in
their formulas, that slip and nothing else. The slips are typed into the built file with
openpyxl, as a student would edit it, and LibreOffice recalculates it."""

from __future__ import annotations

import openpyxl
import pytest

from xlbackprop.check import check_file
from xlbackprop.check.report import as_dict
from xlbackprop.core import presets
from xlbackprop.sheets.layout import Layout
from xlbackprop.writing import writer
from xlbackprop.xlsx.engines import convert_all

pytestmark = pytest.mark.libreoffice

SEED_ITERATIONS = 40


def _swap(layout: Layout, name: str, old, new, start: int):
    """An edit: in column ``name``, from row ``start`` down, ``old(r)`` becomes ``new(r)`` in the formula."""
    letter = layout.column[name].letter

    def apply(ws):
        for r in range(start, layout.last_row + 1):
            cell = ws[f"{letter}{r}"]
            assert old(r) in cell.value, (cell.value, old(r))
            cell.value = cell.value.replace(old(r), new(r))
    return apply


def _typed(layout: Layout, name: str, row: int, value: float):
    def apply(ws):
        ws[f"{layout.column[name].letter}{row}"] = value
    return apply


SEED = Layout(presets.load("class-2024").network, SEED_ITERATIONS)
DEEP = Layout(presets.load("deep").network, 20)
FIRST = SEED.first_row


def _at(layout: Layout, name: str, offset: int = 0):
    return lambda r: f"{layout.column[name].letter}{r + offset}"


def _slope(name: str):
    return lambda r: f"({_at(SEED, name)(r)}*(1-{_at(SEED, name)(r)}))"


# case: (preset, iterations, the edit, quantity, kind, first row, words the cause must have)
PLANTS = {
    "a gradient reads the wrong δ": ("class-2024", SEED_ITERATIONS, _swap(SEED, "∂E/∂w3", _at(SEED, "δ_h2"),
                                     _at(SEED, "δ_h1"), FIRST), "∂E/∂w3", "formula", FIRST, ("δ_h1", "δ_h2")),
    "the template slip, in δ_h2": ("class-2024", SEED_ITERATIONS, _swap(SEED, "δ_h2", _slope("a_h2"),
                                   _slope("a_h1"), FIRST), "δ_h2", "formula", FIRST, ("a_h1", "a_h2")),
    "w5 updated with ∂E/∂w6": ("class-2024", SEED_ITERATIONS, _swap(SEED, "w5", _at(SEED, "∂E/∂w5", -1),
                               _at(SEED, "∂E/∂w6", -1), FIRST + 1), "w5", "update", FIRST + 1, ("∂e/∂w6",)),
    "η as a relative B2": ("class-2024", SEED_ITERATIONS, _swap(SEED, "w1", lambda r: "eta",
                           lambda r: f"B{2 + r - FIRST - 1}", FIRST + 1), "w1", "anchoring", FIRST + 2, ("η",)),
    "a number typed over ∂E/∂w1": ("class-2024", SEED_ITERATIONS, _typed(SEED, "∂E/∂w1", FIRST + 5, 1e-4),
                                  "∂E/∂w1", "values-only", FIRST + 5, ()),
    "deep: a neuron reads another's bias": ("deep", 20, _swap(DEEP, "s1.h2_1", _at(DEEP, "b5"), _at(DEEP, "b6"),
                                            DEEP.first_row), "s1.h2_1", "formula", DEEP.first_row + 1,
                                            ("b5", "b6", f"from row {DEEP.first_row}")),  # b5 = b6 = 0.2 at first
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Every plant, and the two workbooks as built, recalculated in one LibreOffice run."""
    folder = tmp_path_factory.mktemp("planted")
    sources = {}
    for preset, iterations in (("class-2024", SEED_ITERATIONS), ("deep", 20), ("xor", 60), ("mazur", 30)):
        spec = presets.load(preset).with_overrides(iterations=iterations)
        sources[preset] = writer.build(spec, folder / f"{preset}.xlsx", sweep=(0.1, 10) if preset == "mazur" else ())
    edited = {}
    for k, (case, (preset, _, edit, *_rest)) in enumerate(PLANTS.items()):
        wb = openpyxl.load_workbook(sources[preset])
        edit(wb["Training"])
        edited[case] = folder / f"plant-{k}.xlsx"
        wb.save(edited[case])
    names = list(sources) + list(edited)
    saved = convert_all([*sources.values(), *edited.values()], folder / "saved")
    return dict(zip(names, saved))


@pytest.mark.parametrize("preset", ["class-2024", "deep", "xor", "mazur"])
def test_own_workbooks_are_right(planted, preset):
    result = as_dict(check_file(planted[preset]))
    assert result["status"] == "right", result
    assert len(result["tables"]) == (3 if preset == "mazur" else 1)
    assert not [w for t in result["tables"] for w in t["warnings"]]


@pytest.mark.parametrize("case", list(PLANTS))
def test_a_planted_slip_is_the_one_root_cause(planted, case):
    _, _, _, quantity, kind, row, words = PLANTS[case]
    result = as_dict(check_file(planted[case]))
    assert result["status"] == "wrong"
    [error] = result["tables"][0]["errors"]
    assert (error["quantity"], error["kind"], error["row"]) == (quantity, kind, row), error
    assert all(w in error["cause"].lower() for w in words), error["cause"]


def test_a_workbook_trained_by_another_optimizer_is_said_not_misjudged(tmp_path):
    """check reads plain gradient descent, momentum and Adam (tests/test_check_optimizers.py);
    xlbackprop's own RMSProp workbook is one line pointing to verify (it had been read as SGD:
    minutes of search, and wrong updates everywhere)."""
    from xlbackprop.api import build
    from xlbackprop.core.spec import from_mapping
    spec = from_mapping({"layers": [2, 2, 2], "weights": [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55],
                         "inputs": [[0.05, 0.1]], "targets": [[0.01, 0.99]], "eta": 0.05, "iterations": 20,
                         "optimizer": "rmsprop"})
    path = build(spec, tmp_path / "rmsprop.xlsx")
    result = check_file(path)
    assert (result.status, result.tables) == ("unreadable", [])
    assert "trained by rmsprop" in result.message and "verify" in result.message
