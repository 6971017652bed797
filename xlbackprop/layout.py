"""Where each quantity lives on the ``Training`` sheet: a pure function of the network's shape.

The parameter block sits at the top, the loss chart beside it, then the header row and one
row per iteration. For the seed's 2-2-2 network (no biases, one sample)::

    A3  learning rate η (eta)   B3 = 1          (the workbook-scoped defined name ``eta``)
    A11 sample 1                B11 i1  C11 i2  D11 t1  E11 t2
    A15 initial value           B15 w1 .. I15 w8
    row 19: iteration | w1..w8 | h1 a_h1 h2 a_h2 o1 a_o1 o2 a_o2 | E1 E2 E_total |
            δ_o1 δ_o2 δ_h1 δ_h2 | ∂E/∂w1 .. ∂E/∂w8          (iteration 1 is row 20)

Rows and columns are 1-based, as in openpyxl; references come from ``openpyxl.utils.cell``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from openpyxl.utils.cell import absolute_coordinate, get_column_letter

from .errors import ExcelLimitError
from .network import (E_TOTAL, ITERATION, Network, a_name, bias_grad_name, bias_name, delta_name,
                      loss_name, weight_grad_name, weight_name, z_name)

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
SHEET = "Training"

TITLE_ROW = 1
ETA_ROW = 3
# Labels in column A, values in column B; verify reads the network's shape back from them.
META_ROWS = {"network": 4, "activations": 5, "biases": 6, "samples": 7, "iterations": 8}
ETA_LABEL = "learning rate η (eta)"
SAMPLES_HEADER_ROW = 10


@dataclass(frozen=True)
class Column:
    """One column of the training table: its header ``name``, ``kind`` and 1-based ``index``."""

    name: str
    kind: str  # iteration, weight, bias, forward, loss, delta, gradient
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

    def sample_row(self, s: int) -> int:
        return SAMPLES_HEADER_ROW + s

    def input_cell(self, s: int, k: int) -> str:
        """Absolute cell of input ``ik`` of sample ``s``: ``$B$11`` for i1 of the seed."""
        return absolute_coordinate(f"{get_column_letter(1 + k)}{self.sample_row(s)}")

    def target_cell(self, s: int, k: int) -> str:
        col = 1 + self.network.layers[0] + k
        return absolute_coordinate(f"{get_column_letter(col)}{self.sample_row(s)}")

    @property
    def weights_rows(self) -> tuple[int, int, int]:
        """Rows of the initial-weights table: names, connections, values."""
        top = self.sample_row(self.network.n_samples) + 2
        return top, top + 1, top + 2

    def initial_weight_cell(self, n: int) -> str:
        return absolute_coordinate(f"{get_column_letter(1 + n)}{self.weights_rows[2]}")

    @property
    def biases_rows(self) -> tuple[int, int, int] | None:
        if self.network.bias_mode == "none":
            return None
        top = self.weights_rows[2] + 2
        return top, top + 1, top + 2

    def bias_cell(self, n: int) -> str:
        """Initial (trained) or constant (frozen) value of ``bn``."""
        rows = self.biases_rows
        assert rows is not None
        return absolute_coordinate(f"{get_column_letter(1 + n)}{rows[2]}")

    @property
    def legend_row(self) -> int:
        rows = self.biases_rows or self.weights_rows
        return rows[2] + 2

    @property
    def parameter_width(self) -> int:
        """Columns the parameter block uses: the chart goes to its right."""
        net = self.network
        return max(2, 1 + net.layers[0] + net.layers[-1], 1 + net.n_weights,
                   1 + (net.n_biases if net.bias_mode != "none" else 0), 7)

    # -- the training table --------------------------------------------------------------
    @property
    def header_row(self) -> int:
        return self.legend_row + 2

    @property
    def first_row(self) -> int:
        return self.header_row + 1

    @property
    def last_row(self) -> int:
        return self.first_row + self.iterations - 1

    def row(self, iteration: int) -> int:
        """Sheet row of ``iteration`` (1-based): row 20 holds iteration 1 of the seed."""
        return self.first_row + iteration - 1

    @cached_property
    def columns(self) -> tuple[Column, ...]:
        net = self.network
        named: list[tuple[str, str]] = [(ITERATION, "iteration")]
        named += [(weight_name(n), "weight") for n in range(1, net.n_weights + 1)]
        if net.bias_mode == "trained":
            named += [(bias_name(n), "bias") for n in range(1, net.n_biases + 1)]
        for s in range(1, net.n_samples + 1):
            for layer in range(1, net.depth + 1):
                for j in range(1, net.layers[layer] + 1):
                    named += [(z_name(net, s, layer, j), "forward"), (a_name(net, s, layer, j), "forward")]
            named += [(loss_name(net, s, k), "loss") for k in range(1, net.layers[-1] + 1)]
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
        """Relative reference of quantity ``name`` at ``iteration``: ``cell("w5", 1) == "F20"``."""
        return f"{self.column[name].letter}{self.row(iteration)}"


def check_excel_limits(network: Network, iterations: int) -> None:
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
