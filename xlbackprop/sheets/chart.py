"""The charts: the loss chart of a training sheet, and the sweep's overlay of every rate.

Both are scatter charts with straight lines and no markers: a numeric x axis keeps its ticks
readable from 10 to 1,000,000 iterations (a line chart's category labels overprint).
"""

from __future__ import annotations

from openpyxl.chart import ScatterChart
from openpyxl.chart.data_source import (AxDataSource, NumData, NumDataSource, NumRef, NumVal, StrData, StrRef,
    StrVal)
from openpyxl.chart.legend import Legend
from openpyxl.chart.series import SeriesLabel, XYSeries
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RichTextProperties
from openpyxl.utils.cell import absolute_coordinate, get_column_letter, quote_sheetname

from ..core.network import E_TOTAL, ITERATION
from .layout import CHART_COLUMNS, Layout
from .sweep import HEADER_ROW, SweepPlan
from .sweep import SHEET as SWEEP_SHEET

SWEEP_CHART_SIZE = (12, 26)  # columns, rows
# one colour per rate, twelve that stay apart (a qualitative palette: Tableau's ten, then black and gold),
# so neighbouring rates such as 0.1 and 0.2 never share a hue (tests/test_workbook.py measures it)
SWEEP_COLOURS = ("1F77B4", "FF7F0E", "2CA02C", "D62728", "9467BD", "8C564B", "E377C2", "7F7F7F",
                 "BCBD22", "17BECF", "000000", "FFD700")


def chart_range(layout: Layout) -> str:
    """The cells the loss chart covers: ``"J1:O12"`` for the seed (right of the parameter block)."""
    first, below = layout.chart_box
    return f"{get_column_letter(first)}1:{get_column_letter(first + CHART_COLUMNS - 1)}{below - 1}"


def title_cell(layout: Layout) -> str:
    """The cell under the loss chart's corner whose text is the chart's title: ``"J1"`` for the seed."""
    return f"{get_column_letter(layout.chart_box[0])}1"


TITLE = "Loss E_total by iteration, η = "


def title_formula(eta: str = "eta") -> str:
    """The live title: it shows the sheet's η (``eta``: how the sheet reads it,
    :meth:`Layout.eta_reference`), so six screenshots of six rates tell themselves apart."""
    return f'="{TITLE}"&{eta}'


def loss_chart(ws, layout: Layout, eta: float, losses: list[float] | None = None) -> ScatterChart:
    """The chart, anchored to :func:`chart_range`, so it grows with the parameter block; its title
    is the text of :func:`title_cell` (``="Loss E_total by iteration, η = "&eta``), with the
    built η's text cached for readers that do not follow the link."""
    chart = _e_total_chart("", layout)
    cache = StrData(ptCount=1, pt=[StrVal(idx=0, v=f"{TITLE}{eta:g}")])
    text = Text(strRef=StrRef(f"{quote_sheetname(ws.title)}!{absolute_coordinate(title_cell(layout))}", strCache=cache))
    text.rich = None
    chart.title = Title(tx=text, overlay=False, txPr=_text(1100, bold=True))
    chart.series.append(_e_total_series(ws.title, layout, SeriesLabel(v="E_total"), "C00000", 28575,  # 2.25 pt
                                        losses))
    chart.legend = None
    # a wide, low chart (the block beside it is kept low): the title says what the axes are, and
    # the axes' numbers are small, so that the curve gets the height
    chart.x_axis.title = None
    for axis in (chart.x_axis, chart.y_axis):
        axis.txPr = _text(800)
    chart.y_axis.scaling.min = 0
    chart.y_axis.number_format = "0.000"
    first, below = layout.chart_box
    chart.anchor = TwoCellAnchor(_from=AnchorMarker(col=first - 1, row=0),  # 0-based, as drawing markers count
                                 to=AnchorMarker(col=first - 1 + CHART_COLUMNS, row=below - 1))
    return chart


