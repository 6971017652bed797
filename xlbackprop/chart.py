"""The loss chart: E_total against iteration, beside the parameter block.

A scatter chart with straight lines and no markers keeps a numeric x axis, so its ticks stay
readable from 10 to 1,000,000 iterations (a line chart's category labels overprint).
"""

from __future__ import annotations

from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.utils.cell import get_column_letter

from .layout import Layout
from .network import E_TOTAL, ITERATION

CHART_COLUMNS = 8


def chart_range(layout: Layout) -> str:
    """The cells the loss chart covers: ``"K1:R18"`` for the seed (right of the parameter block)."""
    first = layout.parameter_width + 2
    return f"{get_column_letter(first)}1:{get_column_letter(first + CHART_COLUMNS - 1)}{layout.header_row - 1}"


def loss_chart(ws, layout: Layout, title: str = "Loss E_total by iteration") -> ScatterChart:
    """The chart, anchored to :func:`chart_range`, so it grows with the parameter block."""
    x_col = layout.column[ITERATION].index
    y_col = layout.column[E_TOTAL].index
    xs = Reference(ws, min_col=x_col, min_row=layout.first_row, max_row=layout.last_row)
    ys = Reference(ws, min_col=y_col, min_row=layout.first_row, max_row=layout.last_row)
    series = Series(ys, xs, title="E_total")
    series.marker.symbol = "none"
    series.smooth = False
    series.graphicalProperties.line.solidFill = "C00000"
    series.graphicalProperties.line.width = 28575  # 2.25 pt, in EMU

    chart = ScatterChart()
    chart.title = title
    chart.style = 2
    chart.series.append(series)
    chart.legend = None
    chart.x_axis.title = "iteration"
    chart.y_axis.title = "E_total"
    chart.x_axis.scaling.min = 0
    chart.x_axis.scaling.max = layout.iterations
    chart.y_axis.scaling.min = 0
    chart.y_axis.number_format = "0.000"
    chart.x_axis.number_format = "#,##0"
    chart.x_axis.majorGridlines = None
    for axis in (chart.x_axis, chart.y_axis):
        axis.delete = False
    first_col = layout.parameter_width + 1  # 0-based, as drawing markers count
    chart.anchor = TwoCellAnchor(_from=AnchorMarker(col=first_col, row=0),
                                 to=AnchorMarker(col=first_col + CHART_COLUMNS, row=layout.header_row - 1))
    return chart
