"""The ``Derivation`` sheet: the lecture's derivation, step by step, live on iteration 1.

Each step has its words, its math, the formula as it stands on the Training sheet, and its
value computed again here from Training's cells, beside Training's own cell and the
difference (0 when the two agree to the last bit). For the seed (iteration 1 on row 14)::

    1. forward pass   h1     w1·i1 + w2·i2       =B14*$B$4+C14*$C$4     =Training!B14*Training!$B$4+...
    3. chain rule     ∂E/∂a_o1  a_o1 − t1        =O14-$D$4              =Training!O14-Training!$D$4
                      ∂a_o1/∂o1  a_o1(1 − a_o1)  =O14*(1-O14)
                      ∂o1/∂w5   a_h1             =K14
                      ∂E/∂w5    the three factors multiplied, beside Training's ∂E/∂w5

With cross-entropy (a softmax output's o_max, e_o1 .., a_o1 ..; or a sigmoid's binary loss) the
chain rule has two links, ∂E/∂o1 = a_o1 − t1 and the input, and ``∂E/∂o1, numerically`` holds the
loss's formula with o1 moved by ±h beside it.

Then a finite-difference check of every gradient, computed in cells: a forward pass with one
parameter moved by +h and one by −h (a block of rows laid out in Training's columns, below),
and ``(E(w+h) − E(w−h)) / 2h`` beside the analytic ∂E/∂w. Each value cell carries the numpy
computation of the same number (:class:`Expected`), so verify checks this sheet too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable

import numpy as np
from openpyxl.formula.tokenizer import Tokenizer
from openpyxl.utils.cell import absolute_coordinate

from ..core.activations import ACTIVATIONS
from ..core.arithmetic import LIBREOFFICE, left_sum
from ..core.losses import (binary_cross_entropy, excel_binary_cross_entropy, excel_softmax_cross_entropy,
    excel_softmax_exp, softmax_loss)
from ..core.network import (E_TOTAL, a_name, bias_grad_name, bias_name, delta_name, exp_name, loss_name,
    sample_loss_name, shift_name, weight_grad_name, weight_name, z_name)
from ..core.optimizers import STATE, state_name
from ..core.optimizers import State as OptimizerState
from ..core.optimizers import step as optimizer_step
from ..core.reference import Table
from ..core.spec import Spec
from .cells import PlannedCell
from .expressions import Templates
from .layout import SHEET as TRAINING
from .layout import Layout

SHEET = "Derivation"
H_ROW, H = 4, 1e-4  # the finite-difference step h: a given value in B4
H_CELL = f"B{H_ROW}"
HEADER_ROW = 6
VALUE, CHECK, DIFFERENCE = "E", "F", "G"  # columns of a step: its value here, Training's cell, their difference
MAX_CHECKED = 100  # finite-difference checks of at most this many parameters,
BLOCK_BUDGET = 100_000  # and of as many as fit this many cells of perturbed forward passes
HEADERS = ("quantity", "in words", "math", "formula on Training, iteration 1", "value, computed here",
           "Training's cell", "difference")
FD_HEADERS = ("parameter", "analytic ∂E/∂p", "E(p + h)", "E(p − h)", "(E(p+h) − E(p−h)) / 2h",
              "difference", "relative difference")


@dataclass(frozen=True)
class Context:
    """What the expected values are computed from: the reference table of the Training sheet,
    the reference tables of every perturbed run (``perturbed[(parameter, sign)]``) and h."""

    table: Table
    perturbed: dict[tuple[str, int], Table]
    h: float
    spec: Spec


Expected = Callable[[Context], float]


@dataclass
class DerivationPlan:
    """Rows of the sheet (``rows[r]`` lists row r's cells from column A) and the expected value
    of every live cell (``expected["F12"]``)."""

    rows: dict[int, list[PlannedCell]] = field(default_factory=dict)
    expected: dict[str, Expected] = field(default_factory=dict)
    parameters: list[str] = field(default_factory=list)  # checked by finite differences, in order
    # The size of what cancels in a cell whose value is mostly rounding: E(p+h) - E(p-h) loses the
    # digits of E, so the slope and its difference from the analytic gradient are only as exact as
    # E / 2h. An engine in another precision (Gnumeric) is compared to within a share of this.
    cancels: dict[str, Expected] = field(default_factory=dict)

    def add(self, cells: list[PlannedCell]) -> int:
        row = max(self.rows, default=0) + 1
        self.rows[row] = cells
        return row


_CELL = re.compile(r"\$?[A-Za-z]{1,3}\$?\d+(:\$?[A-Za-z]{1,3}\$?\d+)?")  # B16, $B$4, B4:C4; not beta1


def qualify(formula: str, sheet: str = TRAINING, absolute_only: bool = False) -> str:
    """Point a formula's cell references at ``sheet``: ``=O20-$D$11`` -> ``=Training!O20-Training!$D$11``.

    With ``absolute_only`` only ``$B$4``-style references move (the perturbed forward passes keep
    their own row's cells). ``eta``, the optimizer's ``beta1`` .. (names, not cells) and functions are left alone.
    """
    tokens = Tokenizer(formula)
    for token in tokens.items:
        if token.type == "OPERAND" and token.subtype == "RANGE" and _CELL.fullmatch(token.value):
            if not absolute_only or token.value.startswith("$"):
                token.value = f"{sheet}!{token.value}"
    return tokens.render()


@lru_cache(maxsize=8)  # the writer, the limits check, stored values and verify all ask
def plan(layout: Layout) -> DerivationPlan:
    """The whole sheet for a network laid out as ``layout`` on the Training sheet."""
    out = DerivationPlan()
    out.add([PlannedCell("How backprop computes every number of iteration 1", "title", True)])
    out.add([PlannedCell("Each step in words and in math, its formula as it stands on the Training sheet, and "
                         "its value computed again here from Training's cells. A difference of 0 means the "
                         "two agree to the last bit.", "hint", True)])
    out.add([])
    out.add([PlannedCell("finite-difference step h", "text", True), PlannedCell(H, "given")])
    out.add([])
    out.add([PlannedCell(h, "header", True) for h in HEADERS])
    steps = _Steps(layout, out)
    steps.write()
    _finite_differences(layout, out, steps.sections + 1)
    return out


class _Steps:
    """The numbered sections before the finite-difference check: forward pass, loss, the chain rule
    for one weight, δ and gradients layer by layer, the update."""

    def __init__(self, layout: Layout, out: DerivationPlan):
        self.layout, self.out, self.net = layout, out, layout.network
        self.templates = Templates(layout)
        self.sections = 0

    def write(self) -> None:
        net = self.net
        self.section("Forward pass: each neuron sums its weighted inputs, then its activation squashes the sum")
        for s in range(1, net.n_samples + 1):
            for layer in range(1, net.depth + 1):
                for j in range(1, net.layers[layer] + 1):
                    z, a = z_name(net, s, layer, j), a_name(net, s, layer, j)
                    self.column_step(z, f"weighted sum into {net.neuron(layer, j)}", f"{z} = {self.sum_math(layer, j)}")
                    if layer < net.depth or not net.softmax:
                        act = ACTIVATIONS[net.activations[layer - 1]]
                        self.column_step(a, f"activation of {net.neuron(layer, j)}", f"{a} = g({z});  {act.formula}")
            if net.softmax:
                self.softmax_steps(s)
        self.loss_steps()
        mean = " (mean over samples)" if net.n_samples > 1 else ""
        terms = "E" if net.softmax else "E1 + E2 + ..."
        self.column_step(E_TOTAL, f"the loss to minimise{mean}", f"E_total = {terms}{mean}")
        self.chain_rule()
        for layer in range(net.depth, 0, -1):
            self.layer_gradients(layer)
        if net.optimizer == "sgd":
            self.section("Update: every weight takes a step against its gradient, scaled by the learning rate eta")
        else:
            self.section(f"Update ({UPDATE_TITLES[net.optimizer]}, as PyTorch's torch.optim applies it): each "
                         f"weight's state takes in its gradient, then the weight takes a step scaled by eta")
        for p in net.parameters():
            for prefix in STATE[net.optimizer]:
                name = state_name(prefix, p)
                self.column_step(name, f"the optimizer's state {prefix} of {p} after iteration 1's update",
                                 _state_math(net.optimizer, prefix, p))
            self.update_step(p)

    # -- sections --------------------------------------------------------------------------
    def chain_rule(self) -> None:
        """∂E/∂w for the first weight into o1 (w5 for the seed), as the product of three factors."""
        net, depth = self.net, self.net.depth
        n = net.weight_numbers[(depth, 1, 1)]
        w, a_o, o = weight_name(n), a_name(net, 1, depth, 1), z_name(net, 1, depth, 1)
        source = "i1" if depth == 1 else a_name(net, 1, depth - 1, 1)
        sample = " of sample 1" if net.n_samples > 1 else ""
        self.section(f"Chain rule for ∂E/∂{w}{sample}: how E changes with {w}, one link at a time")
        if net.loss == "cross-entropy":
            return self.cross_entropy_chain_rule(n)
        act = ACTIVATIONS[net.activations[depth - 1]]
        target = self.layout.target_cell(1, 1)
        f1 = self.step(f"∂E/∂{a_o}", "how the loss changes with the output", f"{a_o} − t1",
                       f"={self.ref(a_o)}-{target}", lambda c: _sub(c.table[a_o][0], c.spec.targets[0][0]))
        derivative = act.excel_derivative(self.ref(o), self.ref(a_o))
        f2 = self.step(f"∂{a_o}/∂{o}", "how the output changes with its sum: g'", act.formula.split(", ")[-1],
                       f"={derivative or 1}",
                       lambda c: float(act.derivative(np.array([c.table[o][0]]), np.array([c.table[a_o][0]]),
                                                      LIBREOFFICE)[0]))
        f3 = self.step(f"∂{o}/∂{w}", f"how the sum changes with {w}: the input it weighs", source,
                       f"={self.source_ref(1, depth - 1, 1)}", lambda c: self.source_value(c, 1, depth - 1, 1))
        product = f"={VALUE}{f1}*{VALUE}{f2}*{VALUE}{f3}"
        grad = weight_grad_name(n)
        e = self.out.expected
        row = self.out.add([PlannedCell(f"∂E/∂{w}{sample}", "label", True),
                            PlannedCell("the three factors multiplied", "text", True),
                            PlannedCell(f"({a_o} − t1) · g'({o}) · {source}", "text", True),
                            PlannedCell(product, "text", True), PlannedCell(product, "gradient")])
        e[f"{VALUE}{row}"] = lambda c: e[f"{VALUE}{f1}"](c) * e[f"{VALUE}{f2}"](c) * e[f"{VALUE}{f3}"](c)
        if net.n_samples == 1:  # with several samples the product is sample 1's share of the mean
            self.out.rows[row] += [PlannedCell(f"={TRAINING}!{self.layout.cell(grad, 1)}", "gradient"),
                                   PlannedCell(f"={VALUE}{row}-{CHECK}{row}", "gradient")]
            e[f"{CHECK}{row}"] = lambda c: c.table[grad][0]
            e[f"{DIFFERENCE}{row}"] = lambda c: 0.0

    def layer_gradients(self, layer: int) -> None:
        net = self.net
        label = "output layer" if layer == net.depth else f"hidden layer {layer}" if net.depth > 2 else "hidden layer"
        self.section(f"The {label}: δ = ∂E/∂(sum) once per neuron, then ∂E/∂w = δ · input")
        cross_entropy = layer == net.depth and net.loss == "cross-entropy"
        slope = "with cross-entropy, the activation's slope cancels" if cross_entropy else \
            ACTIVATIONS[net.activations[layer - 1]].formula.split(', ')[-1]
        for s in range(1, net.n_samples + 1):
            for j in range(1, net.layers[layer] + 1):
                a, z, d = a_name(net, s, layer, j), z_name(net, s, layer, j), delta_name(net, s, layer, j)
                if layer < net.depth:
                    terms = [(delta_name(net, s, layer + 1, k), weight_name(net.weight_numbers[(layer + 1, k, j)]))
                             for k in range(1, net.layers[layer + 1] + 1)]
                    self.step(f"∂E/∂{a}", f"what {net.neuron(layer, j)} passes on: each δ above times its weight",
                              " + ".join(f"{dk}·{wk}" for dk, wk in terms),
                              "=" + "+".join(f"{self.ref(dk)}*{self.ref(wk)}" for dk, wk in terms),
                              lambda c, terms=terms: _dot(c, terms))
                    math = f"{d} = ∂E/∂{a} · g'({z})"
                elif cross_entropy:
                    math = f"{d} = ∂E/∂{z} = {a} − t{j}"
                else:
                    math = f"{d} = ({a} − t{j}) · g'({z})"
                self.column_step(d, f"δ of {net.neuron(layer, j)}: {slope}", math)
        mean = ", mean over samples" if net.n_samples > 1 else ""
        for (l, j, k), n in net.weight_numbers.items():
            if l == layer:
                source = self.source_name(layer - 1, k)
                self.column_step(weight_grad_name(n), f"gradient of w{n}: {net.connection(n)}{mean}",
                                 f"∂E/∂w{n} = δ_{net.neuron(layer, j)} · {source}")
        if net.bias_mode == "trained":
            for (l, j), n in net.bias_numbers.items():
                if l == layer:
                    self.column_step(bias_grad_name(n), f"gradient of b{n}, the bias of {net.neuron(l, j)}{mean}",
                                     f"∂E/∂b{n} = δ_{net.neuron(l, j)}")

    def softmax_steps(self, s: int) -> None:
        """The softmax of sample ``s``: its shift, each exponential, each output."""
        net, outputs = self.net, range(1, self.net.layers[-1] + 1)
        o = [z_name(net, s, net.depth, k) for k in outputs]
        m = shift_name(net, s)
        self.column_step(m, "the largest output sum, subtracted before EXP so that no EXP overflows",
                         f"{m} = max({', '.join(o)})")
        for k in outputs:
            self.column_step(exp_name(net, s, k), f"e to the shifted sum of {net.neuron(net.depth, k)}, at most 1",
                             f"{exp_name(net, s, k)} = e^({o[k - 1]} − {m})")
        total = " + ".join(exp_name(net, s, k) for k in outputs)
        for k in outputs:
            a = a_name(net, s, net.depth, k)
            self.column_step(a, f"softmax: the share of class {k}, a probability (the outputs add up to 1)",
                             f"{a} = {exp_name(net, s, k)} / ({total}) = e^{o[k - 1]} / Σ e^o")

    def loss_steps(self) -> None:
        net = self.net
        if net.softmax:
            self.section("Loss: the cross-entropy −Σ t·ln a of each sample, with ln a_k = (o_k − o_max) − ln Σ e "
                         "(and Σ t = 1), so that no logarithm meets 0")
        elif net.loss == "cross-entropy":
            self.section("Loss: the binary cross-entropy of each output, −[t·ln a + (1 − t)·ln(1 − a)], computed "
                         "from o with softplus sp(x) = max(x, 0) + ln(1 + e^−|x|), so that no logarithm meets 0")
        else:
            self.section("Loss: half the squared error of each output, added up")
        for s in range(1, net.n_samples + 1):
            if net.softmax:
                e, m = sample_loss_name(net, s), shift_name(net, s)
                self.column_step(e, "the cross-entropy of the sample: −ln of the probability of its class",
                                 f"{e} = −Σ t_k·ln a_k = ln Σ e − Σ t_k·(o_k − {m})")
                continue
            for k in range(1, net.layers[-1] + 1):
                e, a, o, t = loss_name(net, s, k), a_name(net, s, net.depth, k), z_name(net, s, net.depth, k), f"t{k}"
                if net.loss == "cross-entropy":
                    self.column_step(e, f"cross-entropy of output {k}",
                                     f"{e} = −[{t}·ln {a} + (1 − {t})·ln(1 − {a})] = {t}·sp(−{o}) + (1 − {t})·sp({o})")
                else:
                    self.column_step(e, f"error of output {k}", f"{e} = ½ ({t} − {a})²")

    def cross_entropy_chain_rule(self, n: int) -> None:
        """∂E/∂w for the first weight into o1 with cross-entropy: two links, the first a − t, held to
        a finite difference of the loss cell's own formula with o1 moved by ±h."""
        net, depth = self.net, self.net.depth
        w, a_o, o = weight_name(n), a_name(net, 1, depth, 1), z_name(net, 1, depth, 1)
        source = "i1" if depth == 1 else a_name(net, 1, depth - 1, 1)
        output = "the softmax" if net.softmax else "the sigmoid"
        f1 = self.step(f"∂E/∂{o}", f"how the loss changes with the output's sum: for cross-entropy after {output}, "
                       f"g' cancels and leaves the output minus its target", f"{a_o} − t1",
                       f"={self.ref(a_o)}-{self.layout.target_cell(1, 1)}",
                       lambda c: _sub(c.table[a_o][0], c.spec.targets[0][0]))
        self.loss_difference(f1)
        f3 = self.step(f"∂{o}/∂{w}", f"how the sum changes with {w}: the input it weighs", source,
                       f"={self.source_ref(1, depth - 1, 1)}", lambda c: self.source_value(c, 1, depth - 1, 1))
        product = f"={VALUE}{f1}*{VALUE}{f3}"
        e = self.out.expected
        sample = " of sample 1" if net.n_samples > 1 else ""
        row = self.out.add([PlannedCell(f"∂E/∂{w}{sample}", "label", True),
                            PlannedCell("the two factors multiplied", "text", True),
                            PlannedCell(f"({a_o} − t1) · {source}", "text", True),
                            PlannedCell(product, "text", True), PlannedCell(product, "gradient")])
        e[f"{VALUE}{row}"] = lambda c: e[f"{VALUE}{f1}"](c) * e[f"{VALUE}{f3}"](c)
        if net.n_samples == 1:
            grad = weight_grad_name(n)
            self.out.rows[row] += [PlannedCell(f"={TRAINING}!{self.layout.cell(grad, 1)}", "gradient"),
                                   PlannedCell(f"={VALUE}{row}-{CHECK}{row}", "gradient")]
            e[f"{CHECK}{row}"] = lambda c: c.table[grad][0]
            e[f"{DIFFERENCE}{row}"] = lambda c: 0.0

    def loss_difference(self, analytic: int) -> None:
        """∂E/∂o1 of sample 1 by finite differences: the loss's own formula with o1 moved by +h and by
        −h, in one cell, beside the analytic a − t (row ``analytic``) and their difference (about h²)."""
        net = self.net
        h = absolute_coordinate(H_CELL)
        formulas = [self.moved_loss(+1), self.moved_loss(-1)]
        formula = f"=(({formulas[0]})-({formulas[1]}))/(2*{h})"
        o = z_name(net, 1, net.depth, 1)
        row = _next_row(self.out)
        self.out.add([PlannedCell(f"∂E/∂{o}, numerically", "label", True),
                      PlannedCell(f"the same slope by finite differences: the loss's formula with {o} moved by ±h",
                                  "text", True),
                      PlannedCell(f"(E({o} + h) − E({o} − h)) / 2h", "text", True),
                      PlannedCell(formula, "text", True), PlannedCell(formula, "delta"),
                      PlannedCell(f"={VALUE}{analytic}", "delta"),
                      PlannedCell(f"={VALUE}{row}-{CHECK}{row}", "delta")])
        e = self.out.expected
        e[f"{VALUE}{row}"] = lambda c: _loss_slope(c, self.net)
        e[f"{CHECK}{row}"] = e[f"{VALUE}{analytic}"]
        e[f"{DIFFERENCE}{row}"] = lambda c: _sub(e[f"{VALUE}{row}"](c), e[f"{VALUE}{analytic}"](c))
        noise = lambda c: abs(c.table[sample_loss_name(net, 1) if net.softmax else loss_name(net, 1, 1)][0]) \
            / (2 * c.h)  # noqa: E731
        self.out.cancels[f"{VALUE}{row}"] = self.out.cancels[f"{DIFFERENCE}{row}"] = noise

    def moved_loss(self, sign: int) -> str:
        """Sample 1's loss (without ``=``) on Training's cells, with o1 moved by ``sign``·h: a softmax's
        from Training's o_max, by which it may be shifted as by any number."""
        net, layout = self.net, self.layout
        h = absolute_coordinate(H_CELL)
        on_training = lambda name: f"{TRAINING}!{self.ref(name)}"  # noqa: E731
        o1 = f"({on_training(z_name(net, 1, net.depth, 1))}{'+' if sign > 0 else '-'}{h})"
        outputs = range(1, net.layers[-1] + 1)
        t = [f"{TRAINING}!{layout.target_cell(1, k)}" for k in outputs]
        if not net.softmax:
            return excel_binary_cross_entropy(t[:1], [o1])
        m = on_training(shift_name(net, 1))
        o = [o1] + [on_training(z_name(net, 1, net.depth, k)) for k in outputs[1:]]
        e = [excel_softmax_exp(o1, m)] + [on_training(exp_name(net, 1, k)) for k in outputs[1:]]
        return excel_softmax_cross_entropy(t, o, m, e)

    # -- one row -----------------------------------------------------------------------------
    def section(self, title: str) -> None:
        self.sections += 1
        self.out.add([])
        self.out.add([PlannedCell(f"{self.sections}. {title}", "label", True)])

    def step(self, quantity: str, words: str, math: str, formula: str, expected: Expected) -> int:
        """A step that is not a Training column: computed here only."""
        row = self.out.add([PlannedCell(quantity, "label", True), PlannedCell(words, "text", True),
                            PlannedCell(math, "text", True), PlannedCell(formula, "text", True),
                            PlannedCell(qualify(formula), "delta")])
        self.out.expected[f"{VALUE}{row}"] = expected
        return row

    def column_step(self, name: str, words: str, math: str, iteration: int = 1) -> None:
        """A Training column: its formula, recomputed here, beside Training's cell."""
        formula = self.templates.formula(name, iteration)
        kind = self.layout.column[name].kind
        row = self.out.add([PlannedCell(name, "label", True), PlannedCell(words, "text", True),
                            PlannedCell(math, "text", True), PlannedCell(formula, "text", True),
                            PlannedCell(qualify(formula), kind),
                            PlannedCell(f"={TRAINING}!{self.layout.cell(name, iteration)}", kind)])
        self.out.rows[row].append(PlannedCell(f"={VALUE}{row}-{CHECK}{row}", kind))
        e = self.out.expected
        e[f"{VALUE}{row}"] = e[f"{CHECK}{row}"] = lambda c: c.table[name][iteration - 1]
        e[f"{DIFFERENCE}{row}"] = lambda c: 0.0

    def update_step(self, p: str) -> None:
        """``p`` of iteration 2: Training's next row, or computed here alone when the run has one row."""
        words, math = f"the {'weight' if p[0] == 'w' else 'bias'} of iteration 2", _update_math(self.net.optimizer, p)
        if self.layout.iterations >= 2:
            self.column_step(p, words, math, iteration=2)
        elif self.net.optimizer == "sgd":
            self.step(p, words, math, self.templates.rest[p].format(r=self.layout.row(2), p=self.layout.row(1)),
                      lambda c: _sub(c.table[p][0], c.spec.eta * c.table["∂E/∂" + p][0]))
        else:
            self.step(p, words, math, self.templates.rest[p].format(r=self.layout.row(2), p=self.layout.row(1)),
                      lambda c: _first_update(c, p))

    def sum_math(self, layer: int, j: int) -> str:
        net = self.net
        terms = [f"w{net.weight_numbers[(layer, j, k)]}·{self.source_name(layer - 1, k)}"
                 for k in range(1, net.layers[layer - 1] + 1)]
        if net.bias_mode != "none":
            terms.append(f"b{net.bias_numbers[(layer, j)]}")
        return " + ".join(terms)

    def source_name(self, layer: int, k: int) -> str:
        return f"i{k}" if layer == 0 else "a_" + self.net.neuron(layer, k)

    def ref(self, name: str) -> str:
        return self.layout.cell(name, 1)

    def source_ref(self, s: int, layer: int, k: int) -> str:
        return self.layout.input_cell(s, k) if layer == 0 else self.ref(a_name(self.net, s, layer, k))

    def source_value(self, c: Context, s: int, layer: int, k: int) -> float:
        return c.spec.inputs[s - 1][k - 1] if layer == 0 else c.table[a_name(self.net, s, layer, k)][0]


UPDATE_TITLES = {"momentum": "SGD with momentum", "rmsprop": "RMSProp", "adam": "Adam"}


def _state_math(optimizer: str, prefix: str, p: str) -> str:
    """``m_w1 ← beta1 · m_w1 + (1 − beta1) · ∂E/∂w1``: the rule of one state column, from 0."""
    s, g = state_name(prefix, p), f"∂E/∂{p}"
    if optimizer == "momentum":
        return f"{s} ← momentum · {s} + {g}  (from {s} = 0)"
    if optimizer == "rmsprop":
        return f"{s} ← alpha · {s} + (1 − alpha) · {g} · {g}  (from {s} = 0)"
    if prefix == "m":
        return f"{s} ← beta1 · {s} + (1 − beta1) · {g}  (from {s} = 0)"
    return f"{s} ← beta2 · {s} + (1 − beta2) · {g} · {g}  (from {s} = 0)"


def _update_math(optimizer: str, p: str) -> str:
    """The update of ``p`` in math: ``w1 ← w1 − η · ∂E/∂w1`` for SGD, its optimizer's rule otherwise."""
    if optimizer == "sgd":
        return f"{p} ← {p} − η · ∂E/∂{p}"
    if optimizer == "momentum":
        return f"{p} ← {p} − η · v_{p}"
    if optimizer == "rmsprop":
        return f"{p} ← {p} − η · ∂E/∂{p} / (√s_{p} + epsilon)"
    return (f"{p} ← {p} − η · m̂ / (√v̂ + epsilon), m̂ = m_{p} / (1 − beta1ᵗ), v̂ = v_{p} / (1 − beta2ᵗ), "
            f"t the iteration (1 here)")


def _first_update(c: Context, p: str) -> float:
    """``p`` after iteration 1's update, by the optimizer's rule from a zero state (a run of one row)."""
    opt = c.spec.optimizer
    zero = OptimizerState(0, {prefix: np.zeros(1) for prefix in STATE[opt.name]})
    w, _ = optimizer_step(opt, np.array([c.table[p][0]]), np.array([c.table["∂E/∂" + p][0]]), zero, LIBREOFFICE)
    return float(w[0])


def _next_row(out: DerivationPlan) -> int:
    """The row :meth:`DerivationPlan.add` fills next."""
    return max(out.rows, default=0) + 1


def _loss_slope(c: Context, net) -> float:
    """What :meth:`_Steps.loss_difference`'s cell computes: (E(o1 + h) − E(o1 − h)) / 2h of sample 1,
    operation for operation (:meth:`_Steps.moved_loss`)."""
    ops, outputs = LIBREOFFICE, net.layers[-1]
    one = lambda x: np.array([x], dtype=float)  # noqa: E731
    o = [one(c.table[z_name(net, 1, net.depth, k)][0]) for k in range(1, outputs + 1)]
    t = [one(x) for x in c.spec.targets[0]]
    losses = []
    for step in (ops.add, ops.sub):
        o1 = step(o[0], one(c.h))
        if net.softmax:
            m = one(c.table[shift_name(net, 1)][0])
            e = [ops.exp(ops.sub(o1, m))] + [one(c.table[exp_name(net, 1, k)][0]) for k in range(2, outputs + 1)]
            losses.append(float(softmax_loss(np.column_stack([o1] + o[1:]), np.column_stack(t), m,
                                             np.column_stack(e), ops)[0]))
        else:
            losses.append(float(binary_cross_entropy(o1[:, None], t[0][:, None], ops)[0]))
    return _sub(losses[0], losses[1]) / (2 * c.h)


def _sub(a: float, b: float) -> float:
    return float(LIBREOFFICE.sub(np.array([a]), np.array([b]))[0])


def _dot(c: Context, terms: list[tuple[str, str]]) -> float:
    return float(left_sum([np.array([c.table[d][0] * c.table[w][0]]) for d, w in terms], LIBREOFFICE.add)[0])


def _finite_differences(layout: Layout, out: DerivationPlan, number: int) -> None:
    """The last section, and the perturbed forward passes it reads."""
    net = layout.network
    params = [weight_name(n) for n in range(1, net.n_weights + 1)]
    if net.bias_mode == "trained":
        params += [bias_name(n) for n in range(1, net.n_biases + 1)]
    forward = [c for c in layout.columns if c.kind in ("forward", "loss")]
    width = forward[-1].index
    checked = params[:max(1, min(MAX_CHECKED, BLOCK_BUDGET // (2 * width)))]
    out.parameters = checked
    out.add([])
    more = f" (the first {len(checked)} of {len(params):,} parameters)" if len(checked) < len(params) else ""
    out.add([PlannedCell(f"{number}. Finite-difference check{more}: move one parameter by ±h, run the forward pass "
                         "again (rows below), and compare the slope of E with the analytic gradient", "label", True)])
    out.add([PlannedCell(h, "header", True) for h in FD_HEADERS])
    top = max(out.rows) + 1
    block_title = top + len(checked) + 1
    block_header = block_title + 1
    e_total = layout.column[E_TOTAL].letter
    h_cell = absolute_coordinate(H_CELL)
    for k, p in enumerate(checked):
        r = top + k
        plus, minus = block_header + 1 + 2 * k, block_header + 2 + 2 * k
        grad = "∂E/∂" + p
        out.rows[r] = [PlannedCell(p, "label", True),
                       PlannedCell(f"={TRAINING}!{layout.cell(grad, 1)}", "gradient"),
                       PlannedCell(f"={e_total}{plus}", "loss"), PlannedCell(f"={e_total}{minus}", "loss"),
                       PlannedCell(f"=(C{r}-D{r})/(2*{h_cell})", "gradient"),
                       PlannedCell(f"=E{r}-B{r}", "gradient"),
                       PlannedCell(f"=IF(B{r}=0,ABS(F{r}),ABS(F{r}/B{r}))", "gradient")]
        e = out.expected
        e[f"B{r}"] = lambda c, grad=grad: c.table[grad][0]
        e[f"C{r}"] = lambda c, p=p: c.perturbed[(p, 1)][E_TOTAL][0]
        e[f"D{r}"] = lambda c, p=p: c.perturbed[(p, -1)][E_TOTAL][0]
        e[f"E{r}"] = lambda c, r=r: _sub(e[f"C{r}"](c), e[f"D{r}"](c)) / (2 * c.h)
        e[f"F{r}"] = lambda c, r=r: _sub(e[f"E{r}"](c), e[f"B{r}"](c))
        e[f"G{r}"] = lambda c, r=r: abs(e[f"F{r}"](c)) if e[f"B{r}"](c) == 0 else abs(e[f"F{r}"](c) / e[f"B{r}"](c))
        slope_noise = lambda c, r=r: max(abs(e[f"C{r}"](c)), abs(e[f"D{r}"](c))) / (2 * c.h)  # noqa: E731
        out.cancels[f"E{r}"] = out.cancels[f"F{r}"] = slope_noise
        out.cancels[f"G{r}"] = lambda c, r=r, n=slope_noise: n(c) / (abs(e[f"B{r}"](c)) or 1.0)
    out.rows[block_title] = [PlannedCell("The perturbed forward passes: Training's formulas, with one parameter "
                                         "moved by +h or −h", "label", True)]
    header = [PlannedCell("run", "header", True)] + [PlannedCell(None)] * (width - 1)
    for column in layout.columns[1:width]:
        if column.kind in ("weight", "bias", "forward", "loss"):
            header[column.index - 1] = PlannedCell(column.name, "header", True)
    out.rows[block_header] = header
    templates = Templates(layout)
    for k, p in enumerate(checked):
        for sign, row in ((1, block_header + 1 + 2 * k), (-1, block_header + 2 + 2 * k)):
            cells = [PlannedCell(f"{p} {'+' if sign > 0 else '−'} h", "iteration", True)] + [PlannedCell(None)] * (width - 1)
            for column in layout.columns[1:width]:
                if column.kind in ("weight", "bias"):
                    start = f"={TRAINING}!${column.letter}${layout.first_row}"
                    value = start + (f"{'+' if sign > 0 else '-'}{h_cell}" if column.name == p else "")
                elif column.kind in ("forward", "loss"):
                    value = qualify(templates.first[column.name].format(r=row, p=row - 1), absolute_only=True)
                else:
                    continue
                cells[column.index - 1] = PlannedCell(value, column.kind)
                out.expected[f"{column.letter}{row}"] = (
                    lambda c, p=p, sign=sign, name=column.name: c.perturbed[(p, sign)][name][0])
            out.rows[row] = cells


def perturbed_spec(spec: Spec, parameter: str, sign: int, h: float) -> Spec:
    """The one-iteration spec of a perturbed run: ``parameter`` (``"w3"``, ``"b1"``) moved by ``sign * h``,
    added as the sheet adds (``=Training!$D$20+$B$4``)."""
    step = LIBREOFFICE.add if sign > 0 else LIBREOFFICE.sub
    values = list(spec.weights if parameter.startswith("w") else spec.biases)
    n = int(parameter[1:])
    values[n - 1] = float(step(np.array([values[n - 1]]), np.array([h]))[0])
    field_name = "weights" if parameter.startswith("w") else "biases"
    return replace(spec, iterations=1, **{field_name: tuple(values)})
