"""The optimizers' rules against a second implementation written here from the papers' equations
(plain Python floats, one parameter at a time), and against closed forms for a constant gradient."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlbackprop.core.optimizers import Optimizer, start, step


def paper(name: str, ws: list[float], gradient, steps: int, eta: float, mu=0.9, alpha=0.99, b1=0.9, b2=0.999,
          eps=1e-8) -> list[float]:
    """Polyak's momentum (as PyTorch writes it), Hinton's RMSProp, Kingma & Ba's Adam (Algorithm 1)."""
    out = []
    for k, w in enumerate(ws):
        v = s = m = 0.0
        for t in range(1, steps + 1):
            g = gradient(k, w, t)
            if name == "sgd":
                w = w - eta * g
            elif name == "momentum":
                v = mu * v + g
                w = w - eta * v
            elif name == "rmsprop":
                s = alpha * s + (1 - alpha) * g * g
                w = w - eta * g / (math.sqrt(s) + eps)
            else:
                m = b1 * m + (1 - b1) * g
                v = b2 * v + (1 - b2) * g * g
                w = w - eta * (m / (1 - b1 ** t)) / (math.sqrt(v / (1 - b2 ** t)) + eps)
        out.append(w)
    return out


def ours(name: str, ws: list[float], gradient, steps: int, eta: float) -> list[float]:
    opt = Optimizer(name, eta)
    w = np.array(ws, dtype=float)
    state = start(opt, w)
    for t in range(1, steps + 1):
        g = np.array([gradient(k, x, t) for k, x in enumerate(w)])
        w, state = step(opt, w, g, state)
    return list(w)


def quadratic(k: int, w: float, t: int) -> float:  # ∂/∂w of ½(w − c_k)², a bowl per parameter
    return w - (0.3 + 0.1 * k)


@pytest.mark.parametrize("name", ["sgd", "momentum", "rmsprop", "adam"])
def test_each_rule_follows_the_papers_equations(name):
    ws = [0.15, 0.2, -0.25, 1.5]
    got, want = ours(name, ws, quadratic, 1000, 0.01), paper(name, ws, quadratic, 1000, 0.01)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


@given(st.sampled_from(["momentum", "rmsprop", "adam"]), st.lists(st.floats(-5, 5), min_size=1, max_size=6),
       st.floats(1e-4, 1.0), st.integers(1, 60))
def test_any_parameters_rates_and_steps(name, ws, eta, steps):
    gradient = lambda k, w, t: math.sin(w + k) + 0.1 * t  # noqa: E731  (any smooth gradient)
    assert ours(name, ws, gradient, steps, eta) == pytest.approx(paper(name, ws, gradient, steps, eta),
                                                                 rel=1e-12, abs=1e-12)


def test_constant_gradient_closed_forms():
    g, eta, steps = 0.2, 0.1, 25
    constant = lambda k, w, t: g  # noqa: E731
    # momentum: v_t = g(1 − μᵗ)/(1 − μ), so w_T = w0 − η·g·Σ_t (1 − μᵗ)/(1 − μ)
    want = 1.0 - eta * g * sum((1 - 0.9 ** t) / 0.1 for t in range(1, steps + 1))
    assert ours("momentum", [1.0], constant, steps, eta)[0] == pytest.approx(want, rel=1e-12)
    # Adam: m̂ = v̂^½ = g exactly, so every step moves η·g/(g + ε) (Kingma & Ba: the step is about η)
    assert ours("adam", [1.0], constant, steps, eta)[0] == pytest.approx(1.0 - steps * eta * g / (g + 1e-8), rel=1e-12)
    # RMSProp: s_t = (1 − αᵗ)·g²
    want = 1.0 - sum(eta * g / (math.sqrt((1 - 0.99 ** t) * g * g) + 1e-8) for t in range(1, steps + 1))
    assert ours("rmsprop", [1.0], constant, steps, eta)[0] == pytest.approx(want, rel=1e-12)


def test_an_unknown_optimizer_is_refused():
    with pytest.raises(ValueError, match="'adagrad' is not one of sgd, momentum, rmsprop, adam"):
        Optimizer("adagrad")
