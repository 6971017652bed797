"""A whole training run of a classifier written here from the textbook, independent of xlbackprop's
reference engine and of :mod:`xlbackprop.core.losses`: plain Python floats, one number at a time,
every quantity by its header name.

    forward   z_j = Σ_k w_jk·a_k (+ b_j),  hidden a = 1/(1 + e^−z)
    softmax   a_k = e^(o_k) / Σ_j e^(o_j)     (Bishop, PRML eq. 4.104), computed as e^(o_k − o_max) / Σ_j
                                              e^(o_j − o_max), o_max the largest o (Goodfellow et al., Deep
                                              Learning §4.1): the same a, and the same rounding as any code
                                              that shifts, so that a run of 1,000 steps does not drift apart
              E = −Σ_k t_k·ln a_k per sample  (PRML eq. 4.108), E_total their mean
    binary    a = 1/(1 + e^−o),  E_k = −[t_k·ln a_k + (1 − t_k)·ln(1 − a_k)]   (PRML eq. 4.90)
    backward  δ_o = a − t                     (PRML eq. 4.109 and 5.18: the slope of the output's
                                              activation cancels against the loss's),
              δ_h = (Σ_k δ_ok·w_kh)·a(1 − a),  ∂E/∂w = δ_target·a_source (mean over samples)
    update    w ← w − η·∂E/∂w

The losses are taken from the probabilities a as the textbook writes them (no log-sum-exp): the
test networks keep their outputs far from overflow, and their losses far from 0, where ``ln a``
of a rounded ``a`` would lose digits. Additions and subtractions are LibreOffice's
(:func:`paper_optimizers.lo_add`), so that the run can be held to a recalculated sheet.
"""

from __future__ import annotations

import math

from paper_optimizers import LIBREOFFICE, _left, _numbering, _sigmoid, mean_gradients


def run(layers, weights, inputs, targets, eta, iterations, output="softmax", biases=None,
        arithmetic=LIBREOFFICE) -> dict[str, list]:
    """Every column of the training table of a 1-hidden-layer classifier (``output`` softmax or
    sigmoid, with its cross-entropy), by header name; ``biases`` given are trained."""
    add, sub = arithmetic
    n_in, n_h, n_out = layers
    S = len(inputs)
    prefix = (lambda s: f"s{s}.") if S > 1 else (lambda s: "")
    params = {f"w{n}": float(w) for n, w in enumerate(weights, 1)}
    if biases is not None:
        params.update({f"b{n}": float(b) for n, b in enumerate(biases, 1)})
    numbering = _numbering(n_in, n_h, n_out)
    out: dict[str, list] = {}

    def put(name, value):
        out.setdefault(name, []).append(value)

    for _ in range(iterations):
        for p in params:
            put(p, params[p])
        losses, deltas, sources = [], [], []
        for s, (x, t) in enumerate(zip(inputs, targets), 1):
            p_ = prefix(s)
            a_h = []
            for j in range(1, n_h + 1):
                z = _left([params[numbering[(1, j, k)]] * x[k - 1] for k in range(1, n_in + 1)], add)
                if biases is not None:
                    z = add(z, params[f"b{j}"])
                put(f"{p_}h{j}", z)
                a_h.append(_sigmoid(z, add))
                put(f"{p_}a_h{j}", a_h[-1])
            o = []
            for k in range(1, n_out + 1):
                z = _left([params[numbering[(2, k, j)]] * a_h[j - 1] for j in range(1, n_h + 1)], add)
                if biases is not None:
                    z = add(z, params[f"b{n_h + k}"])
                o.append(z)
                put(f"{p_}o{k}", z)
            if output == "softmax":
                top = max(o)
                put(f"{p_}o_max", top)
                shifted = [math.exp(sub(z, top)) for z in o]
                for k in range(n_out):
                    put(f"{p_}e_o{k + 1}", shifted[k])
                total = _left(shifted, add)
                a_o = [e / total for e in shifted]
                e = -_left([t[k] * math.log(a_o[k]) for k in range(n_out)], add)
                put(f"{p_}E", e)
                losses.append(e)
            else:
                a_o = [_sigmoid(z, add) for z in o]
                for k in range(n_out):
                    e = -add(t[k] * math.log(a_o[k]), sub(1.0, t[k]) * math.log(sub(1.0, a_o[k])))
                    put(f"{p_}E{k + 1}", e)
                    losses.append(e)
            for k in range(n_out):
                put(f"{p_}a_o{k + 1}", a_o[k])
            d_o = [sub(a_o[k], t[k]) for k in range(n_out)]
            d_h = [_left([d_o[k - 1] * params[numbering[(2, k, j)]] for k in range(1, n_out + 1)], add)
                   * (a_h[j - 1] * sub(1.0, a_h[j - 1])) for j in range(1, n_h + 1)]
            for k, d in enumerate(d_o, 1):
                put(f"{p_}δ_o{k}", d)
            for j, d in enumerate(d_h, 1):
                put(f"{p_}δ_h{j}", d)
            deltas.append((d_h, d_o))
            sources.append((list(x), a_h))
        total = _left(losses, add)
        put("E_total", total if S == 1 else total / S)
        grads = mean_gradients(numbering, deltas, sources, n_h, n_out, biases is not None, add)
        for p in params:
            put(f"∂E/∂{p}", grads[p])
            params[p] = sub(params[p], eta * grads[p])
    return out
