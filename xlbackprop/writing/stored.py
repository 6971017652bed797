"""The value every formula cell stores beside its formula: what a reader that does not recalculate shows.

Excel's Protected View, e-mail and Drive previews, Quick Look, pandas, python-calamine and
SheetJS show a formula cell's stored value, ``<v>``, and never compute the formula. openpyxl
writes formulas with an empty ``<v></v>``, so this module fills it in as the parts are zipped,
from the reference engine, which agrees with LibreOffice to the last bit::

    <c r="J1" s="4"><f>"Loss E_total by iteration, η = "&amp;eta</f><v></v></c>
    -> <c r="J1" s="4" t="str"><f>"Loss E_total by iteration, η = "&amp;eta</f><v>Loss ... η = 1</v></c>

The training sheets' iteration rows do not pass through openpyxl at all: :meth:`Training.rows`
writes them, formulas and values, straight into the part as it is zipped::

    <row r="14"><c r="A14" s="6" t="n"><v>1</v></c><c r="B14" s="8"><f>$B$12</f><v>0.15</v></c>...

A text result gets ``t="str"``, an overflow (NaN in the reference) ``t="e"`` and ``#NUM!``.
Each sheet's values come from a :class:`Values`: ``value(row, col)``, None where it has none.
The training sheets compute their reference run when their part is written, and drop it after;
a run too long or too wide to keep whole (:func:`kept`) is computed by a second process while
the rows are written (:mod:`xlbackprop.writing.second_process`).
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from functools import cached_property, lru_cache
from typing import IO, Callable, Iterator, Union
from xml.sax.saxutils import escape

import numpy as np
from openpyxl.utils.cell import column_index_from_string, coordinate_to_tuple, get_column_letter

from ..core.network import E_TOTAL
from ..core.reference import train, train_in_blocks
from ..core.spec import Spec
from ..sheets import derivation, diagram, matrices
from ..sheets.chart import TITLE, title_cell
from ..sheets.expressions import Templates
from ..sheets.layout import SHEET, Layout
from ..sheets.sweep import HEADER_ROW, summary_iterations
from . import second_process

Value = Union[float, str, None]
CHUNK = 1 << 22
ROWS_PER_BLOCK = 2_000  # iteration rows made and zipped at a time
BLOCK_CELLS = 100_000  # and at most this many cells (a wide network's rows); a long run is computed so many at a time
# a formula cell openpyxl wrote, its value empty: <c r="B5" s="3"><f>...</f><v></v></c>, or an array
# formula's first cell, <f t="array" ref="B9:C10">MMULT(...)</f>
_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"((?: [^>]*?)?)><f((?: t="array" ref="[A-Z0-9:]+")?)>([^<]*)</f><v></v></c>')


CACHED_RUNS = 10_000  # iterations up to which the charts cache their points
KEPT_CELLS = 400_000  # cells of a run kept whole in this process (3.2 MB; the seed network's 10,000 iterations)


def kept(spec: Spec) -> bool:
    """Whether ``spec``'s run is kept whole here, for the chart's cache, the Sweep table and the
    sheet's rows alike; a longer or wider one is computed a block at a time (flat memory)."""
    return spec.iterations <= CACHED_RUNS and spec.iterations * (len(Layout(spec.network, 1).columns) - 1) \
        <= KEPT_CELLS


def run(spec: Spec):
    """The reference run of ``spec``: remembered when :func:`kept`, else computed when asked and let go."""
    return _remembered(spec) if kept(spec) else train(spec)


@lru_cache(maxsize=32)
def _remembered(spec: Spec):
    return train(spec)


