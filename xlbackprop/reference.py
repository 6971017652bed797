"""The numpy reference engine: the whole training table, computed as the sheet computes it.

``train(spec)`` returns a :class:`Table`, one array per header name (``table["a_h1"][0]`` is
a_h1 at iteration 1). Each row follows the backprop delta rule:

    z = W a_prev (+ b),  a = g(z)                       forward, layer by layer
    E_k = 1/2 (t_k - a_ok)^2,  E_total = Σ E_k (mean over samples)
    δ_out = (a - t) g'(z),  δ_l = (Σ_k δ_{l+1,k} w_{k,j}) g'(z)      backward
    ∂E/∂w = δ_target · a_source (mean over samples),  w <- w - eta ∂E/∂w

Sums run left to right and products associate as in :mod:`xlbackprop.expressions`, so that
LibreOffice and numpy do the same floating-point operations and agree to the last bit
(LibreOffice's rounding of cancellations to 0 included: :mod:`xlbackprop.arithmetic`).
Where a quantity overflows the sheet shows ``#NUM!`` in it and in every cell that depends on
it; the table holds NaN there (a diverging run: ``xlbackprop build --preset deep --lr 1e6``).
Shapes: ``W[l]`` is (n_l, n_{l-1}) with ``W[l][j-1, k-1]`` the weight from neuron k to j;
activations are (samples, n_l).
"""

from __future__ import annotations

from typing import Callable, Iterator, Mapping

import numpy as np

from .activations import ACTIVATIONS
from .arithmetic import LIBREOFFICE, Arithmetic, error_where_infinite as _err
from .network import (E_TOTAL, a_name, bias_grad_name, bias_name, delta_name, loss_name, weight_grad_name,
                      weight_name, z_name)
from .spec import Spec


class Table(Mapping[str, np.ndarray]):
    """Reference values by header name, each an array over iterations (index 0 = iteration 1)."""

    def __init__(self, columns: dict[str, np.ndarray]):
        self._columns = columns

    def __getitem__(self, name: str) -> np.ndarray:
        return self._columns[name]

    def __iter__(self):
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


def _left_sum(terms: list[np.ndarray], ops: Arithmetic) -> np.ndarray:
    total = terms[0]
    for term in terms[1:]:
        total = ops.add(total, term)
    return total


def _mean(terms: list[np.ndarray], n_samples: int, ops: Arithmetic) -> np.ndarray:
    total = _left_sum(terms, ops)
    return total if n_samples == 1 else total / n_samples


def train(spec: Spec, ops: Arithmetic = LIBREOFFICE, progress: Callable[[int], None] | None = None) -> Table:
    """Run ``spec.iterations`` steps of gradient descent and record every quantity.

    ``ops`` is the spreadsheet engine's way of adding and subtracting
    (:mod:`xlbackprop.arithmetic`); pass ``IEEE`` for plain numpy arithmetic.
    """
    return _train(spec, ops, _start(spec), spec.iterations, progress)


def train_in_blocks(spec: Spec, size: int, ops: Arithmetic = LIBREOFFICE) -> Iterator[Table]:
    """:func:`train` a block of ``size`` iterations at a time, each a :class:`Table` of its own
    (the last may be shorter): a run of a million iterations in the memory of ``size``."""
    state = _start(spec)
    for done in range(0, spec.iterations, size):
        yield _train(spec, ops, state, min(size, spec.iterations - done), None)


def _start(spec: Spec) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The initial weights ``W`` and biases ``B``, layer by layer (index 0 unused)."""
    net, sizes = spec.network, spec.network.layers
    W = [np.zeros(0)] + [np.zeros((sizes[l], sizes[l - 1])) for l in range(1, net.depth + 1)]
    for (l, j, k), n in net.weight_numbers.items():
        W[l][j - 1, k - 1] = spec.weights[n - 1]
    B = [np.zeros(0)] + [np.zeros(sizes[l]) for l in range(1, net.depth + 1)]
    if net.bias_mode != "none":
        for (l, j), n in net.bias_numbers.items():
            B[l][j - 1] = spec.biases[n - 1]
    return W, B


def _train(spec: Spec, ops: Arithmetic, state: tuple[list[np.ndarray], list[np.ndarray]], n_iter: int,
           progress: Callable[[int], None] | None) -> Table:
    """``n_iter`` iterations from the weights and biases of ``state``, which it leaves updated."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is the sheet's #NUM!: NaN here
        return _iterations(spec, ops, state, n_iter, progress)


