"""Spreadsheet formulas read as the math they say: tokens, a tree, an evaluator, a relative form.

A student's cell ``X33`` holding ``=((R33-A33)*R33*(1-R33)*M33+(T33-B33)*T33*(1-T33)*O33)*J33*(1-J33)*C33``
parses into a tree whose leaves are :class:`Ref` nodes (``R33``, ``$H$30``, ``'Sheet 2'!B4``),
numbers and function calls. :func:`evaluate` computes the tree for any values of its leaves
(numpy arrays work, so one call evaluates many points at once), and :func:`relative_form`
writes it as the cell sees it, ``R[0]C[-6]`` for ``R33`` seen from ``X33``, so that the same
formula filled down a column reads the same in every row::

    relative_form("=E33-$H$30*X33", row=34, col=5) == "R[-1]C[0] - R30C8 * R[-1]C[19]"

Only what hand-made backprop sheets use is supported: arithmetic, comparison, ``&``, percent,
and the functions in :data:`FUNCTIONS`. Anything else raises :class:`FormulaError`.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from ..core.arithmetic import IEEE, left_sum


class FormulaError(ValueError):
    """A formula this module cannot read or compute (an unknown function, a syntax it lacks)."""


@dataclass(frozen=True)
class Ref:
    """One cell reference as written: ``$H$30`` is ``Ref(None, 8, 30, True, True, (5, 10))``."""

    sheet: str | None
    col: int
    row: int
    col_abs: bool
    row_abs: bool
    span: tuple[int, int]  # where it stands in the formula text

    @property
    def coordinate(self) -> str:
        return f"{get_column_letter(self.col)}{self.row}"


@dataclass(frozen=True)
class Node:
    """An inner node: ``op`` is ``num``, ``ref``, ``range``, ``name``, ``str``, ``neg``, ``pct``, a binary
    operator (``+ - * / ^ & = <> < > <= >=``) or ``call``; ``args`` its children or value."""

    op: str
    args: tuple[Any, ...]
    pos: int = -1  # where an operator stands in the formula text


_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<error>\#(?:REF!|NAME\?|VALUE!|DIV/0!|NUM!|N/A|NULL!))
  | (?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?\$?[A-Za-z]{1,3}\$?\d{1,7}(?![\w(]))
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<func>[A-Za-z_][\w.]*(?=\())
  | (?P<name>[A-Za-z_][\w.]*)
  | (?P<op><=|>=|<>|[-+*/^&=<>%(),;:])
""", re.X)
_REF_PARTS = re.compile(r"(?:(?P<sheet>'(?:[^']|'')+'|[^!]+)!)?(?P<ca>\$?)(?P<col>[A-Za-z]{1,3})(?P<ra>\$?)(?P<row>\d+)")


def tokenize(text: str) -> list[tuple[str, str, int]]:
    """``(kind, text, position)`` of each token of a formula, the leading ``=`` left out."""
    start = 1 if text.startswith("=") else 0
    out, pos = [], start
    for m in _TOKEN.finditer(text, start):  # one scan; a gap between matches is what no token reads
        if m.start() != pos:
            break
        if m.lastgroup != "space":
            out.append((m.lastgroup, m.group(), pos))
        pos = m.end()
    if pos < len(text):
        raise FormulaError(f"cannot read {text[pos:pos + 12]!r}")
    return out


def _ref(token: str, pos: int) -> Ref:
    return Ref(*_ref_parts(token), (pos, pos + len(token)))


@functools.lru_cache(maxsize=65_536)  # a sheet's formulas read the same few thousand cells again and again
def _ref_parts(token: str) -> tuple[str | None, int, int, bool, bool]:
    m = _REF_PARTS.fullmatch(token)
    sheet = m["sheet"]
    if sheet and sheet.startswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, column_index_from_string(m["col"].upper()), int(m["row"]), bool(m["ca"]), bool(m["ra"])