def sweep_chart(plan: SweepPlan, losses: list[list[float] | None] | None = None) -> ScatterChart:
    """E_total of every rate sheet, overlaid on a logarithmic y axis (the curves of different rates
    span orders of magnitude); each curve's legend entry is the live header cell ``="eta "&...``
    (of a comparison: the optimizer's name, each curve read from its sheet's own E_total column)."""
    title = f"E_total by iteration, one curve per {'optimizer' if plan.compares else 'learning rate'}"
    chart = _e_total_chart(title, plan.layout)
    for k, sheet in enumerate(plan.sheets):
        label = absolute_coordinate(f"{get_column_letter(plan.column(k))}{HEADER_ROW}")
        chart.series.append(_e_total_series(sheet, plan.sheet_layout(k),
                                            SeriesLabel(strRef=StrRef(f"{quote_sheetname(SWEEP_SHEET)}!{label}")),
                                            SWEEP_COLOURS[k % len(SWEEP_COLOURS)], 22225,  # 1.75 pt
                                            losses[k] if losses else None))
    chart.legend = Legend()
    chart.legend.position = "r"
    if plan.reaches_zero:  # a log axis cannot show 0 (Excel warns, LibreOffice draws nothing): linear
        chart.y_axis.title = "E_total (linear scale: a loss reaches 0)"
        chart.y_axis.scaling.min = 0
        chart.y_axis.number_format = "0.000"
    else:
        chart.y_axis.title = "E_total (log scale)"
        chart.y_axis.scaling.logBase = 10
        chart.y_axis.scaling.min = plan.log_floor
        chart.y_axis.number_format = "0.0E+00"
    first = plan.chart_anchor_column
    columns, rows = SWEEP_CHART_SIZE
    chart.anchor = TwoCellAnchor(_from=AnchorMarker(col=first, row=0), to=AnchorMarker(col=first + columns, row=rows))
    return chart


def sweep_chart_range(plan: SweepPlan) -> str:
    """The cells the overlay chart covers, for pictures: ``"I1:T26"`` with six rates."""
    first = plan.chart_anchor_column + 1
    columns, rows = SWEEP_CHART_SIZE
    return f"{get_column_letter(first)}1:{get_column_letter(first + columns - 1)}{rows}"


def _e_total_chart(title: str, layout: Layout) -> ScatterChart:
    """A scatter chart with the x axis both charts share: iteration 0 .. the last, no gridlines."""
    chart = ScatterChart()
    chart.scatterStyle = "lineMarker"  # required by the schema (Excel writes it); the series say "no markers"
    chart.title = title
    chart.style = 2
    chart.x_axis.title = "iteration"
    chart.x_axis.scaling.min = 0
    chart.x_axis.scaling.max = layout.iterations
    chart.x_axis.number_format = "#,##0"
    chart.x_axis.majorGridlines = None
    for axis in (chart.x_axis, chart.y_axis):
        axis.delete = False
    return chart


def _text(size: int, bold: bool = False) -> RichText:
    """Text properties: ``size`` in hundredths of a point."""
    props = CharacterProperties(sz=size, b=bold)
    return RichText(bodyPr=RichTextProperties(), p=[Paragraph(pPr=ParagraphProperties(defRPr=props),
                                                              endParaRPr=props)])


def _e_total_series(sheet: str, layout: Layout, label: SeriesLabel, colour: str, width: int,
                    losses: list[float] | None = None) -> XYSeries:
    """E_total against iteration on ``sheet`` (``'Training'!$T$20:$T$119`` over ``$A$20:$A$119``),
    a straight line without markers, ``width`` in EMU; with ``losses``, the points are cached in
    the chart too, as Excel caches them, for readers that draw without computing.

    The references are written as text: openpyxl's ``Reference`` refuses rows past 1,000,000,
    and a full-height workbook's last row is 1,048,576."""
    def column(name: str) -> str:
        letter = layout.column[name].letter
        return f"{quote_sheetname(sheet)}!${letter}${layout.first_row}:${letter}${layout.last_row}"

    def cache(values: list[float] | None) -> NumData | None:
        if values is None:
            return None
        return NumData(ptCount=len(values), pt=[NumVal(idx=k, v=v) for k, v in enumerate(values) if v == v])

    iterations = list(range(1, layout.iterations + 1)) if losses is not None else None
    series = XYSeries(tx=label, xVal=AxDataSource(numRef=NumRef(f=column(ITERATION), numCache=cache(iterations))),
                      yVal=NumDataSource(numRef=NumRef(f=column(E_TOTAL), numCache=cache(losses))))
    series.marker.symbol = "none"
    series.smooth = False
    series.graphicalProperties.line.solidFill = colour
    series.graphicalProperties.line.width = width
    return series
