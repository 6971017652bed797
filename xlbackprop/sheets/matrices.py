"""The ``Matrices`` sheet: one iteration of training as the lecture's last slide writes it, in matrices.

For the iteration typed into B3, each layer's weights stand as a matrix ``W`` (rows: target
neurons, columns: source neurons), read from that iteration's Training row, and the sheet computes
the iteration again with ``MMULT`` and ``TRANSPOSE``, as legacy array formulas (``{=...}``)::

    Z = W·A (+ b)          A = g(Z)                   forward, one column per sample
    Δ_out = (A − T) ⊙ g′   Δ = (Wᵀ·Δ_next) ⊙ g′        backward
    ∂E/∂W = Δ·A_prevᵀ / samples                          the gradient, a mean over the samples
    W_next = W − η·∂E/∂W                                  SGD; another optimizer's own step from its state

Beside every matrix it computes stands its difference from the Training sheet's own cells at that
iteration (the next iteration's row for ``W_next``): 0 where the matrix view and the table agree.
The optimizer's state before the step (``v``, ``s``, ``m``) is read from the row before; the new
state and the step are computed here, as the Training sheet does them one weight at a time.

Everything here is planned as text (:class:`MatricesPlan`); the writer places it, the stored
values come from the reference (``expected``), and verify holds every cell against the reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np
from openpyxl.utils.cell import absolute_coordinate, get_column_letter

from ..core.activations import ACTIVATIONS
from ..core.losses import excel_softmax_exp, excel_softmax_output
from ..core.network import (E_TOTAL, a_name, bias_grad_name, bias_name, delta_name, exp_name, shift_name,
    weight_grad_name, weight_name, z_name)
from ..core.optimizers import CONSTANTS, STATE, Optimizer, State, excel_state, excel_step, state_name
from ..core.optimizers import step as optimizer_step
from .cells import PlannedCell
from .layout import SHEET as TRAINING
from .layout import Layout

SHEET = "Matrices"
ITERATION_CELL = "B3"
ETA_CELL = "B4"
TOP = 7  # the first band's title row

# (table, spec, iteration) -> the number (or text) a cell should show
Lookup = Callable[[object, object, int], object]


# The activation over a matrix, elementwise inside an array formula: each activation's own Excel
# form (:mod:`xlbackprop.core.activations`, the one place EXP and TANH are spelled), whose IF picks
# a branch entry by entry, but relu's: MAX(0,Z) would be one number over a whole matrix. A softmax
# output layer is not elementwise: :func:`_softmax` takes it a column at a time.
_OVER_A_MATRIX = {"relu": lambda z: f"IF({z}>0,{z},0)"}


def _activation(name: str):
    if name not in ACTIVATIONS:
        raise ValueError(f"activation: the Matrices sheet has no matrix form of {name!r}")
    return ACTIVATIONS[name]


def forward(activation: str, z: str) -> str:
    """``g(Z)`` of the range ``z`` (``D20:E21``), as array-formula text without ``=``."""
    return _OVER_A_MATRIX.get(activation, _activation(activation).excel_forward)(z)


def slope(activation: str, z: str, a: str) -> str | None:
    """``g′`` over the ranges ``z`` and ``a``, one factor in parentheses, or None where it is 1 (linear)."""
    g = _activation(activation).excel_derivative(z, a)
    return None if g is None else f"({g})"


def output_delta(activation: str, z: str, a: str, t: str) -> str:
    """``Δ_out = (A − T) ⊙ g′(Z)``: the squared error's output delta, as the Training sheet has it."""
    g = slope(activation, z, a)
    return f"({a}-{t})" if g is None else f"({a}-{t})*{g}"


@dataclass(frozen=True)
class Block:
    """A matrix on the sheet: its first value cell at (``top``, ``left``), ``rows`` × ``cols``."""

    name: str  # "W1", "Z1", "ΔZ1" (its difference from Training), ...
    top: int
    left: int
    rows: int
    cols: int

    def cell(self, i: int, j: int) -> str:
        """Cell of entry (i, j), 1-based: ``B9``."""
        return f"{get_column_letter(self.left + j - 1)}{self.top + i - 1}"

    @property
    def ref(self) -> str:
        return f"{self.cell(1, 1)}:{self.cell(self.rows, self.cols)}"

    @property
    def absolute(self) -> str:
        return ":".join(absolute_coordinate(c) for c in self.ref.split(":"))