class _Parser:
    """Precedence climbing, as spreadsheets bind: comparison < & < + - < * / < ^ < unary minus < %."""

    LEVELS = [("=", "<>", "<", ">", "<=", ">="), ("&",), ("+", "-"), ("*", "/"), ("^",)]

    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise FormulaError("the formula ends too early")
        self.i += 1
        return token

    def parse(self) -> Node:
        node = self.binary(0)
        if self.peek() is not None:
            raise FormulaError(f"unexpected {self.peek()[1]!r}")
        return node

    def binary(self, level: int) -> Node:
        if level == len(self.LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while (t := self.peek()) and t[0] == "op" and t[1] in self.LEVELS[level]:
            self.take()
            node = Node(t[1], (node, self.binary(level + 1)), t[2])
        return node

    def unary(self) -> Node:
        t = self.peek()
        if t and t[0] == "op" and t[1] in "+-":
            self.take()
            operand = self.unary()
            return Node("neg", (operand,)) if t[1] == "-" else operand
        node = self.atom()
        while (t := self.peek()) and t[1] == "%":
            self.take()
            node = Node("pct", (node,))
        return node

    def atom(self) -> Node:
        kind, text, pos = self.take()
        if kind == "number":
            return Node("num", (float(text),), pos)
        if kind == "string":
            return Node("str", (text[1:-1].replace('""', '"'),))
        if kind == "ref":
            ref = Node("ref", (_ref(text, pos),))
            if (t := self.peek()) and t[1] == ":":
                self.take()
                end_kind, end_text, end_pos = self.take()
                if end_kind != "ref":
                    raise FormulaError(f"a range must end in a cell, not {end_text!r}")
                return Node("range", (ref.args[0], _ref(end_text, end_pos)))
            return ref
        if kind == "name":
            upper = text.upper()
            if upper in ("TRUE", "FALSE"):
                return Node("num", (1.0 if upper == "TRUE" else 0.0,))
            return Node("name", (text,), pos)
        if kind == "func":
            self.take()  # (
            args = []
            if self.peek() and self.peek()[1] == ")":
                self.take()
                return Node("call", (text.upper(), tuple(args)))
            while True:
                args.append(self.binary(0))
                sep = self.take()[1]
                if sep == ")":
                    return Node("call", (text.upper(), tuple(args)))
                if sep not in ",;":
                    raise FormulaError(f"expected , or ) in a call to {text}")
        if text == "(":
            node = self.binary(0)
            if self.take()[1] != ")":
                raise FormulaError("a parenthesis is not closed")
            return node
        raise FormulaError(f"unexpected {text!r}")


def parse(text: str) -> Node:
    """The tree of a formula: ``parse("=1/(1+EXP(-I33))")``."""
    return _Parser(text).parse()


def resolve_names(node: Node, lookup: Callable[[str], tuple[str | None, int, int] | None]) -> Node:
    """The tree with each defined name that stands for one cell (``eta``) read as that cell:
    ``lookup("eta") == (None, 3, 2)`` makes ``=B20-eta*Y20`` read ``=B20-$B$3*Y20``."""
    if node.op == "name":
        target = lookup(node.args[0])
        if target is None:
            return node
        sheet, row, col = target
        return Node("ref", (Ref(sheet, col, row, True, True, (node.pos, node.pos + len(node.args[0]))),))
    if node.op in ("num", "str", "ref", "range"):
        return node
    if node.op == "call":
        return Node("call", (node.args[0], tuple(resolve_names(c, lookup) for c in node.args[1])), node.pos)
    return Node(node.op, tuple(resolve_names(c, lookup) for c in node.args), node.pos)


def leaves(node: Node, ops: tuple[str, ...]) -> list[Node]:
    """The leaves of the tree whose op is in ``ops`` (``"num"``, ``"ref"``, ``"range"``), in reading order."""
    if node.op in ops:
        return [node]
    if node.op in ("num", "str", "name", "ref", "range"):
        return []
    children = node.args[1] if node.op == "call" else node.args
    return [leaf for child in children for leaf in leaves(child, ops)]


def refs(node: Node) -> list[Ref]:
    """Every cell reference in the tree, in reading order (both ends of a range)."""
    return [r for leaf in leaves(node, ("ref", "range")) for r in leaf.args]


def _sum(*xs):
    return left_sum(xs) if xs else 0.0


def _prod(*xs):
    out = 1.0
    for x in xs:
        out = out * x
    return out


def _sumproduct(*ranges):
    return _sum(*[_prod(*terms) for terms in zip(*ranges)])


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "EXP": IEEE.exp, "LN": np.log, "LOG10": np.log10, "SQRT": np.sqrt, "ABS": np.abs, "TANH": IEEE.tanh,
    "LOG": lambda x, base=10.0: np.log(x) / np.log(base),
    "POWER": lambda x, y: np.power(x, y), "SUM": _sum, "AVERAGE": lambda *xs: _sum(*xs) / len(xs),
    "PRODUCT": _prod, "SUMPRODUCT": _sumproduct,
    "MAX": lambda *xs: np.maximum.reduce(np.broadcast_arrays(*xs)) if len(xs) > 1 else xs[0],
    "MIN": lambda *xs: np.minimum.reduce(np.broadcast_arrays(*xs)) if len(xs) > 1 else xs[0],
    "IF": lambda c, a, b=0.0: np.where(np.asarray(c) != 0, a, b),
    "SIGN": np.sign,
}
_RANGE_FUNCTIONS = {"SUM", "PRODUCT", "MAX", "MIN", "AVERAGE"}
_BINARY = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power,
    "=": lambda a, b: np.equal(a, b) * 1.0, "<>": lambda a, b: np.not_equal(a, b) * 1.0,
    "<": lambda a, b: np.less(a, b) * 1.0, ">": lambda a, b: np.greater(a, b) * 1.0,
    "<=": lambda a, b: np.less_equal(a, b) * 1.0, ">=": lambda a, b: np.greater_equal(a, b) * 1.0,
}


