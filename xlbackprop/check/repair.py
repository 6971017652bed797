"""Why a formula is wrong: the smallest change that makes it right, said in words.

A wrong formula is mostly a right one with a slip: one reference read for another (``J33``,
a_h1, where ``L33``, a_h2, belongs), a gradient of the wrong weight in an update, a typed
number or a reference without ``$`` where η belongs, ``*`` typed for ``-``. :func:`explain`
tries those changes, one and then two at a time, on the formula as
:mod:`xlbackprop.check.meaning` reads it, and keeps the first that makes the formula right at
every random network::

    explain(meaning, "∂E/∂w3", "=((R33-A33)*R33*(1-R33)*N33+(T33-B33)*T33*(1-T33)*P33)*J33*(1-J33)*C33", 33, 26)
    # Diagnosis(right=False, cause="uses a_h1's slope J33*(1-J33) where a_h2's belongs (L33*(1-L33))",
    #           repaired="=((R33-A33)*R33*(1-R33)*N33+(T33-B33)*T33*(1-T33)*P33)*L33*(1-L33)*C33")

When no such change exists the cause says what the quantity should be (:func:`math`).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from openpyxl.utils.cell import get_column_letter

from ..core.activations import ACTIVATIONS
from ..core.network import Network
from ..xlsx.formula import FormulaError, Node, leaves, replace_spans
from .meaning import Inline, Meaning, Symbol
from .rules import ETA

MAX_TRIES = 4000
_FAMILY = [("∂E/∂w", r"∂E/∂w\d+"), ("∂E/∂b", r"∂E/∂b\d+"), ("w", r"w\d+"), ("b", r"b\d+"), ("δ", r".*δ_.*"),
           ("a", r".*a_[ho].*"), ("z", r"(?:s\d+\.)?[ho]\d+(?:_\d+)?"), ("E", r"(?:s\d+\.)?E\d+"),
           ("i", r"(?:s\d+\.)?i\d+"), ("t", r"(?:s\d+\.)?t\d+")]
_OPERATORS = "+-*/"


@dataclass(frozen=True)
class Diagnosis:
    """``right`` whether the formula computes its quantity; if not, ``cause`` in words and the
    formula ``repaired`` in the file's letters (None when no small change repairs it)."""

    right: bool
    cause: str | None = None
    repaired: str | None = None


@dataclass(frozen=True)
class _Move:
    positions: tuple[tuple[int, int, int], ...]  # (row, col, position in that cell's formula)
    old: Symbol
    new: Symbol


def family(name: str) -> str | None:
    return next((f for f, pattern in _FAMILY if re.fullmatch(pattern, name)), None)


Explained = dict[tuple, Diagnosis]  # the diagnoses of one file's tables, by all each depends on


def explain(meaning: Meaning, name: str, text: str, row: int, col: int, explained: Explained | None = None) -> Diagnosis:
    """Whether ``text`` in (row, col) computes ``name``; if not, why (see the module docstring).
    ``explained`` holds earlier answers: a table laid out as one already explained (one per η,
    on sheets alike) gets the same answer for the same formula without the search."""
    try:
        tree = meaning.table.sheet.parse(text)
    except FormulaError as exc:
        return Diagnosis(False, f"cannot be read ({exc})")
    if explained is None:
        return _explain(meaning, name, text, tree, row, col)
    try:
        key = _key(meaning, name, text, tree, row, col)
    except FormulaError:
        return _explain(meaning, name, text, tree, row, col)
    if key not in explained:
        explained[key] = _explain(meaning, name, text, tree, row, col)
    return explained[key]


def _key(meaning: Meaning, name: str, text: str, tree: Node, row: int, col: int) -> tuple:
    """All that :func:`_explain` reads: the table's context, the formula and what it reads, and
    which given values equal a number it holds (a typed η is told by its value)."""
    reads = meaning.reads(tree, row)
    numbers = {x[1] for x in reads if isinstance(x, tuple) and x[0] == "num"}
    numbers |= {x.value for x in reads if isinstance(x, Symbol) and not x.name}
    givens = [n for n in _vocabulary(meaning) if family(n) in ("i", "t", "b") or n == ETA]
    equal = tuple((n, _given_value(meaning, n) in numbers) for n in givens)
    return meaning.context, name, text, row, col, reads, equal


