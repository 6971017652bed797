"""`render`'s pictures: slide-sized PNGs of the charts, drawn by LibreOffice from a copy of the
workbook (the workbook itself unchanged)."""

import re
import zipfile

import numpy as np
import pytest

from xlbackprop.core.presets import load
from xlbackprop.sheets.layout import Layout
from xlbackprop.verifying import render


def _copy(built, tmp_path, sheet="Training"):
    path = built("class-2024", sweep=(0.1, 2))
    copy = tmp_path / "copy.xlsx"
    render._chart_alone(path, copy, sheet, Layout(load("class-2024").network, 100), (6.3, 3.5))
    return path, copy


def test_the_copy_prints_only_the_chart_slide_shaped_at_full_scale(built, tmp_path):
    """The copy hides every other sheet, drops the print titles, prints the Training sheet at
    100 % without footer or page breaks, and moves its chart, 6.3 × 3.5 inches, into an empty
    column right of the table that is the print area."""
    path, copy = _copy(built, tmp_path)
    with zipfile.ZipFile(copy) as z:
        book = z.read("xl/workbook.xml").decode()
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        drawing = z.read("xl/drawings/drawing1.xml").decode()
    assert "Print_Titles" not in book
    areas = re.findall(r'<definedName name="_xlnm.Print_Area" localSheetId="0">([^<]*)<', book)
    assert areas == ["'Training'!$AH$14:$AH$36"]
    assert re.findall(r'state="(\w+)"', book).count("hidden") == 6  # every sheet but Training
    assert '<col min="34" max="34" width="150" customWidth="1"/></cols>' in sheet  # AH, right of AF (∂E/∂w8)
    assert "fitToPage" not in sheet and "headerFooter" not in sheet and "colBreaks" not in sheet
    assert re.findall(r"<pageSetup [^>]*/>", sheet) == ['<pageSetup paperSize="8" orientation="landscape" scale="100"/>']
    anchor = re.search(r"<xdr:oneCellAnchor><xdr:from><xdr:col>(\d+)</xdr:col>.*?<xdr:row>(\d+)</xdr:row>.*?"
                       r'<xdr:ext cx="(\d+)" cy="(\d+)"/>', drawing)
    assert anchor.groups() == ("33", "13", str(round(6.3 * 914400)), str(round(3.5 * 914400)))
    assert "twoCellAnchor" not in drawing
    with zipfile.ZipFile(path) as z:  # the workbook itself keeps its settings
        assert "Print_Titles" in z.read("xl/workbook.xml").decode()
        assert "<xdr:twoCellAnchor>" in z.read("xl/drawings/drawing1.xml").decode()


def test_the_sweep_copy_moves_the_sweep_chart(built, tmp_path):
    _, copy = _copy(built, tmp_path, sheet="Sweep")
    with zipfile.ZipFile(copy) as z:
        book = z.read("xl/workbook.xml").decode()
        drawings = {n: z.read(n).decode() for n in z.namelist() if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)}
    assert re.search(r'<definedName name="_xlnm.Print_Area" localSheetId="1">\'Sweep\'!\$AH\$14:\$AH\$36<', book)
    moved = [n for n, d in drawings.items() if "oneCellAnchor" in d]
    assert moved == ["xl/drawings/drawing2.xml"]  # the Sweep sheet's; the training sheets' stay


@pytest.mark.libreoffice
def test_pictures_are_slide_sized_at_the_default_resolution(built, tmp_path):
    """At the default 300 dpi both pictures are 1920 × 1080 (16:9), the loss chart's dark-red
    curve drawn across them; the workbook's bytes do not change."""
    from PIL import Image

    path = built("class-2024", sweep=(0.1, 2))
    before = path.read_bytes()
    pictures = render.render(path, tmp_path)
    assert [p.name for p in pictures] == ["loss-chart.png", "sweep-chart.png"]
    for picture in pictures:
        with Image.open(picture) as image:
            assert image.size == (1920, 1080), picture.name
            rgb = np.asarray(image.convert("RGB")).astype(int)
        dark = (rgb.sum(axis=2) < 200).mean(axis=0)  # share of each pixel column with text or lines
        assert (dark > 0).mean() > 0.5, picture.name  # the chart fills the picture's width
        assert rgb[:8].min() > 200 and rgb[-8:].min() > 200, picture.name  # a white margin, no cut-off chart
    with Image.open(pictures[0]) as image:
        rgb = np.asarray(image.convert("RGB")).astype(int)
    reds = (rgb[..., 0] > 150) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)
    columns = np.flatnonzero(reds.any(axis=0))
    assert columns.max() - columns.min() > 1500  # the curve spans the plot, iteration 1 to 100
    assert path.read_bytes() == before


@pytest.mark.libreoffice
def test_the_resolution_scales_the_picture(built, tmp_path):
    from PIL import Image

    (picture,) = render.render(built("mazur"), tmp_path, dpi=110)
    with Image.open(picture) as image:
        assert image.size == (704, 396)


from conftest import VALIDATOR  # noqa: E402


@pytest.mark.validator
@pytest.mark.parametrize("sheet", ["Training", "Sweep"])
def test_the_copy_is_schema_valid(built, tmp_path, sheet):
    """The copy's edited parts (columns, page setup, the moved anchor, the print area) keep to the schema."""
    import subprocess
    import sys

    _, copy = _copy(built, tmp_path, sheet)
    result = subprocess.run([sys.executable, str(VALIDATOR), str(copy)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
