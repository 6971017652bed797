"""Names and numbering of a dense network's quantities: one name per quantity.

A network is its layer sizes, input first. For the seed's ``[2, 2, 2]``:

    inputs  i1 i2        hidden  h1 h2 (pre-activation), a_h1 a_h2 (activation)
    outputs o1 o2, a_o1 a_o2     losses E1 E2, E_total     deltas δ_o1 δ_o2 δ_h1 δ_h2

Weights are numbered layer by layer, then by target neuron, then by source neuron:
``w1: i1->h1, w2: i2->h1, w3: i1->h2, w4: i2->h2, w5: h1->o1, w6: h2->o1, w7: h1->o2,
w8: h2->o2``. Biases, one per neuron of every non-input layer, follow neuron order:
``b1: h1, b2: h2, b3: o1, b4: o2``. With several hidden layers neuron j of hidden layer l
is ``h{l}_{j}``; with several samples the per-sample names take the prefix ``s{s}.``.
Every index here is 1-based, as in the sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Network:
    """The shape of a network: what the layout and the formulas depend on.

    ``layers`` are the sizes, input first; ``activations`` one name per non-input
    layer; ``bias_mode`` is ``"none"``, ``"frozen"`` or ``"trained"``; ``n_samples``
    the number of training samples whose mean loss is minimised; ``optimizer`` the update rule
    (:mod:`xlbackprop.core.optimizers`), whose state takes columns of its own.
    """

    layers: tuple[int, ...]
    activations: tuple[str, ...]
    bias_mode: str = "none"
    n_samples: int = 1
    optimizer: str = "sgd"
    loss: str = "squared"

    @property
    def softmax(self) -> bool:
        """Whether the output layer is a softmax (one loss per sample, columns of its own)."""
        return self.activations[-1] == "softmax"

    @property
    def depth(self) -> int:
        """Number of weight layers: 2 for ``[2, 2, 2]``."""
        return len(self.layers) - 1

    def neuron(self, layer: int, j: int) -> str:
        """Name of neuron ``j`` of ``layer`` (0 = input): ``neuron(1, 2) == "h2"``."""
        if layer == 0:
            return f"i{j}"
        if layer == self.depth:
            return f"o{j}"
        if self.depth == 2:
            return f"h{j}"
        return f"h{layer}_{j}"

    def neurons(self, layer: int) -> list[str]:
        return [self.neuron(layer, j) for j in range(1, self.layers[layer] + 1)]

    @cached_property
    def weight_numbers(self) -> dict[tuple[int, int, int], int]:
        """``(layer, target j, source k) -> n`` of ``wn``; ``(2, 1, 2) -> 6`` for 2-2-2."""
        numbers, n = {}, 0
        for layer in range(1, self.depth + 1):
            for j in range(1, self.layers[layer] + 1):
                for k in range(1, self.layers[layer - 1] + 1):
                    n += 1
                    numbers[(layer, j, k)] = n
        return numbers

    @cached_property
    def bias_numbers(self) -> dict[tuple[int, int], int]:
        """``(layer, neuron j) -> n`` of ``bn``; ``(2, 1) -> 3`` (o1) for 2-2-2."""
        numbers, n = {}, 0
        for layer in range(1, self.depth + 1):
            for j in range(1, self.layers[layer] + 1):
                n += 1
                numbers[(layer, j)] = n
        return numbers

    @property
    def n_weights(self) -> int:
        return len(self.weight_numbers)

    @property
    def n_biases(self) -> int:
        return len(self.bias_numbers)

    def connection(self, n: int) -> str:
        """``connection(5) == "h1→o1"``: the source and target of weight ``wn``."""
        for (layer, j, k), m in self.weight_numbers.items():
            if m == n:
                return f"{self.neuron(layer - 1, k)}→{self.neuron(layer, j)}"
        raise IndexError(n)

    def prefix(self, s: int) -> str:
        """Per-sample prefix: ``""`` with one sample, ``"s2."`` for sample 2 of several."""
        return f"s{s}." if self.n_samples > 1 else ""

    def parameters(self) -> list[str]:
        """The names of what training updates: ``w1 .. wN``, then ``b1 .. bK`` when biases are trained."""
        names = [weight_name(n) for n in range(1, self.n_weights + 1)]
        if self.bias_mode == "trained":
            names += [bias_name(n) for n in range(1, self.n_biases + 1)]
        return names

    def describe(self) -> str:
        """``"2-2-2"``: the layer sizes as the sheet's parameter block shows them."""
        return "-".join(str(n) for n in self.layers)


# Header names of each quantity; the sheet, the reference and the docs all use these.
def z_name(net: Network, s: int, layer: int, j: int) -> str:
    return net.prefix(s) + net.neuron(layer, j)


def a_name(net: Network, s: int, layer: int, j: int) -> str:
    return net.prefix(s) + "a_" + net.neuron(layer, j)


def delta_name(net: Network, s: int, layer: int, j: int) -> str:
    return net.prefix(s) + "δ_" + net.neuron(layer, j)


def loss_name(net: Network, s: int, k: int) -> str:
    return f"{net.prefix(s)}E{k}"


def shift_name(net: Network, s: int) -> str:
    """The softmax's shift: the sample's largest output sum, ``o_max``."""
    return net.prefix(s) + "o_max"


def exp_name(net: Network, s: int, k: int) -> str:
    """The softmax's ``e_o1 = e^(o1 − o_max)``."""
    return net.prefix(s) + "e_" + net.neuron(net.depth, k)


def sample_loss_name(net: Network, s: int) -> str:
    """A softmax's loss of one sample, ``E = −Σ t·ln a`` (``s2.E`` of sample 2 of several)."""
    return net.prefix(s) + "E"


def loss_names(net: Network, s: int) -> list[str]:
    """The loss columns of sample ``s``: ``E1 E2`` (one per output), or ``E`` for a softmax."""
    if net.softmax:
        return [sample_loss_name(net, s)]
    return [loss_name(net, s, k) for k in range(1, net.layers[-1] + 1)]


def weight_name(n: int) -> str:
    return f"w{n}"


def bias_name(n: int) -> str:
    return f"b{n}"


def weight_grad_name(n: int) -> str:
    return f"∂E/∂w{n}"


def bias_grad_name(n: int) -> str:
    return f"∂E/∂b{n}"


E_TOTAL = "E_total"
ITERATION = "iteration"
