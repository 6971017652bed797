"""Issue 23's optimizers in the workbook: the network file's keys, the state columns, their formulas
recalculated by LibreOffice (and IronCalc, Gnumeric) against a run written here from the papers'
equations (tests/paper_optimizers.py), and verify's culprit when a moment estimate is tampered with."""

from __future__ import annotations

import dataclasses
import math
import zipfile

import numpy as np
import pytest
from conftest import edit_cell, worst_relative
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils.cell import column_index_from_string

import paper_optimizers as paper
from xlbackprop.core import presets
from xlbackprop.core.errors import SpecError
from xlbackprop.core.arithmetic import LIBREOFFICE
from xlbackprop.core.optimizers import CONSTANTS, DEFAULTS, STATE, Optimizer
from xlbackprop.core.optimizers import start as start_state
from xlbackprop.core.optimizers import step as optimizer_step
from xlbackprop.core import reference
from xlbackprop.core.reference import train, train_in_blocks
from xlbackprop.core.spec import from_mapping
from xlbackprop.sheets.expressions import Templates
from xlbackprop.sheets.layout import EXCEL_MAX_COLUMNS, Layout
from xlbackprop.verifying import reader
from xlbackprop.verifying.verification import verify
from xlbackprop.writing import writer
from xlbackprop.xlsx import engines

OPTIMIZERS = ["momentum", "rmsprop", "adam"]
SEED = {"layers": [2, 2, 2], "weights": [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55],
        "inputs": [[0.05, 0.1]], "targets": [[0.5, 0.5]], "eta": 1.0}
RTOL = 1e-12


def seed(optimizer: str, iterations: int = 1000, **constants):
    """The seed network (preset class-2024) trained by ``optimizer``."""
    return from_mapping({**SEED, "iterations": iterations, "optimizer": optimizer, **constants})


def _paper_run(spec) -> dict[str, list[float]]:
    net = spec.network
    return paper.run(net.layers, spec.weights, spec.inputs, spec.targets, spec.eta, spec.iterations, net.optimizer,
                     biases=spec.biases or None, train_biases=net.bias_mode == "trained", **spec.constants())


# -- the network file -------------------------------------------------------------------------------

BAD = [
    ({"optimizer": "adamw"}, "optimizer: must be one of sgd, momentum, rmsprop, adam, got 'adamw'"),
    ({"optimizer": "adam", "beta2": 1.0}, "beta2: must be in [0, 1), got 1.0"),
    ({"optimizer": "adam", "beta1": -0.1}, "beta1: must be in [0, 1), got -0.1"),
    ({"optimizer": "adam", "beta1": "0.9"}, "beta1: must be a number, got '0.9'"),
    ({"optimizer": "adam", "epsilon": 0}, "epsilon: must be above 0, got 0"),
    ({"optimizer": "rmsprop", "alpha": float("inf")}, "alpha: must be a finite number"),
    ({"optimizer": "momentum", "momentum": 1}, "momentum: must be in [0, 1), got 1"),
    ({"optimizer": "momentum", "beta1": 0.8}, 'beta1: is a constant of adam, not of optimizer \'momentum\'; '
                                              'remove it, or set optimizer = "adam"'),
    ({"beta1": 0.8}, "beta1: is a constant of adam, not of optimizer 'sgd'"),
    ({"optimizer": "momentum", "epsilon": 1e-6}, "epsilon: is a constant of rmsprop and adam, not of optimizer"),
]


@pytest.mark.parametrize("change, exp", BAD, ids=[str(b[0]) for b in BAD])
def test_a_bad_optimizer_key_names_its_field_in_one_line(change, exp):
    with pytest.raises(SpecError) as err:
        from_mapping({**SEED, **change})
    assert str(err.value).startswith(exp)
    assert "\n" not in str(err.value)


