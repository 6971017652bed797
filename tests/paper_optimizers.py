"""A whole training run written here from the papers' equations, independent of xlbackprop's
reference engine: plain Python floats, one parameter at a time, every quantity by its header name.

    forward   z_j = Σ_k w_jk·a_k (+ b_j),  a = 1/(1 + e^−z);  E_k = ½ (t_k − a_ok)²,  E_total their mean
    backward  δ_o = (a − t)·a(1 − a),  δ_h = (Σ_k δ_ok·w_kh)·a(1 − a),  ∂E/∂w = δ_target·a_source
    update    momentum (Polyak, as PyTorch writes it):  v ← μ·v + g,  w ← w − η·v
              RMSProp (Hinton's lecture 6e):           s ← α·s + (1 − α)·g²,  w ← w − η·g/(√s + ε)
              Adam (Kingma & Ba, Algorithm 1):          m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²,
                                                        w ← w − η·(m/(1 − β1ᵗ))/(√(v/(1 − β2ᵗ)) + ε)

Row k's state is the one after the update made with row k's gradient (step t = k). A network of
one hidden layer, sigmoid throughout (the seed's shape). Additions and subtractions go through
``add`` and ``sub``: plain IEEE, or :func:`lo_add` and :func:`lo_sub`, LibreOffice's rule written
here from its source (``rtl::math::approxAdd``: a sum that cancels to within 2⁻⁴⁸ of its operands
is 0), so that a run recalculated by LibreOffice can be held to 1e-12 where it has converged.
"""

from __future__ import annotations

import math
import operator

E48 = 1.0 / (16777216.0 * 16777216.0)


def _representable_integer(x: float) -> bool:
    return abs(x) < 2.0**53 and x == int(x)


def _approx_equal(a: float, b: float) -> bool:
    if a == b:
        return True
    if a == 0.0 or b == 0.0:
        return False
    d = abs(a - b)
    if not math.isfinite(d):
        return False
    if _representable_integer(d) and _representable_integer(a) and _representable_integer(b):
        return False
    return d < abs(a) * E48 and d < abs(b) * E48


def lo_add(a: float, b: float) -> float:
    if ((a < 0 < b) or (b < 0 < a)) and _approx_equal(a, -b):
        return 0.0
    return a + b


def lo_sub(a: float, b: float) -> float:
    if ((a < 0 and b < 0) or (a > 0 and b > 0)) and _approx_equal(a, b):
        return 0.0
    return a - b


IEEE = (operator.add, operator.sub)
LIBREOFFICE = (lo_add, lo_sub)


def _left(terms, add):
    total = terms[0]
    for x in terms[1:]:
        total = add(total, x)
    return total


def _sigmoid(z: float, add) -> float:
    return 1.0 / add(1.0, math.exp(-z)) if z >= 0 else math.exp(z) / add(1.0, math.exp(z))


