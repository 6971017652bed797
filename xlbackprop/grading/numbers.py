"""Each student's own numbers: drawn from the seed and the student's id, the same every time.

    given = numbers.draw(spec, seed=7, student_id="a17")   # a Spec: the class network, a17's numbers

Inputs, targets and initial weights are drawn on a grid of 0.05 (0.05 … 0.95 for inputs and
targets, 0.05 … 0.80 for weights, as the course's 0.05, 0.1 and 0.15 … 0.55), from a generator
seeded by SHA-256 of the seed and the id, so a student's numbers depend on nothing else (not
the roster's order, not the machine). A draw is kept only when training learns at every rate
of the assignment: E_total falls at every iteration and ends below :data:`LEARNED` of its start
at the largest rate; else the next draw of the same seed and id is tried.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np

from ..core.arithmetic import IEEE
from ..core.network import E_TOTAL
from ..core.reference import train
from ..core.spec import Spec

GRID = 0.05
INPUTS = (1, 19)  # multiples of GRID: 0.05 … 0.95
WEIGHTS = (1, 16)  # 0.05 … 0.80
LEARNED = 0.5  # at the largest rate, E_total ends below half its start
TRIES = 200


def _generator(seed: int, student_id: str, attempt: int) -> np.random.Generator:
    digest = hashlib.sha256(f"xlbackprop assign\0{seed}\0{student_id}\0{attempt}".encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def _grid(rng: np.random.Generator, bounds: tuple[int, int], n: int) -> tuple[float, ...]:
    return tuple(round(int(k) * GRID, 2) for k in rng.integers(bounds[0], bounds[1] + 1, size=n))


def learns(spec: Spec, rates: tuple[float, ...]) -> bool:
    """Whether E_total falls at every iteration at every rate, and ends below :data:`LEARNED` of its
    start at the largest."""
    for rate in sorted(set(rates) | {spec.eta}):
        loss = train(replace(spec, eta=rate), IEEE)[E_TOTAL]
        if not (np.isfinite(loss).all() and (np.diff(loss) < 0).all()):
            return False
    return bool(loss[-1] < LEARNED * loss[0])


def draw(spec: Spec, seed: int, student_id: str, rates: tuple[float, ...]) -> Spec:
    """``spec`` with the student's own inputs, targets, initial weights and biases (η and the network stay)."""
    net = spec.network
    for attempt in range(TRIES):
        rng = _generator(seed, student_id, attempt)
        inputs = tuple(_grid(rng, INPUTS, net.layers[0]) for _ in range(net.n_samples))
        targets = tuple(_grid(rng, INPUTS, net.layers[-1]) for _ in range(net.n_samples))
        weights = _grid(rng, WEIGHTS, len(spec.weights))
        biases = _grid(rng, WEIGHTS, len(spec.biases)) if spec.biases else ()
        own = replace(spec, inputs=inputs, targets=targets, weights=weights, biases=biases)
        if learns(own, rates):
            return own
    raise ValueError(f"no numbers for {student_id!r} learn at the rates {rates} in {TRIES} draws")
