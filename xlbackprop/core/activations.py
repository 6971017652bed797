"""Each activation once: its numpy form and its Excel form, forward and derivative, side by side.

Nothing else in xlbackprop writes ``EXP(`` or ``TANH(`` into a sheet but :mod:`~.losses` (the softmax's
and the cross-entropies' EXP), and nothing else spells an
activation's slope (check's evaluator computes EXP and TANH with the same C-library helpers,
:class:`~xlbackprop.core.arithmetic.Arithmetic`'s). The numpy and Excel forms perform
the same floating-point operations in the same order, so LibreOffice and the reference agree
to the last bit, not merely approximately. For sigmoid, with ``J20`` holding h1 and ``K20``
holding a_h1::

    forward     a_h1 = IF(J20>=0,1/(1+EXP(-J20)),EXP(J20)/(1+EXP(J20)))
                                              np.where(z >= 0, 1.0 / (1.0 + ops.exp(-z)), ...)
    derivative  a_h1*(1-a_h1) = K20*(1-K20)   a * ops.sub(1.0, a)

Each form is written so that no learning rate, however large, overflows it: sigmoid branches on
the sign of its argument, TANH, MAX and IF never overflow.

``ops`` is the engine's :mod:`~xlbackprop.core.arithmetic`: its additions (LibreOffice rounds
cancellations to 0) and the C library's exp and tanh, as spreadsheets call them.
The derivative is written as one factor, ready to be wrapped in parentheses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .arithmetic import Arithmetic

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """One activation ``g``: ``forward(z, ops)`` and ``derivative(z, a, ops)`` = g'(z), in both media.

    ``excel_forward(z)`` and ``excel_derivative(z, a)`` take cell references and return
    formula text without the leading ``=``; ``excel_derivative`` returns ``None`` where the
    derivative is the constant 1 and needs no factor at all. ``spoken_derivative(z, a)`` is g' as
    check's causes write it for people (``a_o1(1 − a_o1)``; empty where it is 1).
    """

    name: str
    forward: Callable[[Array, Arithmetic], Array]
    derivative: Callable[[Array, Array, Arithmetic], Array]
    excel_forward: Callable[[str], str]
    excel_derivative: Callable[[str, str], str | None]
    formula: str  # for people: the math, as the derivation shows it
    spoken_derivative: Callable[[str, str], str] = lambda z, a: ""  # for people: g' in words, "a(1 − a)"


def _sigmoid(z: Array, ops: Arithmetic) -> Array:
    """1/(1+e^-z) for z >= 0 and e^z/(1+e^z) below: EXP never sees a large positive argument, so
    no rate however large overflows it (``=1/(1+EXP(-J20))`` shows #NUM! once h1 < -709.78).
    Both branches' EXP is e^-|z|, so one call serves them."""
    e = ops.exp(-np.abs(z))
    d = np.add(1.0, e)  # 1 + e^-|z| >= 1: terms of one sign never cancel, so every engine adds alike
    return np.where(z >= 0, 1.0 / d, e / d)


def _relu_slope(z: Array, a: Array, ops: Arithmetic) -> Array:
    """1 where z > 0, 0 where z <= 0; an error value (NaN) stays an error."""
    return np.where(z > 0, 1.0, np.where(z <= 0, 0.0, np.nan))


# each activation on three lines: numpy (forward, derivative), Excel (forward, derivative), words
ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (
    Activation("sigmoid", _sigmoid, lambda z, a, ops: a * ops.sub(1.0, a),
               lambda z: f"IF({z}>=0,1/(1+EXP(-{z})),EXP({z})/(1+EXP({z})))", lambda z, a: f"{a}*(1-{a})",
               "g(x) = 1/(1+e^-x), g' = a(1-a)", lambda z, a: f"{a}(1 − {a})"),
    Activation("tanh", lambda z, ops: ops.tanh(z), lambda z, a, ops: ops.sub(1.0, a**2),
               lambda z: f"TANH({z})", lambda z, a: f"1-{a}^2",
               "g(x) = tanh(x), g' = 1-a^2", lambda z, a: f"(1 − {a}²)"),
    Activation("relu", lambda z, ops: np.maximum(0.0, z), _relu_slope,
               lambda z: f"MAX(0,{z})", lambda z, a: f"IF({z}>0,1,0)",
               "g(x) = max(0, x), g' = 1 if x > 0 else 0", lambda z, a: f"[{z} > 0]"),
    Activation("linear", lambda z, ops: z, lambda z, a, ops: np.ones_like(z),
               lambda z: z, lambda z, a: None,
               "g(x) = x, g' = 1"),
)}
