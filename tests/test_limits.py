"""Excel's limits on formulas: every formula a build writes holds in Excel, or the build is refused
in one line before anything is written (LibreOffice accepts what Excel drops, so verify cannot tell)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from xlbackprop.cli import main
from xlbackprop.core.errors import ExcelLimitError
from xlbackprop.core.spec import from_mapping
from xlbackprop.sheets.limits import MAX_ARGUMENTS, MAX_LENGTH, MAX_NESTING, _shape
from xlbackprop.writing import writer
from xlbackprop.xlsx import grid
from xlbackprop.xlsx.formula import parse


def _spec(fan_in: int, hidden: int, samples: int):
    return from_mapping({"layers": [fan_in, hidden, 1], "iterations": 2, "eta": 0.5,
                         "inputs": [[0.01 * (k % 7)] * fan_in for k in range(samples)],
                         "targets": [[0.5]] * samples})


@pytest.mark.slow  # planning a 300-sample Derivation sheet takes half a minute
@settings(max_examples=8, deadline=None)
@given(fan_in=st.sampled_from([1, 3, 60, 700]), hidden=st.sampled_from([1, 3]), samples=st.sampled_from([1, 3, 300]))
def test_every_formula_holds_in_excel_or_the_build_is_refused(tmp_path_factory, fan_in, hidden, samples):
    spec = _spec(fan_in, hidden, samples)
    path = tmp_path_factory.mktemp("limits") / "net.xlsx"
    try:
        writer.build(spec, path, sweep=())
    except ExcelLimitError as exc:
        assert "\n" not in str(exc) and "more than Excel's" in str(exc)
        assert not path.exists()
        return
    for sheet in grid.read(path).sheets:
        for text in sheet.formulas.values():
            assert len(text) <= MAX_LENGTH
            arguments, depth = _shape(parse(text))
            assert arguments <= MAX_ARGUMENTS and depth <= MAX_NESTING


@pytest.mark.parametrize("layers, samples", [([700, 1], 1), ([2, 2, 1], 300)])
def test_fan_in_700_and_300_samples_are_refused_in_one_line(tmp_path, layers, samples):
    config = tmp_path / "net.toml"
    config.write_text(f"layers = {layers}\niterations = 2\n"
                      f"inputs = {[[0.1] * layers[0]] * samples}\ntargets = {[[0.5]] * samples}\n")
    result = CliRunner().invoke(main, ["build", "--config", str(config), "-o", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert result.output.startswith("error: network: the formula of ") and "more than Excel's" in result.output
    assert not (tmp_path / "out.xlsx").exists()
