"""Presets: the TOML network files in ``templates/``, shipped inside the installed package.

``load("class-2024")`` reads ``templates/class-2024.toml``; :func:`names` lists them all;
:func:`table` is what ``xlbackprop presets`` prints (one aligned line per preset, under a header).
In a checkout the folder is the repository's ``templates/``; installed, it is the package
data ``xlbackprop/templates`` (pyproject maps the one onto the other).
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from .errors import SpecError
from .spec import Spec, from_mapping

DEFAULT = "class-2024"


def _folder():
    try:
        folder = resources.files("xlbackprop.templates")
        if any(p.name.endswith(".toml") for p in folder.iterdir()):
            return folder
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        pass
    return Path(__file__).resolve().parents[2] / "templates"  # a source checkout: beside the package


def names() -> list[str]:
    """Preset names, sorted: ``['class-2021', 'class-2024', 'mazur', ...]``."""
    return sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".toml"))


def load(name: str) -> Spec:
    """The spec of preset ``name``; an unknown name is a :class:`SpecError` listing the known ones."""
    if name not in names():
        raise SpecError("preset", f"unknown preset {name!r}; choose from {', '.join(names())}")
    where = f"preset {name}"  # its errors name it: "preset xor: weights: must hold 9 numbers ..."
    try:
        data = tomllib.loads((_folder() / f"{name}.toml").read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(where, f"not valid TOML: {exc}") from None
    try:
        return from_mapping(data)
    except SpecError as exc:
        raise type(exc)(where, str(exc)) from None


HEADER = ("name", "network", "activation", "biases", "samples", "eta", "iterations", "title")
_RIGHT = {"samples", "eta", "iterations"}  # numbers, aligned on the right


def _fields(name: str) -> tuple[str, ...]:
    """The cells of preset ``name``'s row in :data:`HEADER`'s order."""
    spec = load(name)
    net = spec.network
    activations = net.activations[0] if len(set(net.activations)) == 1 else "/".join(net.activations)
    return (name, net.describe(), activations, net.bias_mode, str(net.n_samples), f"{spec.eta:g}",
            str(spec.iterations), spec.title.split(": ", 1)[-1])


def _rows(rows: list[tuple[str, ...]]) -> list[str]:
    """``rows`` padded into columns as wide as their widest cell (the last, the title, unpadded)."""
    widths = [max(len(row[k]) for row in rows) for k in range(len(HEADER) - 1)]
    return ["  ".join([cell.rjust(w) if label in _RIGHT else cell.ljust(w)
                       for cell, w, label in zip(row, widths, HEADER)] + [row[-1]]).rstrip() for row in rows]


def describe(name: str) -> str:
    """Preset ``name``'s row of :func:`table`, its columns as wide as every preset's widest::

        class-2024  2-2-2      sigmoid                 none           1    1         100  the course's ...
    """
    known = names()
    if name not in known:
        load(name)  # the SpecError that lists the known ones
    return table().splitlines()[1 + known.index(name)]


def table() -> str:
    """What ``xlbackprop presets`` prints: a header line, then one aligned line per preset."""
    return "\n".join(_rows([HEADER] + [_fields(n) for n in names()]))