@dataclass
class MatricesPlan:
    rows: dict[int, list[PlannedCell]] = field(default_factory=dict)
    arrays: dict[str, str] = field(default_factory=dict)  # anchor cell -> the array formula's range
    interior: set[str] = field(default_factory=set)  # the other cells of an array formula: values only
    constants: set[str] = field(default_factory=set)  # numbers typed in, not formulas (the ones row)
    expected: dict[str, Lookup] = field(default_factory=dict)
    blocks: dict[str, Block] = field(default_factory=dict)
    compares: dict[str, str] = field(default_factory=dict)  # difference block -> the block it checks
    labels: dict[str, list[str]] = field(default_factory=dict)  # block -> its column labels

    def put(self, row: int, column: int, cell: PlannedCell) -> None:
        cells = self.rows.setdefault(row, [])
        cells.extend([PlannedCell(None)] * (column - len(cells)))
        cells[column - 1] = cell


class _Band:
    """A row of blocks: each with its title above, column labels, and row labels at its left."""

    def __init__(self, plan: MatricesPlan, top: int, title: str):
        self.plan, self.top, self.column, self.height = plan, top, 2, 0
        plan.put(top, 1, PlannedCell(title, "label", True))

    def block(self, name: str, title: str, row_labels: list[str], col_labels: list[str], kind: str,
              labelled: bool = True) -> Block:
        if labelled:
            for i, label in enumerate(row_labels):
                self.plan.put(self.top + 3 + i, self.column, PlannedCell(label, "label", True))
            self.column += 1
        block = Block(name, self.top + 3, self.column, len(row_labels), len(col_labels))
        self.plan.labels[name] = col_labels
        self.plan.put(self.top + 1, self.column - labelled, PlannedCell(title, "hint" if kind == "difference"
                                                                         else "label", True))
        for j, label in enumerate(col_labels):
            self.plan.put(self.top + 2, self.column + j, PlannedCell(label, "header", True))
        self.column += len(col_labels) + 1
        self.height = max(self.height, 3 + len(row_labels))
        self.plan.blocks[name] = block
        return block

    @property
    def bottom(self) -> int:
        return self.top + self.height + 1


def _range(layout: Layout, name: str) -> str:
    """``Training!$K$14:$K$113``, the column of ``name`` (two rows at least: Gnumeric reads a one-cell
    range as a cell, and INDEX of a cell is #REF! there; B3 never asks for the second)."""
    letter = layout.column[name].letter
    last = max(layout.last_row, layout.first_row + 1)
    return f"{TRAINING}!${letter}${layout.first_row}:${letter}${last}"