def evaluate(node: Node, value: Callable[[Ref], Any], cells: Callable[[Ref, Ref], list] | None = None,
             number: Callable[[Node], Any] | None = None, functions: dict[str, Callable[..., Any]] | None = None) -> Any:
    """Compute the tree: ``value(ref)`` gives a reference's value, ``cells(start, end)`` a range's,
    ``number(node)`` a typed number's (default: the number itself); ``functions`` replaces
    :data:`FUNCTIONS` (:data:`COMPLEX_STEP` carries a derivative through in the imaginary part).

    Defined names and text are :class:`FormulaError`; the caller decides what they mean."""
    op, args = node.op, node.args
    table = FUNCTIONS if functions is None else functions
    if op == "num":
        return args[0] if number is None else number(node)
    if op == "ref":
        return value(args[0])
    if op == "neg":
        return -evaluate(args[0], value, cells, number, functions)
    if op == "pct":
        return evaluate(args[0], value, cells, number, functions) / 100.0
    if op in _BINARY:
        return _BINARY[op](evaluate(args[0], value, cells, number, functions),
                           evaluate(args[1], value, cells, number, functions))
    if op == "call":
        name, children = args
        if name not in table:
            raise FormulaError(f"the function {name} is not one backprop needs")
        values = []
        for child in children:
            if child.op == "range":
                if cells is None or name not in _RANGE_FUNCTIONS | {"SUMPRODUCT"}:
                    raise FormulaError(f"a range inside {name}")
                got = cells(*child.args)
                values.extend(got) if name in _RANGE_FUNCTIONS else values.append(got)
            else:
                values.append(evaluate(child, value, cells, number, functions))
        return table[name](*values)
    raise FormulaError(f"cannot compute {op} {args!r}")


def _real_choice(pick: Callable) -> Callable:
    """MAX or MIN of complex-step values: the argument whose real part wins, derivative and all."""
    def choose(*xs):
        if len(xs) == 1:
            return xs[0]
        arrays = np.broadcast_arrays(*xs)
        at = pick(np.stack([np.real(a) for a in arrays]), axis=0)
        return np.choose(at, arrays)
    return choose


# FUNCTIONS for values x + i·h·x' (the complex step): each passes the derivative x' on exactly
COMPLEX_STEP: dict[str, Callable[..., Any]] = {
    **FUNCTIONS, "EXP": np.exp, "TANH": np.tanh,
    "ABS": lambda x: x * np.sign(np.real(x)), "SIGN": lambda x: np.sign(np.real(x)),
    "MAX": _real_choice(np.argmax), "MIN": _real_choice(np.argmin),
    "IF": lambda c, a, b=0.0: np.where(np.real(c) != 0, a, b),
}


