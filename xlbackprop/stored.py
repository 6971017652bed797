"""The value every formula cell stores beside its formula: what a reader that does not recalculate shows.

Excel's Protected View, e-mail and Drive previews, Quick Look, pandas, python-calamine and
SheetJS show a formula cell's stored value, ``<v>``, and never compute the formula. openpyxl
writes formulas with an empty ``<v></v>``, so this module fills it in as the parts are zipped,
from the reference engine, which agrees with LibreOffice to the last bit::

    <c r="J20" s="5"><f>B20*$B$11+C20*$C$11</f><v></v></c>
    -> <c r="J20" s="5"><f>B20*$B$11+C20*$C$11</f><v>0.027500000000000004</v></c>

A text result gets ``t="str"``, an overflow (NaN in the reference) ``t="e"`` and ``#NUM!``.
Each sheet's values come from a :class:`Values`: ``value(row, col)``, None where it has none.
The training sheets compute their reference run when their part is written, and drop it after.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from functools import cached_property, lru_cache
from typing import IO, Union

from openpyxl.utils.cell import column_index_from_string, coordinate_to_tuple, get_column_letter
from xml.sax.saxutils import escape

from . import derivation, diagram
from .chart import TITLE, title_cell
from .layout import Layout
from .network import E_TOTAL, ITERATION
from .reference import train
from .spec import Spec
from .sweep import HEADER_ROW

Value = Union[float, str, None]
CHUNK = 1 << 22
_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"((?: [^>]*?)?)><f>([^<]*)</f><v></v></c>')


CACHED_RUNS = 10_000  # iterations up to which a run is kept for the charts' caches and the Sweep table


def run(spec: Spec):
    """The reference run of ``spec``; short runs are remembered (the charts' caches, the Sweep
    table and the sheet's values all need them), long ones computed when asked and let go."""
    return _remembered(spec) if spec.iterations <= CACHED_RUNS else train(spec)


@lru_cache(maxsize=32)
def _remembered(spec: Spec):
    return train(spec)


def losses(spec: Spec) -> list[float] | None:
    """E_total at every iteration, for a chart's cache; None past :data:`CACHED_RUNS` iterations
    (a cache of a million points would outweigh the sheet; readers then draw from the cells)."""
    return [float(x) for x in run(spec)[E_TOTAL]] if spec.iterations <= CACHED_RUNS else None


def general(x: float) -> str:
    """A number as a spreadsheet's General format joins it to text: ``="eta "&0.1`` is ``eta 0.1``."""
    return f"{x:.15g}"


class Values:
    """The stored values of one sheet: ``value(row, col)``; ``stored(row, letters)`` gives it as
    the XML writes it, ``(b' t="str"', b"eta 0.1")``, or None."""

    def value(self, row: int, col: int) -> Value:
        raise NotImplementedError

    def stored(self, row: int, letters: bytes) -> tuple[bytes, bytes] | None:
        return _xml(self.value(row, column_index_from_string(letters.decode())))


def _xml(v: Value) -> tuple[bytes, bytes] | None:
    if v is None:
        return None
    if isinstance(v, str):
        return b' t="str"', escape(v).encode("utf-8")
    if math.isnan(v):
        return b' t="e"', b"#NUM!"
    return b"", repr(v).encode()


class Planned(Values):
    """Values of a small sheet, by coordinate: ``Planned({"B5": 0.0141})``."""

    def __init__(self, by_coordinate: dict[str, Value]):
        self.cells = {coordinate_to_tuple(c.replace("$", "")): v for c, v in by_coordinate.items()}

    def value(self, row: int, col: int) -> Value:
        return self.cells.get((row, col))


class Training(Values):
    """A training sheet: every quantity of every iteration from its reference run, and the loss
    chart's title cell (``Loss E_total by iteration, η = 1``)."""

    def __init__(self, spec: Spec, layout: Layout):
        self.spec, self.layout = spec, layout
        self.names = {c.index: c.name for c in layout.columns if c.name != ITERATION}
        self.title = coordinate_to_tuple(title_cell(layout))

    @cached_property
    def table(self):
        return run(self.spec)

    def value(self, row: int, col: int) -> Value:
        layout = self.layout
        if layout.first_row <= row <= layout.last_row and col in self.names:
            return float(self.table[self.names[col]][row - layout.first_row])
        if (row, col) == self.title:
            return TITLE + general(self.spec.eta)
        return None

    def stored(self, row: int, letters: bytes) -> tuple[bytes, bytes] | None:
        """The training rows' values as the XML writes them (the hot path: a column by its letters)."""
        k = row - self.layout.first_row
        column = self._columns.get(letters)
        if column is not None and 0 <= k < len(column):
            return _xml(float(column[k]))
        return super().stored(row, letters)

    @cached_property
    def _columns(self) -> dict[bytes, object]:
        return {get_column_letter(col).encode(): self.table[name] for col, name in self.names.items()}


def sweep(plan, spec: Spec, rates: tuple[float, ...]) -> Planned:
    """The Sweep table: each rate sheet's E_total at the table's iterations, and the live labels."""
    cells: dict[str, Value] = {}
    for k, (sheet, rate) in enumerate(zip(plan.sheets, rates)):
        e_total = run(replace(spec, eta=rate))[E_TOTAL]
        cells[f"{get_column_letter(plan.column(k))}{HEADER_ROW}"] = f"eta {general(rate)}"
        for iteration in plan.iterations:
            cells[plan.cell(k, iteration)] = float(e_total[iteration - 1])
    return Planned(cells)


def derivation_sheet(spec: Spec, layout: Layout) -> Planned:
    """The Derivation sheet's live cells at its own h, from one-iteration reference runs."""
    plan = derivation.plan(layout)
    start = replace(spec, iterations=min(2, spec.iterations))  # the steps of iteration 1, and its update
    perturbed = {(p, sign): train(derivation.perturbed_spec(start, p, sign, derivation.H))
                 for p in plan.parameters for sign in (1, -1)}
    context = derivation.Context(train(start), perturbed, derivation.H, spec)
    return Planned({c: float(e(context)) for c, e in plan.expected.items()})


def diagram_sheet(spec: Spec, layout: Layout) -> Planned:
    """The Network sheet at the iteration and sample it opens on (1 and 1)."""
    plan = diagram.plan(layout)
    table = train(replace(spec, iterations=1))
    return Planned({c: float(e(table, spec, 1, 1)) for c, e in plan.expected.items()})


def fill(src: IO[bytes], dst: IO[bytes], values: Values) -> None:
    """Copy a worksheet part from ``src`` to ``dst``, each empty ``<v></v>`` of a formula filled in."""
    def put(match: re.Match) -> bytes:
        found = values.stored(int(match[2]), match[1])
        if found is None:
            return match[0]
        kind, text = found
        return b'<c r="' + match[1] + match[2] + b'"' + match[3] + kind + b"><f>" + match[4] + b"</f><v>" + text \
            + b"</v></c>"

    rest = b""
    while True:
        chunk = src.read(CHUNK)
        if not chunk:
            dst.write(_CELL.sub(put, rest))
            return
        data = rest + chunk
        cut = data.rfind(b"</c>") + 4  # a chunk ends after a whole cell
        if cut < 4:
            rest = data
            continue
        dst.write(_CELL.sub(put, data[:cut]))
        rest = data[cut:]

