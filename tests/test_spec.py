"""Presets, network files and the errors a user sees for bad input."""

import pytest

from xlbackprop.core import presets
from xlbackprop.core.errors import ExcelLimitError, SpecError
from xlbackprop.core.spec import from_mapping, load
from xlbackprop.sheets import limits

SEED = {"layers": [2, 2, 2], "weights": [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55],
        "inputs": [[0.05, 0.1]], "targets": [[0.5, 0.5]], "eta": 1.0}


def test_presets_are_the_design_documents():
    assert presets.names() == ["adam-vs-sgd", "class-2021", "class-2024", "deep", "mazur", "softmax-3class", "xor"]
    c24, c21, mazur = (presets.load(n) for n in ("class-2024", "class-2021", "mazur"))
    for spec in (c24, c21, mazur):
        assert spec.network.layers == (2, 2, 2)
        assert spec.network.activations == ("sigmoid", "sigmoid")
        assert spec.weights == (0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55)
        assert spec.inputs == ((0.05, 0.1),)
        assert spec.iterations == 100
    assert (c24.targets, c24.eta, c24.network.bias_mode) == (((0.5, 0.5),), 1.0, "none")
    assert (c21.targets, c21.eta, c21.network.bias_mode) == (((0.01, 0.99),), 0.5, "none")
    assert (mazur.targets, mazur.eta, mazur.network.bias_mode) == (((0.01, 0.99),), 0.5, "frozen")
    assert mazur.biases == (0.35, 0.35, 0.6, 0.6)


def test_overrides():
    spec = presets.load("class-2024").with_overrides(eta=0.1, iterations=7)
    assert (spec.eta, spec.iterations) == (0.1, 7)


BAD = [
    ({"layers": None}, "layers: is required"),
    ({"layers": [2]}, "layers: must list at least two sizes"),
    ({"layers": [2, 0, 2]}, "layers: sizes must be positive"),
    ({"activation": "softsign"}, "activation: unknown activation 'softsign'; choose from sigmoid, tanh, relu, "
                                 "linear, softmax (softmax on the output layer)"),
    ({"activation": "softmax"}, "activation: softmax is an output layer's activation, but layer 1 of 2 is hidden"),
    ({"weights": [0.1] * 7}, "weights: must hold 8 numbers for this network, got 7"),
    ({"weights": [0.1] * 7 + ["x"]}, "weights: must be a number, got 'x'"),
    ({"eta": "fast"}, "eta: must be a number, got 'fast'"),
    ({"eta": float("nan")}, "eta: must be a finite number"),
    ({"eta": 0}, "eta: must be a learning rate above 0, got 0"),
    ({"eta": -0.5}, "eta: must be a learning rate above 0, got -0.5"),
    ({"iterations": 0}, "iterations: must be a positive whole number, got 0"),
    ({"iterations": 2.5}, "iterations: must be a positive whole number"),
    ({"inputs": [[0.05]]}, "inputs[1]: must hold 2 numbers for this network, got 1"),
    ({"targets": [[0.5, 0.5], [0.5, 0.5]]}, "targets: has 2 rows but inputs has 1"),
    ({"biases": [0.35]}, "biases: must hold 4 numbers"),
    ({"lerning_rate": 0.5}, "lerning_rate: unknown key"),
    ({"title": 3}, "title: must be text"),
    ({"title": "a\x01bell"}, "title: contains the control character '\\x01', which a worksheet cannot hold"),
    ({"title": "x" * 1001}, "title: is 1,001 characters long; at most 1,000 fit a title"),
]


@pytest.mark.parametrize("change, exp", BAD, ids=[b[1].split(":")[0] + str(i) for i, b in enumerate(BAD)])
def test_bad_input_names_the_field(change, exp):
    with pytest.raises(SpecError) as err:
        from_mapping({**SEED, **change})
    got = str(err.value)
    assert got.startswith(exp)
    assert "\n" not in got


