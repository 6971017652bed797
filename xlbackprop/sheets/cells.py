"""A planned cell: what a sheet other than Training holds in one place, before openpyxl writes it.

``PlannedCell("=Training!K20", "forward")`` is a live formula in the forward-pass style;
``PlannedCell("=O20-$D$11", text=True)`` shows that formula as text, never evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlannedCell:
    value: object
    kind: str | None = None  # a style of :mod:`xlbackprop.sheets.styles`: given, weight, forward, loss, ...
    text: bool = False
