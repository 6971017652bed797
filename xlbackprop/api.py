"""The Python API: build, train and verify from a preset name, a network file, a mapping or a Spec.

    >>> import xlbackprop
    >>> table = xlbackprop.train("class-2024", iterations=3)
    >>> round(table["E_total"][0], 12)
    0.014181377938
    >>> path = xlbackprop.build("mazur", "output/mazur.xlsx", iterations=50, sweep=())
    >>> path = xlbackprop.build("class-2024", "output/compare.xlsx", compare=("sgd", "momentum", "adam"))

``source`` is a preset name (``"class-2024"``), a TOML network file (``"my-net.toml"`` or a
Path), a mapping with the network file's keys, or a :class:`~xlbackprop.core.spec.Spec`;
``overrides`` are ``eta`` and ``iterations`` (the command line's ``--lr`` and ``--iterations``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .core import presets, reference
from .core.errors import SpecError
from .core.network import ITERATION
from .core.spec import Spec, from_mapping, load
from .sheets.layout import Layout


def as_spec(source: Any, eta: float | None = None, iterations: int | None = None) -> Spec:
    """The spec ``source`` stands for, with the overrides applied and validated like the command line's."""
    if isinstance(source, Spec):
        spec = source
    elif isinstance(source, Mapping):
        spec = from_mapping(dict(source))
    elif isinstance(source, (str, Path)) and str(source) in presets.names():
        spec = presets.load(str(source))
    elif isinstance(source, (str, Path)):
        spec = load(source)
    else:
        raise SpecError("source", f"must be a preset name, a network file, a mapping or a Spec, got {source!r}")
    return spec.with_overrides(eta=eta, iterations=iterations)


def build(source: Any, path: str | Path = "output/backprop.xlsx", sweep: Sequence[float] | None = None,
          compare: Sequence[str] | None = None, **overrides) -> Path:
    """Write the workbook of ``source`` to ``path``: with a learning-rate sweep (``sweep``: the rates;
    None: 0.1, 0.2, 0.5, 0.8, 1, 2; ``()`` for none), or with one sheet per optimizer of ``compare``
    (``("sgd", "adam")``; None: the network file's ``compare`` key, if any; ``()`` for none), not both."""
    from .writing.writer import build as write

    return write(as_spec(source, **overrides), path, sweep=sweep, compare=compare)


class TrainingTable(reference.Table):
    """The reference run: ``table["a_h1"]`` is a_h1 at every iteration (index 0 = iteration 1);
    its keys are the Training sheet's headers, in the sheet's order; ``to_pandas()`` a DataFrame."""

    def __init__(self, spec: Spec, columns: Mapping[str, np.ndarray]):
        order = [c.name for c in Layout(spec.network, spec.iterations).columns if c.name != ITERATION]
        super().__init__({name: columns[name] for name in order})
        self.spec = spec

    def to_pandas(self):
        """A DataFrame indexed by iteration (1, 2, ...), one column per header (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas needs pandas: pip install 'xlbackprop[pandas]'") from None
        index = pd.RangeIndex(1, self.spec.iterations + 1, name=ITERATION)
        return pd.DataFrame(self._columns, index=index)


def train(source: Any, **overrides) -> TrainingTable:
    """Run the numpy reference engine: every quantity of the Training sheet at every iteration."""
    spec = as_spec(source, **overrides)
    return TrainingTable(spec, reference.train(spec))


def verify(path: str | Path, engine: str | None = None, timeout: float = 900):
    """Recalculate ``path`` (in ``engine``; by default LibreOffice where it is installed, else IronCalc)
    and hold every cell against the reference: a report with ``.ok`` and ``.text``."""
    from .verifying.verification import verify as run

    return run(path, timeout=timeout, engine=engine)


def whatif(path: str | Path, changes: Mapping[str, float], sheet: str = "Training", engine: str | None = None,
           timeout: float = 900):
    """Recalculate ``path`` as if ``changes`` (``{"eta": 0.5}``, initial weights ``w1`` … and biases
    ``b1`` …) had been typed into training sheet ``sheet``; the file is not changed. The result has
    ``e_total`` per iteration, ``first``, ``last``, ``below`` (the first iteration under 1 % of the
    start), ``reference_rel_err`` and ``.text``."""
    from .verifying.whatif import whatif as run

    return run(path, changes, sheet=sheet, engine=engine, timeout=timeout)