def _iterations(spec: Spec, ops: Arithmetic, state: tuple[list[np.ndarray], list[np.ndarray]], n_iter: int,
                progress: Callable[[int], None] | None) -> Table:
    net = spec.network
    depth, S = net.depth, net.n_samples
    sizes = net.layers
    W, B = state
    X = np.array(spec.inputs, dtype=float)
    T = np.array(spec.targets, dtype=float)
    acts = [ACTIVATIONS[name] for name in net.activations]

    rec_W = [np.empty((n_iter,) + w.shape) for w in W[1:]]
    rec_B = [np.empty((n_iter,) + b.shape) for b in B[1:]]
    rec_Z = [np.empty((n_iter, S, sizes[l])) for l in range(1, depth + 1)]
    rec_A = [np.empty((n_iter, S, sizes[l])) for l in range(1, depth + 1)]
    rec_D = [np.empty((n_iter, S, sizes[l])) for l in range(1, depth + 1)]
    rec_GW = [np.empty((n_iter,) + w.shape) for w in W[1:]]
    rec_GB = [np.empty((n_iter,) + b.shape) for b in B[1:]]
    rec_E = np.empty((n_iter, S, sizes[-1]))
    rec_Et = np.empty(n_iter)

    for it in range(n_iter):
        A = [X]
        Z = [X]
        for l in range(1, depth + 1):
            z = _left_sum([W[l][:, k] * A[l - 1][:, k:k + 1] for k in range(sizes[l - 1])], ops)
            if net.bias_mode != "none":
                z = ops.add(z, B[l])
            Z.append(_err(z))
            A.append(acts[l - 1].forward(Z[l], ops))
        E = _err(0.5 * ops.sub(T, A[depth]) ** 2)
        E_total = _err(_mean([E[s, k] for s in range(S) for k in range(sizes[-1])], S, ops))
        D = [np.zeros(0)] * (depth + 1)
        for l in range(depth, 0, -1):
            if l == depth:
                error = ops.sub(A[l], T)
            else:
                error = _left_sum([D[l + 1][:, k:k + 1] * W[l + 1][k, :] for k in range(sizes[l + 1])], ops)
            if acts[l - 1].name != "linear":
                error = error * acts[l - 1].derivative(Z[l], A[l], ops)
            D[l] = _err(error)
        GW = [np.zeros(0)] + [_err(_mean([D[l][s][:, None] * A[l - 1][s][None, :] for s in range(S)], S, ops))
                              for l in range(1, depth + 1)]
        GB = [np.zeros(0)] + [_err(_mean([D[l][s] for s in range(S)], S, ops)) for l in range(1, depth + 1)]

        for l in range(1, depth + 1):
            rec_W[l - 1][it] = W[l]
            rec_B[l - 1][it] = B[l]
            rec_Z[l - 1][it] = Z[l]
            rec_A[l - 1][it] = A[l]
            rec_D[l - 1][it] = D[l]
            rec_GW[l - 1][it] = GW[l]
            rec_GB[l - 1][it] = GB[l]
        rec_E[it] = E
        rec_Et[it] = E_total

        for l in range(1, depth + 1):
            W[l] = _err(ops.sub(W[l], spec.eta * GW[l]))
            if net.bias_mode == "trained":
                B[l] = _err(ops.sub(B[l], spec.eta * GB[l]))
        if progress is not None:
            progress(it + 1)

    columns: dict[str, np.ndarray] = {}
    for (l, j, k), n in net.weight_numbers.items():
        columns[weight_name(n)] = rec_W[l - 1][:, j - 1, k - 1]
        columns[weight_grad_name(n)] = rec_GW[l - 1][:, j - 1, k - 1]
    if net.bias_mode == "trained":
        for (l, j), n in net.bias_numbers.items():
            columns[bias_name(n)] = rec_B[l - 1][:, j - 1]
            columns[bias_grad_name(n)] = rec_GB[l - 1][:, j - 1]
    for s in range(1, S + 1):
        for l in range(1, depth + 1):
            for j in range(1, sizes[l] + 1):
                columns[z_name(net, s, l, j)] = rec_Z[l - 1][:, s - 1, j - 1]
                columns[a_name(net, s, l, j)] = rec_A[l - 1][:, s - 1, j - 1]
                columns[delta_name(net, s, l, j)] = rec_D[l - 1][:, s - 1, j - 1]
        for k in range(1, sizes[-1] + 1):
            columns[loss_name(net, s, k)] = rec_E[:, s - 1, k - 1]
    columns[E_TOTAL] = rec_Et
    return Table(columns)
