"""Each loss once, with the output layer's δ: numpy and Excel side by side (the network file's
``loss`` key; a ``softmax`` output layer goes with ``"cross-entropy"``).

For one sample, with ``o`` the output pre-activations, ``a`` the outputs and ``t`` the targets::

    squared            E = Σ ½(t_k − a_k)²                        δ_k = (a_k − t_k)·g'(o_k)
    cross-entropy      a = softmax(o):  m = max_k o_k,  e_k = e^(o_k − m),  S = Σ e_k,  a_k = e_k/S
      (softmax)        E = −Σ t_k·ln a_k = ln S − Σ t_k·(o_k − m)      δ_k = a_k − t_k    (Σ t_k = 1)
    cross-entropy      a = σ(o):  E = −Σ [t_k·ln a_k + (1 − t_k)·ln(1 − a_k)]
      (sigmoid, binary)         = Σ [t_k·sp(−o_k) + (1 − t_k)·sp(o_k)],  sp(x) = max(x, 0) + ln(1 + e^−|x|)
                                                                  δ_k = a_k − t_k

Every form is written so that nothing overflows and no logarithm meets 0, however large the
pre-activations grow: the softmax subtracts the row's largest o before EXP (so each e_k ≤ 1 and
S ≥ 1), its loss takes ln a_k as (o_k − m) − ln S and the targets' sum as 1, and the binary loss uses the softplus sp,
whose EXP sees only −|x|. With several samples the iteration's loss is the mean of theirs, as for
the squared error. Sums run left to right (:func:`~.arithmetic.left_sum`), as a sheet adds a
formula's terms, so that an engine and the reference do the same operations.

The Excel forms take cell references (without the leading ``=``): ``softmax_shift(["J5", "K5",
"L5"])`` is ``MAX(J5,K5,L5)``, ``softmax_exp("J5", "M5")`` is ``EXP(J5-M5)``, and so on.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .arithmetic import IEEE, Arithmetic, left_sum

Array = np.ndarray
NAMES = ("squared", "cross-entropy")
OUTPUT_ONLY = ("softmax",)  # activations of the output layer alone: not elementwise, not in ACTIVATIONS


# numpy: one sample's outputs along the last axis ([..., k] is output k)

def softmax(o: Array, ops: Arithmetic = IEEE) -> tuple[Array, Array, Array]:
    """``(m, e, S)`` of the softmax: the row's largest o, e_k = e^(o_k − m), S = Σ e_k left to
    right; a_k = e_k/S."""
    o = np.asarray(o, dtype=float)
    m = np.max(o, axis=-1, keepdims=True)
    e = ops.exp(ops.sub(o, m))
    s = left_sum([e[..., k:k + 1] for k in range(o.shape[-1])], ops.add)
    return m, e, s


def softmax_loss(o: Array, t: Array, m: Array, e: Sequence[Array] | Array, ops: Arithmetic = IEEE) -> Array:
    """E = ln S − Σ t_k·(o_k − m), S = Σ e_k: the cross-entropy at sums ``o`` from any shift ``m`` and
    its ``e_k = e^(o_k − m)`` (the softmax is the same whatever is subtracted; targets add up to 1)."""
    o, t = np.asarray(o, dtype=float), np.asarray(t, dtype=float)
    e = np.asarray(e, dtype=float)
    total = left_sum([e[..., k] for k in range(e.shape[-1])], ops.add)
    terms = t * ops.sub(o, m)
    return ops.sub(ops.log(total), left_sum([terms[..., k] for k in range(terms.shape[-1])], ops.add))


def softmax_cross_entropy(o: Array, t: Array, ops: Arithmetic = IEEE) -> tuple[Array, Array]:
    """``(a, E)`` for a softmax output: the outputs and the loss ln S − Σ t_k·(o_k − m)."""
    m, e, s = softmax(o, ops)
    return e / s, softmax_loss(o, t, m, e, ops)


def softplus(x: Array, ops: Arithmetic = IEEE) -> Array:
    """ln(1 + e^x) as max(x, 0) + ln(1 + e^−|x|): EXP never sees a positive argument."""
    x = np.asarray(x, dtype=float)
    return ops.add(np.maximum(x, 0.0), ops.log(ops.add(1.0, ops.exp(-np.abs(x)))))


def binary_cross_entropy(o: Array, t: Array, ops: Arithmetic = IEEE) -> Array:
    """The loss of sigmoid outputs at pre-activations o: Σ [t_k·sp(−o_k) + (1 − t_k)·sp(o_k)]."""
    o, t = np.asarray(o, dtype=float), np.asarray(t, dtype=float)
    terms = ops.add(t * softplus(-o, ops), ops.sub(1.0, t) * softplus(o, ops))
    return left_sum([terms[..., k] for k in range(terms.shape[-1])], ops.add)


def output_delta(a: Array, t: Array, ops: Arithmetic = IEEE) -> Array:
    """δ = a − t: the gradient of either cross-entropy at the output pre-activations (for the
    softmax, when each sample's targets sum to 1)."""
    return ops.sub(np.asarray(a, dtype=float), np.asarray(t, dtype=float))


# Excel: the same operations in the same order, as formula text over cell references

def excel_softmax_shift(o: Sequence[str]) -> str:
    """m, the row's largest o."""
    return f"MAX({','.join(o)})"


def excel_softmax_exp(o_k: str, m: str) -> str:
    """e_k = EXP(o_k − m), at most 1."""
    return f"EXP({o_k}-{m})"


def excel_softmax_output(e_k: str, e: Sequence[str]) -> str:
    """a_k = e_k/S, S summed left to right."""
    return f"{e_k}/({'+'.join(e)})"


def excel_softmax_cross_entropy(t: Sequence[str], o: Sequence[str], m: str, e: Sequence[str]) -> str:
    """E = LN(S) − Σ t_k·(o_k − m), :func:`softmax_loss`: no LN of 0, whatever a_k underflows to,
    and as long as the layer is wide, never longer."""
    return f"LN({'+'.join(e)})-(" + "+".join(f"{tk}*({ok}-{m})" for tk, ok in zip(t, o)) + ")"


def excel_softplus(x: str) -> str:
    return f"(MAX({x},0)+LN(1+EXP(-ABS({x}))))"


def excel_binary_cross_entropy(t: Sequence[str], o: Sequence[str]) -> str:
    """E = Σ [t_k·sp(−o_k) + (1 − t_k)·sp(o_k)]."""
    return "+".join(f"({tk}*{excel_softplus('-' + ok)}+(1-{tk})*{excel_softplus(ok)})" for tk, ok in zip(t, o))


def excel_output_delta(a_k: str, t_k: str) -> str:
    return f"{a_k}-{t_k}"

