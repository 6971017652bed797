"""The optimizers' update rules, as PyTorch's ``torch.optim`` applies them (the reference of
issue 23's optimizer columns; the network file and the sheets do not use them yet).

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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NAMES = ("sgd", "momentum", "rmsprop", "adam")
STATE = {"sgd": (), "momentum": ("v",), "rmsprop": ("s",), "adam": ("m", "v")}  # the state columns, by prefix


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


def step(opt: Optimizer, w: np.ndarray, g: np.ndarray, state: State) -> tuple[np.ndarray, State]:
    """One update of ``w`` by its gradient ``g`` (see the module docstring); ``state`` is not changed."""
    t = state.t + 1
    a = state.arrays
    if opt.name == "sgd":
        return w - opt.eta * g, State(t, {})
    if opt.name == "momentum":
        v = opt.momentum * a["v"] + g
        return w - opt.eta * v, State(t, {"v": v})
    if opt.name == "rmsprop":
        s = opt.alpha * a["s"] + (1 - opt.alpha) * g * g  # left to right: ((1 − α)·g)·g
        return w - opt.eta * g / (np.sqrt(s) + opt.epsilon), State(t, {"s": s})
    m = opt.beta1 * a["m"] + (1 - opt.beta1) * g
    v = opt.beta2 * a["v"] + (1 - opt.beta2) * g * g
    m_hat = m / (1 - opt.beta1 ** t)
    v_hat = v / (1 - opt.beta2 ** t)
    return w - opt.eta * m_hat / (np.sqrt(v_hat) + opt.epsilon), State(t, {"m": m, "v": v})