def _explain(meaning: Meaning, name: str, text: str, tree: Node, row: int, col: int) -> Diagnosis:
    if meaning.right(name, tree, row, col):
        return Diagnosis(True)
    occurrences = _occurrences(meaning, tree, text, row, col)
    moves = [m for m in _moves(meaning, occurrences) if (m.new.name, m.new.offset) != (name, 0)]  # not itself
    for combo in _combinations(moves):
        override = {p: m.new for m in combo for p in m.positions}
        if meaning.right(name, tree, row, col, override):
            return _said(meaning, name, text, row, col, occurrences, combo)
    for node, op in _operator_swaps(tree):
        if meaning.right(name, _swapped(tree, node, op), row, col):
            snippet = text[max(node.pos - 8, 0):node.pos + 9]
            return Diagnosis(False, f"has {node.op} where {op} belongs (…{snippet}…)",
                             text[:node.pos] + op + text[node.pos + 1:])
    return Diagnosis(False, f"does not compute {name} = {math(meaning.problem.network, name)}")


_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _occurrences(meaning: Meaning, tree: Node, text: str, row: int, col: int,
                 depth: int = 0) -> dict[tuple[int, int, int], tuple[str, Symbol, bool]]:
    """(row, col, position in the text) -> (as written, what it reads, whether a typed number),
    for each reference and typed number of the formula and of the cells it reads through."""
    found: dict[tuple[int, int, int], tuple[str, Symbol, bool]] = {}
    for ref in (leaf.args[0] for leaf in leaves(tree, ("ref",))):
        sym = meaning.symbol(ref, row)
        if isinstance(sym, Inline):
            if depth < 2:
                inner = meaning.table.sheet.formula(sym.row, sym.col)
                found.update(_occurrences(meaning, sym.tree, inner, sym.row, sym.col, depth + 1))
            continue
        found[(row, col, ref.span[0])] = (text[ref.span[0]:ref.span[1]], sym, False)
    for node in leaves(tree, ("num",)):
        found[(row, col, node.pos)] = (_NUMBER.match(text, node.pos).group(), Symbol("", value=node.args[0]), True)
    return found


def _vocabulary(meaning: Meaning) -> list[str]:
    names = [meaning.sheet_name.get(n, n) for n in meaning.table.columns if n != "iteration"]
    return list(dict.fromkeys(names + list(meaning.problem.cells)))


def _candidates(meaning: Meaning, sym: Symbol) -> list[Symbol]:
    vocabulary = _vocabulary(meaning)
    if not sym.name:  # a typed number or a cell of no known meaning: a given value it should read
        givens = [n for n in vocabulary if family(n) in ("i", "t", "b") or n == ETA]
        if sym.value != 0.0 and sym.value == sym.value:  # a typed number: only the given it equals
            givens = [n for n in givens if _given_value(meaning, n) == sym.value]
        return [Symbol(n, None if n in meaning.givens else 0) for n in givens]
    fam = family(sym.name)
    names = [n for n in vocabulary if family(n) == fam and n != sym.name]
    partner = _partner(sym.name)
    if partner in vocabulary:
        names.append(partner)
    out = [Symbol(n, None if n in meaning.givens else (sym.offset or 0)) for n in names]
    if sym.offset is not None:  # the same quantity, another row
        out += [Symbol(n, off) for n in [sym.name, *names] for off in (0, -1)
                if off != sym.offset and not (n != sym.name and off == (sym.offset or 0))]
    return out


def _given_value(meaning: Meaning, name: str) -> float | None:
    return meaning.problem.given.get(name, _spec_given(meaning, name))


