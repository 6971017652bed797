"""Spreadsheet arithmetic: how an engine adds and subtracts, so the reference can do the same.

LibreOffice Calc rounds a sum or difference to exactly 0 when its operands cancel to within
2^-48 of the smaller one (``rtl::math::approxAdd`` / ``approxSub`` through ``approxEqual``), so
that ``=0.3-0.1-0.2`` shows 0; IEEE arithmetic, which numpy uses, keeps the last bits::

    a = 1 - 2**-52                  LibreOffice: =1-A1 -> 0        numpy: 1 - a -> 2.2e-16

The difference matters only where a quantity cancels to ~1e-16 of its terms (a sigmoid
saturated at 1, an output equal to its target to 15 digits), but then a relative comparison
sees 100 %. The reference therefore adds and subtracts through an :class:`Arithmetic`, and
verify picks the one of the engine it checks. Products and quotients are IEEE in every
engine. ``EXP`` and ``TANH`` are the C library's ``exp`` and ``tanh`` in spreadsheet engines;
numpy's own SIMD versions differ from those in the last bit for some arguments (np.tanh for
about a third of them on an AVX2 machine), so the reference calls the C library's too.

Overflow is an error value in a spreadsheet, not infinity: ``=EXP(1000)`` and ``=1E200*1E200``
show ``#NUM!``, and every cell that reads an error is an error too (``=0*A1`` included). The
reference stands for an error value with NaN: :func:`error_where_infinite` turns an overflow
into NaN, which then spreads as the error does, and ``exp`` gives NaN where it overflows (so
``1/(1+EXP(1000))`` is an error, not the 0 that IEEE would give).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

_APPROX = 2.0**-48  # 1 / (16777216 * 16777216), LibreOffice's rtl::math::approxEqual


def _libm(function: Callable[[float], float]) -> Callable:
    """``function`` of the C library (through :mod:`math`), elementwise; overflow is an error (NaN)."""

    def one(x: float) -> float:
        try:
            return function(x)
        except (OverflowError, ValueError):
            return math.nan

    vectorized = np.frompyfunc(one, 1, 1)
    return lambda x: np.asarray(vectorized(x), dtype=float)


def left_sum(terms: Sequence, add: Callable = operator.add):
    """The terms added from left to right, ``((t1 + t2) + t3) + ...``, as a spreadsheet adds a
    formula's terms: the one order in which sheet and reference agree to the last bit. ``add``
    is an engine's addition (:attr:`Arithmetic.add`), or any algebra's."""
    total = terms[0]
    for term in terms[1:]:
        total = add(total, term)
    return total


def error_where_infinite(x):
    """An overflowed result (±inf) becomes the engine's error value, NaN: ``[1, inf] -> [1, nan]``."""
    return np.where(np.isfinite(x), x, np.nan)


@dataclass(frozen=True)
class Arithmetic:
    """``add``, ``sub``, ``exp``, ``tanh`` and ``log`` (LN) of one engine, elementwise on numpy arrays."""

    name: str
    add: Callable
    sub: Callable
    exp: Callable = _libm(math.exp)
    tanh: Callable = _libm(math.tanh)
    log: Callable = _libm(math.log)  # LN: an error (NaN) at or below 0


def _cancels(result, a, b):
    """approxEqual's test: |a ∓ b| below 2^-48 of both |a| and |b| (integers excepted there,
    which cannot cancel that closely below 2^48 anyway). Only operands of opposite signs (a sum)
    or like signs (a difference) can pass it: otherwise the result is at least the larger operand,
    so the test needs no look at the signs."""
    return np.abs(result) < np.minimum(np.abs(a), np.abs(b)) * _APPROX


def _approx_add(a, b):
    return _rounded(np.add(a, b), a, b)


def _approx_sub(a, b):
    return _rounded(np.subtract(a, b), a, b)


def _rounded(result, a, b):
    # |result| below 2^-48 of |a| is needed for _cancels (rounding is monotonic) and costs two
    # operations fewer; it is rare, so most sums skip the rest
    if np.count_nonzero(np.abs(result) < np.abs(a) * _APPROX):
        return np.where(_cancels(result, a, b), 0.0, result)
    return result


IEEE = Arithmetic("ieee", np.add, np.subtract)
LIBREOFFICE = Arithmetic("libreoffice", _approx_add, _approx_sub)
