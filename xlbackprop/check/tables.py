"""Find the training tables of a sheet: a header row of labels, then one row per iteration.

A header row holds at least four weight labels (``w1``, ``W2`` ...) among other quantities;
its columns are found by label, in any order and starting anywhere. The data starts at the
first row below (at most a few rows down: a row of formula text may stand between) whose
``w1`` cell holds a number, and runs while it does, so tables stacked on one sheet end where
the next begins. For the real layout of a student's sheet::

    row 32   t1 t2 i1 i2 w1 .. w4 h1 a_h1 h2 a_h2 w5 .. w8 o1 a_o1 o2 a_o2 E1 E2 E_total ∂E∂W1 ..
    row 33   0.01 0.99 0.05 0.1 0.15 ...  =C33*E33+D33*F33  ...                 iteration 1
    row 78   ...                                                                iteration 46

``find(sheet)`` gives ``Table(header_row=32, first_row=33, last_row=78, columns={"t1": 1, ...})``.
When a label appears twice in a header row (a key/value panel beside the table), the column
that holds numbers below wins.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from openpyxl.utils.cell import get_column_letter

from ..core.activations import ACTIVATIONS
from ..core.network import Network
from ..core.losses import NAMES as LOSSES
from ..core.optimizers import NAMES as OPTIMIZERS
from ..sheets.layout import LOSS_KEY, META_KEYS
from ..xlsx.grid import Book, Sheet
from .labels import quantity

MIN_WEIGHTS = 4
MIN_COMPUTED = 2
_COMPUTED = re.compile(r"(?:s\d+\.)?(?:a_|δ_)?(?:[ho]\d+(?:_\d+)?)|(?:s\d+\.)?E\d+|E_total|∂E/∂[wb]\d+")
MAX_GAP = 3  # rows between the header and the first data row (formula text, units, blanks)
_HIDDEN = re.compile(r"(?:s\d+\.)?(?:a_)?h(\d+)(?:_(\d+))?")
_OUTPUT = re.compile(r"(?:s\d+\.)?(?:(?:a_)?o|E|t)(\d+)")
_SAMPLE = re.compile(r"s(\d+)\.")


@dataclass
class Table:
    """One training table: its rows, its columns by contract name, the network it trains."""

    sheet: Sheet
    header_row: int
    first_row: int
    last_row: int
    columns: dict[str, int]
    network: Network
    own: bool = False  # an xlbackprop workbook's sheet: its parameter block says the network
    by_formulas: bool = False  # read by what its cells reference, not by its labels (:mod:`~.structure`)

    @property
    def rows(self) -> range:
        return range(self.first_row, self.last_row + 1)

    def letter(self, name: str) -> str:
        return get_column_letter(self.columns[name])

    def has(self, name: str) -> bool:
        return name in self.columns


def find_all(book: Book) -> list[Table]:
    """Every training table of the workbook; in one xlbackprop wrote, those of its training sheets
    (the sheets with a parameter block), not the Derivation's table of perturbed passes."""
    own = [s for s in book.sheets if _meta_block(s)]
    return [t for sheet in (own or book.sheets) for t in find(sheet)]


def find(sheet: Sheet) -> list[Table]:
    """Every training table of ``sheet``, top to bottom."""
    labels: dict[int, dict[int, str]] = defaultdict(dict)
    for (row, col), v in sheet.values.items():
        name = quantity(v) if isinstance(v, str) else None
        if name:
            labels[row][col] = name
    headers = [row for row in sorted(labels) if _is_header(labels[row])]
    meta = _meta_block(sheet) if headers else None
    tables = []
    for k, header in enumerate(headers):
        stop = headers[k + 1] - 1 if k + 1 < len(headers) else max(r for r, _ in sheet.values)
        table = _table(sheet, header, labels[header], stop, meta)
        if table is not None:
            tables.append(table)
    return tables


def _is_header(row_labels: dict[int, str]) -> bool:
    """Weights and at least two computed quantities: not a block of initial weights alone."""
    weights = {n for n in row_labels.values() if re.fullmatch(r"w\d+", n)}
    computed = {n for n in row_labels.values() if _COMPUTED.fullmatch(n)}
    return "w1" in weights and len(weights) >= MIN_WEIGHTS and len(computed) >= MIN_COMPUTED


