"""Pictures of a workbook's charts, drawn by LibreOffice: for READMEs and slides.

LibreOffice prints a sheet's print area to PDF with the charts in it; ``pdftoppm`` turns the
page into a PNG. The workbook is not changed: for each chart, a copy has every other sheet
hidden and the chart's cells as print area.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from openpyxl.utils.cell import absolute_coordinate, quote_sheetname

from . import reader, recalc
from .chart import chart_range, sweep_chart_range
from .errors import EngineError
from .layout import SHEET
from .sweep import SHEET as SWEEP_SHEET


def render(xlsx: str | Path, out_dir: str | Path, dpi: int = 110) -> list[Path]:
    """Write ``loss-chart.png`` (and ``sweep-chart.png`` with a sweep) for ``xlsx`` into ``out_dir``."""
    if shutil.which("pdftoppm") is None:
        raise EngineError("pdftoppm is not installed; install it with: apt-get install -y poppler-utils")
    xlsx, out_dir = Path(xlsx), Path(out_dir)
    layout, sweep = reader.read_charts(xlsx)
    pictures = [("loss-chart.png", SHEET, chart_range(layout))]
    if sweep is not None:
        pictures.append(("sweep-chart.png", SWEEP_SHEET, sweep_chart_range(sweep)))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, sheet, area in pictures:
        with tempfile.TemporaryDirectory(prefix="xlbackprop-render-") as tmp:
            copy = Path(tmp, Path(name).with_suffix(".xlsx"))
            _only_sheet_printed(xlsx, copy, sheet, f"{quote_sheetname(sheet)}!{absolute_coordinate(area)}")
            pdf = recalc.convert(copy, tmp, to="pdf")
            page = Path(tmp, "page")
            subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(pdf), str(page)],
                           check=True, capture_output=True, timeout=120)
            _crop_to_content(page.with_suffix(".png"), out_dir / name)
        written.append(out_dir / name)
    return written


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


def _only_sheet_printed(src: Path, dst: Path, sheet: str, area: str) -> None:
    """Copy the package ``src`` to ``dst`` with every sheet but ``sheet`` hidden (LibreOffice does
    not print hidden sheets) and ``area`` as that sheet's print area."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = _print_only(data.decode("utf-8"), sheet, area).encode("utf-8")
            zout.writestr(item, data)


def _print_only(workbook_xml: str, sheet: str, area: str) -> str:
    names = re.findall(r'<sheet [^>]*name="([^"]*)"', workbook_xml)
    index = [html.unescape(n) for n in names].index(sheet)
    counter = iter(range(len(names)))

    def hide_others(match: re.Match) -> str:
        element = match.group(0)
        if next(counter) == index:
            return element
        if 'state="' in element:
            return re.sub(r'state="[^"]*"', 'state="hidden"', element)
        return element.replace("<sheet ", '<sheet state="hidden" ', 1)

    text = re.sub(r"<sheet [^>]*>", hide_others, workbook_xml)
    text = re.sub(r'(activeTab|firstSheet)="\d+"', rf'\1="{index}"', text)  # a hidden active sheet gets printed
    name = f'<definedName name="_xlnm.Print_Area" localSheetId="{index}">{html.escape(area, quote=False)}</definedName>'
    if "<definedNames>" in text:
        return text.replace("<definedNames>", "<definedNames>" + name, 1)
    return text.replace("</sheets>", "</sheets><definedNames>" + name + "</definedNames>", 1)
