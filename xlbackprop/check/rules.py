"""Backprop one cell at a time: each quantity as a rule over the quantities it is computed from.

The reference engine (:mod:`xlbackprop.core.reference`) trains with matrices; a hand-made sheet
computes cell by cell, and check must ask of one cell "is this what backprop makes of *these*
inputs?". So every quantity of a network gets a :class:`Rule`, its parents (by contract
name, with a row offset) and how it combines them, in the delta-rule form::

    h1      = w1*i1 + w2*i2 (+ b1)                 a_h1 = g(h1)
    E1      = 1/2 (t1 - a_o1)^2                    E_total = E1 + E2 (mean over samples)
    δ_o1    = (a_o1 - t1) g'(o1)                   δ_h1 = (δ_o1 w5 + δ_o2 w7) g'(h1)
    ∂E/∂w5  = δ_o1 a_h1                            w5 (next row) = w5 - eta ∂E/∂w5 (row above)

Rules are written once against an :class:`Algebra` (add, mul, activation ...), so the same
rule computes plain numbers or numbers with an error bound (:mod:`xlbackprop.check.local`).
Inputs and targets are ``i1``, ``t1`` (``s2.i1`` for sample 2 of several); ``eta`` is the rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from ..core.arithmetic import left_sum
from ..core.network import (E_TOTAL, Network, a_name, bias_grad_name, bias_name, delta_name, loss_name,
    weight_grad_name, weight_name, z_name)

ETA = "eta"
PREVIOUS = -1


class Algebra(Protocol):
    def const(self, c: float) -> Any: ...
    def add(self, x: Any, y: Any) -> Any: ...
    def sub(self, x: Any, y: Any) -> Any: ...
    def mul(self, x: Any, y: Any) -> Any: ...
    def forward(self, activation: str, z: Any) -> Any: ...
    def slope(self, activation: str, z: Any, a: Any) -> Any: ...


Get = Callable[[str, int], Any]  # (name, row offset) -> value


@dataclass(frozen=True)
class Rule:
    """How ``name`` is computed: ``compute(algebra, get)`` with ``get(parent, offset)``."""

    name: str
    kind: str  # weight, bias, forward, loss, delta, gradient, given
    parents: tuple[tuple[str, int], ...]
    compute: Callable[[Algebra, Get], Any]


def input_name(net: Network, s: int, k: int) -> str:
    return f"{net.prefix(s)}i{k}"


def target_name(net: Network, s: int, k: int) -> str:
    return f"{net.prefix(s)}t{k}"


def _source(net: Network, s: int, layer: int, k: int) -> str:
    return input_name(net, s, k) if layer == 0 else a_name(net, s, layer, k)


def _sum(alg: Algebra, terms: list) -> Any:
    return left_sum(terms, alg.add)


def _mean(alg: Algebra, terms: list, n: int) -> Any:
    total = _sum(alg, terms)
    return total if n == 1 else alg.mul(total, alg.const(1.0 / n))


def rules(net: Network) -> dict[str, Rule]:
    """Every computed quantity of ``net`` by contract name (weights: their update from the row above)."""
    out: dict[str, Rule] = {}
    S, depth = net.n_samples, net.depth

    def add(name, kind, parents, compute):
        out[name] = Rule(name, kind, tuple(parents), compute)

    def update(name, grad):
        add(name, "weight", [(name, PREVIOUS), (grad, PREVIOUS), (ETA, 0)],
            lambda alg, get: alg.sub(get(name, PREVIOUS), alg.mul(get(ETA, 0), get(grad, PREVIOUS))))

    for (layer, j, k), n in net.weight_numbers.items():
        update(weight_name(n), weight_grad_name(n))
    if net.bias_mode == "trained":
        for n in range(1, net.n_biases + 1):
            update(bias_name(n), bias_grad_name(n))
    for s in range(1, S + 1):
        for layer in range(1, depth + 1):
            act = net.activations[layer - 1]
            for j in range(1, net.layers[layer] + 1):
                _neuron_rules(net, s, layer, j, act, add)
        for k in range(1, net.layers[-1] + 1):
            a, t = a_name(net, s, depth, k), target_name(net, s, k)
            add(loss_name(net, s, k), "loss", [(a, 0), (t, 0)],
                lambda alg, get, a=a, t=t: alg.mul(alg.const(0.5), _square(alg, alg.sub(get(t, 0), get(a, 0)))))
    losses = [loss_name(net, s, k) for s in range(1, S + 1) for k in range(1, net.layers[-1] + 1)]
    add(E_TOTAL, "loss", [(e, 0) for e in losses],
        lambda alg, get: _mean(alg, [get(e, 0) for e in losses], S))
    for (layer, j, k), n in net.weight_numbers.items():
        pairs = [(delta_name(net, s, layer, j), _source(net, s, layer - 1, k)) for s in range(1, S + 1)]
        add(weight_grad_name(n), "gradient", [(p, 0) for pair in pairs for p in pair],
            lambda alg, get, pairs=pairs: _mean(alg, [alg.mul(get(d, 0), get(x, 0)) for d, x in pairs], S))
    if net.bias_mode == "trained":
        for (layer, j), n in net.bias_numbers.items():
            deltas = [delta_name(net, s, layer, j) for s in range(1, S + 1)]
            add(bias_grad_name(n), "gradient", [(d, 0) for d in deltas],
                lambda alg, get, deltas=deltas: _mean(alg, [get(d, 0) for d in deltas], S))
    return out


def _square(alg: Algebra, x: Any) -> Any:
    return alg.mul(x, x)


def _neuron_rules(net: Network, s: int, layer: int, j: int, act: str, add) -> None:
    z, a, d = z_name(net, s, layer, j), a_name(net, s, layer, j), delta_name(net, s, layer, j)
    terms = [(weight_name(net.weight_numbers[(layer, j, k)]), _source(net, s, layer - 1, k))
             for k in range(1, net.layers[layer - 1] + 1)]
    bias = bias_name(net.bias_numbers[(layer, j)]) if net.bias_mode != "none" else None
    parents = [p for pair in terms for p in pair] + ([bias] if bias else [])

    def pre_activation(alg, get):
        total = _sum(alg, [alg.mul(get(w, 0), get(x, 0)) for w, x in terms])
        return alg.add(total, get(bias, 0)) if bias else total

    add(z, "forward", [(p, 0) for p in parents], pre_activation)
    add(a, "forward", [(z, 0)], lambda alg, get: alg.forward(act, get(z, 0)))
    if layer == net.depth:
        t = target_name(net, s, j)
        add(d, "delta", [(a, 0), (t, 0), (z, 0)],
            lambda alg, get: alg.mul(alg.sub(get(a, 0), get(t, 0)), alg.slope(act, get(z, 0), get(a, 0))))
        return
    above = [(delta_name(net, s, layer + 1, m), weight_name(net.weight_numbers[(layer + 1, m, j)]))
             for m in range(1, net.layers[layer + 1] + 1)]
    add(d, "delta", [(p, 0) for pair in above for p in pair] + [(a, 0), (z, 0)],
        lambda alg, get: alg.mul(_sum(alg, [alg.mul(get(dd, 0), get(w, 0)) for dd, w in above]),
                                 alg.slope(act, get(z, 0), get(a, 0))))


def given(net: Network) -> list[str]:
    """The given values a table may hold per row: inputs, targets, frozen biases, eta."""
    names = [input_name(net, s, k) for s in range(1, net.n_samples + 1) for k in range(1, net.layers[0] + 1)]
    names += [target_name(net, s, k) for s in range(1, net.n_samples + 1) for k in range(1, net.layers[-1] + 1)]
    if net.bias_mode == "frozen":
        names += [bias_name(n) for n in range(1, net.n_biases + 1)]
    return names + [ETA]