def test_each_optimizer_takes_its_own_constants_and_their_defaults():
    assert seed("adam").constants() == {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    assert seed("adam", beta1=0.5, epsilon=1e-6).constants() == {"beta1": 0.5, "beta2": 0.999, "epsilon": 1e-6}
    assert seed("rmsprop").constants() == {"alpha": 0.99, "epsilon": 1e-8}
    assert seed("momentum", momentum=0.5).constants() == {"momentum": 0.5}
    assert from_mapping(SEED) == from_mapping({**SEED, "optimizer": "sgd"})  # the default: SGD, no constants
    assert from_mapping(SEED).constants() == {}
    assert set(DEFAULTS) == {c for names in CONSTANTS.values() for c in names}


def test_the_constants_names_are_not_cell_addresses():
    """Excel refuses a defined name that is also a cell (w1, b1, E1): the letters of one are at most
    XFD, column 16,384; beta1's BETA would be column 39,053."""
    assert column_index_from_string("XFD") == EXCEL_MAX_COLUMNS
    for name in DEFAULTS:
        letters = name.rstrip("0123456789")
        assert name == letters or len(letters) > 3 or column_index_from_string(letters.upper()) > EXCEL_MAX_COLUMNS
    assert sum(26 ** k * (ord(c) - 64) for k, c in enumerate(reversed("BETA"))) == 39_053


# -- layout and formulas -----------------------------------------------------------------------------

def test_state_columns_sit_beside_their_weight_in_the_contracts_names():
    layout = Layout(seed("adam").network, 10)
    names = [c.name for c in layout.columns]
    assert names[:7] == ["iteration", "w1", "m_w1", "v_w1", "w2", "m_w2", "v_w2"]
    assert {c.kind for c in layout.columns if c.name[:2] in ("m_", "v_")} == {"state"}
    assert [c.name for c in Layout(seed("momentum").network, 10).columns][1:5] == ["w1", "v_w1", "w2", "v_w2"]
    assert [c.name for c in Layout(seed("rmsprop").network, 10).columns][1:5] == ["w1", "s_w1", "w2", "s_w2"]
    biased = from_mapping({**SEED, "optimizer": "adam", "train_biases": True})
    names = [c.name for c in Layout(biased.network, 10).columns]
    assert names[names.index("b1"):names.index("b1") + 3] == ["b1", "m_b1", "v_b1"]


def test_adam_formulas_read_the_named_constants_and_the_iteration():
    layout = Layout(seed("adam").network, 10)
    t = Templates(layout)
    assert layout.constant_cell("beta1") == "$B$6" and layout.first_row == 16
    assert t.formula("m_w1", 1) == "=beta1*0+(1-beta1)*AO16"
    assert t.formula("v_w1", 2) == "=beta2*D16+(1-beta2)*AO17*AO17"
    assert t.formula("w1", 2) == "=B16-eta*(C16/(1-beta1^A16))/(SQRT(D16/(1-beta2^A16))+epsilon)"
    rate_sheet = Templates(layout, layout.eta_reference("eta 0.1"))
    assert rate_sheet.formula("w1", 2) == "=B16-$B$2*(C16/(1-$B$6^A16))/(SQRT(D16/(1-$C$6^A16))+$D$6)"
    for name in ("LET(", "LAMBDA(", "OFFSET(", "INDIRECT("):
        assert not any(name in f for f in [*t.first.values(), *t.rest.values()])


# -- the reference against the papers --------------------------------------------------------------

@pytest.mark.parametrize("optimizer", ["sgd", *OPTIMIZERS])
def test_the_reference_follows_the_papers_on_the_seed_over_1000_iterations(optimizer):
    spec = seed(optimizer)
    exp, got = _paper_run(spec), train(spec)
    assert set(exp) == set(got)
    for name in exp:
        assert worst_relative(got[name], exp[name]) <= RTOL, name


@settings(max_examples=40, deadline=None)
@given(optimizer=st.sampled_from(OPTIMIZERS), sizes=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 2)),
       samples=st.integers(1, 3), trained=st.booleans(), data=st.data())
