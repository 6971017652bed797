"""Any dense network: shapes, activations, biases and samples, in LibreOffice and against calculus.

Property tests (hypothesis) draw small networks; each one is built, recalculated by LibreOffice
and matched to the reference in every cell, and the reference's gradients are matched to
central finite differences of the loss.
"""

import forward
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from xlbackprop.core import presets
from xlbackprop.core.arithmetic import IEEE
from xlbackprop.core.reference import train
from xlbackprop.core.spec import from_mapping
from xlbackprop.sheets.layout import Layout
from xlbackprop.verifying.reader import read
from xlbackprop.verifying.verification import verify
from xlbackprop.writing import writer

ACTIVATIONS = ["sigmoid", "tanh", "relu", "linear"]
number = st.floats(-1, 1, allow_nan=False).map(lambda x: round(x, 3))


@st.composite
def networks(draw, max_iterations=12):
    layers = draw(st.lists(st.integers(1, 3), min_size=2, max_size=5))
    depth = len(layers) - 1
    n_weights = sum(a * b for a, b in zip(layers, layers[1:]))
    n_biases = sum(layers[1:])
    samples = draw(st.integers(1, 3))
    data = {
        "layers": layers,
        "activation": draw(st.one_of(st.sampled_from(ACTIVATIONS),
                                     st.lists(st.sampled_from(ACTIVATIONS), min_size=depth, max_size=depth))),
        "weights": draw(st.lists(number, min_size=n_weights, max_size=n_weights)),
        "eta": draw(st.sampled_from([0.1, 0.5, 1.0, 2.0])),
        "iterations": draw(st.integers(1, max_iterations)),
        "inputs": draw(st.lists(st.lists(number, min_size=layers[0], max_size=layers[0]),
                                min_size=samples, max_size=samples)),
        "targets": draw(st.lists(st.lists(number, min_size=layers[-1], max_size=layers[-1]),
                                 min_size=samples, max_size=samples)),
    }
    bias_mode = draw(st.sampled_from(["none", "frozen", "trained"]))
    if bias_mode != "none":
        data["biases"] = draw(st.lists(number, min_size=n_biases, max_size=n_biases))
        data["train_biases"] = bias_mode == "trained"
    return from_mapping(data)


@pytest.mark.libreoffice
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=networks())
@example(spec=from_mapping({  # a random run found it: a finite-difference slope 2.8e-12 off (cancellation)
    "layers": [1, 2, 2], "activation": "tanh", "weights": [-0.255, 0.29, 0.132, 0.749, 0.12, 0.768],
    "biases": [-1.0, 0.0, 0.0, 0.0], "train_biases": False, "eta": 0.1, "iterations": 100,
    "inputs": [[-0.659], [0.75], [-0.189]], "targets": [[-0.047, 0.0], [-0.757, 0.799], [-0.476, -0.75]]}))
def test_any_small_network_recalculates_to_the_reference(spec, tmp_path_factory):
    path = writer.build(spec, tmp_path_factory.mktemp("net") / "net.xlsx", sweep=())
    assert read(path, values=False).spec == spec  # verify checks the file against its own numbers
    report = verify(path)
    assert report.ok, report.text
    quantities = {c.name for c in Layout(spec.network, 1).columns[1:]}
    assert sum(c.cells for c in report.checks if c.name in quantities) == spec.iterations * len(quantities)
    assert [c.name for c in report.checks if c.name not in quantities] == ["Derivation", "Network", "Matrices", "Matrices Δ"]


@pytest.mark.libreoffice
def test_a_diverging_run_overflows_in_the_sheet_where_the_math_overflows(tmp_path):
    # a deep linear network at eta 2 blows up: past 1.8e308 the sheet shows #NUM!, the reference NaN
    spec = from_mapping({"layers": [3, 3, 2], "activation": "linear", "eta": 2.0, "iterations": 7,
                         "weights": [0, 0, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0, 0, 1],
                         "inputs": [[-0.75, 0, 1]], "targets": [[0, 0]]})
    exp = train(spec)
    assert np.isnan(exp["E_total"][-1]) and np.isfinite(exp["E_total"][0])
    report = verify(writer.build(spec, tmp_path / "diverge.xlsx", sweep=()))
    assert report.ok, report.text
    assert sum(c.n_overflowed for c in report.checks) == sum(int(np.isnan(exp[name]).sum()) for name in exp)
    assert "cells overflow to #NUM!" in report.text


