"""An optimizer's state cells between a weight's update and its gradient, found by the formula graph.

A *state* is a cell that reads its own value of the step before (the cell one step back along
the layout: the row above, the block above, the group of columns to the left), or that the same
cell of the next step reads, and a gradient. Each state's rule is read from its formula by
probing it (its previous value and its gradient set to 0, 1 and 2, every other cell as stored):
``S = a·S' + b·g^p``. The update reads its states, directly or through cells that read them
(Adam's m̂ = m/(1 − β1ᵗ)), and so::

    momentum  one state, linear:               v = μ·v' + g (or (1 − μ)·g),  w − η·v
    Adam      a linear and a squared state:     m = β1·m' + (1 − β1)·g,  s = β2·s' + (1 − β2)·g²,
                                                w − η·m̂/(√ŝ + ε),  m̂ = m/(1 − β1ᵗ),  ŝ = s/(1 − β2ᵗ)

``read(...)`` gives an :class:`Optimizer`; the graph then judges the gradient g that the first
state reads as it judges plain descent's, and :func:`slips` the rules: the constants the states
use, the gradient each reads, the bias corrections and the update.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

Cell = tuple[str, int, int]
MAX_DEPTH = 3  # cells between an update and its states: m̂, a denominator
TOL = 1e-9
PROBES = ((0.3, 0.04), (0.02, 0.5), (1.5, 2.0))  # (m, s) at which an Adam update is held to its rule


@dataclass
class State:
    cell: Cell
    previous: Cell | None  # its value of the step before, when it reads it (not the first step)
    gradient: Cell | None  # the varying cell it reads besides its previous value
    decay: float | None  # a: what it multiplies its previous value by (μ, β1, β2)
    scale: float  # b: what it multiplies the gradient (or its square) by
    power: int  # 1, or 2: the gradient's square


@dataclass
class Optimizer:
    kind: str  # "momentum" or "adam"
    states: list[State]  # the linear state first (momentum's v, Adam's m), then Adam's s
    between: list[Cell] = field(default_factory=list)  # cells between the update and the states (m̂, ŝ)
    form: str = ""  # "velocity": CS231n's momentum, v = μ·v' − η·g and w + v


def is_state(cell: Cell, deps: Callable[[Cell], tuple], shift: Callable[[Cell, int], Cell | None]) -> bool:
    back, ahead = shift(cell, -1), shift(cell, 1)
    return (back is not None and back in deps(cell)) or (ahead is not None and cell in deps(ahead))


def read(start: list[Cell], deps, shift, varies, probe, formula) -> Optimizer | None:
    """The optimizer between an update and its gradient: ``start`` the cells the update's gradient
    factors read; ``varies(c)`` whether a cell depends on a weight; ``probe(c, {cell: value})`` a
    cell's formula at those values (the rest as stored); ``formula(c)`` whether it has one."""
    found: list[Cell] = []
    between: list[Cell] = []
    frontier, seen = [c for c in start if formula(c) and varies(c)], set()
    for depth in range(MAX_DEPTH):
        nxt = []
        for c in frontier:
            if c in seen:
                continue
            seen.add(c)
            if is_state(c, deps, shift):
                found.append(c)
            elif depth < MAX_DEPTH - 1:
                between.append(c)
                nxt.extend(d for d in deps(c) if formula(d) and varies(d))
        frontier = nxt
    if not found:
        return None
    states = [_rule(c, deps, shift, varies, probe) for c in dict.fromkeys(found)]
    if [s.power for s in states] == [2, 1]:  # the linear state first (else in the order the update reads them)
        states.reverse()
    powers = sorted(s.power for s in states)
    between = [c for c in between if c not in found and any(s.cell in _reach(c, deps) for s in states)]
    if powers == [1]:
        return Optimizer("momentum", states, between)
    if len(states) == 2 and powers[0] == 1:  # a second moment without its square is Adam's slip
        return Optimizer("adam", states, between)
    return None


def _reach(cell: Cell, deps, depth: int = MAX_DEPTH) -> set[Cell]:
    out, todo = set(), [(cell, 0)]
    while todo:
        c, d = todo.pop()
        for x in deps(c):
            if x not in out and d < depth:
                out.add(x)
                todo.append((x, d + 1))
    return out


def _rule(cell: Cell, deps, shift, varies, probe) -> State:
    """``S = a·S' + b·g^p`` read off the state's formula by probing it."""
    back = shift(cell, -1)
    previous = back if back is not None and back in deps(cell) else None
    gradient = next((d for d in deps(cell) if d != previous and varies(d)), None)

    def at(p: float, g: float) -> float:
        values: dict[Cell, Any] = {}
        if previous is not None:
            values[previous] = p
        if gradient is not None:
            values[gradient] = g
        return float(probe(cell, values))

    base = at(0.0, 0.0)
    decay = at(1.0, 0.0) - base if previous is not None else None
    one, two = at(0.0, 1.0) - base, at(0.0, 2.0) - base
    power = 2 if one and abs(two - 4 * one) <= 1e-9 * abs(one) else 1
    return State(cell, previous, gradient, decay, one, power)


def near(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


def adam_step(m: float, s: float, t: int, beta1: float, beta2: float, eps: float) -> float:
    """m̂/(√ŝ + ε) from the raw moments: what η multiplies in Adam's update."""
    return (m / (1 - beta1 ** t)) / (math.sqrt(s / (1 - beta2 ** t)) + eps)