def test_any_small_network_follows_the_papers(optimizer, sizes, samples, trained, data):
    n_in, n_h, n_out = sizes
    unit = st.floats(-1, 1, allow_nan=False)
    constants = {name: data.draw(st.floats(0.0, 0.999) if name != "epsilon" else st.floats(1e-10, 1e-3), label=name)
                 for name in CONSTANTS[optimizer]}
    spec = from_mapping({
        "layers": [n_in, n_h, n_out],
        "weights": data.draw(st.lists(unit, min_size=n_in * n_h + n_h * n_out, max_size=n_in * n_h + n_h * n_out)),
        "biases": data.draw(st.lists(unit, min_size=n_h + n_out, max_size=n_h + n_out)), "train_biases": trained,
        "inputs": data.draw(st.lists(st.lists(unit, min_size=n_in, max_size=n_in), min_size=samples, max_size=samples)),
        "targets": data.draw(st.lists(st.lists(st.floats(0, 1), min_size=n_out, max_size=n_out),
                                      min_size=samples, max_size=samples)),
        "eta": data.draw(st.floats(1e-3, 2.0), label="eta"), "iterations": data.draw(st.integers(1, 40), label="iterations"),
        "optimizer": optimizer, **constants})
    exp, got = _paper_run(spec), train(spec)
    assert set(exp) == set(got)
    for name in exp:
        assert worst_relative(got[name], exp[name]) <= RTOL, name


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_a_run_in_blocks_carries_the_state_across_them(optimizer):
    """A long build computes its rows a block at a time: the state must go on where it left off,
    also where a block runs again from its first overflow (a linear network at a huge learning
    rate: #NUM! from iteration 3 on, or 8 for momentum at η = 30)."""
    diverging = [from_mapping({**SEED, "activation": "linear", "iterations": 40, "optimizer": optimizer, "eta": eta})
                 for eta in (1e75, 30.0)]
    for spec in (seed(optimizer, 300), *diverging):
        whole = train(spec)
        for size in (1, 2, 3, 5, 70):
            blocks = list(train_in_blocks(spec, size))
            for name in whole:
                assert np.array_equal(np.concatenate([b[name] for b in blocks]), whole[name], equal_nan=True), name
    assert np.isnan(train(diverging[0])["E_total"][2:]).all()


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_a_block_run_again_from_any_iteration_takes_up_the_state_there(optimizer, monkeypatch):
    """From its first error a block runs again (:func:`xlbackprop.core.reference._train`), from the
    weights and the optimizer's state that iteration started with. Told that iteration 6 of each
    block (or its last) had an error where none is, the run must not change."""
    spec = seed(optimizer, 40)
    whole, blocks = train(spec), list(train_in_blocks(spec, 9))
    monkeypatch.setattr(reference._Records, "first_error", lambda records, state: min(5, len(records.Et) - 1))
    again, again_blocks = train(spec), list(train_in_blocks(spec, 9))
    for name in whole:
        assert np.array_equal(again[name], whole[name]), name
        assert np.array_equal(np.concatenate([b[name] for b in again_blocks]),
                              np.concatenate([b[name] for b in blocks]), equal_nan=True), name


def test_adams_step_is_an_error_where_its_denominator_overflows():
    """=D16/(1-beta2^A16) past 1.8e308 is #NUM!, and so is the weight that divides by its root;
    in IEEE the step would be x / ∞ = 0 and the weight would stay as it was."""
    opt, g = Optimizer("adam", 0.1), np.array([1.5e154])  # v = (0.001·g)·g = 2.25e305, v̂ = 2.25e308
    with np.errstate(over="ignore"):  # as the reference runs it
        w, after = optimizer_step(opt, np.array([0.5]), g, start_state(opt, g))
    assert np.isfinite(after.arrays["v"]).all() and np.isnan(w).all()


def test_the_update_adds_and_subtracts_as_the_engine_does():
    """A step that cancels the weight to within 2⁻⁴⁸ is 0 in LibreOffice (=1-A1 with A1 = 1 − 2⁻⁵²),
    not the IEEE remainder: each optimizer's update goes through the engine's arithmetic."""
    for name in ("sgd", *OPTIMIZERS):
        opt = Optimizer(name, 0.5)
        g = np.array([0.3])
        step_size = -optimizer_step(opt, np.zeros(1), g, start_state(opt, g))[0][0]  # what the update takes off
        w = np.nextafter(step_size, np.inf)  # one ulp above it: w − step cancels
        ieee = optimizer_step(opt, np.array([w]), g, start_state(opt, g))[0][0]
        libreoffice = optimizer_step(opt, np.array([w]), g, start_state(opt, g), LIBREOFFICE)[0][0]
        assert ieee != 0 and libreoffice == paper.lo_sub(w, step_size) == 0.0, name


# -- the workbook ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """The seed with each optimizer over 1,000 iterations, no sweep; Adam's also with its sweep."""
    folder = tmp_path_factory.mktemp("optimizers")
    out = {name: writer.build(seed(name), folder / f"{name}.xlsx", sweep=()) for name in OPTIMIZERS}
    out["adam-sweep"] = writer.build(seed("adam", 100), folder / "adam-sweep.xlsx")
    return out


def test_the_workbook_names_its_constants_and_reads_back_as_its_spec(books, tmp_path):
    with zipfile.ZipFile(books["adam"]) as z:
        workbook = z.read("xl/workbook.xml").decode()
    for name, cell in (("beta1", "$B$6"), ("beta2", "$C$6"), ("epsilon", "$D$6"), ("eta", "$B$2")):
        assert f'<definedName name="{name}">\'Training\'!{cell}</definedName>' in workbook
    assert reader.read(books["adam"]).spec == seed("adam")
    assert reader.read(books["momentum"]).spec == seed("momentum")
    again = writer.build(seed("adam"), tmp_path / "again.xlsx", sweep=())
    assert again.read_bytes() == books["adam"].read_bytes()  # same spec, same bytes


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_ironcalc_recomputes_every_state_cell(books, optimizer):
    report = verify(books[optimizer], engine="ironcalc")
    assert report.ok, report.text
    state = {c.name: c.cells for c in report.checks if c.name.startswith(("m_", "v_", "s_"))}
    assert state == {f"{prefix}_w{n}": 1000 for n in range(1, 9) for prefix in STATE[optimizer]}


