"""check's parts, without a spreadsheet engine: labels, formulas, digits, the per-cell rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlbackprop.check.labels import is_eta_label, quantity
from xlbackprop.check.local import Bound, BoundAlgebra, Recompute, disagree
from xlbackprop.check.repair import math
from xlbackprop.check.rules import rules
from xlbackprop.core.arithmetic import IEEE
from xlbackprop.core.network import Network
from xlbackprop.core.reference import train
from xlbackprop.core.spec import from_mapping
from xlbackprop.xlsx.formula import FormulaError, evaluate, parse, relative_form, replace_spans
from xlbackprop.xlsx.scan import significant_digits

# Every spelling LABELS.md lists, and xlbackprop's own names, with the contract name each means.
LABELS = [
    ("w1", "w1"), ("W1", "w1"), ("a_h1", "a_h1"), ("out_h1", "a_h1"), ("act_h1", "a_h1"),
    ("out_h1 = σ(h1)", "a_h1"), ("a_o1", "a_o1"), ("a_O1", "a_o1"), ("out_o1", "a_o1"), ("act_o1", "a_o1"),
    ("E1", "E1"), ("e1", "E1"), ("E_total", "E_total"), ("E_Total", "E_total"), ("E_TOTAL", "E_total"),
    ("E_tot", "E_total"), ("Etotal", "E_total"), ("E_T", "E_total"), ("E_t", "E_total"),
    ("E = E1+E2", "E_total"), ("∂E/∂w1", "∂E/∂w1"), ("∂E_t/∂W1", "∂E/∂w1"), ("∂E_T/∂w1", "∂E/∂w1"),
    ("∂E_total/∂w1 ", "∂E/∂w1"), ("∂E∂W1", "∂E/∂w1"), ("δE_tot/δw1", "∂E/∂w1"), ("δE_total/δw1", "∂E/∂w1"),
    ("𝟃E/𝟃w1", "∂E/∂w1"), ("E∂w1", "∂E/∂w1"), ("EdW1", "∂E/∂w1"), ("Etotaldw1", "∂E/∂w1"), ("dw1", "∂E/∂w1"),
    ("∂(𝐸𝑡)/∂(𝑊3)", "∂E/∂w3"), ("h1 = w1*i1 + w2*i2", "h1"),
    ("∂E/∂w1 = ((out_o1-t1) * (out_o1(1-out_o1)) * (w5)) * (h1(1-h1)) *  (i1)", "∂E/∂w1"),
    ("η", "eta"), ("eta", "eta"), ("LR", "eta"), ("L.R", "eta"), ("Learning Rate", "eta"), ("t2", "t2"),
    ("i1", "i1"), ("b2", "b2"), ("epoch", "iteration"), ("h2_1", "h2_1"), ("a_h2_1", "a_h2_1"),
    ("s2.a_o1", "s2.a_o1"), ("δ_o1", "δ_o1"), ("∂E/∂b3", "∂E/∂b3"),
    ("a_01", "a_o1"), ("Loss", "E_total"), ("dE/dw3", "∂E/∂w3"), ("grad_w2", "∂E/∂w2"), ("w1 (i1→h1)", "w1"),
    ("W5: h1->o1", "w5"), ("target1", "t1"), ("Input 2", "i2"), ("∂E1/∂w5", None), ("∂E/∂a_h1", None), ("Forward Propagation", None), ("", None), (0.5, None),
]


@pytest.mark.parametrize("label, exp", LABELS)
def test_label_means_its_quantity(label, exp):
    assert quantity(label) == exp


@pytest.mark.parametrize("label", ["η =", "η", "eta", "LR", "LR=", "L.R", "LR (η) =", "Learning Rate",
                                   "Learning_rate", "learningRate=", "n=", "α = ", "ɳ = ", "ͷ", "h"])
def test_eta_labels(label):
    assert is_eta_label(label)


@pytest.mark.parametrize("text, exp", [
    ("=1/(1+EXP(-I33))", 1 / (1 + np.exp(-2.0))), ("= 0.5*(A33-R33)^2", 0.0), ("=-2^2", 4.0),
    ("=0.5*POWER(D30-U30,2)", 0.0), ("=1/2*(A14-R14)^2", 0.0), ("=SUM(A1:A3)*50%", 3.0),
    ("=IF(J20>=0,1,0)", 1.0), ("=1/(1+exp(-1*I14))", 1 / (1 + np.exp(-2.0))),
])
def test_formula_evaluates_as_a_spreadsheet_does(text, exp):
    got = evaluate(parse(text), lambda ref: 2.0, lambda a, b: [2.0, 2.0, 2.0])
    assert got == pytest.approx(exp, rel=1e-15)


@pytest.mark.parametrize("text", ["=A1+", "=FOO(A1)", "=(A1", "=\"x\"&"])
def test_formula_errors(text):
    with pytest.raises(FormulaError):
        evaluate(parse(text), lambda ref: 1.0)


def test_relative_form_is_the_same_down_a_column_and_differs_when_anchoring_does():
    assert relative_form("=E33-$H$30*X33", 34, 5) == relative_form("=E34-$H$30*X34", 35, 5)
    assert relative_form("=E33-H30*X33", 34, 5) == relative_form("=E34-H31*X34", 35, 5)
    assert relative_form("=E33-$H$30*X33", 34, 5) != relative_form("=E33-H30*X33", 34, 5)
    assert relative_form("=C14*E14 + D14*F14", 14, 9) == relative_form("=c15*e15+d15*f15", 15, 9)


def test_replace_spans_writes_the_repair_in_the_file_letters():
    text = "=((R33-A33)*R33*(1-R33)*N33)*J33*(1-J33)*C33"
    spans = {(m, m + 3): "L33" for m in (29, 36)}
    assert replace_spans(text, spans) == "=((R33-A33)*R33*(1-R33)*N33)*L33*(1-L33)*C33"


@pytest.mark.parametrize("x, exp", [("0.5068745668", 10), ("0.0001882556669401121", 16), ("2.014245767E-05", 10),
                                    ("0.15", 2), ("100", 1), ("-0.04245525009260471", 16), ("0", 1)])
def test_significant_digits(x, exp):
    assert significant_digits(x) == exp


class _Plain:
    """Plain numbers: the rules' algebra without bounds, to hold them against the reference."""

    def const(self, c):
        return c

    def add(self, x, y):
        return x + y

    def sub(self, x, y):
        return x - y

    def mul(self, x, y):
        return x * y

    def forward(self, activation, z):
        from xlbackprop.core.activations import ACTIVATIONS
        return ACTIVATIONS[activation].forward(np.asarray(z), IEEE)

    def slope(self, activation, z, a):
        from xlbackprop.core.activations import ACTIVATIONS
        return ACTIVATIONS[activation].derivative(np.asarray(z), np.asarray(a), IEEE)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=2, max_size=4), st.sampled_from(["sigmoid", "tanh", "linear"]),
       st.sampled_from(["none", "frozen", "trained"]), st.integers(1, 3), st.integers(0, 2**16))
