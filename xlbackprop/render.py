"""Pictures of a workbook's charts, drawn by LibreOffice: for READMEs and slides.

LibreOffice prints a sheet's print area to PDF with the charts in it; ``pdftoppm`` turns the
page into a PNG. The workbook is not changed: a copy gets the chart's cells as print area.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from openpyxl.utils.cell import absolute_coordinate

from . import reader, recalc
from .chart import chart_range
from .errors import EngineError
from .layout import SHEET


def render(xlsx: str | Path, out_dir: str | Path, dpi: int = 110) -> list[Path]:
    """Write ``loss-chart.png`` for ``xlsx`` into ``out_dir``; return the pictures written."""
    if shutil.which("pdftoppm") is None:
        raise EngineError("pdftoppm is not installed; install it with: apt-get install -y poppler-utils")
    xlsx, out_dir = Path(xlsx), Path(out_dir)
    layout = reader.read(xlsx, values=False).layout
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlbackprop-render-") as tmp:
        copy = Path(tmp, "loss-chart.xlsx")
        _with_print_area(xlsx, copy, f"'{SHEET}'!{absolute_coordinate(chart_range(layout))}")
        pdf = recalc.convert(copy, tmp, to="pdf")
        page = Path(tmp, "page")
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(pdf), str(page)],
                       check=True, capture_output=True, timeout=120)
        target = out_dir / "loss-chart.png"
        _crop_to_content(page.with_suffix(".png"), target)
    return [target]


def _crop_to_content(src: Path, dst: Path, margin: int = 8) -> None:
    """Cut the white page around the chart, keeping a small margin."""
    from PIL import Image, ImageChops

    with Image.open(src) as page:
        rgb = page.convert("RGB")
        box = ImageChops.difference(rgb, Image.new("RGB", rgb.size, "white")).getbbox()
        if box is None:
            raise EngineError("LibreOffice drew an empty page: the chart did not render")
        left, top, right, bottom = box
        rgb.crop((max(0, left - margin), max(0, top - margin), min(rgb.width, right + margin),
                  min(rgb.height, bottom + margin))).save(dst, optimize=True)


def _with_print_area(src: Path, dst: Path, area: str) -> None:
    """Copy the package ``src`` to ``dst`` with ``area`` as the Training sheet's print area."""
    name = f'<definedName name="_xlnm.Print_Area" localSheetId="0">{area}</definedName>'
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/workbook.xml":
                text = data.decode("utf-8")
                if "<definedNames>" in text:
                    text = text.replace("<definedNames>", "<definedNames>" + name, 1)
                else:
                    text = re.sub(r"(</sheets>)", r"\1<definedNames>" + name + "</definedNames>", text, count=1)
                data = text.encode("utf-8")
            zout.writestr(item, data)