def _tamper_moment(src, dst):
    layout = Layout(seed("adam").network, 1000)
    cell = layout.cell("m_w3", 5)
    edit_cell(src, dst, cell, f'<c r="{cell}"><v>0.5</v></c>')
    return cell


@pytest.mark.parametrize("engine", [pytest.param("libreoffice", marks=pytest.mark.libreoffice), "ironcalc"])
def test_a_tampered_adam_moment_fails_verify_and_is_named_first(books, tmp_path, engine):
    cell = _tamper_moment(books["adam"], tmp_path / "tampered.xlsx")
    report = verify(tmp_path / "tampered.xlsx", engine=engine)
    assert not report.ok
    lines = report.text.splitlines()
    assert lines[1] == (f"CULPRIT {cell} (m_w3, iteration 5): holds 0.5, a constant where a formula belongs; "
                        f"xlbackprop writes =beta1*I19+(1-beta1)*AQ20")
    assert lines[-1].startswith("FAILED")


@pytest.mark.libreoffice
def test_libreoffice_matches_the_papers_in_every_cell_over_1000_iterations(books, tmp_path):
    """The issue's bar: the seed with each optimizer, recalculated by LibreOffice, against the run
    written from the papers' equations, within 1e-12 relative in every cell of every column."""
    converted = engines.convert_all([books[name] for name in OPTIMIZERS], tmp_path)
    for name, path in zip(OPTIMIZERS, converted):
        data = reader.read(path)
        exp = _paper_run(seed(name))
        assert set(data.cells) == set(exp), name
        for quantity, cells in data.cells.items():
            assert len(cells) == 1000 and all(isinstance(v, float) or v == 0 for v in cells), (name, quantity)
            assert worst_relative(cells, exp[quantity]) <= RTOL, (name, quantity)


@pytest.mark.libreoffice
def test_libreoffice_verify_holds_every_new_cell_with_the_sweep(books):
    report = verify(books["adam-sweep"], engine="libreoffice")
    assert report.ok, report.text
    checked = {c.name: c.cells for c in report.checks}
    assert checked["m_w3"] == checked["v_w8"] == 7 * 100  # Training and the six rate sheets


@pytest.mark.gnumeric
def test_gnumeric_recomputes_every_state_cell(books):
    report = verify(books["adam-sweep"], engine="gnumeric")
    assert report.ok, report.text
    assert {"m_w1", "v_w1"} <= {c.name for c in report.checks}


def test_sgd_is_the_default_and_adds_nothing():
    assert [c.name for c in Layout(from_mapping(SEED).network, 1).columns if c.kind == "state"] == []
    assert presets.load("class-2024").network.optimizer == "sgd"
    assert math.isclose(seed("adam").optimizer.beta2, 0.999)


@pytest.mark.parametrize("preset, optimizer, iterations", [("mazur", "adam", 1), ("xor", "momentum", 30),
                                                           ("deep", "rmsprop", 1), ("deep", "adam", 30)])
def test_every_kind_of_network_trains_by_any_optimizer(tmp_path, preset, optimizer, iterations):
    """Frozen biases (the optimizer's rows below theirs), samples on their side, trained biases and
    three hidden layers, one iteration (the Derivation sheet's update then computed there alone) or
    thirty with a sweep of two rates: every cell agrees in IronCalc, and the file reads back as its spec."""
    spec = dataclasses.replace(presets.load(preset), iterations=iterations)
    spec = from_mapping({**reader_mapping(spec), "optimizer": optimizer})
    path = writer.build(spec, tmp_path / "book.xlsx", sweep=(0.1, 2.0) if iterations > 1 else ())
    report = verify(path, engine="ironcalc")
    assert report.ok, report.text
    assert reader.read(path).spec == spec
    assert any(c.name.startswith(("m_b", "v_b", "s_b")) for c in report.checks) == (spec.network.bias_mode == "trained")


def reader_mapping(spec) -> dict:
    """A spec as a network file's keys (the presets' own files hold comments and a title)."""
    net = spec.network
    out = {"title": spec.title, "layers": list(net.layers), "activation": list(net.activations),
           "weights": list(spec.weights), "eta": spec.eta, "iterations": spec.iterations,
           "inputs": [list(x) for x in spec.inputs], "targets": [list(t) for t in spec.targets]}
    if net.bias_mode != "none":
        out.update(biases=list(spec.biases), train_biases=net.bias_mode == "trained")
    return out