def test_rules_recompute_the_reference_cell_by_cell(layers, activation, biases, samples, seed):
    """Each rule, fed the reference's own values of its parents, gives the reference's value:
    the per-cell math and the matrix math are the same backprop (two implementations)."""
    rng = np.random.default_rng(seed)
    data = {"layers": layers, "activation": activation, "eta": 0.7, "iterations": 3, "seed": seed,
            "inputs": rng.uniform(-1, 1, (samples, layers[0])).tolist(),
            "targets": rng.uniform(0, 1, (samples, layers[-1])).tolist()}
    if biases != "none":
        data["biases"] = rng.uniform(-1, 1, sum(layers[1:])).tolist()
        data["train_biases"] = biases == "trained"
    spec = from_mapping(data)
    table = train(spec, IEEE)
    net = spec.network
    given = {"eta": spec.eta}
    for s, (xs, ts) in enumerate(zip(spec.inputs, spec.targets), 1):
        given.update({f"{net.prefix(s)}i{k}": x for k, x in enumerate(xs, 1)})
        given.update({f"{net.prefix(s)}t{k}": t for k, t in enumerate(ts, 1)})
    if biases == "frozen":
        given.update({f"b{n}": b for n, b in enumerate(spec.biases, 1)})

    def get(name, offset):
        if name in given:
            return given[name]
        return table[name][1 + offset]

    for name, rule in rules(net).items():
        got = rule.compute(_Plain(), get)
        assert got == pytest.approx(table[name][1], rel=1e-12, abs=1e-15), name


def test_bound_follows_cancellation():
    """a - t near convergence: the bound grows with what cancelled, not with the small result."""
    alg = BoundAlgebra(1)
    a = Bound(np.array([0.5 + 1e-12]), np.array([0.5e-10]))  # stored with 10 digits
    t = alg.const(0.5)
    diff = alg.sub(a, t)
    assert diff.e[0] >= 0.5e-10 and abs(diff.v[0]) < 2e-12


def test_disagree_flags_a_slip_and_not_the_rounding():
    net = Network((2, 2, 2), ("sigmoid", "sigmoid"))
    spec = from_mapping({"layers": [2, 2, 2], "weights": [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55],
                         "inputs": [[0.05, 0.1]], "targets": [[0.01, 0.99]], "eta": 0.5, "iterations": 5})
    table = train(spec, IEEE)
    unit = 0.5e-9
    stored = {name: Bound(np.array([float(f"{x:.10g}") for x in table[name]]), unit * np.abs(table[name]))
              for name in ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "a_h1", "a_h2", "a_o1", "a_o2",
                           "∂E/∂w3")}
    given = {n: Bound(np.full(5, v), np.zeros(5)) for n, v in
             {"i1": 0.05, "i2": 0.1, "t1": 0.01, "t2": 0.99, "eta": 0.5}.items()}
    recompute = Recompute(rules(net), stored, given, 5)
    assert not disagree(stored["∂E/∂w3"], recompute.expected("∂E/∂w3"), unit).any()
    slipped = Bound(stored["∂E/∂w3"].v * (1 + 2.6e-4), stored["∂E/∂w3"].e)  # the template slip's size
    assert disagree(slipped, recompute.expected("∂E/∂w3"), unit).all()


def test_math_in_words():
    net = Network((2, 2, 2), ("sigmoid", "sigmoid"))
    assert math(net, "∂E/∂w1") == "((a_o1 − t1)·a_o1(1 − a_o1)·w5 + (a_o2 − t2)·a_o2(1 − a_o2)·w7)·a_h1(1 − a_h1)·i1"
    assert math(net, "E1") == "½(t1 − a_o1)²"