def _table(sheet: Sheet, header: int, row_labels: dict[int, str], stop: int, meta) -> Table | None:
    by_name: dict[str, list[int]] = defaultdict(list)
    for col, name in sorted(row_labels.items()):
        by_name[name].append(col)
    w1_cols = by_name["w1"]
    first = next((r for r in range(header + 1, min(header + 1 + MAX_GAP, stop) + 1)
                  if any(sheet.number(r, c) is not None for c in w1_cols)), None)
    if first is None:
        return None
    columns = {name: _best_column(sheet, cols, first, stop) for name, cols in by_name.items()}
    w1 = columns["w1"]
    last = first  # a row of the table holds a number or a formula (even one showing #VALUE!) in w1
    while last + 1 <= stop and (sheet.number(last + 1, w1) is not None or (last + 1, w1) in sheet.formulas):
        last += 1
    columns = {name: col for name, col in columns.items() if name != "iteration"}
    return Table(sheet, header, first, last, columns, _network(columns, meta), own=meta is not None)


def _best_column(sheet: Sheet, cols: list[int], first: int, stop: int) -> int:
    """Of the columns under one label, the one holding the most numbers or formulas below it."""
    if len(cols) == 1:
        return cols[0]
    rows = range(first, min(stop, first + 50) + 1)
    return max(cols, key=lambda c: sum(sheet.number(r, c) is not None or (r, c) in sheet.formulas for r in rows))


def _network(columns: dict[str, int], meta) -> Network:
    """The network a table trains: from xlbackprop's own parameter block when the sheet has one
    (``network 2-3-1``, ``activations sigmoid, sigmoid``), else from the labels (sigmoid)."""
    names = set(columns)
    samples = max((int(m[1]) for n in names if (m := _SAMPLE.match(n))), default=1)
    if meta:
        layers, activations, biases = meta
        return Network(layers, activations, biases, samples)
    n_weights = max(int(n[1:]) for n in names if re.fullmatch(r"w\d+", n))
    hidden = [m for n in names if (m := _HIDDEN.fullmatch(n))]
    n_out = max((int(m[1]) for n in names if (m := _OUTPUT.fullmatch(n))), default=2)
    n_hidden = max((int(m[1]) if m[2] is None else int(m[2]) for m in hidden), default=2)
    inputs = max((int(n[1:]) for n in names if re.fullmatch(r"i\d+", n)), default=0)
    if not inputs:
        inputs = max(1, (n_weights - n_hidden * n_out) // n_hidden)
    layers = (inputs, n_hidden, n_out)
    return Network(layers, ("sigmoid", "sigmoid"), "none", samples)


def own_untaught(book: Book) -> tuple[str, str] | None:
    """What of an xlbackprop workbook's training check's labelled reader does not read:
    ``("optimizer", "adam")`` for an optimizer other than SGD (its name in column A two rows above
    the parameter block's ``network`` row, under ``optimizer``), ``("loss", "cross-entropy")`` for a
    ``loss`` row below the block's iterations; None for SGD with the squared error and for any other file."""
    for sheet in book.sheets:
        for (row, col), v in sheet.values.items():
            if v != "network":
                continue
            if sheet.value(row - 2, col) == "optimizer" and \
                    isinstance(name := sheet.value(row - 1, col), str) and name in OPTIMIZERS and name != "sgd":
                return "optimizer", name
            if sheet.value(row + len(META_KEYS), col) == LOSS_KEY and sheet.value(row + 1, col) == "activations" \
                    and (loss := sheet.value(row + len(META_KEYS), col + 1)) in LOSSES and loss != "squared":
                return "loss", loss


def _meta_block(sheet: Sheet) -> tuple[tuple[int, ...], tuple[str, ...], str] | None:
    """xlbackprop's parameter block: ``network 2-2-2``, ``activations sigmoid, sigmoid``, ``biases none``."""
    for (row, col), v in sheet.values.items():
        if v == "network" and isinstance(shape := sheet.value(row, col + 1), str) \
                and re.fullmatch(r"\d+(?:-\d+)+", shape):
            layers = tuple(int(n) for n in shape.split("-"))
            acts = sheet.value(row + 1, col + 1) if sheet.value(row + 1, col) == "activations" else None
            names = tuple(a.strip() for a in acts.split(",")) if isinstance(acts, str) else ()
            if len(names) != len(layers) - 1 or any(a not in ACTIVATIONS for a in names):
                names = ("sigmoid",) * (len(layers) - 1)
            biases = sheet.value(row + 2, col + 1) if sheet.value(row + 2, col) == "biases" else "none"
            return layers, names, biases if biases in ("none", "frozen", "trained") else "none"
    return None
