"""The numpy reference engine: the whole training table, computed as the sheet computes it.

``train(spec)`` returns a :class:`Table`, one array per header name (``table["a_h1"][0]`` is
a_h1 at iteration 1). Each row follows the backprop delta rule:

    z = W a_prev (+ b),  a = g(z)                       forward, layer by layer
    E_k = 1/2 (t_k - a_ok)^2,  E_total = Σ E_k (mean over samples)
    δ_out = (a - t) g'(z),  δ_l = (Σ_k δ_{l+1,k} w_{k,j}) g'(z)      backward

(with cross-entropy, :mod:`xlbackprop.core.losses`: a softmax output's o_max, e_o and a_o, its E per
sample, and δ_out = a − t),
    ∂E/∂w = δ_target · a_source (mean over samples),  w <- w - eta ∂E/∂w

or, with another ``optimizer``, its rule (:mod:`xlbackprop.core.optimizers`): row k's state
columns (``m_w1``, ``v_w1``) hold the state after the update that row's gradient makes, step t = k,
and row k+1's weights follow from them (``table["m_w1"][0]`` is (1 − β1)·∂E/∂w1 of iteration 1).

Sums run left to right and products associate as in :mod:`xlbackprop.sheets.expressions`, so that
LibreOffice and numpy do the same floating-point operations and agree to the last bit
(LibreOffice's rounding of cancellations to 0 included: :mod:`xlbackprop.core.arithmetic`).
Where a quantity overflows the sheet shows ``#NUM!`` in it and in every cell that depends on
it; the table holds NaN there (a diverging run: ``xlbackprop build --preset deep --lr 1e6``).
Shapes: ``W[l]`` is (n_l, n_{l-1}) with ``W[l][j-1, k-1]`` the weight from neuron k to j;
activations are (samples, n_l).
"""

from __future__ import annotations

from typing import Callable, Iterator, Mapping

import numpy as np

from .activations import ACTIVATIONS
from .arithmetic import LIBREOFFICE, Arithmetic, left_sum
from .arithmetic import error_where_infinite as _err
from .losses import binary_cross_entropy, softmax, softmax_loss
from .network import (E_TOTAL, a_name, bias_grad_name, bias_name, delta_name, exp_name, loss_names, shift_name,
    weight_grad_name, weight_name, z_name)
from .optimizers import STATE, state_name
from .optimizers import State as OptimizerState
from .optimizers import start as start_state
from .optimizers import step as optimizer_step
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


def _mean(terms: list[np.ndarray], n_samples: int, ops: Arithmetic) -> np.ndarray:
    total = left_sum(terms, ops.add)
    return total if n_samples == 1 else total / n_samples


def train(spec: Spec, ops: Arithmetic = LIBREOFFICE) -> Table:
    """Run ``spec.iterations`` steps of gradient descent and record every quantity.

    ``ops`` is the spreadsheet engine's way of adding and subtracting
    (:mod:`xlbackprop.core.arithmetic`); pass ``IEEE`` for plain numpy arithmetic.
    """
    return _train(spec, ops, _start(spec), spec.iterations)


def train_in_blocks(spec: Spec, size: int, ops: Arithmetic = LIBREOFFICE) -> Iterator[Table]:
    """:func:`train` a block of ``size`` iterations at a time, each a :class:`Table` of its own
    (the last may be shorter): a run of a million iterations in the memory of ``size``."""
    state = _start(spec)
    for done in range(0, spec.iterations, size):
        yield _train(spec, ops, state, min(size, spec.iterations - done))


def matrices_in_blocks(spec: Spec, size: int, names: list[str]) -> Iterator[np.ndarray]:
    """:func:`train_in_blocks`, each block one matrix: a row per iteration, a column per name."""
    for table in train_in_blocks(spec, size):
        yield np.column_stack([table[name] for name in names])


class _Run:
    """Where a run stands: the weights ``W`` and biases ``B`` layer by layer (index 0 unused), and the
    optimizer's state ``S`` of every trained parameter in one flat array per state, in the order
    w1 .. wN, then b1 .. bK when trained (one update of them all a step: numpy's cost is per call)."""

    def __init__(self, W: list[np.ndarray], B: list[np.ndarray], S: OptimizerState):
        self.W, self.B, self.S = W, B, S

    def __iter__(self):  # W, B = run
        return iter((self.W, self.B))


def _start(spec: Spec) -> _Run:
    """The initial weights and biases, and the optimizer's zero state."""
    net, sizes = spec.network, spec.network.layers
    W = [np.zeros(0)] + [np.zeros((sizes[l], sizes[l - 1])) for l in range(1, net.depth + 1)]
    for (l, j, k), n in net.weight_numbers.items():
        W[l][j - 1, k - 1] = spec.weights[n - 1]
    B = [np.zeros(0)] + [np.zeros(sizes[l]) for l in range(1, net.depth + 1)]
    if net.bias_mode != "none":
        for (l, j), n in net.bias_numbers.items():
            B[l][j - 1] = spec.biases[n - 1]
    trained = net.n_biases if net.bias_mode == "trained" else 0
    return _Run(W, B, start_state(spec.optimizer, np.zeros(net.n_weights + trained)))