@lru_cache(maxsize=8)  # the writer, the limits check, stored values and verify all ask
def plan(layout: Layout) -> MatricesPlan:
    net = layout.network
    n_iterations = layout.iterations
    it = absolute_coordinate(ITERATION_CELL)
    out = MatricesPlan()
    S, L = net.n_samples, net.depth
    samples = [f"sample {s}" for s in range(1, S + 1)] if S > 1 else ["value"]

    def at(name: str, offset: str = "") -> str:
        return f"INDEX({_range(layout, name)},{it}{offset})"

    def fill(block: Block, formula: Callable[[int, int], str], value: Callable[[int, int], Lookup], kind: str,
             text: bool = False):
        for i in range(1, block.rows + 1):
            for j in range(1, block.cols + 1):
                out.put(block.top + i - 1, block.left + j - 1, PlannedCell(formula(i, j), kind, text))
                if not text:
                    out.expected[block.cell(i, j)] = value(i, j)

    def array(block: Block, formula: str, value: Callable[[int, int], Lookup], kind: str):
        out.arrays[block.cell(1, 1)] = block.ref
        for i in range(1, block.rows + 1):
            for j in range(1, block.cols + 1):
                c = block.cell(i, j)
                out.put(block.top + i - 1, block.left + j - 1, PlannedCell(formula if (i, j) == (1, 1) else None, kind))
                if (i, j) != (1, 1):
                    out.interior.add(c)
                out.expected[c] = value(i, j)

    def array_column(block: Block, formula: Callable[[int], str], value: Callable[[int, int], Lookup], kind: str):
        """One array formula a column (a sample): ``formula(j)`` over column j of ``block``."""
        for j in range(1, block.cols + 1):
            out.arrays[block.cell(1, j)] = f"{block.cell(1, j)}:{block.cell(block.rows, j)}"
            for i in range(1, block.rows + 1):
                out.put(block.top + i - 1, block.left + j - 1, PlannedCell(formula(j) if i == 1 else None, kind))
                if i != 1:
                    out.interior.add(block.cell(i, j))
                out.expected[block.cell(i, j)] = value(i, j)

    def difference(band: _Band, block: Block, training: Callable[[int, int], str | None], next_row: bool = False):
        """Beside ``block``, ``=<its cell> - <Training's cell>``: 0 where they agree."""
        title = f"{block.name} − Training's next row" if next_row else f"{block.name} − Training's cells"
        d = band.block("Δ" + block.name, title, [""] * block.rows, out.labels[block.name], "difference",
                       labelled=False)
        out.compares[d.name] = block.name

        def formula(i, j):
            core = f"{block.cell(i, j)}-{training(i, j)}"
            return f"=IF({it}<{n_iterations},{core},\"\")" if next_row else f"={core}"

        def value(i, j):
            return (lambda table, spec, k: "" if k >= n_iterations else 0.0) if next_row else \
                (lambda table, spec, k: 0.0)
        fill(d, formula, value, "difference")
        return d

    def row_of(name: str):
        return lambda table, spec, k: float(table[name][k - 1])

    # the top: what to type, the iteration, η, E_total
    out.put(1, 1, PlannedCell("One iteration in matrices: W holds the weights (rows: target neurons, columns: "
                              "source neurons), and the update is W ← W − η·∂E/∂W", "title", True))
    out.put(2, 1, PlannedCell("Every matrix is an array formula (MMULT, TRANSPOSE) on the matrices above it; "
                              "the grey one beside it is its difference from the Training sheet's cells: "
                              "0 where they agree.", "hint", True))
    out.put(3, 1, PlannedCell("iteration", "label", True))
    out.put(3, 2, PlannedCell(1, "given"))
    out.put(3, 3, PlannedCell(f"← type an iteration from 1 to {n_iterations:,}", "hint", True))
    out.put(4, 1, PlannedCell("η (eta)", "label", True))
    out.put(4, 2, PlannedCell("=eta", "eta"))
    out.expected[ETA_CELL] = lambda table, spec, k: float(spec.eta)
    out.put(4, 3, PlannedCell("← the Training sheet's learning rate", "hint", True))
    out.put(5, 1, PlannedCell("E_total", "label", True))
    out.put(5, 2, PlannedCell(f"={at(E_TOTAL)}", "loss"))
    out.expected["B5"] = row_of(E_TOTAL)
    if net.optimizer != "sgd":
        out.put(5, 3, PlannedCell(f"trained by {net.optimizer}: W_next is its step, from its state "
                                  f"({', '.join(STATE[net.optimizer])}), as the Training sheet takes it", "hint", True))

    # the given matrices: X (inputs), T (targets), and a row of ones that repeats b across the samples
    band = _Band(out, TOP, "given: one column per sample" if S > 1 else "given")
    X = band.block("X", "X = A0, the inputs", net.neurons(0), samples, "given")
    fill(X, lambda i, j: f"={TRAINING}!{layout.input_cell(j, i)}",
         lambda i, j: lambda table, spec, k: float(spec.inputs[j - 1][i - 1]), "given")
    T = band.block("T", "T, the targets", net.neurons(L), samples, "given")
    fill(T, lambda i, j: f"={TRAINING}!{layout.target_cell(j, i)}",
         lambda i, j: lambda table, spec, k: float(spec.targets[j - 1][i - 1]), "given")
    ones = None
    if S > 1 and net.bias_mode != "none":
        ones = band.block("1", "1: b·1 repeats b for each sample", ["1"], samples, "given")
        fill(ones, lambda i, j: 1, lambda i, j: lambda table, spec, k: 1.0, "given")
        out.constants.update(ones.cell(1, j) for j in range(1, S + 1))
    top = band.bottom

    # forward, a band a layer
    W, B, Z, A = {}, {}, {}, {0: X}
    for l in range(1, L + 1):
        g = net.activations[l - 1]
        band = _Band(out, top, f"layer {l}: forward, Z{l} = W{l}·A{l - 1}" + (f" + b{l}" if net.bias_mode != "none"
                                                                             else "") + f", A{l} = {g}(Z{l})")
        targets, sources = net.neurons(l), net.neurons(l - 1)
        names = band.block(f"w{l}", f"W{l}: which weight", targets, sources, "hint")
        fill(names, lambda i, j: f"w{net.weight_numbers[(l, i, j)]}", None, "hint", text=True)
        W[l] = band.block(f"W{l}", f"W{l}, this iteration's weights", targets, sources, "weight")
        fill(W[l], lambda i, j: f"={at(weight_name(net.weight_numbers[(l, i, j)]))}",
             lambda i, j: row_of(weight_name(net.weight_numbers[(l, i, j)])), "weight")
        wa = f"MMULT({W[l].ref},{A[l - 1].ref})"
        if net.bias_mode != "none":
            numbers = [net.bias_numbers[(l, i)] for i in range(1, len(targets) + 1)]
            B[l] = band.block(f"b{l}", f"b{l}" + (", trained" if net.bias_mode == "trained" else ", frozen"),
                              [f"{n} b{b}" for n, b in zip(targets, numbers)], ["b"], "weight")
            if net.bias_mode == "trained":
                fill(B[l], lambda i, j: f"={at(bias_name(numbers[i - 1]))}",
                     lambda i, j: row_of(bias_name(numbers[i - 1])), "weight")
            else:
                fill(B[l], lambda i, j: f"={TRAINING}!{layout.bias_cell(numbers[i - 1])}",
                     lambda i, j: _frozen(numbers[i - 1]), "given")
            wa += f"+MMULT({B[l].ref},{ones.ref})" if ones is not None else f"+{B[l].ref}"
        Z[l] = band.block(f"Z{l}", f"Z{l} = W{l}·A{l - 1}" + (f" + b{l}" if net.bias_mode != "none" else ""),
                          targets, samples, "forward")
        array(Z[l], f"={wa}", lambda i, j: row_of(z_name(net, j, l, i)), "forward")
        difference(band, Z[l], lambda i, j: at(z_name(net, j, l, i)))
        if l == L and net.softmax:
            top = band.bottom
            A[l], top = _softmax(out, top, Z[l], samples, array_column, difference, at, row_of, layout)
            continue
        A[l] = band.block(f"A{l}", f"A{l} = {g}(Z{l})", targets, samples, "forward")
        array(A[l], f"={forward(g, Z[l].ref)}", lambda i, j: row_of(a_name(net, j, l, i)), "forward")
        difference(band, A[l], lambda i, j: at(a_name(net, j, l, i)))
        top = band.bottom

    # backward, from the output down, each layer with its gradients
    D, G, GB = {}, {}, {}
    for l in range(L, 0, -1):
        g = net.activations[l - 1]
        targets, sources = net.neurons(l), net.neurons(l - 1)
        output = f"Δ{l} = A{l} − T (cross-entropy: g′ cancels)" if net.loss == "cross-entropy" else \
            f"Δ{l} = (A{l} − T) ⊙ g′(Z{l})"
        band = _Band(out, top, f"layer {l}: backward, " + (output if l == L else
                                                           f"Δ{l} = (W{l + 1}ᵀ·Δ{l + 1}) ⊙ g′(Z{l})") +
                     f", ∂E/∂W{l} = Δ{l}·A{l - 1}ᵀ" + (f" / {S}" if S > 1 else ""))
        D[l] = band.block(f"Δ{l}", f"Δ{l}, the deltas δ", targets, samples, "delta")
        if l == L and net.loss == "cross-entropy":  # the activation's slope cancels
            formula = f"({A[l].ref}-{T.ref})"
        elif l == L:
            formula = output_delta(g, Z[l].ref, A[l].ref, T.ref)
        else:
            back = f"MMULT(TRANSPOSE({W[l + 1].ref}),{D[l + 1].ref})"
            factor = slope(g, Z[l].ref, A[l].ref)
            formula = back if factor is None else f"{back}*{factor}"
        array(D[l], f"={formula}", lambda i, j: row_of(delta_name(net, j, l, i)), "delta")
        difference(band, D[l], lambda i, j: at(delta_name(net, j, l, i)))
        mean = f"/{S}" if S > 1 else ""
        G[l] = band.block(f"∂E/∂W{l}", f"∂E/∂W{l} = Δ{l}·A{l - 1}ᵀ" + (f" / {S}" if S > 1 else ""),
                          targets, sources, "gradient")
        array(G[l], f"=MMULT({D[l].ref},TRANSPOSE({A[l - 1].ref})){mean}",
              lambda i, j: row_of(weight_grad_name(net.weight_numbers[(l, i, j)])), "gradient")
        difference(band, G[l], lambda i, j: at(weight_grad_name(net.weight_numbers[(l, i, j)])))
        if net.bias_mode == "trained":
            numbers = [net.bias_numbers[(l, i)] for i in range(1, len(targets) + 1)]
            GB[l] = band.block(f"∂E/∂b{l}", f"∂E/∂b{l} = Δ{l}·1ᵀ / {S}" if S > 1 else f"∂E/∂b{l} = Δ{l}",
                               targets, ["∂E/∂b"], "gradient")
            array(GB[l], f"=MMULT({D[l].ref},TRANSPOSE({ones.ref})){mean}" if ones is not None else f"={D[l].ref}",
                  lambda i, j: row_of(bias_grad_name(numbers[i - 1])), "gradient")
            difference(band, GB[l], lambda i, j: at(bias_grad_name(numbers[i - 1])))
        top = band.bottom

    # the update, a band a layer: the optimizer's state, then the next iteration's W (and b)
    for l in range(1, L + 1):
        targets, sources = net.neurons(l), net.neurons(l - 1)
        band = _Band(out, top, f"layer {l}: update, " + _rule(net.optimizer, l))
        parameters = [(f"W{l}", W[l], G[l], lambda i, j: weight_name(net.weight_numbers[(l, i, j)]), sources)]
        if net.bias_mode == "trained":
            numbers = [net.bias_numbers[(l, i)] for i in range(1, len(targets) + 1)]
            parameters.append((f"b{l}", B[l], GB[l], lambda i, j, numbers=numbers: bias_name(numbers[i - 1]), ["b"]))
        for label, P, grad, name, columns in parameters:
            state = {}
            for prefix in STATE[net.optimizer]:
                before = band.block(f"{prefix}{label} before", f"{prefix} of {label}, after the iteration before",
                                    targets, columns, "state")

                def read(i, j, prefix=prefix, name=name):
                    return f"=IF({it}=1,0,{at(state_name(prefix, name(i, j)), '-1')})"

                def was(i, j, prefix=prefix, name=name):
                    column = state_name(prefix, name(i, j))
                    return lambda table, spec, k: 0.0 if k == 1 else float(table[column][k - 2])
                fill(before, read, was, "state")
                new = band.block(f"{prefix}{label}", f"{prefix} of {label}, this iteration's", targets, columns, "state")
                array(new, f"={_state(net.optimizer, prefix, before.ref, grad.ref)}",
                      lambda i, j, prefix=prefix, name=name: row_of(state_name(prefix, name(i, j))), "state")
                difference(band, new, lambda i, j, prefix=prefix, name=name: at(state_name(prefix, name(i, j))))
                state[prefix] = new
            nxt = band.block(f"{label} next", f"{label} next = {_step_text(net.optimizer, label)}",
                             targets, columns, "weight")
            array(nxt, f"={_step(net.optimizer, P.ref, grad.ref, state, it)}",
                  lambda i, j, name=name: _next(name(i, j), n_iterations), "weight")
            difference(band, nxt, lambda i, j, name=name: at(name(i, j), "+1"), next_row=True)
        top = band.bottom
    return out