def _loss(spec, weights, biases):
    """E_total of one forward pass, from the definitions, written in the tests (not the engine)."""
    return forward.of_spec(spec, weights, biases)


@settings(max_examples=150, deadline=None)
@given(spec=networks(max_iterations=1))
def test_reference_gradients_match_central_finite_differences(spec):
    net = spec.network
    table = train(spec, IEEE)
    # a ReLU at its kink has no derivative: keep away from it
    for s in range(1, net.n_samples + 1):
        for layer, act in enumerate(net.activations, 1):
            if act == "relu":
                for j in range(1, net.layers[layer] + 1):
                    name = (f"s{s}." if net.n_samples > 1 else "") + net.neuron(layer, j)
                    assume(abs(table[name][0]) > 1e-3)
    weights = np.array(spec.weights)
    biases = np.array(spec.biases) if spec.biases else np.zeros(net.n_biases)
    h = 1e-6
    for n in range(1, net.n_weights + 1):
        step = np.zeros_like(weights)
        step[n - 1] = h
        exp = (_loss(spec, weights + step, biases) - _loss(spec, weights - step, biases)) / (2 * h)
        got = table[f"∂E/∂w{n}"][0]
        assert got == pytest.approx(exp, rel=1e-5, abs=1e-9), f"∂E/∂w{n}"
    if net.bias_mode == "trained":
        for n in range(1, net.n_biases + 1):
            step = np.zeros_like(biases)
            step[n - 1] = h
            exp = (_loss(spec, weights, biases + step) - _loss(spec, weights, biases - step)) / (2 * h)
            assert table[f"∂E/∂b{n}"][0] == pytest.approx(exp, rel=1e-5, abs=1e-9), f"∂E/∂b{n}"


def test_names_follow_the_contract_for_every_shape():
    deep = Layout(presets.load("deep").network, 3)
    names = [c.name for c in deep.columns]
    assert names[:3] == ["iteration", "w1", "w2"]
    assert "b10" in names and "∂E/∂b10" in names  # trained biases get columns and gradients
    for name in ("s1.h1_1", "s1.a_h1_1", "s2.h3_2", "s2.a_h3_2", "s1.o1", "s2.a_o1", "s1.E1", "s2.E1",
                 "E_total", "s1.δ_o1", "s2.δ_h1_4"):
        assert name in names, name
    assert names.index("s1.E1") < names.index("s2.h1_1") < names.index("E_total") < names.index("s1.δ_o1")
    no_hidden = Layout(from_mapping({"layers": [4, 1], "inputs": [[1, 2, 3, 4]], "targets": [[1]]}).network, 1)
    assert [c.name for c in no_hidden.columns] == ["iteration", "w1", "w2", "w3", "w4", "o1", "a_o1", "E1",
                                                   "E_total", "δ_o1", "∂E/∂w1", "∂E/∂w2", "∂E/∂w3", "∂E/∂w4"]


def test_seed_network_workbook_is_unchanged_by_generality():
    assert [c.name for c in Layout(presets.load("mazur").network, 1).columns][9:17] == [
        "h1", "a_h1", "h2", "a_h2", "o1", "a_o1", "o2", "a_o2"]


def test_xor_preset_converges():
    spec = presets.load("xor")
    table = train(spec)
    assert spec.network.n_samples == 4 and spec.network.bias_mode == "trained"
    assert table["E_total"][-1] < 0.01 * table["E_total"][0]
    outputs = [table[f"s{s}.a_o1"][-1] for s in range(1, 5)]
    assert outputs[0] < 0.1 and outputs[1] > 0.9 and outputs[2] > 0.9 and outputs[3] < 0.1


@pytest.mark.libreoffice
@pytest.mark.parametrize("preset", ["xor", "deep"])
def test_new_presets_verify(preset, built):
    report = verify(built(preset))
    assert report.ok, report.text
