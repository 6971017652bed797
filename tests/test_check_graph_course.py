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