def _softmax(out: MatricesPlan, top: int, Z: Block, samples: list[str], array_column, difference, at, row_of,
             layout: Layout) -> tuple[Block, int]:
    """The softmax of the output sums, a column (a sample) at a time: each column's largest sum, the
    exponentials of the shifted sums, their shares, in a band of their own from row ``top``. Returns
    the block of the outputs A and the row below the band."""
    net = layout.network
    outputs = net.neurons(net.depth)
    band = _Band(out, top, f"layer {net.depth}: softmax, a column at a time: o_max = max(Z{net.depth}), "
                           f"e = exp(Z{net.depth} − o_max), A{net.depth} = e / Σe")
    shift = band.block("o_max", "o_max, each sample's largest sum", ["o_max"], samples, "forward")
    for j in range(1, shift.cols + 1):
        out.put(shift.top, shift.left + j - 1, PlannedCell(f"=MAX({Z.cell(1, j)}:{Z.cell(Z.rows, j)})", "forward"))
        out.expected[shift.cell(1, j)] = row_of(shift_name(net, j))
    difference(band, shift, lambda i, j: at(shift_name(net, j)))
    e = band.block("e", "e = exp(Z − o_max)", outputs, samples, "forward")
    array_column(e, lambda j: f"={excel_softmax_exp(f'{Z.cell(1, j)}:{Z.cell(Z.rows, j)}', shift.cell(1, j))}",
                 lambda i, j: row_of(exp_name(net, j, i)), "forward")
    difference(band, e, lambda i, j: at(exp_name(net, j, i)))
    A = band.block(f"A{net.depth}", f"A{net.depth} = e / Σe, the class probabilities", outputs, samples, "forward")
    array_column(A, lambda j: "=" + excel_softmax_output(f"{e.cell(1, j)}:{e.cell(e.rows, j)}",
                                                         [e.cell(i, j) for i in range(1, e.rows + 1)]),
                 lambda i, j: row_of(a_name(net, j, net.depth, i)), "forward")
    difference(band, A, lambda i, j: at(a_name(net, j, net.depth, i)))
    return A, band.bottom


