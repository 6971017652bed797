"""The ``Network`` sheet: the network drawn with cells, showing the live values of one iteration.

openpyxl cannot draw shapes, so each layer is a pair of columns (neuron, its activation) and
between two layers a pair lists the weights that join them. The iteration is a given cell,
B3; every value is an ``INDEX`` into the Training sheet's column. For the seed::

    B3  1 (iteration, type another)
    B6 i1   C6 =Training!$B$4              D6 w1: i1→h1   E6 =INDEX(Training!$B$14:$B$113,$B$3)
    F6 h1   G6 =INDEX(Training!$K$14:$K$113,$B$3)   ...   J6 o1   K6 =INDEX(Training!$O$14:$O$113,$B$3)

With several samples a second given cell, B4, picks the sample whose activations are shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from openpyxl.utils.cell import absolute_coordinate, get_column_letter

from ..core.network import E_TOTAL, a_name, bias_name, weight_name
from .cells import PlannedCell
from .layout import SHEET as TRAINING
from .layout import Layout

SHEET = "Network"
ITERATION_CELL, SAMPLE_CELL = "B3", "B4"
TOP = 7  # first row of the drawing

# (table, spec, iteration, sample) -> the number a cell should show
Lookup = Callable[[object, object, int, int], float]


@dataclass
class DiagramPlan:
    rows: dict[int, list[PlannedCell]] = field(default_factory=dict)
    expected: dict[str, Lookup] = field(default_factory=dict)

    def put(self, row: int, column: int, cell: PlannedCell) -> None:
        cells = self.rows.setdefault(row, [])
        cells.extend([PlannedCell(None)] * (column - len(cells)))
        cells[column - 1] = cell


@lru_cache(maxsize=8)  # the writer, the limits check, stored values and verify all ask
def plan(layout: Layout) -> DiagramPlan:
    net = layout.network
    out = DiagramPlan()
    out.put(1, 1, PlannedCell("The network at one iteration: activations in the neuron columns, weights between",
                              "title", True))
    out.put(3, 1, PlannedCell("iteration", "label", True))
    out.put(3, 2, PlannedCell(1, "given"))
    out.put(3, 3, PlannedCell(f"← type an iteration from 1 to {layout.iterations:,}", "hint", True))
    if net.n_samples > 1:
        out.put(4, 1, PlannedCell("sample", "label", True))
        out.put(4, 2, PlannedCell(1, "given"))
        out.put(4, 3, PlannedCell(f"← which sample's activations to show, 1 to {net.n_samples}", "hint", True))
    out.put(5, 1, PlannedCell("E_total", "label", True))
    out.put(5, 2, PlannedCell(_index(layout, [E_TOTAL]), "loss"))
    out.expected["B5"] = lambda table, spec, it, s: table[E_TOTAL][it - 1]

    tallest = max(net.layers)
    for layer in range(net.depth + 1):
        column = 2 + 4 * layer
        out.put(TOP - 1, column, PlannedCell("input" if layer == 0 else "output" if layer == net.depth
                                             else f"hidden {layer}" if net.depth > 2 else "hidden", "header", True))
        out.put(TOP - 1, column + 1, PlannedCell("a" if layer else "value", "header", True))
        for j in range(1, net.layers[layer] + 1):
            row = TOP + (tallest - net.layers[layer]) + 2 * (j - 1)
            out.put(row, column, PlannedCell(net.neuron(layer, j), "label", True))
            coordinate = f"{get_column_letter(column + 1)}{row}"
            if layer == 0:
                inputs = [layout.input_cell(s, j) for s in range(1, net.n_samples + 1)]
                out.put(row, column + 1, PlannedCell(_choose([f"{TRAINING}!{c}" for c in inputs]), "given"))
                out.expected[coordinate] = lambda table, spec, it, s, j=j: spec.inputs[s - 1][j - 1]
            else:
                names = [a_name(net, s, layer, j) for s in range(1, net.n_samples + 1)]
                out.put(row, column + 1, PlannedCell(_index(layout, names), "forward"))
                out.expected[coordinate] = lambda table, spec, it, s, names=names: table[names[s - 1]][it - 1]
        if layer < net.depth:
            _weights_into(layout, out, layer + 1, column + 2)
    _targets(layout, out, 2 + 4 * net.depth + 2)
    return out


def _targets(layout: Layout, out: DiagramPlan, column: int) -> None:
    """Beside the outputs, the targets they learn to match."""
    net = layout.network
    out.put(TOP - 1, column, PlannedCell("target", "header", True))
    for k in range(1, net.layers[-1] + 1):
        row = TOP + (max(net.layers) - net.layers[-1]) + 2 * (k - 1)
        targets = [f"{TRAINING}!{layout.target_cell(s, k)}" for s in range(1, net.n_samples + 1)]
        out.put(row, column, PlannedCell(_choose(targets), "given"))
        out.expected[f"{get_column_letter(column)}{row}"] = lambda table, spec, it, s, k=k: spec.targets[s - 1][k - 1]


def _weights_into(layout: Layout, out: DiagramPlan, layer: int, column: int) -> None:
    """The weights (and trained or frozen biases) into ``layer``, listed top down in ``column``."""
    net = layout.network
    out.put(TOP - 1, column, PlannedCell("weight", "header", True))
    out.put(TOP - 1, column + 1, PlannedCell("value", "header", True))
    row = TOP
    for (l, j, k), n in net.weight_numbers.items():
        if l == layer:
            out.put(row, column, PlannedCell(f"w{n}: {net.connection(n)}", None, True))
            out.put(row, column + 1, PlannedCell(_index(layout, [weight_name(n)]), "weight"))
            out.expected[f"{get_column_letter(column + 1)}{row}"] = (
                lambda table, spec, it, s, n=n: table[weight_name(n)][it - 1])
            row += 1
    if net.bias_mode == "none":
        return
    for (l, j), n in net.bias_numbers.items():
        if l == layer:
            out.put(row, column, PlannedCell(f"b{n}: {net.neuron(l, j)}", None, True))
            if net.bias_mode == "trained":
                out.put(row, column + 1, PlannedCell(_index(layout, [bias_name(n)]), "weight"))
                out.expected[f"{get_column_letter(column + 1)}{row}"] = (
                    lambda table, spec, it, s, n=n: table[bias_name(n)][it - 1])
            else:
                out.put(row, column + 1, PlannedCell(f"={TRAINING}!{layout.bias_cell(n)}", "given"))
                out.expected[f"{get_column_letter(column + 1)}{row}"] = lambda table, spec, it, s, n=n: spec.biases[n - 1]
            row += 1


def _index(layout: Layout, names: list[str]) -> str:
    """``=INDEX(Training!$K$20:$K$119,$B$3)``; with several samples, CHOOSE picks the sample's column."""
    iteration = absolute_coordinate(ITERATION_CELL)
    # Gnumeric reads a one-cell range as a cell, and INDEX of a cell is #REF! there: a one-iteration
    # table looks up two rows (B3 only allows 1, so the row below is never read)
    last = max(layout.last_row, layout.first_row + 1)
    lookups = []
    for name in names:
        letter = layout.column[name].letter
        lookups.append(f"INDEX({TRAINING}!${letter}${layout.first_row}:${letter}${last},{iteration})")
    return _choose(lookups)


def _choose(options: list[str]) -> str:
    if len(options) == 1:
        return f"={options[0]}"
    return f"=CHOOSE({absolute_coordinate(SAMPLE_CELL)},{','.join(options)})"
