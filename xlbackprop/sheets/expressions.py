"""The formula of every cell of the training table: pure text, planned before anything is written.

Each column gets a template in which ``{r}`` is the cell's own row and ``{p}`` the row above.
For the seed's 2-2-2 network (iteration 1 on row 14, inputs in B4:C4, targets in D4:E4)::

    w5       row 15:  =F14-eta*AC14          (previous w5 minus eta times previous ∂E/∂w5)
    h1       row 14:  =B14*$B$4+C14*$C$4     (w1*i1 + w2*i2)
    a_h1     row 14:  =IF(J14>=0,1/(1+EXP(-J14)),EXP(J14)/(1+EXP(J14)))   (sigmoid, safe at any rate)
    E1       row 14:  =0.5*($D$4-O14)^2
    δ_o1     row 14:  =(O14-$D$4)*(O14*(1-O14))
    δ_h1     row 14:  =(U14*F14+V14*H14)*(K14*(1-K14))   (δ_o1*w5 + δ_o2*w7, times g'(h1))
    ∂E/∂w5   row 14:  =U14*K14               (δ_o1 * a_h1)

With an optimizer other than SGD, each weight's state columns carry its rule (PyTorch's, see
:mod:`xlbackprop.core.optimizers`); Adam on the seed, w5 in F, m_w5 in G, v_w5 in H, ∂E/∂w5 in AS::

    m_w5     row 16:  =beta1*0+(1-beta1)*AS16             (the state starts at 0)
             row 17:  =beta1*G16+(1-beta1)*AS17
    v_w5     row 17:  =beta2*H16+(1-beta2)*AS17*AS17
    w5       row 17:  =F16-eta*(G16/(1-beta1^A16))/(SQRT(H16/(1-beta2^A16))+epsilon)

Row k's state is the one after the update its own gradient makes, step t = k (column A), so row
k+1's weight, like SGD's, reads only row k. Momentum: ``v ← momentum·v + g``, ``w ← w − η·v``;
RMSProp: ``s ← alpha·s + (1−alpha)·g·g``, ``w ← w − η·g/(√s + epsilon)``.

With cross-entropy (:mod:`xlbackprop.core.losses`) the output δ is ``a − t``, without the slope; a
softmax output (2-3-3, one sample, iteration 1 on row 15), o1..o3 in W:Y, o_max in Z, e_o1..e_o3 in AA:AC,
a_o1 in AD, targets in D4:F4::

    o_max    =MAX(W15,X15,Y15)                 e_o1   =EXP(W15-Z15)            a_o1  =AA15/(AA15+AB15+AC15)
    E        =LN(AA15+AB15+AC15)-($D$4*(W15-Z15)+$E$4*(X15-Z15)+$F$4*(Y15-Z15))        δ_o1  =AD15-$D$4

Every shared term is computed once: a δ per neuron, each gradient a δ times an activation.
The reference engine (:mod:`xlbackprop.core.reference`) performs the same operations in the same
order, so the two agree bit for bit.
"""

from __future__ import annotations

from ..core.activations import ACTIVATIONS
from ..core.losses import (excel_binary_cross_entropy, excel_output_delta, excel_softmax_cross_entropy,
    excel_softmax_exp, excel_softmax_output, excel_softmax_shift)
from ..core.network import (E_TOTAL, Network, a_name, bias_grad_name, bias_name, delta_name, exp_name, loss_name,
    loss_names, sample_loss_name, shift_name, weight_grad_name, weight_name, z_name)
from ..core.optimizers import STATE, excel_state, excel_step, state_name
from .layout import Layout


