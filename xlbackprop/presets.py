"""Presets: the TOML network files in ``templates/``, shipped inside the installed package.

``load("class-2024")`` reads ``templates/class-2024.toml``; :func:`names` lists them all.
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
    return Path(__file__).resolve().parent.parent / "templates"


def names() -> list[str]:
    """Preset names, sorted: ``['class-2021', 'class-2024', 'mazur', ...]``."""
    return sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".toml"))


def load(name: str) -> Spec:
    """The spec of preset ``name``; an unknown name is a :class:`SpecError` listing the known ones."""
    if name not in names():
        raise SpecError("--preset", f"unknown preset {name!r}; choose from {', '.join(names())}")
    data = tomllib.loads((_folder() / f"{name}.toml").read_text(encoding="utf-8"))
    return from_mapping(data)


def describe(name: str) -> str:
    """One line for ``xlbackprop presets``: the shape, the numbers and the title."""
    spec = load(name)
    net = spec.network
    biases = {"none": "no biases", "frozen": "frozen biases", "trained": "trained biases"}[net.bias_mode]
    activations = net.activations[0] if len(set(net.activations)) == 1 else "/".join(net.activations)
    return (f"{name:<12} {net.describe()} {activations}, {biases}, "
            f"{net.n_samples} sample{'s' if net.n_samples > 1 else ''}, eta {spec.eta:g}, "
            f"{spec.iterations} iterations  {spec.title.split(': ', 1)[-1]}")