def run(layers, weights, inputs, targets, eta, iterations, optimizer="sgd", biases=None, train_biases=False,
        momentum=0.9, alpha=0.99, beta1=0.9, beta2=0.999, epsilon=1e-8, arithmetic=LIBREOFFICE) -> dict[str, list]:
    """Every column of the training table, by header name, over ``iterations`` rows."""
    add, sub = arithmetic
    n_in, n_h, n_out = layers
    S = len(inputs)
    prefix = (lambda s: f"s{s}.") if S > 1 else (lambda s: "")
    params = {f"w{n}": float(w) for n, w in enumerate(weights, 1)}
    if biases is not None:
        fixed = {f"b{n}": float(b) for n, b in enumerate(biases, 1)}
        if train_biases:
            params.update(fixed)
    state = {p: {"v": 0.0, "s": 0.0, "m": 0.0} for p in params}
    out: dict[str, list] = {}

    def put(name, value):
        out.setdefault(name, []).append(value)

    def w(layer, j, k):  # weight from neuron k of layer-1 to neuron j of layer
        return params[f"w{(j - 1) * n_in + k}" if layer == 1 else f"w{n_h * n_in + (j - 1) * n_h + k}"]

    def b(layer, j):
        if biases is None:
            return None
        name = f"b{j if layer == 1 else n_h + j}"
        return params[name] if train_biases else fixed[name]

    for t in range(1, iterations + 1):
        for p in params:
            put(p, params[p])
        deltas, acts = [], []
        losses = []
        for s, (x, target) in enumerate(zip(inputs, targets), 1):
            a_h, a_o = [], []
            for layer, size, source, into, name in ((1, n_h, list(x), a_h, "h"), (2, n_out, a_h, a_o, "o")):
                for j in range(1, size + 1):
                    z = _left([w(layer, j, k) * source[k - 1] for k in range(1, len(source) + 1)], add)
                    if b(layer, j) is not None:
                        z = add(z, b(layer, j))
                    a = _sigmoid(z, add)
                    put(f"{prefix(s)}{name}{j}", z)
                    put(f"{prefix(s)}a_{name}{j}", a)
                    into.append(a)
            for k in range(1, n_out + 1):
                e = 0.5 * sub(target[k - 1], a_o[k - 1]) ** 2
                put(f"{prefix(s)}E{k}", e)
                losses.append(e)
            d_o = [sub(a_o[k], target[k]) * (a_o[k] * sub(1.0, a_o[k])) for k in range(n_out)]
            d_h = [_left([d_o[k - 1] * w(2, k, j) for k in range(1, n_out + 1)], add) * (a_h[j - 1] * sub(1.0, a_h[j - 1]))
                   for j in range(1, n_h + 1)]
            for k, d in enumerate(d_o, 1):
                put(f"{prefix(s)}δ_o{k}", d)
            for j, d in enumerate(d_h, 1):
                put(f"{prefix(s)}δ_h{j}", d)
            deltas.append((d_h, d_o))
            acts.append((list(x), a_h))
        total = _left(losses, add)
        put("E_total", total if S == 1 else total / S)
        grads = mean_gradients(_numbering(n_in, n_h, n_out), deltas, acts, n_h, n_out,
                               biases is not None and train_biases, add)
        for p in params:
            put(f"∂E/∂{p}", grads[p])
        for p in list(params):
            g, st = grads[p], state[p]
            if optimizer == "sgd":
                params[p] = sub(params[p], eta * g)
            elif optimizer == "momentum":
                st["v"] = add(momentum * st["v"], g)
                put(f"v_{p}", st["v"])
                params[p] = sub(params[p], eta * st["v"])
            elif optimizer == "rmsprop":
                st["s"] = add(alpha * st["s"], sub(1.0, alpha) * g * g)
                put(f"s_{p}", st["s"])
                params[p] = sub(params[p], eta * g / add(math.sqrt(st["s"]), epsilon))
            else:
                st["m"] = add(beta1 * st["m"], sub(1.0, beta1) * g)
                st["v"] = add(beta2 * st["v"], sub(1.0, beta2) * g * g)
                put(f"m_{p}", st["m"])
                put(f"v_{p}", st["v"])
                m_hat = st["m"] / sub(1.0, beta1 ** t)
                v_hat = st["v"] / sub(1.0, beta2 ** t)
                params[p] = sub(params[p], eta * m_hat / add(math.sqrt(v_hat), epsilon))
    return out


def mean_gradients(numbering, deltas, sources, n_h, n_out, biases: bool, add) -> dict[str, float]:
    """∂E/∂w = δ_target·a_source and ∂E/∂b = δ, each the mean over the samples: ``deltas[s]`` is
    sample s's (δ_h, δ_o), ``sources[s]`` its (inputs, a_h); ``biases``: the trained biases' too."""
    S = len(deltas)

    def mean(terms):
        return _left(terms, add) if S == 1 else _left(terms, add) / S
    grads = {p: mean([deltas[s][layer - 1][j - 1] * sources[s][layer - 1][k - 1] for s in range(S)])
             for (layer, j, k), p in numbering.items()}
    if biases:
        for n in range(1, n_h + n_out + 1):
            layer, j = (1, n) if n <= n_h else (2, n - n_h)
            grads[f"b{n}"] = mean([deltas[s][layer - 1][j - 1] for s in range(S)])
    return grads


def _numbering(n_in, n_h, n_out) -> dict[tuple[int, int, int], str]:
    """``(layer, target j, source k) -> "wn"``: layer by layer, then by target, then by source."""
    names, n = {}, 0
    for layer, (into, source) in enumerate(((n_h, n_in), (n_out, n_h)), 1):
        for j in range(1, into + 1):
            for k in range(1, source + 1):
                n += 1
                names[(layer, j, k)] = f"w{n}"
    return names