def formula_cells(plan: MatricesPlan) -> list[str]:
    """The cells that must hold a formula: every computed cell but the inside of an array formula's
    range, which holds its values only, and the given numbers (the ones row)."""
    return [c for c in plan.expected if c not in plan.interior and c not in plan.constants]


def _frozen(n: int) -> Lookup:
    return lambda table, spec, k: float(spec.biases[n - 1])


def _rule(optimizer: str, l: int, parameter: str | None = None) -> str:
    p = parameter or f"W{l}"
    g = f"∂E/∂{p}"
    return {"sgd": f"{p} ← {p} − η·{g}",
            "momentum": f"v ← momentum·v + {g}; {p} ← {p} − η·v",
            "rmsprop": f"s ← alpha·s + (1 − alpha)·{g}²; {p} ← {p} − η·{g}/(√s + epsilon)",
            "adam": f"m ← beta1·m + (1 − beta1)·{g}; v ← beta2·v + (1 − beta2)·{g}²; "
                    f"{p} ← {p} − η·m̂/(√v̂ + epsilon)"}[optimizer]


def _step_text(optimizer: str, p: str) -> str:
    return {"sgd": f"{p} − η·∂E/∂{p}", "momentum": f"{p} − η·v", "rmsprop": f"{p} − η·∂E/∂{p}/(√s + epsilon)",
            "adam": f"{p} − η·m̂/(√v̂ + epsilon)"}[optimizer]