def test_a_workbook_past_excels_grid_is_an_excel_limit_error():
    """The spec is the network's; whether its workbook fits Excel is the sheets' rule (limits.enforce,
    which every build runs before writing anything)."""
    wide = from_mapping({"layers": [100, 100, 2], "inputs": [[0.0] * 100], "targets": [[0.0, 0.0]]})
    with pytest.raises(ExcelLimitError, match=r"layers: this network needs [\d,]+ columns, [\d,]+ more than Excel's 16,384"):
        limits.enforce(wide)
    with pytest.raises(ExcelLimitError, match="iterations: 1,048,576 iterations need rows 14 to 1,048,589, 13 past "
                                              "Excel's last row 1,048,576; at most 1,048,563 fit"):
        limits.enforce(from_mapping({**SEED, "iterations": 1_048_576}))


def test_missing_weights_are_drawn_from_seed_and_reproducible():
    data = {k: v for k, v in SEED.items() if k != "weights"}
    a, b, c = from_mapping({**data, "seed": 1}), from_mapping({**data, "seed": 1}), from_mapping({**data, "seed": 2})
    assert a.weights == b.weights != c.weights
    assert all(abs(w) <= 1 / 2**0.5 for w in a.weights)


def test_load_reports_toml_errors(tmp_path):
    bad = tmp_path / "net.toml"
    bad.write_text("layers = [2, 2\n")
    with pytest.raises(SpecError, match="not valid TOML"):
        load(bad)
    with pytest.raises(SpecError, match="config: no such file"):
        load(tmp_path / "missing.toml")


NET = 'layers = [2, 2, 2]\ninputs = [[0.05, 0.1]]\ntargets = [[0.5, 0.5]]\n'


def test_load_names_the_file_then_the_field(tmp_path):
    """Issue 18: 'weights: must hold 8 numbers' did not say which file."""
    net = tmp_path / "my-net.toml"
    net.write_text(NET + "weights = [0.1, 0.2, 0.3]\n")
    with pytest.raises(SpecError) as err:
        load(net)
    assert str(err.value) == f"{net}: weights: must hold 8 numbers for this network, got 3"
    assert (err.value.field, err.value.problem) == (str(net), "weights: must hold 8 numbers for this network, got 3")
    negative = tmp_path / "negative.toml"
    negative.write_text(NET + "eta = -1\n")
    with pytest.raises(SpecError) as err:
        load(negative)
    assert str(err.value).startswith(f"{negative}: eta: must be a learning rate above 0")


def test_a_broken_preset_names_itself(tmp_path, monkeypatch):
    (tmp_path / "short.toml").write_text(NET + "weights = [0.1]\n")
    (tmp_path / "garbled.toml").write_text("layers = [2, 2\n")
    monkeypatch.setattr(presets, "_folder", lambda: tmp_path)
    with pytest.raises(SpecError) as err:
        presets.load("short")
    assert str(err.value) == "preset short: weights: must hold 8 numbers for this network, got 1"
    with pytest.raises(SpecError) as err:
        presets.load("garbled")
    assert str(err.value).startswith("preset garbled: not valid TOML")


def test_the_presets_table_is_aligned_under_a_header():
    """Issue 18: the columns of `xlbackprop presets` did not line up."""
    header, *rows = presets.table().splitlines()
    assert header == "name            network    activation              biases   samples  eta  iterations  title"
    assert rows[2] == ("class-2024      2-2-2      sigmoid                 none           1    1         100  "
                       "the course's 2-2-2 sigmoid network, targets 0.5 and 0.5")
    assert rows[3].startswith("deep            3-4-3-2-1  tanh/relu/tanh/sigmoid  trained        2  0.5         300  3-4")
    assert [row.split()[0] for row in rows] == presets.names()
    left = [header.index(word) for word in ("network", "activation", "biases", "title")]
    right = [header.index(word) + len(word) for word in ("samples", "eta", "iterations")]
    for row in rows:  # a column starts (or, for numbers, ends) where its header does
        assert all(row[k - 1] == " " != row[k] for k in left), row
        assert all(row[k - 1] != " " == row[k] for k in right), row
    assert presets.table().isascii()
    assert [presets.describe(n) for n in presets.names()] == rows  # what the command prints, line by line
    with pytest.raises(SpecError, match="unknown preset 'nope'"):
        presets.describe("nope")
