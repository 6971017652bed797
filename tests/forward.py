"""A forward pass written here from the definitions, independent of xlbackprop's reference engine:
the loss the finite-difference tests differentiate.

    z = W·a_prev + b,  a = g(z) per layer;  E = Σ_k ½ (t_k − a_k)², E_total its mean over samples

Weights are numbered layer by layer, then by target neuron, then by source neuron (w1: i1→h1,
w2: i2→h1, w3: i1→h2, ... as the lecture numbers them); biases one per neuron, layer by layer.
"""

from __future__ import annotations

import math

G = {"sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)), "tanh": math.tanh,
     "relu": lambda z: max(z, 0.0), "linear": lambda z: z}


def e_total(layers, activations, weights, biases, inputs, targets) -> float:
    """E_total of one forward pass: plain Python floats, loops, no numpy."""
    weights, biases = list(weights), list(biases) if biases is not None else None
    matrices, offsets, w, b = [], [], 0, 0
    for l in range(1, len(layers)):
        matrices.append([[weights[w + j * layers[l - 1] + k] for k in range(layers[l - 1])] for j in range(layers[l])])
        offsets.append([biases[b + j] for j in range(layers[l])] if biases is not None else [0.0] * layers[l])
        w, b = w + layers[l] * layers[l - 1], b + layers[l]
    losses = []
    for x, t in zip(inputs, targets):
        a = list(x)
        for matrix, offset, g in zip(matrices, offsets, activations):
            a = [G[g](sum(row[k] * a[k] for k in range(len(a))) + bias) for row, bias in zip(matrix, offset)]
        losses.append(sum(0.5 * (tk - ak) ** 2 for tk, ak in zip(t, a)))
    return sum(losses) / len(losses)


def of_spec(spec, weights=None, biases=None) -> float:
    """E_total of ``spec``'s network at ``weights`` and ``biases`` (default: its initial ones)."""
    net = spec.network
    has = net.bias_mode != "none"
    return e_total(net.layers, net.activations, spec.weights if weights is None else weights,
                   (spec.biases if biases is None else biases) if has else None, spec.inputs, spec.targets)