def pinned(tree: Node, row: int, col: int) -> Node:
    """The tree with what picks a cell by position read as that cell, for the cell at (row, col):
    ``ROW()`` and ``COLUMN()`` as numbers, ``INDEX(range, i, j)`` and ``OFFSET(ref, r, c)`` with
    constant positions as the references they pick (``INDEX($B$4:$J$40, ROW()-9, 2)`` in row 12
    reads C6), so that a block that picks its parameters so reads them as a reference would."""
    if tree.op in ("num", "str", "name", "ref", "range"):
        return tree
    if tree.op != "call":
        return Node(tree.op, tuple(pinned(c, row, col) for c in tree.args), tree.pos)
    name, args = tree.args[0], tuple(pinned(c, row, col) for c in tree.args[1])
    if name in ("ROW", "COLUMN") and len(args) <= 1:
        if not args:
            return Node("num", (float(row if name == "ROW" else col),))
        if args[0].op in ("ref", "range"):
            ref = args[0].args[0]
            return Node("num", (float(ref.row if name == "ROW" else ref.col),))
    if name == "INDEX" and 2 <= len(args) <= 3 and args[0].op in ("ref", "range"):
        start = args[0].args[0]
        end = args[0].args[1] if args[0].op == "range" else start
        at = [_constant(a) for a in args[1:]]
        if all(a is not None and a >= 0 and a == int(a) for a in at):
            one_row = start.row == end.row and len(at) == 1
            r, c = (1, at[0]) if one_row else (at[0], at[1] if len(at) > 1 else 1)
            if r >= 1 and c >= 1 and start.row + r - 1 <= end.row and start.col + c - 1 <= end.col:
                return Node("ref", (Ref(start.sheet, start.col + int(c) - 1, start.row + int(r) - 1,
                                        start.col_abs, start.row_abs, start.span),))
    if name == "OFFSET" and len(args) == 3 and args[0].op == "ref":
        r, c = _constant(args[1]), _constant(args[2])
        ref = args[0].args[0]
        if r is not None and c is not None and r == int(r) and c == int(c) and ref.row + r >= 1 and ref.col + c >= 1:
            return Node("ref", (Ref(ref.sheet, ref.col + int(c), ref.row + int(r), ref.col_abs, ref.row_abs, ref.span),))
    return Node("call", (name, args), tree.pos)


# what a position inside INDEX or OFFSET is computed with, beside arithmetic
_POSITIONS = {**COMPLEX_STEP, "INT": np.floor, "TRUNC": np.trunc, "QUOTIENT": lambda a, b: np.trunc(a / b),
              "MOD": lambda a, b: a - b * np.floor(a / b), "ROUND": lambda x, d=0: np.round(x, int(d)),
              "ROUNDDOWN": lambda x, d=0: np.trunc(x * 10.0 ** d) / 10.0 ** d,
              "ROUNDUP": lambda x, d=0: np.sign(x) * np.ceil(np.abs(x) * 10.0 ** d) / 10.0 ** d}


def _constant(node: Node) -> float | None:
    """A subtree's value when it reads no cell (``INT((12-4)/8)+1``), else None."""
    if leaves(node, ("ref", "range", "name", "str")):
        return None
    try:
        return float(evaluate(node, lambda ref: math.nan, functions=_POSITIONS))
    except (FormulaError, ValueError, TypeError, ZeroDivisionError):
        return None


def shape(text: str, row: int, col: int) -> tuple[str, list[Ref]]:
    """The formula as seen from cell (row, col), and its cell references, from one tokenizing.

    The first is its relative form: relative parts as offsets, absolute parts kept, spaces
    dropped and function names upper-cased, so that a formula filled down reads the same in
    every row: ``=E33-$H$30*X33`` in row 34 of column E and ``=E34-$H$30*X34`` in row 35 are
    both ``R[-1]C[0] - R30C8 * R[-1]C[19]``."""
    parts, found = [], []
    for kind, token, pos in tokenize(text):
        if kind == "ref":
            r = _ref(token, pos)
            found.append(r)
            rr = f"R{r.row}" if r.row_abs else f"R[{r.row - row}]"
            cc = f"C{r.col}" if r.col_abs else f"C[{r.col - col}]"
            parts.append(("" if r.sheet is None else r.sheet + "!") + rr + cc)
        else:
            parts.append(token.upper() if kind in ("func", "name") else token)
    return " ".join(parts), found


def relative_form(text: str, row: int, col: int) -> str:
    """The first half of :func:`shape`."""
    return shape(text, row, col)[0]


def replace_spans(text: str, replacements: dict[tuple[int, int], str]) -> str:
    """``text`` with each ``span`` replaced: how a repaired formula is written in the file's letters."""
    out, last = [], 0
    for (start, end), new in sorted(replacements.items()):
        out.append(text[last:start])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out)
