"""Pictures of a workbook's charts, drawn by LibreOffice: for READMEs and slides.

LibreOffice prints a sheet's print area to PDF with the charts in it; ``pdftoppm`` turns the
page into a PNG. The workbook is not changed: for each chart, a copy has every other sheet
hidden, the chart moved right of every used column and given a slide's shape
(:data:`PICTURE_INCHES`, 16:9), and those empty cells as print area, at 100 % on a page of its own.
At the default :data:`DPI` a picture is 1920 × 1080 pixels, its text as large on a slide as the
chart's points make it on paper: the loss chart's 8-point axes about 17 points on a 13.3-inch slide.
"""

from __future__ import annotations

import html
import math
import os
import posixpath
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

from openpyxl.utils.cell import get_column_letter, quote_sheetname

from ..core import scratch
from ..core.errors import EngineError
from ..sheets.layout import SHEET, Layout
from ..sheets.sweep import SHEET as SWEEP_SHEET
from ..xlsx import engines
from . import reader

PICTURE_INCHES = (6.4, 3.6)  # a picture's width and height: 16:9, a slide's shape
DPI = 300  # 1920 × 1080 pixels
# How wide each chart is drawn on paper before it is scaled to the picture: the sweep chart's
# text is LibreOffice's default (a 13-point title, 10-point axes), larger than the loss chart's
# 11-point title and 8-point axes, so it is drawn larger, and the two pictures' text matches.
DRAWN_INCHES = {"loss-chart.png": 6.4, "sweep-chart.png": 10.0}
MARGIN = 8  # pixels of white around the chart, within the picture
EMU = 914_400  # drawing units per inch
COLUMN_UNITS = 150  # the printed column under the chart: wider than the chart in any reader's widths
PAGE_MARGIN = 0.25  # inches; the page is A3, landscape: room for that column in every reader's widths
ROW_POINTS = 12.75  # the lowest row under the chart (the training sheets' rows)
MAX_COLUMN = 16_384
# what may follow the page setup in a sheet part, in the schema's order, up to the chart's drawing
AFTER_PAGE_SETUP = (b"customProperties", b"cellWatches", b"ignoredErrors", b"smartTags", b"drawing")


def render(xlsx: str | Path, out_dir: str | Path, dpi: int = DPI) -> list[Path]:
    """Write ``loss-chart.png`` (and ``sweep-chart.png`` with a sweep) for ``xlsx`` into ``out_dir``,
    each :data:`PICTURE_INCHES` at ``dpi`` (1920 × 1080 pixels at the default 300)."""
    if shutil.which("pdftoppm") is None:
        raise EngineError("pdftoppm is not installed; install it with: apt-get install -y poppler-utils")
    xlsx, out_dir = Path(xlsx), Path(out_dir)
    layout, sweep = reader.read_charts(xlsx)
    pictures = [("loss-chart.png", SHEET)]
    if sweep is not None:
        pictures.append(("sweep-chart.png", SWEEP_SHEET))
    size = (round(PICTURE_INCHES[0] * dpi), round(PICTURE_INCHES[1] * dpi))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, sheet in pictures:
        resolution = dpi * PICTURE_INCHES[0] / DRAWN_INCHES[name]
        chart = ((size[0] - 2 * MARGIN) / resolution, (size[1] - 2 * MARGIN) / resolution)
        with scratch.folder("xlbackprop-render-") as tmp:
            copy = Path(tmp, Path(name).with_suffix(".xlsx"))
            _chart_alone(xlsx, copy, sheet, layout, chart)
            pdf = engines.convert(copy, tmp, to="pdf")
            page = Path(tmp, "page")
            corner = [str(math.ceil((PAGE_MARGIN + inches + 1) * resolution)) for inches in chart]
            subprocess.run(["pdftoppm", "-png", "-r", f"{resolution:.6g}", "-f", "1", "-l", "1", "-x", "0", "-y", "0",
                            "-W", corner[0], "-H", corner[1], "-singlefile", str(pdf), str(page)],
                           check=True, capture_output=True, timeout=120)  # the page's corner with the chart
            _crop_to_content(page.with_suffix(".png"), out_dir / name, size)
        written.append(out_dir / name)
    return written


