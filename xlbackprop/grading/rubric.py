"""The rubric: which parts of the assignment are worth how many points, and the marks of one file.

A part is worth its points when the file has it and none of its quantities is a root cause in
any of the file's tables (:mod:`xlbackprop.check`). What each part covers:

    forward            the weighted sums and activations: h1, a_h1, ..., o1, a_o1, ...
    loss               E1, E2, ..., E_total
    output-gradients   δ of the output neurons and ∂E/∂w, ∂E/∂b of the weights into them
    hidden-gradients   δ of the hidden neurons and ∂E/∂w, ∂E/∂b of the weights into them
    updates            the weights and biases of every row after the first: w − η·∂E/∂w
    learning-rates     a table for each rate the rubric asks for (``rates``), however they are laid out
    chart              a chart in the workbook

A rubric file (TOML) may change the points, the names, the rates, drop parts or cover a part
twice::

    rates = [0.1, 0.2, 0.5, 0.8, 1.0, 2.0]
    [[part]]
    name = "forward pass"
    points = 2
    covers = "forward"
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import FieldError
from ..sheets.sweep import DEFAULT_RATES

COVERS = ("forward", "loss", "output-gradients", "hidden-gradients", "updates", "learning-rates", "chart")
COMPUTED = COVERS[:5]  # the parts computed from the student's numbers


class RubricError(FieldError):
    """A rubric file cannot be used as it is."""


@dataclass(frozen=True)
class Part:
    name: str
    points: float
    covers: str


@dataclass(frozen=True)
class Rubric:
    parts: tuple[Part, ...]
    rates: tuple[float, ...] = DEFAULT_RATES

    @property
    def max_score(self) -> float:
        return sum(p.points for p in self.parts)


DEFAULT = Rubric((Part("forward pass", 2, "forward"), Part("loss", 1, "loss"),
                  Part("output-layer gradients", 2, "output-gradients"),
                  Part("hidden-layer gradients", 2, "hidden-gradients"), Part("weight updates", 1, "updates"),
                  Part("learning-rate experiment", 1, "learning-rates"), Part("loss chart", 1, "chart")))


def load(path: str | Path) -> Rubric:
    """Read a rubric file (see the module docstring); each problem is one :class:`RubricError`
    naming the file and the field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RubricError("rubric", f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError("rubric", f"cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RubricError("rubric", f"{path} is not TOML: {exc}") from None
    unknown = sorted(set(data) - {"rates", "part"})
    if unknown:
        raise RubricError("rubric", f"{path}: unknown key {unknown[0]!r}; a rubric has rates and [[part]] tables")
    rates = data.get("rates", list(DEFAULT_RATES))
    if not isinstance(rates, list) or not all(_number(r) and r > 0 for r in rates):
        raise RubricError("rubric", f"{path}: rates: must be a list of learning rates above 0, such as [0.1, 0.5]")
    parts = []
    for k, part in enumerate(data.get("part", []), 1):
        where = f"{path}: part {k}"
        if not isinstance(part, dict):
            raise RubricError("rubric", f"{where}: must be a [[part]] table")
        extra = sorted(set(part) - {"name", "points", "covers"})
        if extra:
            raise RubricError("rubric", f"{where}: unknown key {extra[0]!r}; a part has name, points and covers")
        covers = part.get("covers")
        if covers not in COVERS:
            raise RubricError("rubric", f"{where}: covers: {covers!r} is not one of {', '.join(COVERS)}")
        points = part.get("points")
        if not _number(points) or points < 0:
            raise RubricError("rubric", f"{where}: points: must be a number of 0 or more, got {points!r}")
        name = part.get("name", covers)
        if not isinstance(name, str) or not name.strip():
            raise RubricError("rubric", f"{where}: name: must be a text")
        parts.append(Part(name.strip(), float(points), covers))
    if not parts:
        raise RubricError("rubric", f"{path} has no [[part]]; each part has a name, points and covers")
    return Rubric(tuple(parts), tuple(float(r) for r in rates))


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


_GRADIENT = re.compile(r"∂E/∂([wb])(\d+)")
_DELTA = re.compile(r"δ_([ho])")
_LOSS = re.compile(r"(?:s\d+\.)?E(?:\d+|_total)")
_UPDATE = re.compile(r"[wb]\d+")


def covers(quantity: str, layers: list[int] | None) -> str:
    """The part a quantity belongs to: ``covers("∂E/∂w3", [2, 2, 2]) == "hidden-gradients"``."""
    if _UPDATE.fullmatch(quantity):
        return "updates"
    if _LOSS.fullmatch(quantity):
        return "loss"
    m = _DELTA.match(quantity)
    if m:
        return "output-gradients" if m[1] == "o" else "hidden-gradients"
    m = _GRADIENT.fullmatch(quantity)
    if m:
        layers = layers or [2, 2, 2]
        n, into_output = int(m[2]), layers[-1] * (layers[-2] if m[1] == "w" else 1)
        total = sum(a * b for a, b in zip(layers, layers[1:])) if m[1] == "w" else sum(layers[1:])
        return "output-gradients" if n > total - into_output else "hidden-gradients"
    return "forward"  # h1, a_h1, o1, a_o1 ... and any quantity of a table read by its formulas alone
