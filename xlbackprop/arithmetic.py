"""Spreadsheet arithmetic: how an engine adds and subtracts, so the reference can do the same.

LibreOffice Calc rounds a sum or difference to exactly 0 when its operands cancel to within
2^-48 of the smaller one (``rtl::math::approxAdd`` / ``approxSub`` through ``approxEqual``), so
that ``=0.3-0.1-0.2`` shows 0; IEEE arithmetic, which numpy uses, keeps the last bits::

    a = 1 - 2**-52                  LibreOffice: =1-A1 -> 0        numpy: 1 - a -> 2.2e-16

The difference matters only where a quantity cancels to ~1e-16 of its terms (a sigmoid
saturated at 1, an output equal to its target to 15 digits), but then a relative comparison
sees 100 %. The reference therefore adds and subtracts through an :class:`Arithmetic`, and
verify picks the one of the engine it checks. Products, quotients and functions are IEEE in
every engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

_APPROX = 2.0**-48  # 1 / (16777216 * 16777216), LibreOffice's rtl::math::approxEqual


@dataclass(frozen=True)
class Arithmetic:
    """``add(a, b)`` and ``sub(a, b)`` of one engine, elementwise on numpy arrays."""

    name: str
    add: Callable
    sub: Callable


def _cancels(result, a, b):
    """approxEqual's test: |a ∓ b| below 2^-48 of both |a| and |b| (integers excepted there,
    which cannot cancel that closely below 2^48 anyway)."""
    return np.abs(result) < np.minimum(np.abs(a), np.abs(b)) * _APPROX


def _approx_add(a, b):
    total = np.add(a, b)
    opposite = ((a < 0) & (b > 0)) | ((a > 0) & (b < 0))
    return np.where(opposite & _cancels(total, a, b), 0.0, total)


def _approx_sub(a, b):
    difference = np.subtract(a, b)
    same = ((a < 0) & (b < 0)) | ((a > 0) & (b > 0))
    return np.where(same & _cancels(difference, a, b), 0.0, difference)


IEEE = Arithmetic("ieee", np.add, np.subtract)
LIBREOFFICE = Arithmetic("libreoffice", _approx_add, _approx_sub)