def e_total(spec: Spec) -> np.ndarray:
    """E_total at every iteration of ``spec``'s run; a run not :func:`kept` is computed a block
    at a time and only its E_total kept (8 bytes an iteration)."""
    if kept(spec):
        return run(spec)[E_TOTAL]
    size = max(1, BLOCK_CELLS // (len(Layout(spec.network, 1).columns) - 1))
    return np.concatenate([block[E_TOTAL] for block in train_in_blocks(spec, size)])


def losses(spec: Spec) -> list[float] | None:
    """E_total at every iteration, for a chart's cache; None past :data:`CACHED_RUNS` iterations
    (a cache of a million points would outweigh the sheet; readers then draw from the cells)."""
    return [float(x) for x in e_total(spec)] if spec.iterations <= CACHED_RUNS else None


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

    def rows(self) -> Iterator[bytes]:
        """Rows the sheet part leaves to this to write, as XML (none but a training sheet's)."""
        return iter(())


def _xml(v: Value) -> tuple[bytes, bytes] | None:
    if v is None:
        return None
    if isinstance(v, str):
        return b' t="str"', escape(v).encode("utf-8")
    if math.isnan(v):
        return b' t="e"', b"#NUM!"
    return b"", repr(v).encode()


class Later:
    """How to get the values of a sheet whose part is zipped after every other part, because its
    values come from theirs (the Sweep table, from the rate sheets' runs): ``Later(make)()`` is ``make()``."""

    def __init__(self, make: Callable[[], Values]):
        self.make = make

    def __call__(self) -> Values:
        return self.make()


class Planned(Values):
    """Values of a small sheet, by coordinate: ``Planned({"B5": 0.0141})``."""

    def __init__(self, by_coordinate: dict[str, Value]):
        self.cells = {coordinate_to_tuple(c.replace("$", "")): v for c, v in by_coordinate.items()}

    def value(self, row: int, col: int) -> Value:
        return self.cells.get((row, col))


class Training(Values):
    """A training sheet: every quantity of every iteration from its reference run, and the loss
    chart's title cell (``Loss E_total by iteration, η = 1``).

    It also writes the iteration rows themselves (:meth:`rows`), formulas and values, as ready
    XML in the ``styles`` given (the ``s`` of each column): the writer leaves them out of openpyxl,
    whose cell-by-cell path costs seven times the XML's own making. ``progress(k)`` hears of the
    k rows written so far."""

    def __init__(self, spec: Spec, layout: Layout, styles: list[int],
                 progress: Callable[[int], None] | None = None, e_totals: dict[str, dict[int, float]] | None = None,
                 sheet: str = SHEET):
        self.spec, self.layout, self.sheet = spec, layout, sheet
        self.title = coordinate_to_tuple(title_cell(layout))
        self.styles, self.progress = styles, progress
        self.e_totals = e_totals  # once the rows are written, E_total at the Sweep table's iterations, by sheet

    def rows(self) -> Iterator[bytes]:
        """The iteration rows' XML, a block of rows at a time::

            <row r="14"><c r="A14" s="6" t="n"><v>1</v></c><c r="B14" s="8"><f>$B$12</f><v>0.15</v></c>...
        """
        layout, templates = self.layout, Templates(self.layout, self.layout.eta_reference(self.sheet))
        columns = layout.columns[1:]
        first, rest = (self._row_template(columns, t) for t in (templates.first, templates.rest))
        step = max(1, min(ROWS_PER_BLOCK, layout.iterations // 200, BLOCK_CELLS // len(columns)))
        names = [c.name for c in columns]
        if kept(self.spec):
            matrices = iter([np.column_stack([self.table[name] for name in names])])
        else:  # computed in a second process while this one writes, a block at a time (flat memory)
            matrices = second_process.matrices(self.spec, max(step, BLOCK_CELLS // len(names)), names)
        done, at, losses = 0, names.index(E_TOTAL), {}
        wanted = summary_iterations(layout.iterations) if self.e_totals is not None else []
        for matrix in matrices:
            losses.update({k: float(matrix[k - done - 1, at]) for k in wanted if done < k <= done + len(matrix)})
            broken = np.isnan(matrix).any(axis=1)  # rows with an overflow (#NUM!) take the slow path
            for start in range(0, len(matrix), step):
                block = []
                for i, values in enumerate(matrix[start:start + step].tolist(), start):
                    k = done + i + 1
                    r = layout.row(k)
                    if broken[i]:
                        block.append(self._slow_row(columns, templates, k, values))
                    else:
                        block.append((first if k == 1 else rest).format(*values, r=r, p=r - 1, k=k))
                yield "".join(block).encode("utf-8")
                if self.progress is not None:
                    self.progress(done + min(start + step, len(matrix)))
            done += len(matrix)
        if self.e_totals is not None:
            self.e_totals[self.sheet] = losses

    def _row_template(self, columns, formulas: dict[str, str]) -> str:
        head = f'<row r="{{r}}"><c r="A{{r}}" s="{self.styles[0]}" t="n"><v>{{k}}</v></c>'
        cells = [f'<c r="{c.letter}{{r}}" s="{s}"><f>{_braced(escape(formulas[c.name][1:]))}</f><v>{{{i}!r}}</v></c>'
                 for i, (c, s) in enumerate(zip(columns, self.styles[1:]))]
        return head + "".join(cells) + "</row>"

    def _slow_row(self, columns, templates, k: int, values: list[float]) -> str:
        r = self.layout.row(k)
        formulas = templates.first if k == 1 else templates.rest
        cells = [f'<row r="{r}"><c r="A{r}" s="{self.styles[0]}" t="n"><v>{k}</v></c>']
        for c, s, v in zip(columns, self.styles[1:], values):
            kind, text = _xml(v)
            formula = escape(formulas[c.name][1:].format(r=r, p=r - 1))
            cells.append(f'<c r="{c.letter}{r}" s="{s}"{kind.decode()}><f>{formula}</f><v>{text.decode()}</v></c>')
        return "".join(cells) + "</row>"

    @cached_property
    def table(self):
        return run(self.spec)

    def value(self, row: int, col: int) -> Value:
        """The one formula of the sheet openpyxl writes: the loss chart's title (the rows are :meth:`rows`)."""
        return TITLE + general(self.spec.eta) if (row, col) == self.title else None


def sweep(plan, specs: list[Spec], e_totals: dict[str, dict[int, float]] | None = None) -> Planned:
    """The Sweep table: each rate (or optimizer) sheet's E_total at the table's iterations, and the
    live labels of the rates. ``specs`` are the sheets' specs, in ``plan.sheets``' order;
    ``e_totals`` holds, by sheet, the E_total at those iterations of the sheets already written
    (the writer writes this sheet after them, so that a long run is not trained again for it)."""
    cells: dict[str, Value] = {}
    for k, (sheet, spec) in enumerate(zip(plan.sheets, specs)):
        losses = (e_totals or {}).get(sheet)
        if losses is None:
            run_losses = e_total(spec)
            losses = {iteration: float(run_losses[iteration - 1]) for iteration in plan.iterations}
        if not plan.compares:  # a comparison's labels are text, not formulas
            cells[f"{get_column_letter(plan.column(k))}{HEADER_ROW}"] = f"eta {general(spec.eta)}"
        for iteration in plan.iterations:
            cells[plan.cell(k, iteration)] = losses[iteration]
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


def matrices_sheet(spec: Spec, layout: Layout) -> Planned:
    """The Matrices sheet at the iteration it opens on (1), and the next iteration's row it compares."""
    plan = matrices.plan(layout)
    table = train(replace(spec, iterations=min(2, spec.iterations)))
    values: dict[str, Value] = {}
    for c, e in plan.expected.items():
        v = e(table, spec, 1)
        values[c] = v if isinstance(v, str) else float(v)
    return Planned(values)


def _braced(formula: str) -> str:
    """A formula template (``{r}``, ``{p}``) inside a row template: its braces doubled but those two."""
    return formula.replace("{", "{{").replace("}", "}}").replace("{{r}}", "{r}").replace("{{p}}", "{p}")


def fill(src: IO[bytes], dst: IO[bytes], values: Values) -> None:
    """Copy a worksheet part from ``src`` to ``dst``, each empty ``<v></v>`` of a formula filled in,
    and the rows ``values.rows()`` writes, if any, at the end of its sheet data."""
    def put(match: re.Match) -> bytes:
        found = values.stored(int(match[2]), match[1])
        if found is None:
            return match[0]
        kind, text = found
        return b'<c r="' + match[1] + match[2] + b'"' + match[3] + kind + b"><f" + match[4] + b">" + match[5] \
            + b"</f><v>" + text + b"</v></c>"

    def write(data: bytes) -> None:
        end = data.find(b"</sheetData>")
        if end < 0:
            dst.write(_CELL.sub(put, data))
            return
        dst.write(_CELL.sub(put, data[:end]))
        for block in values.rows():
            dst.write(block)
        dst.write(data[end:])

    rest = b""
    while True:
        chunk = src.read(CHUNK)
        if not chunk:
            write(rest)
            return
        data = rest + chunk
        cut = max(data.rfind(b"</c>") + 4, data.rfind(b"</sheetData>"))  # a chunk ends after a whole cell
        if cut < 4:
            rest = data
            continue
        write(data[:cut])
        rest = data[cut:]

