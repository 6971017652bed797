"""Where each quantity lives on the ``Training`` sheet: a pure function of the network's shape.

The parameter block sits at the top, the loss chart beside it, then the header row and one
row per iteration. The block is kept low, so that with the header frozen at least
:data:`VISIBLE_ITERATIONS` iteration rows show on a 1366×768 laptop screen (:data:`SCREEN_GRID_PX`).
For the seed's 2-2-2 network (no biases, one sample)::

    A1  title
    A2  learning rate η (eta)   B2 = 1          (the workbook-scoped defined name ``eta``)
    A3  sample                  B3 i1  C3 i2  D3 t1  E3 t2
    A4  1                       B4 0.05 ...
    rows 5-11, folded (click + to unfold): network, activations, biases, samples, iterations,
        the colour key, and each weight's connection (``i1→h1``) above its column
    A12 initial value           B12 w1 .. I12 w8   (in the columns of w1 .. w8 below)
    row 13: iteration | w1..w8 | h1 a_h1 h2 a_h2 o1 a_o1 o2 a_o2 | E1 E2 E_total |
            δ_o1 δ_o2 δ_h1 δ_h2 | ∂E/∂w1 .. ∂E/∂w8          (iteration 1 is row 14)

With several samples and few inputs (XOR's four), the samples block turns on its side: one
column per sample, one row per input and target, whichever takes fewer rows. Frozen biases
(Mazur's) get two rows of their own below the samples; trained ones start in the initial-value
row, in their columns. An optimizer other than SGD gets two rows below those, its constants
(``A5 optimizer  B5 beta1  C5 beta2  D5 epsilon`` over ``A6 adam  B6 0.9 ...``, each value the
workbook-scoped defined name it is headed by), and its state columns beside each weight:
``w1 m_w1 v_w1 w2 m_w2 v_w2 ...``. A softmax output layer takes its sums, its shift, its exponentials
and its outputs in turn, and one loss per sample (``o1 o2 o3 o_max e_o1 e_o2 e_o3 a_o1 a_o2 a_o3 E``);
a loss other than the squared error says so in one more folded row, ``loss cross-entropy``. Rows and columns are 1-based, as in openpyxl; references come from
``openpyxl.utils.cell``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from openpyxl.utils.cell import absolute_coordinate, get_column_letter

from ..core.errors import ExcelLimitError
from ..core.network import (E_TOTAL, ITERATION, Network, a_name, bias_grad_name, bias_name, delta_name, exp_name,
    loss_names, shift_name, weight_grad_name, weight_name, z_name)
from ..core.optimizers import CONSTANTS, STATE, state_name

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
SHEET = "Training"

TITLE_ROW = 1
ETA_ROW = 2
SAMPLES_TOP = 3
META_KEYS = ("network", "activations", "biases", "samples", "iterations")  # labels in A, values in B
LOSS_KEY = "loss"  # one more folded row, after iterations, where the loss is not the squared error
ETA_LABEL = "learning rate η (eta)"
OPTIMIZER_LABEL = "optimizer"  # above the optimizer's name, beside its constants' names

# What a 1366×768 laptop shows of the grid at 100 % zoom: Excel with its ribbon open, under a
# 40-pixel taskbar, leaves about 489 pixels (768 - 40 taskbar - 31 title - 116 ribbon - 24 formula
# bar - 20 column letters - 26 sheet tabs - 22 status bar); LibreOffice's menus and two toolbars
# leave about 500 (measured in a screenshot, docs/workbook.md). Rows are 17 pixels (12.75 pt, the height
# of 10-point text); points are 4/3 pixels.
SCREEN_GRID_PX = 489
VISIBLE_ITERATIONS = 20
ROW_PT = 12.75
TITLE_PT = 19.5
MIN_ETA_PT = 15.0
SCREEN_COLUMNS = 15  # column A (19 wide) and 14 table columns (10 wide) fit across 1366 pixels
CHART_COLUMNS = 6  # the loss chart's width


def px(points: float) -> float:
    return points * 4 / 3


@dataclass(frozen=True)
class Column:
    """One column of the training table: its header ``name``, ``kind`` and 1-based ``index``."""

    name: str
    kind: str  # iteration, weight, bias, state, forward, loss, delta, gradient
    index: int

    @property
    def letter(self) -> str:
        return get_column_letter(self.index)


@dataclass(frozen=True)
class Layout:
    """Cells of one network's workbook with ``iterations`` training rows."""

    network: Network
    iterations: int

    # -- the parameter block -------------------------------------------------------------
    @property
    def eta_cell(self) -> str:
        return f"B{ETA_ROW}"

    def eta_reference(self, sheet: str) -> str:
        """How training sheet ``sheet``'s formulas read its learning rate: the workbook's name ``eta``
        on Training, the sheet's own ``$B$2`` on a rate sheet. No sheet-scoped name carries meaning:
        Google Sheets has none (its names are one per spreadsheet) and some importers drop them."""
        return "eta" if sheet == SHEET else absolute_coordinate(self.eta_cell)

    @property
    def samples_on_side(self) -> bool:
        """One column per sample (rows i1.., t1..) when that takes fewer rows than one row per sample."""
        net = self.network
        return net.layers[0] + net.layers[-1] < net.n_samples

    @property
    def samples_rows(self) -> tuple[int, int]:
        """First (the block's header) and last row of the samples block."""
        net = self.network
        size = net.layers[0] + net.layers[-1] if self.samples_on_side else net.n_samples
        return SAMPLES_TOP, SAMPLES_TOP + size

    def input_cell(self, s: int, k: int) -> str:
        """Absolute cell of input ``ik`` of sample ``s``: ``$B$4`` for i1 of the seed."""
        return self._sample_cell(s, k)

    def target_cell(self, s: int, k: int) -> str:
        return self._sample_cell(s, self.network.layers[0] + k)

    def _sample_cell(self, s: int, k: int) -> str:
        """Value ``k`` of sample ``s``, counting the inputs, then the targets."""
        col, row = (1 + s, SAMPLES_TOP + k) if self.samples_on_side else (1 + k, SAMPLES_TOP + s)
        return absolute_coordinate(f"{get_column_letter(col)}{row}")

    @property
    def frozen_bias_rows(self) -> tuple[int, int] | None:
        """Rows of the frozen biases' names and values, below the samples (None unless frozen)."""
        if self.network.bias_mode != "frozen":
            return None
        top = self.samples_rows[1] + 1
        return top, top + 1

    @property
    def constants(self) -> tuple[str, ...]:
        """The optimizer's constants, as their cells are named: ``("beta1", "beta2", "epsilon")`` for Adam."""
        return CONSTANTS[self.network.optimizer]

    @property
    def optimizer_rows(self) -> tuple[int, int] | None:
        """Rows of the optimizer's name over the constants' names, and of the constants' values,
        below the samples and frozen biases (None for SGD, which has no constants)."""
        if not self.constants:
            return None
        top = (self.frozen_bias_rows or self.samples_rows)[1] + 1
        return top, top + 1

    def constant_cell(self, name: str) -> str:
        """Absolute cell of an optimizer constant: ``$B$6`` for Adam's beta1 on the seed."""
        rows = self.optimizer_rows
        assert rows is not None
        return absolute_coordinate(f"{get_column_letter(2 + self.constants.index(name))}{rows[1]}")

    def constant_reference(self, name: str, sheet: str) -> str:
        """How training sheet ``sheet``'s formulas read constant ``name``: as :meth:`eta_reference`,
        the workbook's defined name on Training (``beta1``), the sheet's own cell elsewhere."""
        return name if sheet == SHEET else self.constant_cell(name)

    @property
    def meta_rows(self) -> dict[str, int]:
        """The folded rows saying what the sheet trains: ``network 2-2-2``, ... (readers find them by
        label), and ``loss cross-entropy`` last where the loss is not the squared error."""
        top = (self.optimizer_rows or self.frozen_bias_rows or self.samples_rows)[1] + 1
        keys = META_KEYS + ((LOSS_KEY,) if self.network.loss != "squared" else ())
        return {key: top + k for k, key in enumerate(keys)}

    @property
    def legend_row(self) -> int:
        return max(self.meta_rows.values()) + 1

    @property
    def connection_row(self) -> int:
        return self.legend_row + 1

    @property
    def folded_rows(self) -> range:
        """Rows hidden under the + of the initial-value row: the meta rows, colour key and connections."""
        return range(self.meta_rows[META_KEYS[0]], self.connection_row + 1)

    @property
    def initial_row(self) -> int:
        """Initial weights (and trained biases) in their own columns, right above the header."""
        return self.connection_row + 1

    def initial_weight_cell(self, n: int) -> str:
        return absolute_coordinate(f"{self.column[weight_name(n)].letter}{self.initial_row}")

    def bias_cell(self, n: int) -> str:
        """Initial (trained) or constant (frozen) value of ``bn``."""
        if self.network.bias_mode == "trained":
            return absolute_coordinate(f"{self.column[bias_name(n)].letter}{self.initial_row}")
        rows = self.frozen_bias_rows
        assert rows is not None
        return absolute_coordinate(f"{get_column_letter(1 + n)}{rows[1]}")

    @property
    def upper_width(self) -> int:
        """Columns the rows above the initial values use (the hint beside η included)."""
        net = self.network
        samples = 1 + (net.n_samples if self.samples_on_side else net.layers[0] + net.layers[-1])
        frozen = 1 + net.n_biases if net.bias_mode == "frozen" else 0
        return max(samples, frozen, 1 + len(self.constants), 7)

    @property
    def parameter_width(self) -> int:
        """Columns the parameter block uses: the initial-value row is as wide as the weights."""
        net = self.network
        parameters = len(net.parameters()) * (1 + len(STATE[net.optimizer]))  # and their state columns
        return max(self.upper_width, 1 + parameters)

    @property
    def chart_box(self) -> tuple[int, int]:
        """First column of the loss chart and the first row below it: beside the whole block
        when the chart still fits a laptop's screen (:data:`SCREEN_COLUMNS`), else beside the rows
        above the initial values, which are narrow whatever the network."""
        if self.parameter_width + CHART_COLUMNS <= SCREEN_COLUMNS:
            return self.parameter_width + 1, self.header_row
        return self.upper_width + 1, self.initial_row

    @property
    def row_heights(self) -> dict[int, float]:
        """Points of the rows above the header that are not :data:`ROW_PT` high. The η row takes
        what the visible rows leave of the block's height, so the chart beside them is as tall as
        the screen allows (the block's height is :data:`SCREEN_GRID_PX` less the header and
        :data:`VISIBLE_ITERATIONS` rows)."""
        block = SCREEN_GRID_PX - (VISIBLE_ITERATIONS + 1) * px(ROW_PT)
        visible = [r for r in range(SAMPLES_TOP, self.header_row) if r not in self.folded_rows]
        eta = (block - px(TITLE_PT) - len(visible) * px(ROW_PT)) * 3 / 4
        return {TITLE_ROW: TITLE_PT, ETA_ROW: max(MIN_ETA_PT, eta // 0.75 * 0.75)}

    # -- the training table --------------------------------------------------------------
    @property
    def header_row(self) -> int:
        return self.initial_row + 1

    @property
    def first_row(self) -> int:
        return self.header_row + 1

    @property
    def last_row(self) -> int:
        return self.first_row + self.iterations - 1

    def row(self, iteration: int) -> int:
        """Sheet row of ``iteration`` (1-based): row 14 holds iteration 1 of the seed."""
        return self.first_row + iteration - 1

    @cached_property
    def columns(self) -> tuple[Column, ...]:
        net = self.network
        named: list[tuple[str, str]] = [(ITERATION, "iteration")]
        for p in net.parameters():  # each with its optimizer's state beside it
            named += [(p, "weight" if p.startswith("w") else "bias")]
            named += [(state_name(prefix, p), "state") for prefix in STATE[net.optimizer]]
        for s in range(1, net.n_samples + 1):
            for layer in range(1, net.depth + 1 - net.softmax):
                for j in range(1, net.layers[layer] + 1):
                    named += [(z_name(net, s, layer, j), "forward"), (a_name(net, s, layer, j), "forward")]
            if net.softmax:  # o1 o2 o3 | o_max | e_o1 e_o2 e_o3 | a_o1 a_o2 a_o3
                outputs = range(1, net.layers[-1] + 1)
                named += [(z_name(net, s, net.depth, k), "forward") for k in outputs]
                named += [(shift_name(net, s), "forward")]
                named += [(exp_name(net, s, k), "forward") for k in outputs]
                named += [(a_name(net, s, net.depth, k), "forward") for k in outputs]
            named += [(name, "loss") for name in loss_names(net, s)]
        named.append((E_TOTAL, "loss"))
        for s in range(1, net.n_samples + 1):
            for layer in range(net.depth, 0, -1):
                named += [(delta_name(net, s, layer, j), "delta") for j in range(1, net.layers[layer] + 1)]
        named += [(weight_grad_name(n), "gradient") for n in range(1, net.n_weights + 1)]
        if net.bias_mode == "trained":
            named += [(bias_grad_name(n), "gradient") for n in range(1, net.n_biases + 1)]
        return tuple(Column(name, kind, i) for i, (name, kind) in enumerate(named, 1))

    @cached_property
    def column(self) -> dict[str, Column]:
        """Columns by header name: ``layout.column["a_h1"].letter == "K"`` for the seed."""
        return {c.name: c for c in self.columns}

    def cell(self, name: str, iteration: int) -> str:
        """Relative reference of quantity ``name`` at ``iteration``: ``cell("w5", 1) == "F14"``."""
        return f"{self.column[name].letter}{self.row(iteration)}"


def enforce_grid(network: Network, iterations: int) -> None:
    """Raise :class:`ExcelLimitError` when the workbook would not fit Excel's grid."""
    layout = Layout(network, iterations)
    width = max(len(layout.columns), layout.parameter_width)
    if width > EXCEL_MAX_COLUMNS:
        raise ExcelLimitError(
            "layers", f"this network needs {width:,} columns, {width - EXCEL_MAX_COLUMNS:,} more than "
            f"Excel's {EXCEL_MAX_COLUMNS:,}; use fewer or smaller layers or fewer samples")
    if layout.last_row > EXCEL_MAX_ROWS:
        fit = EXCEL_MAX_ROWS - layout.first_row + 1
        raise ExcelLimitError(
            "iterations", f"{iterations:,} iterations need rows {layout.first_row:,} to {layout.last_row:,}, "
            f"{layout.last_row - EXCEL_MAX_ROWS:,} past Excel's last row {EXCEL_MAX_ROWS:,}; at most {fit:,} fit")
