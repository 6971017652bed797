"""Extreme learning rates: saturation and divergence show as numbers, never as #NUM! or #DIV/0!."""

import numpy as np
import pytest

from xlbackprop.core import presets
from xlbackprop.core.reference import train
from xlbackprop.sheets.sweep import sheet_name
from xlbackprop.verifying.reader import is_error, read_all
from xlbackprop.verifying.verification import verify
from xlbackprop.writing import writer
from xlbackprop.xlsx.engines import convert

EXTREME = (100.0, 1000.0, 1e6)


@pytest.mark.parametrize("preset", ["class-2024", "class-2021", "mazur", "xor", "deep"])
def test_reference_stays_finite_at_extreme_rates(preset):
    for eta in EXTREME:
        table = train(presets.load(preset).with_overrides(eta=eta))
        assert all(np.isfinite(v).all() for v in table.values()), (preset, eta)


def test_the_plain_sigmoid_form_would_overflow_at_these_rates():
    # =1/(1+EXP(-h1)) needs h1 > -709.78; xor at eta = 1e6 drives hidden sums far past that
    table = train(presets.load("xor").with_overrides(eta=1e6))
    sums = [f"s{s}.h{j}" for s in range(1, 5) for j in range(1, 4)]
    assert min(float(table[name].min()) for name in sums) < -709.78


@pytest.mark.libreoffice
@pytest.mark.parametrize("preset", ["class-2024", "class-2021", "mazur", "xor", "deep"])
def test_no_error_value_in_any_cell_and_libreoffice_agrees(preset, tmp_path):
    path = writer.build(presets.load(preset), tmp_path / "x.xlsx", sweep=EXTREME)
    report = verify(path)
    assert report.ok, report.text
    contents = read_all(convert(path, tmp_path / "out"))
    errors = [(sheet, name) for sheet, data in contents.training.items()
              for name, cells in data.cells.items() if any(is_error(v) for v in cells)]
    assert errors == []
    saturated = contents.training[sheet_name(1e6)].cells  # "eta 1e+06"
    assert all(isinstance(v, (int, float)) for v in saturated["E_total"])  # a number a person can read
