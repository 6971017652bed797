"""A user changes the learning rate in the workbook; LibreOffice retrains the whole sheet."""

import numpy as np
import pytest
from conftest import edit_cell

from xlbackprop.core import presets
from xlbackprop.core.reference import train
from xlbackprop.verifying.reader import read
from xlbackprop.verifying.verification import RTOL, verify
from xlbackprop.xlsx.engines import convert

pytestmark = pytest.mark.libreoffice


def test_new_eta_typed_into_the_package_retrains_every_row(built, tmp_path):
    edited = tmp_path / "eta-0.3.xlsx"
    edit_cell(built("class-2024"), edited, "B2", '<c r="B2" s="3" t="n"><v>0.3</v></c>')
    recalculated = read(convert(edited, tmp_path / "out"))
    assert recalculated.spec.eta == 0.3
    exp = train(presets.load("class-2024").with_overrides(eta=0.3))
    old = train(presets.load("class-2024"))
    for name, cells in recalculated.cells.items():
        np.testing.assert_allclose(np.array(cells, dtype=float), exp[name], rtol=RTOL, atol=0, err_msg=name)
    assert recalculated.cells["E_total"][-1] != pytest.approx(old["E_total"][-1], rel=1e-3)
    report = verify(edited)  # every cell agrees with the reference for eta 0.3 ...
    assert all(c.ok for c in report.checks), report.text
    assert report.stale and not report.ok  # ... but the file still stores eta 1's values: nothing recalculated it


def test_stale_cached_values_are_recalculated(built, tmp_path):
    """A file saved by a spreadsheet program carries cached values; after eta changes they are stale."""
    saved = convert(built("class-2021"), tmp_path / "saved")  # every cell now has a cached value
    edited = tmp_path / "edited.xlsx"
    edit_cell(saved, edited, "B2", '<c r="B2" s="3" t="n"><v>2</v></c>')
    stale = read(edited)
    assert stale.spec.eta == 2.0
    assert stale.cells["w1"][1] == pytest.approx(train(presets.load("class-2021"))["w1"][1], rel=RTOL)
    report = verify(edited)
    assert all(c.ok for c in report.checks), report.text  # recalculated, every cell agrees for eta 2
    assert "STALE: " in report.text and not report.ok  # and the stale values it stored are named
    fresh = read(convert(edited, tmp_path / "fresh"))
    exp = train(presets.load("class-2021").with_overrides(eta=2.0))
    assert fresh.cells["w1"][1] == pytest.approx(exp["w1"][1], rel=RTOL)