class _Records:
    """Every quantity of ``n_iter`` iterations, as the loop fills them in: ``W[l - 1][it]`` is
    layer l's weights at iteration ``it`` (0-based), ``Et[it]`` its E_total."""

    def __init__(self, spec: Spec, state, n_iter: int):
        sizes, S, depth = spec.network.layers, spec.network.n_samples, spec.network.depth
        W, B = state
        self.W = [np.empty((n_iter,) + w.shape) for w in W[1:]]
        self.B = [np.empty((n_iter,) + b.shape) for b in B[1:]]
        self.Z, self.A, self.D = ([np.empty((n_iter, S, sizes[l])) for l in range(1, depth + 1)] for _ in range(3))
        self.GW = [np.empty((n_iter,) + w.shape) for w in W[1:]]
        self.GB = [np.zeros((n_iter,) + b.shape) for b in B[1:]]
        self.E = np.empty((n_iter, S, 1 if spec.network.softmax else sizes[-1]))  # loss columns per sample
        # a softmax's shift o_max and e_o1 .. of each sample (unused otherwise)
        self.M = np.empty((n_iter, S, 1 if spec.network.softmax else 0))
        self.X = np.empty((n_iter, S, sizes[-1] if spec.network.softmax else 0))
        self.Et = np.empty(n_iter)
        # the state after each row's update, by prefix: a column per trained parameter, as _Run.S
        self.S = {p: np.empty((n_iter,) + state.S.arrays[p].shape) for p in STATE[spec.network.optimizer]}

    def first_error(self, state) -> int | None:
        """The first iteration with an error value (NaN or an overflow) in any quantity it records
        or in the weights it leaves (the next iteration's, or ``state``'s after the last); None if none."""
        W, B = state
        finite = np.isfinite(self.Et) & np.isfinite(self.E).all(axis=(1, 2))
        for arrays in (self.Z, self.A, self.D, self.GW, self.GB, list(self.S.values()), [self.M, self.X]):
            for a in arrays:
                finite &= np.isfinite(a.reshape(len(a), -1)).all(axis=1)
        for recorded, now in zip(self.W + self.B, W[1:] + B[1:]):
            left = np.concatenate([recorded.reshape(len(recorded), -1)[1:], now.reshape(1, -1)])
            finite &= np.isfinite(left).all(axis=1)
        bad = np.flatnonzero(~finite)
        return int(bad[0]) if len(bad) else None


def _train(spec: Spec, ops: Arithmetic, state: _Run, n_iter: int) -> Table:
    """``n_iter`` iterations from the weights and biases of ``state``, which it leaves updated.

    Overflow is the sheet's #NUM!: NaN here, for every quantity that reads it (:func:`_err`). An
    error is rare and turning infinities into NaN costs about a sixth of an iteration, so the block runs
    without it first; from the first iteration with an error or an infinity it runs again with it.
    Both runs agree before that iteration, where every quantity ``_err`` would see is finite."""
    records = _Records(spec, state, n_iter)
    W, B = state
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        first = state.S  # the optimizer's state as the block starts
        _iterations(spec, ops, state, records, range(n_iter), _same)
        bad = records.first_error(state)
        if bad is not None:
            for l in range(1, spec.network.depth + 1):
                W[l], B[l] = records.W[l - 1][bad].copy(), records.B[l - 1][bad].copy()
            _rewind(state, records, bad, first)
            _iterations(spec, ops, state, records, range(bad, n_iter), _err)
    return _table(spec, records)


def _same(x):
    return x


def _rewind(state: _Run, rec: _Records, it: int, first: OptimizerState) -> None:
    """The optimizer's state as iteration ``it`` (0-based, of this block) starts: the block's
    first, ``first``, or the one iteration ``it - 1`` recorded."""
    state.S = first if it == 0 else OptimizerState(first.t + it, {p: rec.S[p][it - 1].copy() for p in rec.S})


