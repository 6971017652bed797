"""Issue 23's losses in the workbook: cross-entropy with a softmax output (o_max, e_o1 .., a_o1 .., a
sample's E) or with a sigmoid output (binary, per output), their network-file keys, the reference
against a run written here from the textbook (tests/paper_softmax.py) and against finite
differences, the sheets recalculated by LibreOffice (and Gnumeric, IronCalc), the Derivation
sheet's numerical ∂E/∂o1, and verify's culprit when a softmax cell is tampered with."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from conftest import edit_cell, worst_relative
from hypothesis import given, settings
from hypothesis import strategies as st

import paper_softmax as paper
from xlbackprop.check import check_file
from xlbackprop.core import presets
from xlbackprop.core.arithmetic import IEEE
from xlbackprop.core.errors import SpecError
from xlbackprop.core.reference import train
from xlbackprop.core.spec import from_mapping
from xlbackprop.sheets import derivation
from xlbackprop.sheets.expressions import Templates
from xlbackprop.sheets.layout import Layout
from xlbackprop.verifying import reader
from xlbackprop.verifying.verification import verify
from xlbackprop.writing import writer
from xlbackprop.xlsx import engines, grid

RTOL = 1e-12
# Three classes, four samples; samples 3 and 4 have near inputs and different classes, so the loss
# stays far from 0 (where ln a of a rounded a would lose digits, in the sheet as in any code).
CLASSES = {"layers": [2, 3, 3], "activation": ["sigmoid", "softmax"],
           "weights": [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.2, 0.1, -0.3, 0.5, 0.4, -0.1, 0.3, -0.2, 0.6],
           "inputs": [[0.05, 0.1], [0.9, 0.2], [0.4, 0.8], [0.45, 0.75]],
           "targets": [[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]], "eta": 0.5}
BINARY = {"layers": [2, 2, 2], "loss": "cross-entropy", "weights": [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55],
          "inputs": [[0.05, 0.1]], "targets": [[0.01, 0.99]], "eta": 0.5}


def spec(base: dict, iterations: int = 1000, **changes):
    return from_mapping({**base, "iterations": iterations, **changes})


def _paper_run(s) -> dict[str, list[float]]:
    net = s.network
    return paper.run(net.layers, s.weights, s.inputs, s.targets, s.eta, s.iterations,
                     "softmax" if net.softmax else "sigmoid", biases=s.biases or None)


# -- the network file -------------------------------------------------------------------------------

BAD = [
    ({"loss": "hinge"}, "loss: must be one of squared, cross-entropy, got 'hinge'"),
    ({"loss": "squared"}, 'loss: a softmax output trains with loss = "cross-entropy" here'),
    ({"activation": ["softmax", "softmax"]}, "activation: softmax is an output layer's activation, but layer 1 of 2"),
    ({"activation": ["sigmoid", "tanh"], "loss": "cross-entropy"}, "loss: cross-entropy needs a softmax output (classes) or a sigmoid one"),
    ({"targets": [[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 0.5, 0]]},
     "targets[4]: must add up to 1 for a softmax output (a probability per class, such as [0, 1, 0]), got "
     "[0.0, 0.5, 0.0], which adds up to 0.5"),
    ({"targets": [[0, 1, 0], [1, 0, 0], [0, 0, 1], [-1, 2, 0]]}, "targets[4]: must lie in [0, 1] for cross-entropy"),
    ({"layers": [2, 3, 1], "targets": [[1]] * 4, "weights": [0.1] * 9},
     "activation: a softmax output needs at least 2 outputs (one per class)"),
]


@pytest.mark.parametrize("change, exp", BAD, ids=[b[1].split(":")[0] + str(i) for i, b in enumerate(BAD)])
def test_a_bad_loss_names_its_field_in_one_line(change, exp):
    with pytest.raises(SpecError) as err:
        from_mapping({**CLASSES, **change})
    assert str(err.value).startswith(exp) and "\n" not in str(err.value)


def test_the_loss_defaults_to_the_outputs_own():
    assert spec(CLASSES).network.loss == "cross-entropy"  # a softmax's
    assert from_mapping({k: v for k, v in BINARY.items() if k != "loss"}).network.loss == "squared"
    with pytest.raises(SpecError, match=r"^targets\[1\]: must lie in \[0, 1\] for cross-entropy"):
        from_mapping({**BINARY, "targets": [[0.5, 1.5]]})


# -- the sheet's columns and formulas -------------------------------------------------------------

def test_a_softmax_layer_takes_its_shift_and_exponentials_and_one_loss_per_sample():
    layout = Layout(spec(CLASSES, 3).network, 3)
    names = [c.name for c in layout.columns]
    first = names[names.index("s1.h1"):names.index("s1.E") + 1]
    assert first == ["s1.h1", "s1.a_h1", "s1.h2", "s1.a_h2", "s1.h3", "s1.a_h3", "s1.o1", "s1.o2", "s1.o3",
                     "s1.o_max", "s1.e_o1", "s1.e_o2", "s1.e_o3", "s1.a_o1", "s1.a_o2", "s1.a_o3", "s1.E"]
    assert names.count("E_total") == 1 and "s1.E1" not in names
    assert [c.name for c in Layout(spec(BINARY, 3).network, 3).columns if c.kind == "loss"] == ["E1", "E2", "E_total"]


def test_the_softmax_formulas_shift_before_exp_and_take_the_loss_without_ln_of_a():
    layout = Layout(spec(CLASSES, 3).network, 3)
    t = Templates(layout)
    ref = {name: layout.cell(name, 2) for name in ("s1.o1", "s1.o2", "s1.o3", "s1.o_max", "s1.e_o1", "s1.e_o2",
                                                  "s1.e_o3", "s1.a_o1")}
    assert t.formula("s1.o_max", 2) == f"=MAX({ref['s1.o1']},{ref['s1.o2']},{ref['s1.o3']})"
    assert t.formula("s1.e_o2", 2) == f"=EXP({ref['s1.o2']}-{ref['s1.o_max']})"
    assert t.formula("s1.a_o1", 2) == f"={ref['s1.e_o1']}/({ref['s1.e_o1']}+{ref['s1.e_o2']}+{ref['s1.e_o3']})"
    targets = [layout.target_cell(1, k) for k in (1, 2, 3)]
    assert t.formula("s1.E", 2) == (f"=LN({ref['s1.e_o1']}+{ref['s1.e_o2']}+{ref['s1.e_o3']})-("
                                    + "+".join(f"{tk}*({ref[f's1.o{k}']}-{ref['s1.o_max']})"
                                               for k, tk in enumerate(targets, 1)) + ")")
    assert t.formula("s1.δ_o2", 2) == f"={layout.cell('s1.a_o2', 2)}-{layout.target_cell(1, 2)}"
    binary = Layout(spec(BINARY, 3).network, 3)
    assert Templates(binary).formula("δ_o1", 1) == f"={binary.cell('a_o1', 1)}-$D$4"  # no g' factor


# -- the reference ----------------------------------------------------------------------------------

@pytest.mark.parametrize("base, changes", [(CLASSES, {}), (BINARY, {}),
                                           (CLASSES, {"biases": [0.1, -0.1, 0.2, 0.0, 0.3, -0.2],
                                                      "train_biases": True})],
                         ids=["softmax", "binary", "softmax-biases"])
def test_the_reference_follows_the_textbook_over_1000_iterations(base, changes):
    s = spec(base, **changes)
    got, exp = train(s), _paper_run(s)
    assert set(got) == set(exp)
    for name in exp:
        assert worst_relative(got[name], exp[name]) <= RTOL, name


def _loss(s, weights) -> float:
    return float(train(replace(s, weights=tuple(weights)), IEEE)["E_total"][0])


@settings(max_examples=25, deadline=None)
@given(hidden=st.integers(1, 4), outputs=st.integers(2, 4), samples=st.integers(1, 3), softmax=st.booleans(),
       data=st.data())
def test_every_gradient_is_the_slope_of_the_loss(hidden, outputs, samples, softmax, data):
    """Property: for random small classifiers the analytic ∂E/∂w equals the central difference of
    E_total, which knows nothing of δ = a − t."""
    n = 2 * hidden + hidden * outputs
    weights = data.draw(st.lists(st.floats(-2, 2), min_size=n, max_size=n))
    inputs = data.draw(st.lists(st.lists(st.floats(-1, 1), min_size=2, max_size=2), min_size=samples,
                                max_size=samples))
    classes = data.draw(st.lists(st.integers(0, outputs - 1), min_size=samples, max_size=samples))
    targets = [[1.0 if k == c else 0.0 for k in range(outputs)] for c in classes]
    if not softmax:
        targets = [[0.1 + 0.8 * t for t in row] for row in targets]
    s = from_mapping({"layers": [2, hidden, outputs], "activation": ["sigmoid", "softmax" if softmax else "sigmoid"],
                      "loss": "cross-entropy", "weights": weights, "inputs": inputs, "targets": targets,
                      "iterations": 1, "eta": 0.1})
    table, h = train(s, IEEE), 1e-6
    for n in range(1, len(weights) + 1):
        up, down = list(s.weights), list(s.weights)
        up[n - 1] += h
        down[n - 1] -= h
        slope = (_loss(s, up) - _loss(s, down)) / (2 * h)
        assert math.isclose(table[f"∂E/∂w{n}"][0], slope, rel_tol=1e-6, abs_tol=1e-8), n


@settings(max_examples=30, deadline=None)
@given(inputs=st.integers(1, 3), hidden=st.integers(1, 4), outputs=st.integers(2, 4), samples=st.integers(1, 3),
       softmax=st.booleans(), biased=st.booleans(), data=st.data())
def test_any_small_classifier_follows_the_textbook(inputs, hidden, outputs, samples, softmax, biased, data):
    """Property: random one-hidden-layer classifiers, each loss, with or without trained biases,
    against the run written from the textbook, over 30 iterations."""
    n = inputs * hidden + hidden * outputs
    floats = st.floats(-1.5, 1.5)
    weights = data.draw(st.lists(floats, min_size=n, max_size=n))
    x = data.draw(st.lists(st.lists(floats, min_size=inputs, max_size=inputs), min_size=samples, max_size=samples))
    classes = data.draw(st.lists(st.integers(0, outputs - 1), min_size=samples, max_size=samples))
    t = [[1.0 if k == c else 0.0 for k in range(outputs)] for c in classes]
    if not softmax:
        t = [[0.05 + 0.9 * v for v in row] for row in t]
    file = {"layers": [inputs, hidden, outputs], "activation": ["sigmoid", "softmax" if softmax else "sigmoid"],
            "loss": "cross-entropy", "weights": weights, "inputs": x, "targets": t, "iterations": 30, "eta": 0.5}
    if biased:
        file.update(biases=data.draw(st.lists(floats, min_size=hidden + outputs, max_size=hidden + outputs)),
                    train_biases=True)
    s = from_mapping(file)
    got, exp = train(s), _paper_run(s)
    assert set(got) == set(exp)
    for name in exp:
        assert worst_relative(got[name], exp[name]) <= RTOL, name


def test_no_pre_activation_overflows_the_softmax_or_its_loss():
    """Outputs sums of ±800 (EXP(800) overflows a double): the shifted softmax and the loss stay finite."""
    s = spec(CLASSES, 1, weights=[0.0] * 6 + [500.0, 500.0, 500.0, -500.0, -500.0, -500.0, 0.0, 0.0, 0.0],
             inputs=[[0.5, 0.5]], targets=[[0, 1, 0]])
    t = train(s)
    assert t["o1"][0] > 709 and t["a_o1"][0] == 1.0 and t["a_o2"][0] == 0.0
    assert math.isfinite(t["E"][0]) and t["E"][0] > 700  # −ln a_o2 with a_o2 = e^−(o1 − o2)


# -- the workbook -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def books(tmp_path_factory):
    folder = tmp_path_factory.mktemp("softmax")
    return {"softmax": writer.build(spec(CLASSES), folder / "softmax.xlsx", sweep=()),
            "binary": writer.build(spec(BINARY), folder / "binary.xlsx", sweep=()),
            "softmax-sweep": writer.build(spec(CLASSES, 40), folder / "softmax-sweep.xlsx"),
            "overflow": writer.build(spec(CLASSES, 3, eta=1e6), folder / "overflow.xlsx", sweep=())}


def test_the_workbook_says_its_loss_and_reads_back_as_its_spec(books):
    assert reader.read(books["softmax"]).spec == spec(CLASSES)
    assert reader.read(books["binary"]).spec == spec(BINARY)
    layout = Layout(spec(BINARY).network, 1000)
    assert list(layout.meta_rows)[-1] == "loss"


@pytest.mark.libreoffice
def test_libreoffice_matches_the_textbook_in_every_cell_over_1000_iterations(books, tmp_path):
    """The issue's bar: a softmax/cross-entropy network (and a binary one) recalculated by
    LibreOffice, against the run written from the textbook, within 1e-12 relative in every cell."""
    names = ["softmax", "binary"]
    for name, path in zip(names, engines.convert_all([books[n] for n in names], tmp_path)):
        data = reader.read(path)
        exp = _paper_run(spec(CLASSES if name == "softmax" else BINARY))
        assert set(data.cells) == set(exp), name
        for quantity, cells in data.cells.items():
            assert len(cells) == 1000 and all(isinstance(v, (int, float)) for v in cells), (name, quantity)
            assert worst_relative(cells, exp[quantity]) <= RTOL, (name, quantity)


@pytest.mark.libreoffice
def test_libreoffice_verify_holds_the_sweep_the_derivation_and_a_diverging_run(books):
    report = verify(books["softmax-sweep"], engine="libreoffice")
    assert report.ok, report.text
    checked = {c.name: c.cells for c in report.checks}
    assert checked["s1.e_o2"] == checked["s4.E"] == 7 * 40  # Training and the six rate sheets
    assert verify(books["overflow"], engine="libreoffice").ok  # eta 1e6: sums in the hundreds, no #NUM!


@pytest.mark.parametrize("engine", [pytest.param("gnumeric", marks=pytest.mark.gnumeric), "ironcalc"])
def test_other_engines_recompute_every_softmax_cell(books, engine):
    report = verify(books["softmax-sweep"], engine=engine)
    assert report.ok, report.text
    assert {"s1.o_max", "s1.e_o1", "s1.E", "s4.a_o3"} <= {c.name for c in report.checks}


@pytest.mark.parametrize("engine", [pytest.param("libreoffice", marks=pytest.mark.libreoffice), "ironcalc"])
def test_a_tampered_softmax_cell_fails_verify_and_is_named_first(books, tmp_path, engine):
    layout = Layout(spec(CLASSES).network, 1000)
    cell = layout.cell("s2.e_o2", 7)
    edit_cell(books["softmax"], tmp_path / "tampered.xlsx", cell, f'<c r="{cell}"><v>0.5</v></c>')
    report = verify(tmp_path / "tampered.xlsx", engine=engine)
    assert not report.ok
    lines = report.text.splitlines()
    o2, shift = layout.cell("s2.o2", 7), layout.cell("s2.o_max", 7)
    assert lines[1] == (f"CULPRIT {cell} (s2.e_o2, iteration 7): holds 0.5, a constant where a formula belongs; "
                        f"xlbackprop writes =EXP({o2}-{shift})")
    assert lines[-1].startswith("FAILED")


def test_the_derivation_walks_the_softmax_and_checks_its_slope_numerically():
    s = spec(CLASSES, 3)
    plan = derivation.plan(Layout(s.network, 3))
    words = [row[0].value for row in plan.rows.values() if row and isinstance(row[0].value, str)]
    assert {"s1.o_max", "s1.e_o1", "s1.a_o1", "s1.E", "∂E/∂s1.o1, numerically"} <= set(words)
    row = next(r for r, cells in plan.rows.items() if cells and cells[0].value == "∂E/∂s1.o1, numerically")
    formula = plan.rows[row][4].value
    assert formula.count("+$B$4)") == formula.count("-$B$4)") == 2 and formula.count("LN(") == 2  # E(o1 ± h)


@pytest.mark.libreoffice
def test_the_numerical_slope_of_the_loss_agrees_with_a_minus_t(books, tmp_path):
    """The Derivation sheet's (E(o1 + h) − E(o1 − h))/2h, recalculated, is within h² of a_o1 − t1, and
    its value is what numpy computes from the same cells."""
    for name in ("softmax", "binary"):
        path = engines.convert_all([books[name]], tmp_path / name)[0]
        sheet = next(x for x in grid.read(path).sheets if x.name == "Derivation")
        label = "∂E/∂s1.o1, numerically" if name == "softmax" else "∂E/∂o1, numerically"
        row = next(r for r in range(1, 400) if sheet.value(r, 1) == label)
        numeric, analytic, difference = (sheet.number(row, c) for c in (5, 6, 7))
        assert abs(numeric - analytic) < 1e-7 and abs(difference - (numeric - analytic)) < 1e-15, name
        assert analytic != 0


def test_check_says_it_does_not_read_cross_entropy_yet(books):
    result = check_file(books["binary"])
    assert result.status == "unreadable"
    assert "with a cross-entropy loss" in result.message and "verify" in result.message


# -- the preset -------------------------------------------------------------------------------------

def test_the_iris_preset_learns_what_its_comment_says():
    """Per the run written from the textbook: E_total falls steadily from 1.08 to 0.12 by iteration 200,
    every flower classified right (its class the largest a_o) from iteration 42 on."""
    s = presets.load("softmax-3class")
    assert (s.network.layers, s.network.loss, s.network.bias_mode, s.network.n_samples) == \
        ((4, 5, 3), "cross-entropy", "trained", 12)
    run = paper.run(s.network.layers, s.weights, s.inputs, s.targets, s.eta, s.iterations, "softmax", s.biases)
    loss = run["E_total"]
    assert round(loss[0], 2) == 1.08 and round(loss[199], 2) == 0.12 and all(np.diff(loss) < 0)
    right = [sum(max(range(3), key=lambda k: run[f"s{i}.a_o{k + 1}"][it]) == s.targets[i - 1].index(1)
                 for i in range(1, 13)) for it in range(200)]
    assert right[40] < 12 and all(r == 12 for r in right[41:])


@pytest.mark.libreoffice
def test_the_iris_preset_builds_and_verifies(tmp_path):
    path = writer.build(presets.load("softmax-3class"), tmp_path / "iris.xlsx")
    report = verify(path, engine="libreoffice")
    assert report.ok, report.text