_NAMED = {name: name for names in CONSTANTS.values() for name in names}  # the constants by their defined names


def _state(optimizer: str, prefix: str, before: str, g: str) -> str:
    """The new state over the ranges, in the Training sheet's order of operations."""
    return excel_state(optimizer, prefix, before, g, _NAMED)


def _step(optimizer: str, p: str, g: str, state: dict[str, Block], it: str) -> str:
    return f"{p}-{ETA}*{excel_step(optimizer, g, {k: b.ref for k, b in state.items()}, it, _NAMED)}"


ETA = "eta"


def _next(name: str, n_iterations: int) -> Lookup:
    """The next iteration's value of parameter ``name``: Training's next row, or after the last
    row the optimizer's step, computed by the reference's own rule."""
    def value(table, spec, k):
        if k < n_iterations and len(table[name]) > k:
            return float(table[name][k])
        return _last_step(table, spec, name, k)
    return value


def _last_step(table, spec, name: str, k: int) -> float:
    grad = table[f"∂E/∂{name}"][k - 1]
    net = spec.network
    prefixes = STATE[net.optimizer]
    state = State(k - 1, {p: np.array([0.0 if k == 1 else table[state_name(p, name)][k - 2]]) for p in prefixes})
    opt = Optimizer(net.optimizer, spec.eta, **spec.constants())
    w, _ = optimizer_step(opt, np.array([table[name][k - 1]]), np.array([grad]), state)
    return float(w[0])
