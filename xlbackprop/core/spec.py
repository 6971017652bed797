"""The spec: one network and its training run, frozen and validated once, at load.

A spec comes from a TOML network file or a preset (see ``templates/``), plus the
command-line overrides ``--lr`` and ``--iterations``. Everything downstream (reference,
layout, formulas, writer) trusts it and checks nothing again.

>>> spec = from_mapping({"layers": [2, 2, 2], "weights": [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55],
...                      "inputs": [[0.05, 0.1]], "targets": [[0.5, 0.5]], "eta": 1.0})
>>> spec.network.describe(), spec.iterations
('2-2-2', 100)
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .activations import ACTIVATIONS
from .errors import SpecError
from .losses import NAMES as LOSSES
from .losses import OUTPUT_ONLY
from .network import Network, bias_name, weight_name
from .optimizers import CONSTANTS, DEFAULTS, NAMES, Optimizer, compared

KEYS = ("title", "layers", "activation", "weights", "seed", "biases", "train_biases",
        "eta", "iterations", "inputs", "targets", "loss", "optimizer", *DEFAULTS, "compare")
DEFAULT_ITERATIONS = 100
MAX_TITLE = 1_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what XML 1.0, and so a worksheet, cannot hold
DEFAULT_ETA = 0.5


@dataclass(frozen=True)
class Spec:
    """A network with its numbers: what one workbook trains.

    ``weights`` are w1..wN in the numbering of :mod:`xlbackprop.core.network`; ``biases`` are
    b1..bK, or ``()`` without biases; ``inputs[s]`` and ``targets[s]`` are sample s+1. The update
    rule is ``network.optimizer``; its constants (``beta1`` ..) keep their defaults for the others.
    """

    network: Network
    weights: tuple[float, ...]
    biases: tuple[float, ...]
    eta: float
    iterations: int
    inputs: tuple[tuple[float, ...], ...]
    targets: tuple[tuple[float, ...], ...]
    title: str = ""
    momentum: float = DEFAULTS["momentum"]
    alpha: float = DEFAULTS["alpha"]
    beta1: float = DEFAULTS["beta1"]
    beta2: float = DEFAULTS["beta2"]
    epsilon: float = DEFAULTS["epsilon"]
    compare: tuple[str, ...] = ()  # optimizers to compare, one training sheet each (the Sweep sheet overlays them)

    @property
    def optimizer(self) -> Optimizer:
        """The update rule with its learning rate and constants (:mod:`xlbackprop.core.optimizers`)."""
        return Optimizer(self.network.optimizer, self.eta, self.momentum, self.alpha, self.beta1, self.beta2,
                         self.epsilon)

    def constants(self) -> dict[str, float]:
        """The optimizer's constants by name, in the order the sheet shows them: ``{"beta1": 0.9, ...}``."""
        return {name: getattr(self, name) for name in CONSTANTS[self.network.optimizer]}

    def trained_by(self, optimizer: str) -> "Spec":
        """This network and its numbers trained by ``optimizer`` (its constants as this spec gives
        them): the spec of one sheet of a comparison."""
        return dataclasses.replace(self, network=dataclasses.replace(self.network, optimizer=optimizer), compare=())

    def with_overrides(self, eta: float | None = None, iterations: int | None = None) -> "Spec":
        """This spec with ``eta`` and ``iterations`` replaced, validated as a network file's are."""
        changes: dict[str, Any] = {}
        if eta is not None:
            changes["eta"] = _rate(eta, "eta")
        if iterations is not None:
            changes["iterations"] = _iterations(iterations, "iterations")
        return dataclasses.replace(self, **changes)


