"""Recompute each column from the same row's stored inputs, with a bound on the rounding.

One wrong column drags every later one along; recomputing each quantity from the values its
own row stores (not from the reference run) leaves only the columns whose own formula is
wrong. With ``stored["a_o1"]`` the student's column, row 35's ∂E/∂w5 is expected to be
``(a_o1 - t1) * a_o1 * (1 - a_o1) * a_h1`` of row 35's stored a_o1 and a_h1, within a bound.

The bound follows the arithmetic: each stored value is off by up to its last stored digit
(``unit``: 1.1e-16 for Excel, 5e-10 for a Google Sheets export with 10 digits), and every
operation adds its own rounding, scaled by its operands, so that where terms cancel
(``a_o1 - t1`` near convergence) the bound grows with what cancelled, as the error does::

    Bound(v=x+y, e=ex+ey+c(|x|+|y|))      Bound(v=xy, e=|x|ey+|y|ex+ex*ey+u|xy|)

(``c`` = 2^-46 rather than one rounding, because spreadsheets round a sum that cancels to
within 2^-48 of its terms to exactly 0.)

A cell agrees when ``|stored - expected| <= SAFETY * (e + unit*|stored|)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..core.activations import ACTIVATIONS
from ..core.arithmetic import IEEE
from .rules import PREVIOUS, Rule

U = 2.0**-53  # the spreadsheet's own rounding of one operation
CANCEL = 2.0**-46  # a sum that cancels to within 2^-48 of its terms is rounded to 0 (arithmetic.py); with room
SAFETY = 8.0  # first-order error analysis, with room for what it leaves out


@dataclass(frozen=True)
class Bound:
    """Values over a table's rows, each with a bound ``e`` on its error: NaN where not known."""

    v: np.ndarray
    e: np.ndarray


class BoundAlgebra:
    """The :class:`~xlbackprop.check.rules.Algebra` of bounded numbers over ``n`` rows."""

    def __init__(self, n: int):
        self.n = n

    def const(self, c: float) -> Bound:
        return Bound(np.full(self.n, float(c)), np.zeros(self.n))

    def add(self, x: Bound, y: Bound) -> Bound:
        return Bound(x.v + y.v, x.e + y.e + CANCEL * (np.abs(x.v) + np.abs(y.v)))

    def sub(self, x: Bound, y: Bound) -> Bound:
        return Bound(x.v - y.v, x.e + y.e + CANCEL * (np.abs(x.v) + np.abs(y.v)))

    def mul(self, x: Bound, y: Bound) -> Bound:
        v = x.v * y.v
        return Bound(v, np.abs(x.v) * y.e + np.abs(y.v) * x.e + x.e * y.e + U * np.abs(v))

    def forward(self, activation: str, z: Bound) -> Bound:
        g = ACTIVATIONS[activation]
        return _perturbed(lambda zz: g.forward(zz, IEEE), z)

    def slope(self, activation: str, z: Bound, a: Bound) -> Bound:
        g = ACTIVATIONS[activation]
        v = g.derivative(z.v, a.v, IEEE)
        spread = [np.abs(g.derivative(z.v + sz * z.e, a.v + sa * a.e, IEEE) - v) for sz in (-1, 1) for sa in (-1, 1)]
        return Bound(v, np.maximum.reduce(spread) + 8 * U * np.abs(v))


def _perturbed(f: Callable[[np.ndarray], np.ndarray], x: Bound) -> Bound:
    """A smooth function's value and bound: how far ``f`` moves when ``x`` moves by its bound."""
    v = f(x.v)
    e = np.maximum(np.abs(f(x.v + x.e) - v), np.abs(f(x.v - x.e) - v))
    return Bound(v, e + 8 * U * np.abs(v))


def shift(x: Bound) -> Bound:
    """Row k's view of row k-1: the first row has no row above (NaN)."""
    return Bound(np.concatenate([[np.nan], x.v[:-1]]), np.concatenate([[np.nan], x.e[:-1]]))


class Recompute:
    """Each column's expected value from its row's stored inputs.

    ``stored[name]``: the table's columns; ``given[name]``: inputs, targets, biases and eta
    where they are cells rather than columns; ``rules``: :func:`xlbackprop.check.rules.rules`.
    """

    def __init__(self, rules: dict[str, Rule], stored: dict[str, Bound], given: dict[str, Bound], n: int):
        self.rules, self.stored, self.given = rules, stored, given
        self.alg = BoundAlgebra(n)
        self._cache: dict[str, Bound] = {}

    def value(self, name: str) -> Bound:
        """What the row holds for ``name``: stored when it is a column, else computed."""
        if name in self.stored:
            return self.stored[name]
        if name in self.given:
            return self.given[name]
        if name not in self._cache:
            self._cache[name] = self.expected(name)
        return self._cache[name]

    def expected(self, name: str) -> Bound:
        """What backprop makes of the row's own stored inputs (the weights: of the row above)."""
        rule = self.rules[name]
        return rule.compute(self.alg, self._get)

    def _get(self, name: str, offset: int) -> Bound:
        value = self.value(name)
        return shift(value) if offset == PREVIOUS else value


def disagree(stored: Bound, expected: Bound, unit: float) -> np.ndarray:
    """Rows where a stored value is off what its inputs give, beyond the bound (NaN rows: never)."""
    allowed = SAFETY * (expected.e + stored.e + unit * np.abs(stored.v)) + 1e-300
    with np.errstate(invalid="ignore"):
        return np.abs(stored.v - expected.v) > allowed
