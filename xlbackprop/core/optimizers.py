"""The optimizers' update rules, as PyTorch's ``torch.optim`` applies them: what the network
file's ``optimizer`` key chooses, the reference engine runs and the Training sheet's state
columns (``m_w1``, ``v_w1``, ...) compute.

Each rule takes the parameters ``w``, their gradient ``g`` and the optimizer's state, and gives
the new parameters and state, elementwise over arrays of any shape. Step ``t`` counts from 1::

    sgd        w ← w − η·g
    momentum   v ← μ·v + g;                       w ← w − η·v           (SGD, momentum=μ, dampening 0)
    rmsprop    s ← α·s + (1−α)·g²;                w ← w − η·g/(√s + ε)  (RMSprop, alpha=α, eps=ε)
    adam       m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
               m̂ = m/(1−β1ᵗ);  v̂ = v/(1−β2ᵗ);  w ← w − η·m̂/(√v̂ + ε)   (Adam, betas=(β1, β2), eps=ε)

The constants' defaults are μ 0.9, α 0.99, β1 0.9, β2 0.999, ε 1e-8: PyTorch's for RMSprop and
Adam (its SGD has no momentum unless given one). Every state starts at zero. PyTorch's Adam
computes the same step in another order (m/(1−β1ᵗ) over √v/√(1−β2ᵗ) + ε), so the two agree to
rounding, not to the last bit.

Additions and subtractions go through an engine's :class:`~xlbackprop.core.arithmetic.Arithmetic`
(IEEE by default; LibreOffice's rounds a cancelling sum to 0), and ``err`` turns each intermediate
overflow into the sheet's error value, so that the reference does what the sheet's formulas do,
operation for operation (:mod:`xlbackprop.sheets.expressions` writes them in this order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np

from .arithmetic import IEEE, Arithmetic, error_where_infinite
from .errors import SpecError

NAMES = ("sgd", "momentum", "rmsprop", "adam")
STATE = {"sgd": (), "momentum": ("v",), "rmsprop": ("s",), "adam": ("m", "v")}  # the state columns, by prefix
# each optimizer's constants, as the network file and the sheet's defined names call them, and their defaults
CONSTANTS = {"sgd": (), "momentum": ("momentum",), "rmsprop": ("alpha", "epsilon"), "adam": ("beta1", "beta2", "epsilon")}
DEFAULTS = {"momentum": 0.9, "alpha": 0.99, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}


def compared(names, field: str = "compare") -> tuple[str, ...]:
    """Validate the optimizers of a comparison (``--compare sgd,momentum,adam``, or the network
    file's ``compare`` key): known names, each once, at least one; raises ``SpecError(field, ...)``."""
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise SpecError(field, f"must be a list of optimizers such as [\"sgd\", \"momentum\", \"adam\"], got {names!r}")
    if not names:
        raise SpecError(field, f"lists no optimizer; name at least one of {', '.join(NAMES)}")
    out: list[str] = []
    for name in names:
        if not isinstance(name, str) or name not in NAMES:
            shown = name.strip() if isinstance(name, str) else name
            raise SpecError(field, f"{shown!r} is not an optimizer; choose from {', '.join(NAMES)}")
        if name in out:
            raise SpecError(field, f"{name!r} is listed twice; each optimizer gets one sheet")
        out.append(name)
    return tuple(out)


def state_name(prefix: str, parameter: str) -> str:
    """The header of a state column: ``state_name("m", "w3") == "m_w3"``."""
    return f"{prefix}_{parameter}"


@dataclass(frozen=True)
class Optimizer:
    name: str = "sgd"
    eta: float = 0.5
    momentum: float = 0.9
    alpha: float = 0.99
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8

    def __post_init__(self):
        if self.name not in NAMES:
            raise ValueError(f"optimizer: {self.name!r} is not one of {', '.join(NAMES)}")


@dataclass
class State:
    """The optimizer's state after ``t`` steps: arrays shaped like the parameters."""

    t: int = 0
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


def start(opt: Optimizer, w: np.ndarray) -> State:
    return State(0, {name: np.zeros_like(w, dtype=float) for name in STATE[opt.name]})


def _same(x):
    return x


@lru_cache(maxsize=64)
def _one_minus(x: float, ops: Arithmetic) -> float:
    """``1 − x`` in the engine's arithmetic (``=1-beta1``, ``=1-beta2^A16``), once per constant and step."""
    return float(ops.sub(np.float64(1.0), np.float64(x)))


def step(opt: Optimizer, w: np.ndarray, g: np.ndarray, state: State, ops: Arithmetic = IEEE,
         err: Callable[[np.ndarray], np.ndarray] = _same) -> tuple[np.ndarray, State]:
    """One update of ``w`` by its gradient ``g`` (see the module docstring); ``state`` is not changed.
    ``ops`` adds and subtracts where the operands' signs may differ (a sum of two numbers of one sign
    cannot cancel, so plain addition is the engine's there: ``√v̂ + ε``, ``β2·v + (1−β2)·g·g``);
    ``err`` is applied to every result a cell's formula computes on the way."""
    t = state.t + 1
    a = state.arrays
    if opt.name == "sgd":
        return err(ops.sub(w, opt.eta * g)), State(t, {})
    if opt.name == "momentum":
        v = err(ops.add(opt.momentum * a["v"], g))
        return err(ops.sub(w, err(opt.eta * v))), State(t, {"v": v})
    if opt.name == "rmsprop":
        s = err(opt.alpha * a["s"] + err(err(_one_minus(opt.alpha, ops) * g) * g))  # left to right: ((1 − α)·g)·g
        return err(ops.sub(w, err(err(opt.eta * g) / (np.sqrt(s) + opt.epsilon)))), State(t, {"s": s})
    m = err(ops.add(opt.beta1 * a["m"], err(_one_minus(opt.beta1, ops) * g)))
    v = err(opt.beta2 * a["v"] + err(err(_one_minus(opt.beta2, ops) * g) * g))
    m_hat = err(m / _one_minus(opt.beta1 ** t, ops))
    # v̂ overflowing would vanish from the step (x / ∞ = 0) where the sheet shows #NUM!: always marked
    v_hat = error_where_infinite(v / _one_minus(opt.beta2 ** t, ops))
    return err(ops.sub(w, err(err(opt.eta * m_hat) / (np.sqrt(v_hat) + opt.epsilon)))), State(t, {"m": m, "v": v})


# Excel: the same rules as formula text, over cell references or ranges (an array formula's) and the
# constants as the sheet reads them (``c["beta1"]``: a defined name, ``beta1``, or a cell, ``$B$6``)

def excel_state(optimizer: str, prefix: str, before: str, g: str, c: dict[str, str]) -> str:
    """The new state ``prefix`` from the state ``before`` and the gradient ``g``, without ``=``:
    ``excel_state("adam", "m", "G16", "AS17", {"beta1": "beta1"}) == "beta1*G16+(1-beta1)*AS17"``."""
    if optimizer == "momentum":
        return f"{c['momentum']}*{before}+{g}"
    if optimizer == "rmsprop":
        return f"{c['alpha']}*{before}+(1-{c['alpha']})*{g}*{g}"
    if prefix == "m":
        return f"{c['beta1']}*{before}+(1-{c['beta1']})*{g}"
    return f"{c['beta2']}*{before}+(1-{c['beta2']})*{g}*{g}"


def excel_step(optimizer: str, g: str, s: dict[str, str], t: str, c: dict[str, str]) -> str:
    """What η multiplies in the update, from the gradient ``g``, the state ``s`` (by prefix) and the
    step ``t``: ``v`` for momentum, ``g/(SQRT(s)+epsilon)`` for RMSProp, ``m̂/(√v̂+epsilon)`` for Adam."""
    if optimizer == "sgd":
        return g
    if optimizer == "momentum":
        return s["v"]
    if optimizer == "rmsprop":
        return f"{g}/(SQRT({s['s']})+{c['epsilon']})"
    return f"({s['m']}/(1-{c['beta1']}^{t}))/(SQRT({s['v']}/(1-{c['beta2']}^{t}))+{c['epsilon']})"