def load(path: str | Path) -> Spec:
    """Read and validate a TOML network file; errors name the file, then its field:
    ``my-net.toml: weights: must hold 8 numbers for this network, got 3`` (a :class:`SpecError`
    whose ``field`` is the file and whose ``problem`` is the field's error, as for a file that is
    not TOML)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("config", f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError("config", f"cannot read {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(str(path), f"not valid TOML: {exc}") from None
    try:
        return from_mapping(data)
    except SpecError as exc:
        raise type(exc)(str(path), str(exc)) from None


def from_mapping(data: dict[str, Any]) -> Spec:
    """Validate a parsed network file (the TOML schema of DESIGN.md) into a :class:`Spec`."""
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise SpecError(unknown[0], f"unknown key; the keys are {', '.join(KEYS)}")
    layers = _layers(data.get("layers"))
    activations = _activations(data.get("activation", "sigmoid"), len(layers) - 1)
    inputs = _matrix(data.get("inputs"), "inputs", layers[0])
    targets = _matrix(data.get("targets"), "targets", layers[-1])
    if len(inputs) != len(targets):
        raise SpecError("targets", f"has {len(targets)} rows but inputs has {len(inputs)}; give one target row per sample")
    train_biases = data.get("train_biases", False)
    if not isinstance(train_biases, bool):
        raise SpecError("train_biases", f"must be true or false, got {train_biases!r}")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SpecError("seed", f"must be a non-negative integer, got {seed!r}")
    n_biases = sum(layers[1:])
    biases = data.get("biases")
    if biases is None:
        if train_biases:
            biases = [0.0] * n_biases
        bias_mode = "trained" if train_biases else "none"
        biases = tuple(biases or ())
    else:
        biases = _vector(biases, "biases", n_biases)
        bias_mode = "trained" if train_biases else "frozen"
    compare = compared(data["compare"]) if "compare" in data else ()
    optimizer, constants = _optimizer(data, compare)
    loss = _loss(data, activations, targets)
    network = Network(tuple(layers), activations, bias_mode, len(inputs), optimizer, loss)
    if "weights" in data:
        weights = _vector(data["weights"], "weights", network.n_weights)
    else:
        weights = _draw_weights(network, seed)
    title = data.get("title", f"xlbackprop: a {network.describe()} network trained in formulas")
    if not isinstance(title, str):
        raise SpecError("title", f"must be text, got {title!r}")
    bad = _CONTROL.search(title)
    if bad:
        raise SpecError("title", f"contains the control character {bad.group()!r}, which a worksheet cannot hold")
    if len(title) > MAX_TITLE:
        raise SpecError("title", f"is {len(title):,} characters long; at most {MAX_TITLE:,} fit a title")
    spec = Spec(
        network=network,
        weights=weights,
        biases=biases,
        eta=_rate(data.get("eta", DEFAULT_ETA), "eta"),
        iterations=_iterations(data.get("iterations", DEFAULT_ITERATIONS), "iterations"),
        inputs=inputs,
        targets=targets,
        title=title,
        compare=compare,
        **constants,
    )
    return spec


def _optimizer(data: dict[str, Any], compare: tuple[str, ...] = ()) -> tuple[str, dict[str, float]]:
    """The optimizer's name and the constants the file gives it. A constant of another optimizer
    is refused, as a slip (``beta1`` with ``optimizer = "momentum"`` would silently do nothing),
    unless an optimizer the file compares (``compare``) has it."""
    name = data.get("optimizer", "sgd")
    if name not in NAMES:
        raise SpecError("optimizer", f"must be one of {', '.join(NAMES)}, got {name!r}")
    constants = {}
    for key in DEFAULTS:
        if key not in data:
            continue
        if all(key not in CONSTANTS[n] for n in (name, *compare)):
            owners = " and ".join(n for n in NAMES if key in CONSTANTS[n])
            raise SpecError(key, f"is a constant of {owners}, not of optimizer {name!r}; remove it, "
                                 f"or set optimizer = \"{owners.split()[0]}\"")
        value = _number(data[key], key)
        if key == "epsilon":
            if value <= 0:
                raise SpecError(key, f"must be above 0, got {data[key]!r}: it keeps the step finite where "
                                     f"the squared gradients are 0")
        elif not 0 <= value < 1:
            raise SpecError(key, f"must be in [0, 1), got {data[key]!r}")
        constants[key] = value
    return name, constants


def _loss(data: dict[str, Any], activations: tuple[str, ...], targets: tuple[tuple[float, ...], ...]) -> str:
    """The loss, which must suit the output layer: cross-entropy needs a softmax output (each target
    row a distribution) or a sigmoid one (targets in [0, 1]); a softmax output needs cross-entropy,
    its default there, since its δ = a − t is cross-entropy's."""
    output = activations[-1]
    loss = data.get("loss", "cross-entropy" if output == "softmax" else "squared")
    if loss not in LOSSES:
        raise SpecError("loss", f"must be one of {', '.join(LOSSES)}, got {loss!r}")
    if loss == "squared" and output == "softmax":
        raise SpecError("loss", "a softmax output trains with loss = \"cross-entropy\" here, whose output "
                                "δ is a − t; remove the key or set it so")
    if loss == "cross-entropy" and output not in ("softmax", "sigmoid"):
        raise SpecError("loss", f"cross-entropy needs a softmax output (classes) or a sigmoid one (binary), "
                                f"not {output!r}; change the last activation or use loss = \"squared\"")
    if output == "softmax" and len(targets[0]) < 2:
        raise SpecError("activation", "a softmax output needs at least 2 outputs (one per class); with one, "
                                      "use sigmoid and loss = \"cross-entropy\"")
    for s, row in enumerate(targets, 1):
        if loss == "cross-entropy" and any(not 0 <= t <= 1 for t in row):
            raise SpecError(f"targets[{s}]", f"must lie in [0, 1] for cross-entropy, got {list(row)}")
        if output == "softmax" and abs(math.fsum(row) - 1) > 1e-12:
            raise SpecError(f"targets[{s}]", f"must add up to 1 for a softmax output (a probability per "
                                             f"class, such as [0, 1, 0]), got {list(row)}, which adds up to "
                                             f"{math.fsum(row):g}")
    return loss


