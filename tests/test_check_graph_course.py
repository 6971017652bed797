"""check.graph on the course's own table: the formula graph, which knows nothing of the course's
labels or its numbering of the weights, forced onto every student-like workbook of
:mod:`studentbooks` (each slip class of the course planted), must find the root-cause cells that
the label reader finds (itself held to each case's planted slips in test_check.py): a second
reading of every case, by other means."""

from __future__ import annotations

import pytest

from studentbooks import CASES
from xlbackprop.check import check_file, graph
from xlbackprop.xlsx import grid

pytestmark = pytest.mark.libreoffice

# cases the formula graph reads otherwise, and why
NO_TRAINING = {"not_filled", "pasted_values", "one_iteration"}  # no weight update is a formula: nothing to follow
OWN_CELL = {"intermediate_slip": ["Y33"]}  # the ∂E/∂a_h2 column whose own formula is wrong, which the
# contract reader, knowing no such quantity, reports through the gradients that read it (AB33, AC33)


def _cells(results) -> list[str]:
    return sorted(f.column + str(f.row) for r in results for f in r.errors)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_formula_graph_finds_what_the_labels_find(student_books, name):
    path = student_books[name]
    forced, unread = graph.judge_all(grid.read(path), set())
    if name in NO_TRAINING:
        assert forced == []
        return
    by_labels = check_file(path)
    assert {r.verdict for r in forced} | {"right"} == {r.verdict for r in by_labels.tables} | {"right"}
    assert _cells(forced) == OWN_CELL.get(name, _cells(by_labels.tables))


@pytest.mark.parametrize("preset, iterations", [("mazur", 20), ("xor", 20), ("deep", 10), ("class-2021", 20)])
def test_xlbackprops_own_workbooks_are_right_by_their_formula_graph(built, preset, iterations):
    """Every training sheet of a build (its stored values the reference engine's), read by the graph
    as any hand-made sheet: any network (deep: 3-4-3-2-1, tanh, relu, tanh, sigmoid; xor: a batch of
    4 with trained biases), the truth by the complex step through the sheet's own formulas."""
    forced, unread = graph.judge_all(grid.read(built(preset, iterations=iterations)), set())
    assert forced and unread == []
    assert {(r.table.sheet.name, r.verdict) for r in forced} == {(r.table.sheet.name, "right") for r in forced}


def test_a_gradient_tampered_in_an_own_workbook_is_found_where_it_is(built, tmp_path):
    """∂E/∂w3 of iteration 5 (AA18) reading δ_h1 where δ_h2 belongs, recalculated by LibreOffice."""
    from conftest import edit_cell

    from xlbackprop.xlsx.engines import convert

    tampered = tmp_path / "tampered.xlsx"
    edit_cell(built("class-2021", iterations=20), tampered, "AA18", '<c r="AA18"><f>W18*$B$4</f></c>')
    forced, _ = graph.judge_all(grid.read(convert(tampered, tmp_path / "recalculated")), set())
    training = [r for r in forced if r.table.sheet.name == "Training" and r.table.layout == "rows"]
    (result,) = training
    assert [(f.column + str(f.row), f.kind) for f in result.errors] == [("AA18", "formula")]
    assert "in step 5): reads δ_h1 (W18) where δ_h2 (X18) belongs" in result.errors[0].cause