def _crop_to_content(src: Path, dst: Path, size: tuple[int, int]) -> None:
    """Cut the ``size`` pixels centred on the chart out of the white page."""
    from PIL import Image, ImageChops

    with Image.open(src) as page:
        rgb = page.convert("RGB")
    box = ImageChops.difference(rgb, Image.new("RGB", rgb.size, "white")).getbbox()
    if box is None:
        raise EngineError("LibreOffice drew an empty page: the chart did not render")
    left, top, right, bottom = box
    width, height = size
    x = min(max(0, (left + right - width) // 2), max(0, rgb.width - width))
    y = min(max(0, (top + bottom - height) // 2), max(0, rgb.height - height))
    picture = Image.new("RGB", size, "white")  # a page smaller than the picture (a tiny dpi) leaves white
    picture.paste(rgb.crop((x, y, min(rgb.width, x + width), min(rgb.height, y + height))))
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")  # renamed when whole: no half picture is left
    try:
        picture.save(tmp, format="PNG", optimize=True)
        os.replace(tmp, dst)
    finally:
        if tmp.exists():
            tmp.unlink()


def _chart_alone(src: Path, dst: Path, sheet: str, layout: Layout, inches: tuple[float, float]) -> None:
    """Copy the package ``src`` to ``dst`` with ``sheet``'s chart ``inches`` large in empty cells
    right of everything on it, those cells its print area at 100 % and every other sheet hidden
    (LibreOffice does not print hidden sheets)."""
    with zipfile.ZipFile(src) as zin:
        sheet_part, drawing_part = _parts(zin, sheet)
        drawing = zin.read(drawing_part).decode("utf-8")
        head, rest = _split_head(zin.read(sheet_part))
        column = max([int(c) + 1 for c in re.findall(r"<xdr:col>(\d+)</xdr:col>", drawing)]
                     + [len(layout.columns), layout.parameter_width]
                     + [int(m) for m in re.findall(rb'<col [^>]*?max="(\d+)"', _custom_cols(head))]) + 2
        if column > MAX_COLUMN:
            raise EngineError(f"{sheet}: no empty column right of the sheet to draw its chart in")
        row = layout.first_row  # rows below the header: none is hidden, none higher than its text
        rows = math.ceil(inches[1] * 72 / ROW_POINTS) + 2
        area = f"{quote_sheetname(sheet)}!${get_column_letter(column)}${row}:${get_column_letter(column)}${row + rows}"
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                if item.filename == sheet_part:
                    data = _widen(head, column) + _print_plain(rest)
                elif item.filename == drawing_part:
                    data = _move_chart(drawing, column - 1, row - 1, inches).encode("utf-8")
                elif item.filename == "xl/workbook.xml":
                    data = _print_only(zin.read(item).decode("utf-8"), sheet, area).encode("utf-8")
                else:
                    data = zin.read(item)
                zout.writestr(item, data)


def _parts(archive: zipfile.ZipFile, sheet: str) -> tuple[str, str]:
    """The zip members of ``sheet`` and of its drawing, found through the relationships."""
    book = archive.read("xl/workbook.xml").decode("utf-8")
    ids = {html.unescape(m[1]): m[2] for m in re.finditer(r'<sheet [^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"', book)}
    ids.update({html.unescape(m[2]): m[1] for m in re.finditer(r'<sheet [^>]*?r:id="([^"]*)"[^>]*?name="([^"]*)"', book)})

    def target(rels: str, folder: str, rel_id: str | None = None, kind: str | None = None) -> str:
        for rel in re.findall(r"<Relationship [^>]*>", archive.read(rels).decode("utf-8")):
            if (rel_id is None or f'Id="{rel_id}"' in rel) and (kind is None or f'/{kind}"' in rel):
                path = re.search(r'Target="([^"]*)"', rel)[1]
                return path.lstrip("/") if path.startswith("/") else posixpath.normpath(posixpath.join(folder, path))
        raise EngineError(f"{sheet}: the workbook has no {kind or 'sheet'} part for it")

    sheet_part = target("xl/_rels/workbook.xml.rels", "xl", rel_id=ids[sheet])
    folder, name = posixpath.split(sheet_part)
    return sheet_part, target(f"{folder}/_rels/{name}.rels", folder, kind="drawing")


def _split_head(part: bytes) -> tuple[bytes, bytes]:
    """A sheet part cut before its cells: the head (properties, columns) is small, the rest may be huge."""
    at = part.find(b"<sheetData")
    return part[:at], part[at:]


def _custom_cols(head: bytes) -> bytes:
    """The ``<col>`` elements of columns given a width or a style of their own (not a reader's
    blanket entry for every column left, such as LibreOffice writes)."""
    return b"".join(c for c in re.findall(rb"<col [^>]*>", head) if b'customWidth="1"' in c or b'customWidth="true"' in c)


def _widen(head: bytes, column: int) -> bytes:
    """The head with ``column`` :data:`COLUMN_UNITS` wide (splitting an entry that covers it)."""
    mine = f'<col min="{column}" max="{column}" width="{COLUMN_UNITS}" customWidth="1"/>'.encode()
    head = re.sub(rb"<pageSetUpPr[^>]*/>", b"", head)  # no fit to page: printed at 100 %
    if b"<cols>" not in head:
        return head + b"<cols>" + mine + b"</cols>"

    def split(match: re.Match) -> bytes:
        element = match.group(0)
        low, high = int(re.search(rb'min="(\d+)"', element)[1]), int(re.search(rb'max="(\d+)"', element)[1])
        if not low <= column <= high:
            return element
        parts = []
        if low < column:
            parts.append(re.sub(rb'max="\d+"', b'max="%d"' % (column - 1), element))
        parts.append(mine)
        if column < high:
            parts.append(re.sub(rb'min="\d+"', b'min="%d"' % (column + 1), element))
        return b"".join(parts)

    widened = re.sub(rb"<col [^>]*/>", split, head)
    if mine in widened:
        return widened
    return widened.replace(b"</cols>", mine + b"</cols>", 1)  # right of every column listed


def _print_plain(rest: bytes) -> bytes:
    """The sheet part's cells and tail, printed plainly: on A3, landscape, at 100 % with small
    margins, no header or footer, no page breaks, no grid."""
    at = rest.rfind(b"</sheetData>")
    cells, tail = (rest[:at + len(b"</sheetData>")], rest[at + len(b"</sheetData>"):]) if at >= 0 else \
        (rest[:rest.find(b"/>") + 2], rest[rest.find(b"/>") + 2:])
    for element in (rb"printOptions", rb"pageMargins", rb"pageSetup", rb"headerFooter", rb"rowBreaks", rb"colBreaks"):
        tail = re.sub(rb"<%s\b[^>]*/>|<%s\b.*?</%s>" % (element, element, element), b"", tail, flags=re.S)
    page = (b'<pageMargins left="%g" right="%g" top="%g" bottom="%g" header="0" footer="0"/>' % ((PAGE_MARGIN,) * 4)
            + b'<pageSetup paperSize="8" orientation="landscape" scale="100"/>')
    at = min(i for i in (tail.find(b"<%s" % e) for e in AFTER_PAGE_SETUP) if i >= 0)  # the drawing, at the latest
    return cells + tail[:at] + page + tail[at:]


def _move_chart(drawing: str, column: int, row: int, inches: tuple[float, float]) -> str:
    """The drawing with its (first) chart anchored at the 0-based ``column`` and ``row``, ``inches`` large."""
    anchor = re.compile(r"<xdr:(twoCellAnchor|oneCellAnchor|absoluteAnchor)\b[^>]*>(.*?)</xdr:\1>", re.S)
    for match in anchor.finditer(drawing):
        if "drawingml/2006/chart" not in match.group(2):
            continue
        body = re.sub(r"^\s*(<xdr:from>.*?</xdr:from>)?\s*(<xdr:to>.*?</xdr:to>)?\s*(<xdr:pos\b[^>]*/>)?"
                      r"\s*(<xdr:ext\b[^>]*/>)?", "", match.group(2), count=1, flags=re.S)
        body = re.sub(r"<xdr:xfrm\b[^>]*/>|<xdr:xfrm\b.*?</xdr:xfrm>", "<xdr:xfrm/>", body, count=1, flags=re.S)
        moved = (f"<xdr:oneCellAnchor><xdr:from><xdr:col>{column}</xdr:col><xdr:colOff>0</xdr:colOff>"
                 f"<xdr:row>{row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
                 f'<xdr:ext cx="{round(inches[0] * EMU)}" cy="{round(inches[1] * EMU)}"/>{body}</xdr:oneCellAnchor>')
        return drawing[:match.start()] + moved + drawing[match.end():]
    raise EngineError("the sheet's drawing holds no chart")


def _print_only(workbook_xml: str, sheet: str, area: str) -> str:
    """workbook.xml with every sheet but ``sheet`` hidden, ``area`` its print area and no sheet's
    print titles (they would print beside the chart)."""
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
    text = re.sub(r'<definedName [^>]*name="_xlnm\.Print_(?:Titles|Area)"[^>]*>.*?</definedName>', "", text, flags=re.S)
    name = f'<definedName name="_xlnm.Print_Area" localSheetId="{index}">{html.escape(area, quote=False)}</definedName>'
    if "<definedNames>" in text:
        return text.replace("<definedNames>", "<definedNames>" + name, 1)
    if "<definedNames/>" in text:
        return text.replace("<definedNames/>", "<definedNames>" + name + "</definedNames>", 1)
    return text.replace("</sheets>", "</sheets><definedNames>" + name + "</definedNames>", 1)
