"""The numpy reference against published numbers (DESIGN.md, Mazur's post) and finite differences."""

import forward
import numpy as np
import pytest

from xlbackprop.core import presets
from xlbackprop.core.arithmetic import IEEE, LIBREOFFICE
from xlbackprop.core.reference import train
from xlbackprop.core.spec import from_mapping

RTOL = 1e-12

# Row 1 of the 2-2-2 network without biases, the same for both class presets.
ROW1 = {"h1": 0.0275, "a_h1": 0.5068745667645342, "h2": 0.0425, "a_h2": 0.5106234010049637,
        "o1": 0.4325303571580474, "a_o1": 0.606477732206728, "o2": 0.5342801539349972,
        "a_o2": 0.6304808354506348}
PUBLISHED = {
    "class-2021": {"E_total": 0.24251985734837728, "∂E/∂w1": 0.0001882556669401121,
                   "∂E/∂w3": 0.0002248134625761188, "∂E/∂w5": 0.07215707291213626,
                   "∂E/∂w8": -0.04276924828006376},
    "class-2024": {"E_total": 0.014181377937891659, "∂E/∂w1": 0.0003169933959102902,
                   "∂E/∂w3": 0.0003517763215907322, "∂E/∂w5": 0.01288081863162825,
                   "∂E/∂w8": 0.015522308119994766},
}
ROW100 = {"class-2021": 0.029518058, "class-2024": 0.000024094}


@pytest.mark.parametrize("preset", ["class-2021", "class-2024"])
def test_row1_matches_published_values(preset):
    table = train(presets.load(preset))
    for name, exp in {**ROW1, **PUBLISHED[preset]}.items():
        got = table[name][0]
        assert got == pytest.approx(exp, rel=RTOL), name


@pytest.mark.parametrize("preset", ["class-2021", "class-2024"])
def test_row100_matches_published_e_total(preset):
    got = train(presets.load(preset))["E_total"][99]
    assert round(got, 9) == pytest.approx(ROW100[preset], abs=1e-15)


def test_mazur_first_iteration_and_step():
    table = train(presets.load("mazur"))
    assert table["a_h1"][0] == pytest.approx(0.593269992, abs=5e-10)
    assert table["a_o1"][0] == pytest.approx(0.75136507, abs=5e-9)
    assert table["a_o2"][0] == pytest.approx(0.772928465, abs=5e-10)
    assert table["E_total"][0] == pytest.approx(0.298371109, abs=5e-10)
    assert table["∂E/∂w5"][0] == pytest.approx(0.082167041, abs=5e-10)
    assert table["∂E/∂w1"][0] == pytest.approx(0.000438568, abs=5e-10)
    after_one_step = [0.149780716, 0.19956143, 0.24975114, 0.29950229, 0.35891648, 0.408666186,
                      0.511301270, 0.561370121]
    for n, exp in enumerate(after_one_step, 1):
        assert table[f"w{n}"][1] == pytest.approx(exp, abs=5e-9), f"w{n}"
    assert table["E_total"][1] == pytest.approx(0.29102777369359933, rel=RTOL)


def _loss(spec, weights, biases=None):
    """E_total of one forward pass, from the definitions, written in the tests (not the engine)."""
    return forward.of_spec(spec, weights, biases)


@pytest.mark.parametrize("preset", ["class-2021", "class-2024", "mazur", "xor", "deep"])
def test_the_independent_forward_pass_agrees_with_the_engine(preset):
    """The tests' own loss and the engine's, two implementations of one definition, at iteration 1."""
    spec = presets.load(preset)
    assert forward.of_spec(spec) == pytest.approx(train(spec, IEEE)["E_total"][0], rel=1e-13)


@pytest.mark.parametrize("preset", ["class-2021", "class-2024", "mazur"])
@pytest.mark.parametrize("iteration", [1, 37, 100])
def test_gradients_match_central_finite_differences(preset, iteration):
    spec = presets.load(preset)
    table = train(spec)
    weights = np.array([table[f"w{n}"][iteration - 1] for n in range(1, spec.network.n_weights + 1)])
    h = 1e-6
    for n in range(1, len(weights) + 1):
        plus, minus = weights.copy(), weights.copy()
        plus[n - 1] += h
        minus[n - 1] -= h
        exp = (_loss(spec, plus) - _loss(spec, minus)) / (2 * h)
        got = table[f"∂E/∂w{n}"][iteration - 1]
        assert got == pytest.approx(exp, rel=1e-6, abs=1e-11), f"∂E/∂w{n} at iteration {iteration}"


def test_libreoffice_arithmetic_rounds_cancellations_to_zero():
    a = np.array([1 - 2.0**-52, 1 - 2.0**-47, 0.5 + 2.0**-49, 0.5 + 2.0**-50])
    b = np.array([1.0, 1.0, 0.5, 0.5])
    assert list(IEEE.sub(a, b)) == [-(2.0**-52), -(2.0**-47), 2.0**-49, 2.0**-50]
    # below 2^-48 of the smaller operand: 0; at or above it: the IEEE difference
    assert list(LIBREOFFICE.sub(a, b)) == [0.0, -(2.0**-47), 2.0**-49, 0.0]
    assert list(LIBREOFFICE.add(a, -b)) == [0.0, -(2.0**-47), 2.0**-49, 0.0]
    assert LIBREOFFICE.sub(np.array([0.3]), np.array([0.1]))[0] == 0.3 - 0.1


def test_both_arithmetics_agree_until_the_loss_cancels():
    spec = presets.load("class-2021")
    libre, ieee = train(spec, LIBREOFFICE), train(spec, IEEE)
    for name in libre:
        np.testing.assert_array_equal(libre[name], ieee[name], err_msg=name)


def test_blocks_of_a_run_are_the_run():
    from xlbackprop.core.reference import train_in_blocks

    spec = presets.load("deep").with_overrides(iterations=130)
    whole, blocks = train(spec), list(train_in_blocks(spec, 50))
    assert [len(b["E_total"]) for b in blocks] == [50, 50, 30]
    for name in whole:
        assert np.array_equal(whole[name], np.concatenate([b[name] for b in blocks]), equal_nan=True), name


def test_a_run_guarded_from_its_first_iteration_is_the_same_run(monkeypatch):
    """Each block first runs without turning overflows into NaN and runs again from the first
    error; a run that turns them into NaN everywhere, as the sheet does, must give the same table."""
    from xlbackprop.core import reference
    from xlbackprop.core.arithmetic import error_where_infinite

    diverging = from_mapping({"layers": [3, 3, 2], "activation": "linear", "eta": 2.0, "iterations": 45,
                              "weights": [0, 0, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0, 0, 1],
                              "inputs": [[-0.75, 0, 1]], "targets": [[0, 0]]})  # #NUM! from iteration 6 on
    for spec in (diverging, presets.load("deep").with_overrides(iterations=40)):
        fast = train(spec)
        monkeypatch.setattr(reference, "_same", error_where_infinite)
        guarded = train(spec)
        monkeypatch.undo()
        assert np.isnan(fast["E_total"]).any() == (spec is diverging)
        for name in fast:
            assert np.array_equal(fast[name], guarded[name], equal_nan=True), name