def _spec_given(meaning: Meaning, name: str) -> float | None:
    spec = meaning.problem.spec
    if name == ETA:
        return spec.eta
    m = re.fullmatch(r"(?:s(\d+)\.)?([it])(\d+)", name)
    if m:
        rows = spec.inputs if m[2] == "i" else spec.targets
        return rows[int(m[1] or 1) - 1][int(m[3]) - 1]
    return None


def _partner(name: str) -> str:
    """h1 <-> a_h1: the pre-activation and the activation of one neuron."""
    m = re.fullmatch(r"((?:s\d+\.)?)(a_)?([ho]\d+(?:_\d+)?)", name)
    if not m:
        return ""
    return f"{m[1]}{m[3]}" if m[2] else f"{m[1]}a_{m[3]}"


def _moves(meaning: Meaning, occurrences: dict[int, tuple[str, Symbol]]) -> list[_Move]:
    groups: dict[Symbol, list[int]] = {}
    for pos, (_, sym, _) in occurrences.items():
        groups.setdefault(sym, []).append(pos)
    whole, single = [], []
    for sym, positions in groups.items():
        for new in _candidates(meaning, sym):
            whole.append(_Move(tuple(positions), sym, new))
            if len(positions) > 1:
                single += [_Move((p,), sym, new) for p in positions]
    return whole + single


def _combinations(moves: list[_Move]):
    """Each move alone, then pairs touching different places, at most MAX_TRIES in all."""
    tries = 0
    for move in moves:
        tries += 1
        yield (move,)
    for a, b in itertools.combinations(moves, 2):
        if set(a.positions) & set(b.positions):
            continue
        tries += 1
        if tries > MAX_TRIES:
            return
        yield (a, b)


def _said(meaning: Meaning, name: str, text: str, row: int, col: int, occurrences, combo) -> Diagnosis:
    clauses, spans, inside = [], {}, False
    for move in combo:
        at_row, at_col, _ = move.positions[0]
        written, _, typed = occurrences[move.positions[0]]
        new_cell = meaning.cell_of(move.new, at_row)
        own = (at_row, at_col) == (row, col)
        clause = _clause(meaning, name, text if own else meaning.table.sheet.formula(at_row, at_col), move,
                         written, typed, new_cell, at_row)
        if own:
            for key in move.positions:
                spans[(key[2], key[2] + len(occurrences[key][0]))] = \
                    new_cell.replace("$", "") if move.new.offset is not None else new_cell
        else:  # a slip in a cell the formula reads through
            inside = True
            clause = f"through {get_column_letter(at_col)}{at_row}, which {clause}"
        clauses.append(clause)
    return Diagnosis(False, "; ".join(clauses), None if inside else replace_spans(text, spans))


def _clause(meaning: Meaning, name: str, text: str, move: _Move, written: str, typed: bool, new_cell: str,
            row: int) -> str:
    old, new = move.old, move.new
    if typed:
        return f"uses the number {written} where {_said_name(new)} ({new_cell}) belongs"
    if not old.name:
        held = "an empty cell" if old.value == 0.0 else f"{old.value:g}"
        slide = " (a reference without $ that slid down the rows)" if "$" not in written and new.offset is None else ""
        return f"reads {written} ({held}) where {_said_name(new)} ({new_cell}) belongs{slide}"
    slope = re.compile(rf"{re.escape(written)}\s*\*\s*\(\s*1\s*-\s*{re.escape(written)}\s*\)")
    if slope.search(text) and family(new.name) in ("a", "z"):
        mine, theirs = f"{written}*(1-{written})", f"{new_cell}*(1-{new_cell})"
        if _partner(old.name) == new.name:
            return f"uses the slope of the pre-activation {old.name}, {mine}, where {new.name}'s belongs ({theirs})"
        return f"uses {old.name}'s slope {mine} where {new.name}'s belongs ({theirs})"
    verb = "is updated with" if family(name) in ("w", "b") else "uses"
    return f"{verb} {_said_symbol(meaning, old, row)} ({written}) where {_said_symbol(meaning, new, row)} belongs ({new_cell})"


