"""Random network files and random command lines: each builds a workbook that verifies, or fails
with one clean line, exit code 2, and nothing written."""

import json
import math

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from xlbackprop.cli import main
from xlbackprop.verifying.verification import verify

SEED = {"title": "fuzz", "layers": [2, 2, 2], "activation": "sigmoid",
        "weights": [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55], "eta": 0.5, "iterations": 5,
        "inputs": [[0.05, 0.1]], "targets": [[0.01, 0.99]]}
KEYS = list(SEED) + ["seed", "biases", "train_biases", "lerning_rate"]

junk = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 5), st.integers(2**40, 2**62),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
    st.text(alphabet=st.characters(max_codepoint=0x20), max_size=3),  # control characters
    st.sampled_from(["=1+1", "tanh", "relu", "linear", "softmax", "\x01bell", ""]),
    st.lists(st.integers(-1, 4), max_size=5), st.lists(st.floats(-2, 2), max_size=10),
    st.lists(st.lists(st.floats(-1, 1), max_size=3), max_size=3),
)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


@st.composite
def network_files(draw):
    data = dict(SEED)
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(KEYS))
        if draw(st.booleans()) and key in data:
            del data[key]
        else:
            data[key] = draw(junk)
    return "\n".join(f"{k} = {toml_value(v)}" for k, v in data.items() if v is not None) + "\n"


def check_outcome(result, target, tmp_path):
    """Either a workbook that verifies, or one line, exit 2, and no file."""
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        report = verify(target)
        assert report.ok, report.text
    else:
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
        assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@pytest.mark.libreoffice
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=network_files())
def test_any_network_file_builds_a_verified_workbook_or_fails_cleanly(text, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    config, target = folder / "net.toml", folder / "out" / "net.xlsx"
    config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--sweep", "none", "-o", str(target)])
    check_outcome(result, target, target.parent if target.parent.exists() else folder)


OPTIONS = st.one_of(
    st.tuples(st.just("--preset"), st.sampled_from(["class-2024", "mazur", "xor", "deep", "nope", ""])),
    st.tuples(st.just("--lr"), st.sampled_from(["0.5", "-1", "1e6", "nan", "inf", "x", "1e400", "0"])),
    st.tuples(st.just("--iterations"), st.sampled_from(["1", "3", "0", "-5", "2.5", "1048564", "abc"])),  # 1048564: one past the last row
    st.tuples(st.just("--sweep"), st.sampled_from(["none", "0.1,1", "1,1", "x", "", "1e308", "0.5," * 13])),
    st.tuples(st.just("--progress"),), st.tuples(st.just("--bogus"),),
)


@pytest.mark.libreoffice
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(options=st.lists(OPTIONS, max_size=4))
@example(options=[("--iterations", "1048564"), ("--progress",)])  # found: the bar began before the refusal
def test_any_command_line_builds_a_verified_workbook_or_fails_cleanly(options, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    target = folder / "out.xlsx"
    args = ["build", "-o", str(target)] + [part for option in options for part in option]
    if "--iterations" not in args:
        args += ["--iterations", "4"]  # keeps each example quick; the option itself is fuzzed above
    result = CliRunner().invoke(main, args)
    check_outcome(result, target, folder)