def _draw_weights(network: Network, seed: int) -> tuple[float, ...]:
    """Uniform in ±1/sqrt(fan-in), rounded to 4 decimals so a person can read them."""
    rng = np.random.default_rng(seed)
    out = []
    for layer in range(1, network.depth + 1):
        bound = 1.0 / math.sqrt(network.layers[layer - 1])
        count = network.layers[layer] * network.layers[layer - 1]
        out.extend(round(float(x), 4) for x in rng.uniform(-bound, bound, count))
    return tuple(out)


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(field, f"must be a number, got {value!r}")
    if not math.isfinite(value):
        raise SpecError(field, f"must be a finite number, got {value!r}")
    return float(value)


def _rate(value: Any, field: str) -> float:
    """A learning rate: a finite number above 0 (0 never moves the weights, below 0 climbs the loss)."""
    rate = _number(value, field)
    if rate <= 0:
        raise SpecError(field, f"must be a learning rate above 0, got {value!r}: 0 never moves the weights "
                               f"and a negative rate climbs the loss (gradient ascent)")
    return rate


def _iterations(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(field, f"must be a positive whole number, got {value!r}")
    return value


def _layers(value: Any) -> list[int]:
    if value is None:
        raise SpecError("layers", "is required, e.g. layers = [2, 2, 2]")
    if not isinstance(value, list) or len(value) < 2:
        raise SpecError("layers", f"must list at least two sizes (input and output), got {value!r}")
    for size in value:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise SpecError("layers", f"sizes must be positive whole numbers, got {size!r}")
    return value


def _activations(value: Any, count: int) -> tuple[str, ...]:
    names = [value] * count if isinstance(value, str) else value
    if not isinstance(names, list) or len(names) != count:
        raise SpecError("activation", f"must be one name or a list of {count} (one per non-input layer), got {value!r}")
    for layer, name in enumerate(names, 1):
        if name in OUTPUT_ONLY and layer < count:
            raise SpecError("activation", f"{name} is an output layer's activation, but layer {layer} of "
                                          f"{count} is hidden; give it sigmoid, tanh, relu or linear")
        if name not in ACTIVATIONS and name not in OUTPUT_ONLY:
            raise SpecError("activation", f"unknown activation {name!r}; choose from "
                                          f"{', '.join([*ACTIVATIONS, *OUTPUT_ONLY])} (softmax on the output layer)")
    return tuple(names)


def _vector(value: Any, field: str, length: int) -> tuple[float, ...]:
    if not isinstance(value, list):
        raise SpecError(field, f"must be a list of {length} numbers, got {value!r}")
    if len(value) != length:
        raise SpecError(field, f"must hold {length} numbers for this network, got {len(value)}")
    return tuple(_number(x, field) for x in value)


def _matrix(value: Any, field: str, width: int) -> tuple[tuple[float, ...], ...]:
    if value is None:
        raise SpecError(field, f"is required: one row of {width} numbers per sample")
    if not isinstance(value, list) or not value:
        raise SpecError(field, f"must be a list of rows, one per sample, got {value!r}")
    return tuple(_vector(row, f"{field}[{s}]", width) for s, row in enumerate(value, 1))




def given_numbers(spec: Spec) -> dict[str, float]:
    """What a table is given to train, by name: inputs i1.. and targets t1.. (``s2.i1`` .. with
    several samples), initial weights w1.., biases b1.., and ``eta`` (assign's key.csv, check's JSON)."""
    numbers: dict[str, float] = {}
    for s, (inputs, targets) in enumerate(zip(spec.inputs, spec.targets), 1):
        prefix = f"s{s}." if len(spec.inputs) > 1 else ""
        numbers.update({f"{prefix}i{k}": float(v) for k, v in enumerate(inputs, 1)})
        numbers.update({f"{prefix}t{k}": float(v) for k, v in enumerate(targets, 1)})
    numbers.update({weight_name(n): float(w) for n, w in enumerate(spec.weights, 1)})
    numbers.update({bias_name(n): float(b) for n, b in enumerate(spec.biases, 1)})
    numbers["eta"] = float(spec.eta)
    numbers.update(spec.constants())
    return numbers