def _said_name(sym: Symbol) -> str:
    return "η" if sym.name == ETA else sym.name


def _said_symbol(meaning: Meaning, sym: Symbol, row: int) -> str:
    if sym.offset in (None, 0):
        return _said_name(sym)
    if sym.offset == -1:
        return f"{sym.name} of the row above"
    at = row + sym.offset
    return f"{sym.name} of the first row" if at == meaning.table.first_row else f"{sym.name} of row {at}"


def _operator_swaps(tree: Node):
    if tree.op in _OPERATORS and len(tree.args) == 2 and tree.pos >= 0:
        for op in _OPERATORS:
            if op != tree.op:
                yield tree, op
    if tree.op in ("num", "str", "name", "ref", "range"):
        return
    children = tree.args[1] if tree.op == "call" else tree.args
    for child in children:
        yield from _operator_swaps(child)


def _swapped(tree: Node, target: Node, op: str) -> Node:
    if tree is target:
        return Node(op, tree.args, tree.pos)
    if tree.op in ("num", "str", "name", "ref", "range"):
        return tree
    if tree.op == "call":
        return Node("call", (tree.args[0], tuple(_swapped(c, target, op) for c in tree.args[1])), tree.pos)
    return Node(tree.op, tuple(_swapped(c, target, op) for c in tree.args), tree.pos)


def math(net: Network, name: str) -> str:
    """The quantity as backprop defines it, written out to the columns a sheet has::

        math(net, "∂E/∂w1") == "((a_o1 − t1)·a_o1(1 − a_o1)·w5 + (a_o2 − t2)·a_o2(1 − a_o2)·w7)·a_h1(1 − a_h1)·i1"
    """
    from .rules import rules

    table = rules(net)
    rule = table.get(name)
    if rule is None:
        return name
    parents = [p for p, _ in rule.parents]
    if rule.kind == "weight":
        return f"{name} of the row above − η·∂E/∂{name} of the row above"
    if rule.kind == "gradient":
        terms = [f"{_delta(net, table, parents[k])}" + (f"·{parents[k + 1]}" if name.startswith("∂E/∂w") else "")
                 for k in range(0, len(parents), 2 if name.startswith("∂E/∂w") else 1)]
        return terms[0] if len(terms) == 1 else f"mean of {', '.join(terms)}"
    if rule.kind == "delta":
        return _delta(net, table, name)
    if rule.kind == "loss":
        return " + ".join(parents) if name == "E_total" else f"½({parents[1]} − {parents[0]})²"
    if rule.kind == "forward" and len(parents) == 1:
        return f"g({parents[0]})"
    pairs = [f"{parents[k]}·{parents[k + 1]}" for k in range(0, len(parents) - 1, 2)]
    return " + ".join(pairs + ([parents[-1]] if len(parents) % 2 else []))


def _delta(net: Network, table, name: str) -> str:
    """δ written out: ``(a_o1 − t1)·a_o1(1 − a_o1)`` for a sigmoid output."""
    parents = [p for p, _ in table[name].parents]
    a, z = parents[-3] if len(parents) == 3 else parents[-2], parents[-1]
    layer = next(l for l in range(1, net.depth + 1) if any(z.endswith(n) for n in net.neurons(l)))
    slope = _slope(net.activations[layer - 1], z, a)
    if len(parents) == 3:  # an output: (a - t) g'
        return f"({parents[0]} − {parents[1]})" + (f"·{slope}" if slope else "")
    terms = [f"{_delta(net, table, parents[k])}·{parents[k + 1]}" for k in range(0, len(parents) - 2, 2)]
    summed = terms[0] if len(terms) == 1 else f"({' + '.join(terms)})"
    return summed + (f"·{slope}" if slope else "")


def _slope(activation: str, z: str, a: str) -> str:
    return ACTIVATIONS[activation].spoken_derivative(z, a)
