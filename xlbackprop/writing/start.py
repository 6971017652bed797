"""The start workbook of the assignment: what a student fills in.

It is the ``Training`` sheet of :mod:`xlbackprop.writing.writer` before its rows are computed:
the same parameter block (the learning rate in B2, named ``eta``; the samples; the initial
values), the same header row in the contract's names, and iteration 1's weights, each linked
to its initial value (``=$B$12``, its value stored beside it). Every computed cell is empty.
A line under the title says what to do. The student's id, when there is one, is the custom
document property :data:`STUDENT`, which Excel, LibreOffice and Google Sheets keep when they
save, so grading knows whose numbers the file was given after any rename::

    write(spec, "assign/a17.xlsx", student="a17", rates=(0.1, 0.2, 0.5, 0.8, 1.0, 2.0))
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Sequence

from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty
from openpyxl.utils.cell import absolute_coordinate
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.writer.excel import ExcelWriter

from ..core import outputs
from ..core.network import bias_name, weight_name
from ..core.spec import Spec
from ..sheets.layout import ETA_ROW, SHEET, TITLE_ROW, Layout
from ..sheets.styles import named_styles
from . import printing
from .package import Package
from .stored import Planned
from .writer import FIXED_TIME, _CellMaker, _discard, _parameter_rows

STUDENT = "xlbackprop student"  # the custom document property holding the student's id


def instruction(layout: Layout, rates: Sequence[float]) -> str:
    """What the student is asked to do, in one line under the title."""
    first, last = layout.first_row, layout.last_row
    computed = [c.name for c in layout.columns if c.kind not in ("iteration", "weight", "bias")]
    asked = ", ".join(f"{r:g}" for r in rates)
    line = (f"Fill in row {first} from {computed[0]} to {computed[-1]} with formulas, "
            f"then row {first + 1}'s weights as w − η·∂E/∂w of row {first}, and fill down to iteration "
            f"{layout.iterations} (row {last}). Chart E_total by iteration.")
    if rates:
        line += f" Then train a copy of this sheet at each learning rate {asked}."
    return line


def write(spec: Spec, path: str | Path, student: str | None = None, title: str | None = None,
          rates: Sequence[float] = (), force: bool = False) -> Path:
    """Write the start workbook of ``spec`` to ``path`` (see the module docstring); an existing
    file is replaced only when it is an unchanged file of xlbackprop's, or with ``force``."""
    path = Path(path)
    outputs.workbook_target(path, force)
    layout = Layout(spec.network, spec.iterations)
    wb = Workbook(write_only=True)
    wb.properties.creator = "xlbackprop"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.properties.title = title or spec.title
    wb.custom_doc_props.append(StringProperty(name=outputs.PROPERTY, value=outputs.PLACEHOLDER))
    if student is not None:
        wb.custom_doc_props.append(StringProperty(name=STUDENT, value=student))
    styles = named_styles(state=bool(layout.constants))
    for style in dict.fromkeys(styles.values()):
        wb.add_named_style(style)
    ws = wb.create_sheet(SHEET)
    ws.column_dimensions["A"].width = 19
    for column in layout.columns[1:]:
        ws.column_dimensions[column.letter].width = 10 if column.kind in ("weight", "bias", "forward") else 11
    ws.freeze_panes = f"B{layout.first_row}"
    printing.table(ws, layout)
    cell = _CellMaker(ws, styles)
    rows = _parameter_rows(spec, layout, cell, SHEET)
    rows[TITLE_ROW - 1] = [cell(title or spec.title, "title", text=True)]
    rows[ETA_ROW - 1] = rows[ETA_ROW - 1][:2] + [cell("← the learning rate: every weight update reads it "
                                                      "(its name is eta)", "hint", text=True)]
    rows[TITLE_ROW - 1] += [None, cell(instruction(layout, rates), "hint", text=True)]
    for row in rows:
        ws.append(row)
    ws.append([cell(c.name, "header", text=True) for c in layout.columns])
    initial = {weight_name(n): (layout.initial_weight_cell(n), w) for n, w in enumerate(spec.weights, 1)}
    if spec.network.bias_mode == "trained":
        initial.update({bias_name(n): (layout.bias_cell(n), b) for n, b in enumerate(spec.biases, 1)})
    links, first = {}, [cell(1, "iteration")]
    for c in layout.columns[1:]:  # iteration 1's weights and biases link to their initial values
        if c.name in initial:
            source, value = initial[c.name]
            first.append(cell(f"={source}", c.kind))
            links[f"{c.letter}{layout.first_row}"] = value
        else:
            first.append(cell(None, c.kind))
    ws.append(first)
    wb.defined_names["eta"] = DefinedName("eta", attr_text=f"'{SHEET}'!{absolute_coordinate(layout.eta_cell)}")
    for name in layout.constants:
        wb.defined_names[name] = DefinedName(name, attr_text=f"'{SHEET}'!{layout.constant_cell(name)}")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with Package(tmp, "w", zipfile.ZIP_DEFLATED, values={"xl/worksheets/sheet1.xml": lambda: Planned(links)}) \
                as archive:
            ExcelWriter(wb, archive).write_data()
            archive.write_later()
        os.replace(tmp, path)
    except BaseException as exc:
        _discard(wb)  # openpyxl's half-written sheet stream, closed now rather than at exit
        if isinstance(exc, OSError):
            raise outputs.written_error("path", path, exc) from None
        raise
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