class Templates:
    """Formula templates of one layout: ``first[name]`` for iteration 1, ``rest[name]`` after.
    ``eta`` is how the updates read the learning rate (:meth:`Layout.eta_reference`): ``eta`` on
    Training, ``$B$2`` on a rate sheet (``=F14-$B$2*AC14``); the optimizer's constants are read
    the same way (:meth:`Layout.constant_reference`)."""

    def __init__(self, layout: Layout, eta: str = "eta"):
        self.layout, self.eta = layout, eta
        net = layout.network
        # read as eta is: by their defined names where eta is (Training), else by their cells
        self.constant = {name: name if eta == "eta" else layout.constant_cell(name) for name in layout.constants}
        self.first: dict[str, str] = {}
        self.rest: dict[str, str] = {}
        for n in range(1, net.n_weights + 1):
            self._parameter(weight_name(n), weight_grad_name(n), layout.initial_weight_cell(n))
        if net.bias_mode == "trained":
            for n in range(1, net.n_biases + 1):
                self._parameter(bias_name(n), bias_grad_name(n), layout.bias_cell(n))
        shared: dict[str, str] = {}
        for s in range(1, net.n_samples + 1):
            for layer in range(1, net.depth + 1):
                for j in range(1, net.layers[layer] + 1):
                    shared[z_name(net, s, layer, j)] = self._z(s, layer, j)
                    if layer == net.depth and net.softmax:
                        continue
                    act = ACTIVATIONS[net.activations[layer - 1]]
                    shared[a_name(net, s, layer, j)] = "=" + act.excel_forward(self._ref(z_name(net, s, layer, j)))
            shared.update(self._softmax(s) if net.softmax else {})
            shared.update(self._loss(s))
        losses = [self._ref(name) for s in range(1, net.n_samples + 1) for name in loss_names(net, s)]
        shared[E_TOTAL] = "=" + _mean(losses, net.n_samples)
        for s in range(1, net.n_samples + 1):
            for layer in range(net.depth, 0, -1):
                for j in range(1, net.layers[layer] + 1):
                    shared[delta_name(net, s, layer, j)] = self._delta(s, layer, j)
        for (layer, j, k), n in net.weight_numbers.items():
            terms = [f"{self._ref(delta_name(net, s, layer, j))}*{self._source(s, layer - 1, k)}"
                     for s in range(1, net.n_samples + 1)]
            shared[weight_grad_name(n)] = "=" + _mean(terms, net.n_samples)
        if net.bias_mode == "trained":
            for (layer, j), n in net.bias_numbers.items():
                terms = [self._ref(delta_name(net, s, layer, j)) for s in range(1, net.n_samples + 1)]
                shared[bias_grad_name(n)] = "=" + _mean(terms, net.n_samples)
        self.first.update(shared)
        self.rest.update(shared)

    def formula(self, name: str, iteration: int) -> str:
        """The formula text of quantity ``name`` at ``iteration``: ``formula("w5", 2) == "=F20-eta*AC20"``."""
        row = self.layout.row(iteration)
        template = (self.first if iteration == 1 else self.rest)[name]
        return template.format(r=row, p=row - 1)

    # -- pieces --------------------------------------------------------------------------
    def _ref(self, name: str, row: str = "{r}") -> str:
        return self.layout.column[name].letter + row

    def _parameter(self, name: str, grad: str, initial_cell: str) -> None:
        self.first[name] = f"={initial_cell}"
        optimizer = self.layout.network.optimizer
        w, g = self._ref(name, "{p}"), self._ref(grad, "{p}")
        if optimizer == "sgd":
            self.rest[name] = f"={w}-{self.eta}*{g}"
            return
        state = {prefix: state_name(prefix, name) for prefix in STATE[optimizer]}
        before = {prefix: self._ref(column, "{p}") for prefix, column in state.items()}
        self.first.update(self._state(optimizer, state, dict.fromkeys(state, "0"), self._ref(grad)))  # from 0
        self.rest.update(self._state(optimizer, state, before, self._ref(grad)))
        self.rest[name] = f"={w}-{self.eta}*{self._step(optimizer, g, before)}"

    def _state(self, optimizer: str, state: dict[str, str], before: dict[str, str], g: str) -> dict[str, str]:
        """The state columns' formulas, from the state ``before`` (by prefix) and this row's gradient ``g``."""
        return {state[p]: "=" + excel_state(optimizer, p, before[p], g, self.constant) for p in state}

    def _step(self, optimizer: str, g: str, s: dict[str, str]) -> str:
        """What eta multiplies in the update, from the row above's gradient ``g`` and state ``s``."""
        t = self._ref("iteration", "{p}")  # the step of the row above's update: its iteration
        return excel_step(optimizer, g, s, t, self.constant)

    def _softmax(self, s: int) -> dict[str, str]:
        """The softmax output of sample ``s``: o_max, then e_o1 = EXP(o1 − o_max) .., then a_o1 = e_o1/Σe."""
        net: Network = self.layout.network
        outputs = range(1, net.layers[-1] + 1)
        o = [self._ref(z_name(net, s, net.depth, k)) for k in outputs]
        e = [self._ref(exp_name(net, s, k)) for k in outputs]
        m = self._ref(shift_name(net, s))
        formulas = {shift_name(net, s): "=" + excel_softmax_shift(o)}
        formulas.update({exp_name(net, s, k): "=" + excel_softmax_exp(o[k - 1], m) for k in outputs})
        formulas.update({a_name(net, s, net.depth, k): "=" + excel_softmax_output(e[k - 1], e) for k in outputs})
        return formulas

    def _loss(self, s: int) -> dict[str, str]:
        """The loss cells of sample ``s``: ½(t − a)² or the binary cross-entropy per output, or a softmax's E."""
        net: Network = self.layout.network
        outputs = range(1, net.layers[-1] + 1)
        t = [self.layout.target_cell(s, k) for k in outputs]
        o = [self._ref(z_name(net, s, net.depth, k)) for k in outputs]
        if net.softmax:
            e = [self._ref(exp_name(net, s, k)) for k in outputs]
            return {sample_loss_name(net, s): "=" + excel_softmax_cross_entropy(t, o, self._ref(shift_name(net, s)), e)}
        if net.loss == "cross-entropy":
            return {loss_name(net, s, k): "=" + excel_binary_cross_entropy([t[k - 1]], [o[k - 1]]) for k in outputs}
        return {loss_name(net, s, k): f"=0.5*({t[k - 1]}-{self._ref(a_name(net, s, net.depth, k))})^2"
                for k in outputs}

    def _source(self, s: int, layer: int, k: int) -> str:
        """Activation feeding the next layer: an input cell for layer 0, else an ``a_`` column."""
        if layer == 0:
            return self.layout.input_cell(s, k)
        return self._ref(a_name(self.layout.network, s, layer, k))

    def _z(self, s: int, layer: int, j: int) -> str:
        net: Network = self.layout.network
        terms = [f"{self._ref(weight_name(net.weight_numbers[(layer, j, k)]))}*{self._source(s, layer - 1, k)}"
                 for k in range(1, net.layers[layer - 1] + 1)]
        bias = net.bias_numbers[(layer, j)]
        if net.bias_mode == "trained":
            terms.append(self._ref(bias_name(bias)))
        elif net.bias_mode == "frozen":
            terms.append(self.layout.bias_cell(bias))
        return "=" + "+".join(terms)

    def _delta(self, s: int, layer: int, j: int) -> str:
        """δ of neuron j: ∂E/∂a times g'(z); ∂E/∂a is (a - t) at the output, Σ δ·w below it."""
        net: Network = self.layout.network
        a = self._ref(a_name(net, s, layer, j))
        if layer == net.depth and net.loss == "cross-entropy":  # the activation's slope cancels: a − t
            return "=" + excel_output_delta(a, self.layout.target_cell(s, j))
        act = ACTIVATIONS[net.activations[layer - 1]]
        derivative = act.excel_derivative(self._ref(z_name(net, s, layer, j)), a)
        if layer == net.depth:
            terms = [f"{a}-{self.layout.target_cell(s, j)}"]
        else:
            terms = [f"{self._ref(delta_name(net, s, layer + 1, k))}*"
                     f"{self._ref(weight_name(net.weight_numbers[(layer + 1, k, j)]))}"
                     for k in range(1, net.layers[layer + 1] + 1)]
        error = "+".join(terms)
        if derivative is None:
            return "=" + error
        if len(terms) > 1 or layer == net.depth:
            error = f"({error})"
        return f"={error}*({derivative})"


def _mean(terms: list[str], n_samples: int) -> str:
    """``a+b`` for one sample, ``(a+b+c+d)/2`` for two: the loss and gradients are means."""
    total = "+".join(terms)
    return total if n_samples == 1 else f"({total})/{n_samples}"