def _iterations(spec: Spec, ops: Arithmetic, state: _Run,
                rec: _Records, steps: range, err: Callable[[np.ndarray], np.ndarray]) -> None:
    net = spec.network
    depth, S = net.depth, net.n_samples
    sizes = net.layers
    W, B = state
    X = np.array(spec.inputs, dtype=float)
    T = np.array(spec.targets, dtype=float)
    acts = [ACTIVATIONS[name] for name in net.activations[:depth - net.softmax]]
    loss, soft = net.loss, net.softmax
    biased, trained = net.bias_mode != "none", net.bias_mode == "trained"
    opt, sgd = spec.optimizer, net.optimizer == "sgd"
    shapes = [w.shape for w in W[1:]] + ([b.shape for b in B[1:]] if trained else [])
    ends = np.cumsum([int(np.prod(shape)) for shape in shapes]).tolist()
    parts = [(slice(end - int(np.prod(shape)), end), shape) for end, shape in zip(ends, shapes)]  # of _Run.S

    for it in steps:
        A = [X]
        Z = [X]
        for l in range(1, depth + 1):
            z = left_sum([W[l][:, k] * A[l - 1][:, k:k + 1] for k in range(sizes[l - 1])], ops.add)
            if biased:
                z = ops.add(z, B[l])
            Z.append(err(z))
            if l == depth and soft:
                m, e, total = softmax(Z[l], ops)
                rec.M[it], rec.X[it] = m, err(e)
                A.append(err(e / total))
            else:
                A.append(acts[l - 1].forward(Z[l], ops))
        if soft:
            E = err(softmax_loss(Z[depth], T, m, e, ops)[:, None])
        elif loss == "cross-entropy":
            E = err(np.column_stack([binary_cross_entropy(Z[depth][:, k:k + 1], T[:, k:k + 1], ops)
                                     for k in range(sizes[-1])]))
        else:
            E = err(0.5 * ops.sub(T, A[depth]) ** 2)
        E_total = err(_mean([E[s, k] for s in range(S) for k in range(E.shape[1])], S, ops))
        D = [np.zeros(0)] * (depth + 1)
        for l in range(depth, 0, -1):
            if l == depth:
                error = ops.sub(A[l], T)
            else:
                error = left_sum([D[l + 1][:, k:k + 1] * W[l + 1][k, :] for k in range(sizes[l + 1])], ops.add)
            if (l < depth or loss == "squared") and acts[l - 1].name != "linear":  # cross-entropy's δ: a − t
                error = error * acts[l - 1].derivative(Z[l], A[l], ops)
            D[l] = err(error)

        for l in range(1, depth + 1):
            GW = err(_mean([D[l][s][:, None] * A[l - 1][s][None, :] for s in range(S)], S, ops))
            rec.W[l - 1][it] = W[l]
            rec.B[l - 1][it] = B[l]
            rec.Z[l - 1][it] = Z[l]
            rec.A[l - 1][it] = A[l]
            rec.D[l - 1][it] = D[l]
            rec.GW[l - 1][it] = GW
            if trained:
                GB = err(_mean([D[l][s] for s in range(S)], S, ops))
                rec.GB[l - 1][it] = GB
            if sgd:
                W[l] = err(ops.sub(W[l], spec.eta * GW))
                if trained:
                    B[l] = err(ops.sub(B[l], spec.eta * GB))
        if not sgd:  # every parameter in one step, flat (their gradients were recorded above)
            grads = [rec.GW[l - 1][it] for l in range(1, depth + 1)] + \
                ([rec.GB[l - 1][it] for l in range(1, depth + 1)] if trained else [])
            params = W[1:] + (B[1:] if trained else [])
            new, state.S = optimizer_step(opt, np.concatenate([p.ravel() for p in params]),
                                          np.concatenate([g.ravel() for g in grads]), state.S, ops, err)
            for p in rec.S:
                rec.S[p][it] = state.S.arrays[p]
            updated = [new[where].reshape(shape) for where, shape in parts]
            W[1:] = updated[:depth]
            if trained:
                B[1:] = updated[depth:]
        rec.E[it] = E
        rec.Et[it] = E_total


def _table(spec: Spec, rec: _Records) -> Table:
    net = spec.network
    depth, S, sizes = net.depth, net.n_samples, net.layers
    rec_W, rec_B, rec_Z, rec_A, rec_D, rec_GW, rec_GB, rec_E, rec_Et = (
        rec.W, rec.B, rec.Z, rec.A, rec.D, rec.GW, rec.GB, rec.E, rec.Et)
    columns: dict[str, np.ndarray] = {}
    for (l, j, k), n in net.weight_numbers.items():
        columns[weight_name(n)] = rec_W[l - 1][:, j - 1, k - 1]
        columns[weight_grad_name(n)] = rec_GW[l - 1][:, j - 1, k - 1]
        for p, recorded in rec.S.items():  # flat: w1 .. wN, then the trained biases
            columns[state_name(p, weight_name(n))] = recorded[:, n - 1]
    if net.bias_mode == "trained":
        for (l, j), n in net.bias_numbers.items():
            columns[bias_name(n)] = rec_B[l - 1][:, j - 1]
            columns[bias_grad_name(n)] = rec_GB[l - 1][:, j - 1]
            for p, recorded in rec.S.items():
                columns[state_name(p, bias_name(n))] = recorded[:, net.n_weights + n - 1]
    for s in range(1, S + 1):
        for l in range(1, depth + 1):
            for j in range(1, sizes[l] + 1):
                columns[z_name(net, s, l, j)] = rec_Z[l - 1][:, s - 1, j - 1]
                columns[a_name(net, s, l, j)] = rec_A[l - 1][:, s - 1, j - 1]
                columns[delta_name(net, s, l, j)] = rec_D[l - 1][:, s - 1, j - 1]
        for k, name in enumerate(loss_names(net, s)):
            columns[name] = rec_E[:, s - 1, k]
        if net.softmax:
            columns[shift_name(net, s)] = rec.M[:, s - 1, 0]
            for k in range(1, sizes[-1] + 1):
                columns[exp_name(net, s, k)] = rec.X[:, s - 1, k - 1]
    columns[E_TOTAL] = rec_Et
    return Table(columns)
