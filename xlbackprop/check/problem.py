"""Recover the problem a table trains from the sheet itself: initial values, inputs, targets, η.

The initial weights, inputs, targets and biases are the first data row's values and the cells
its formulas read; η is the cell the weight updates reference besides the weight and its
gradient. For a student's table with ``E34: =E33-$H$30*X33``::

    problem = recover(book, table)
    problem.eta, problem.eta_cell          # 0.5, "$H$30"
    problem.spec.weights                   # (0.15, 0.2, ..., 0.55), from row 33
    problem.cells["eta"]                   # (sheet, 30, 8): where η lives, for reading formulas

Given values that sit outside the table are found by the label beside them (``b1`` ``0.35``,
``η =`` ``0.5``); Mazur's two shared biases (``b1`` for the hidden layer, ``b2`` for the outputs)
become one bias per neuron, as the contract numbers them. A target no label names is the cell its
loss reads (``i1 i2 t1 i2`` above the numbers, E2 ``=0.5*(E$2-P5)^2``: E2 is t2), with a note.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass, field

from openpyxl.utils.cell import absolute_coordinate, get_column_letter

from ..core.errors import SpecError
from ..core.network import E_TOTAL, Network, loss_name, weight_grad_name, weight_name, z_name
from ..core.spec import Spec, from_mapping
from ..xlsx.formula import FormulaError, Node, leaves, refs
from ..xlsx.grid import Sheet
from .labels import is_eta_label, quantity
from .rules import ETA, input_name, target_name
from .tables import Table

Cell = tuple[int, int]  # (row, col) on the table's sheet


class ProblemError(ValueError):
    """What could not be recovered, in words for the report."""


@dataclass
class Problem:
    """What a table trains, and where each given value lives.

    ``given[name]`` is the value of an input, target, frozen bias or ``eta`` that is a cell
    rather than a column; ``cells[name]`` is that cell. ``bias_layout`` maps each contract bias
    (``b1`` .. ``b4``) to the name the sheet uses (``b1`` .. ``b2`` under Mazur's sharing).
    ``notes`` say what a reader should know of how η was found.
    """

    table: Table
    network: Network
    spec: Spec
    given: dict[str, float] = field(repr=False)
    cells: dict[str, Cell] = field(repr=False)
    eta_column: bool
    notes: list[str]
    bias_layout: dict[str, str]

    @property
    def eta(self) -> float:
        return self.spec.eta

    @property
    def eta_cell(self) -> str | None:
        if self.eta_column:
            return f"column {self.table.letter(ETA)}"
        if ETA not in self.cells:
            return None
        row, col = self.cells[ETA]
        return absolute_coordinate(f"{get_column_letter(col)}{row}")


def labelled_cells(sheet: Sheet) -> dict[str, Cell]:
    """Numbers with a label just left of them or just above: ``{"b1": (5, 3), "eta": (30, 8)}``."""
    found: dict[str, Cell] = {}
    for (row, col), v in sorted(sheet.values.items()):
        if not isinstance(v, str):
            continue
        name = ETA if is_eta_label(v) else quantity(v)
        if name is None or name in found:
            continue
        if (cell := _labelled(sheet, (row, col))) is not None:
            found[name] = cell
    return found


def _labelled(sheet: Sheet, label: Cell) -> Cell | None:
    """The number a label names: the first cell one or two right of it, or just below, holding one."""
    row, col = label
    beside = ((row, col + 1), (row, col + 2), (row + 1, col))
    return next((cell for cell in beside if sheet.number(*cell) is not None), None)


def recover(table: Table) -> Problem:
    """The problem of ``table``; :class:`ProblemError` when its first row lacks a given value."""
    sheet, first = table.sheet, table.first_row
    labels = _own_cells(table) if table.own else {}
    labels = labels or {n: c for n, c in labelled_cells(sheet).items() if not _inside(table, c)}
    net, bias_names = _with_biases(table, labels)
    notes: list[str] = [_by_formulas(table)] if table.by_formulas else []
    labels = {**labels, **_targets_the_loss_reads(table, net, labels, notes)}
    labels = {**labels, **_inputs_the_sums_read(table, net, labels, notes)}
    given: dict[str, float] = {}
    cells: dict[str, Cell] = {}

    def number_at(name: str, cell: Cell) -> float:
        v = sheet.number(*cell)
        if v is None:
            raise ProblemError(f"{name} ({get_column_letter(cell[1])}{cell[0]}) holds no number")
        return v

    def given_value(name: str, label: str) -> float:
        if table.has(label):
            return number_at(name, (first, table.columns[label]))
        if label in labels:
            cells[name] = labels[label]
            given[name] = number_at(name, labels[label])
            return given[name]
        raise ProblemError(f"no column or labelled cell holds {name}")

    weights = [number_at(weight_name(n), (first, table.columns[weight_name(n)]))
               if table.has(weight_name(n)) else None for n in range(1, net.n_weights + 1)]
    if None in weights:
        missing = weight_name(weights.index(None) + 1)
        raise ProblemError(f"the header has no {missing} column")
    inputs = [[given_value(input_name(net, s, k), input_name(net, s, k)) for k in range(1, net.layers[0] + 1)]
              for s in range(1, net.n_samples + 1)]
    targets = [[given_value(target_name(net, s, k), target_name(net, s, k)) for k in range(1, net.layers[-1] + 1)]
               for s in range(1, net.n_samples + 1)]
    biases = [given_value(b, bias_names[b]) for b in sorted(bias_names, key=lambda b: int(b[1:]))]
    eta, eta_column = _eta(table, labels, cells, notes)
    if not eta_column and ETA in cells:
        given[ETA] = eta
    data = {"layers": list(net.layers), "activation": list(net.activations), "weights": weights,
            "eta": eta, "iterations": len(table.rows), "inputs": inputs, "targets": targets}
    if biases:
        data["biases"], data["train_biases"] = biases, net.bias_mode == "trained"
    try:
        spec = from_mapping(data)
    except SpecError as exc:
        raise ProblemError(str(exc)) from None
    return Problem(table, net, spec, given, cells, eta_column, notes, bias_names)


def _own_cells(table: Table) -> dict[str, Cell]:
    """In a workbook xlbackprop wrote, where its layout puts each given value (and eta)."""
    from openpyxl.utils.cell import coordinate_to_tuple

    from ..sheets.layout import Layout

    net = table.network
    layout = Layout(net, len(table.rows))
    if layout.header_row != table.header_row:
        return {}
    at = {ETA: layout.eta_cell}
    for s in range(1, net.n_samples + 1):
        at.update({input_name(net, s, k): layout.input_cell(s, k) for k in range(1, net.layers[0] + 1)})
        at.update({target_name(net, s, k): layout.target_cell(s, k) for k in range(1, net.layers[-1] + 1)})
    if net.bias_mode == "frozen":
        at.update({f"b{n}": layout.bias_cell(n) for n in range(1, net.n_biases + 1)})
    return {name: coordinate_to_tuple(cell.replace("$", "")) for name, cell in at.items()}


def _inside(table: Table, cell: Cell) -> bool:
    row, col = cell
    return table.header_row <= row <= table.last_row and col in table.columns.values()


def _targets_the_loss_reads(table: Table, net: Network, labels: dict[str, Cell],
                            notes: list[str]) -> dict[str, Cell]:
    """Targets no column or label names, at the cell their loss reads: the one cell outside the
    table that the first row's E_k formula reads and no label gives to another value. The
    formulas win over a label that says something else (the second ``i2`` of ``i1 i2 t1 i2``)."""
    found: dict[str, Cell] = {}
    taken = set(labels.values())
    for s in range(1, net.n_samples + 1):
        for k in range(1, net.layers[-1] + 1):
            name, loss = target_name(net, s, k), loss_name(net, s, k)
            if table.has(name) or name in labels or not table.has(loss):
                continue
            cell = _outside_cell(table, table.columns[loss], taken)
            if cell is not None:
                found[name] = cell
                taken.add(cell)
                notes.append(_read_as(table.sheet, cell, name, "the target the loss uses"))
    return found


def _by_formulas(table: Table) -> str:
    """The note on a table read by its formulas: which of its own labels stand for which quantity."""
    sheet, header = table.sheet, table.header_row
    said = [f"{table.letter(name)} {label.strip()!r} is {name}" for name in ("w1", "h1", "a_h1", E_TOTAL, "∂E/∂w1")
            if table.has(name) and isinstance(label := sheet.value(header, table.columns[name]), str) and label.strip()
            and quantity(label) != name]
    return ("read by its formulas, as its labels are not xlbackprop's names" + (f" ({', '.join(said)}, ...)" if said else "")
            + ": each column is what its cells compute")


def _inputs_the_sums_read(table: Table, net: Network, labels: dict[str, Cell],
                          notes: list[str]) -> dict[str, Cell]:
    """Inputs no column or label names, at the cell their weight multiplies in the first row's
    weighted sum of the first hidden neuron (``h1 = w1*$B$2 + w2*$C$2``: B2 is i1, C2 is i2), when
    that is one cell outside the table holding a number that no label gives to another value."""
    sheet, first = table.sheet, table.first_row
    found: dict[str, Cell] = {}
    taken = set(labels.values())
    for s in range(1, net.n_samples + 1):
        missing = [k for k in range(1, net.layers[0] + 1)
                   if not table.has(input_name(net, s, k)) and input_name(net, s, k) not in labels]
        z = z_name(net, s, 1, 1)
        text = sheet.formula(first, table.columns[z]) if missing and table.has(z) else None
        try:
            terms = _terms(sheet.parse(text)) if text else []
        except FormulaError:
            continue
        for k in missing:
            weight = weight_name(net.weight_numbers[(1, 1, k)])
            if not table.has(weight):
                continue
            at = (first, table.columns[weight])
            for term in terms:
                cells = {(ref.row, ref.col) for ref in refs(term) if ref.sheet in (None, sheet.name)}
                outside = [c for c in cells - {at} if not _inside(table, c) and c not in taken
                           and sheet.number(*c) is not None]
                if at in cells and len(outside) == 1:
                    name = input_name(net, s, k)
                    found[name] = outside[0]
                    taken.add(outside[0])
                    notes.append(_read_as(sheet, outside[0], name, "the input its weight multiplies"))
                    break
    return found


def _terms(node: Node) -> list[Node]:
    """The terms of a sum: ``a*b + c*d`` is ``[a*b, c*d]``."""
    return [t for child in node.args for t in _terms(child)] if node.op == "+" else [node]


def _outside_cell(table: Table, col: int, taken: set[Cell]) -> Cell | None:
    """The one cell of the sheet outside the table, holding a number, that the first row's formula
    in ``col`` reads, besides those in ``taken``; None when there is none, or more than one."""
    sheet = table.sheet
    text = sheet.formula(table.first_row, col)
    if text is None:
        return None
    try:
        tree = sheet.parse(text)
    except FormulaError:
        return None
    cells = {(ref.row, ref.col) for ref in refs(tree) if ref.sheet in (None, sheet.name)}
    outside = [c for c in cells if not _inside(table, c) and c not in taken and sheet.number(*c) is not None]
    return outside[0] if len(outside) == 1 else None


def _read_as(sheet: Sheet, cell: Cell, name: str, role: str) -> str:
    """The note on a given value read by the formulas that use it: ``cell E2 is labelled i2 but
    holds the target the loss uses: read as t2``; ``cell B2 (labelled 'entrada 1') holds ...``."""
    row, col = cell
    texts = [v for at in ((row, col - 1), (row, col - 2), (row - 1, col))
             if isinstance(v := sheet.value(*at), str) and v.strip() and _labelled(sheet, at) == cell]
    known = next((q for v in texts if (q := quantity(v)) and q != name), None)
    where = f"cell {get_column_letter(col)}{row}"
    where += (f" is labelled {known} but" if known else f" (labelled {texts[0].strip()!r})" if texts else ", unlabelled,")
    return f"{where} holds {role}: read as {name}"


def _with_biases(table: Table, labels: dict[str, Cell]) -> tuple[Network, dict[str, str]]:
    """The network with its bias mode, and which sheet name holds each contract bias."""
    net = table.network
    names = [n for n in (*table.columns, *labels) if re.fullmatch(r"b\d+", n)]
    if not names:
        return dataclasses.replace(net, bias_mode="none"), {}
    count = max(int(n[1:]) for n in names)
    mode = "trained" if any(n.startswith("∂E/∂b") for n in table.columns) else "frozen"
    net = dataclasses.replace(net, bias_mode=mode)
    if count == net.depth < net.n_biases:  # Mazur: one shared bias per layer
        layout = {f"b{n}": f"b{layer}" for (layer, j), n in net.bias_numbers.items()}
    else:
        layout = {f"b{n}": f"b{n}" for n in range(1, net.n_biases + 1)}
    return net, layout


def _eta(table: Table, labels: dict[str, Cell], cells: dict[str, Cell], notes: list[str]) -> tuple[float, bool]:
    """η: the cell the first update formulas read besides the weight and its gradient; else the
    number typed into them; else a labelled cell nothing references; else what the values imply."""
    sheet, row = table.sheet, table.first_row + 1
    votes: Counter = Counter()
    typed: Counter = Counter()
    for name, col in table.columns.items():
        if not re.fullmatch(r"w\d+", name) or (text := sheet.formula(row, col)) is None:
            continue
        try:
            tree = sheet.parse(text)
        except FormulaError:
            continue
        own = {(row - 1, col), (row - 1, table.columns.get(weight_grad_name(int(name[1:])), -1))}
        grads = {c for n, c in table.columns.items() if n.startswith("∂E/∂")}
        for ref in refs(tree):
            if ref.sheet is None and (ref.row, ref.col) not in own and not (ref.row == row - 1 and ref.col in grads):
                votes[(ref.row, ref.col)] += 1
        typed.update(n.args[0] for n in leaves(tree, ("num",)) if n.args[0] not in (0.0, 1.0))
    if votes:
        (cell_row, cell_col), _ = votes.most_common(1)[0]
        if cell_row == row:  # η is a column of the table, read in the row it updates
            value = sheet.number(row, cell_col)
            if value is not None:
                table.columns[ETA] = cell_col
                return value, True
        value = sheet.number(cell_row, cell_col)
        if value is not None:
            cells[ETA] = (cell_row, cell_col)
            return value, False
    if typed:
        value, _ = typed.most_common(1)[0]
        notes.append(f"η = {value:g} is typed into the update formulas, not read from a cell")
        return value, False
    if table.has(ETA) and (value := sheet.number(table.first_row, table.columns[ETA])) is not None:
        return value, True
    if ETA in labels:
        cells[ETA] = labels[ETA]
        notes.append("η is only a labelled cell that no formula references")
        return sheet.number(*labels[ETA]), False
    return _implied_eta(table, notes), False


def _implied_eta(table: Table, notes: list[str]) -> float:
    sheet, r = table.sheet, table.first_row
    if len(table.rows) > 1 and table.has("∂E/∂w1"):
        w0, w1 = sheet.number(r, table.columns["w1"]), sheet.number(r + 1, table.columns["w1"])
        g = sheet.number(r, table.columns["∂E/∂w1"])
        if None not in (w0, w1, g) and g != 0:
            notes.append("η is not in any cell or formula; read from how w1 moves between the first two rows")
            return (w0 - w1) / g
    raise ProblemError("no cell holds η and no formula uses it")
