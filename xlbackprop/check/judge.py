"""Judge one training table: its root causes, in the cells where they happen.

For each column, the values it stores are held against what its own row's stored inputs give
(:mod:`xlbackprop.check.local`): only columns whose own formula is wrong disagree there. The
first such row's formula says why (:mod:`xlbackprop.check.repair`) and what kind of slip it is:

    formula      the column's formula computes something else        ∂E/∂w3 with a_h1's slope
    update       a weight's update is wrong                          w3 updated with ∂E/∂w1
    anchoring    the same formula, filled down, reads other cells    η referenced as H30, not $H$30
    not-uniform  the formula changes from one row to the next        row 52 uses a_h1, row 51 a_h2
    values-only  a typed number where a formula belongs              values pasted over formulas

A column whose values are right but whose formula is not (t1 where t2 belongs, while t1 = t2)
is a warning. Columns that disagree with a correct run (:func:`xlbackprop.core.reference.train` on
the problem the sheet sets) only because of an earlier column are ``dragged``, not reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from openpyxl.utils.cell import get_column_letter

from ..core.arithmetic import IEEE
from ..core.reference import train
from ..xlsx.formula import FormulaError, shape
from ..xlsx.grid import Book
from .local import Bound, Recompute, disagree
from .meaning import Inline, Meaning
from .problem import Problem, ProblemError, recover
from .repair import Diagnosis, Explained, explain
from .rules import given as given_names
from .rules import rules
from .tables import Table

MAX_FINDINGS_PER_COLUMN = 3
GIVEN_RTOL = 1e-9  # a given value retyped or filled down may differ in its last digits, never more
REFERENCE_RTOL = 1e-6  # only to tell dragged columns; the root causes come from the row-local check


@dataclass
class Finding:
    """A root cause (``kind`` set) or a warning (``kind`` None), as the JSON report has it."""

    quantity: str
    kind: str | None
    column: str
    row: int
    got: float | None
    expected: float | None
    formula: str | None
    cause: str
    answer: str | None = None  # the formula that belongs in the cell, where a small change of its own gives it

    def __repr__(self) -> str:
        """One short line: ``Finding('Z33', '∂E/∂w3', 'formula')``; ``warning`` for a warning."""
        return f"Finding({self.column + str(self.row)!r}, {self.quantity!r}, {self.kind if self.kind else 'warning'!r})"


@dataclass
class TableResult:
    """The verdict on one table, with what the report shows of it."""

    table: Table
    verdict: str
    problem: Problem | None = None
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    message: str = ""
    dragged: list[str] = field(default_factory=list)
    curve: dict[str, list] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # how a table read by its formula graph was read (no Problem)

    def __repr__(self) -> str:
        """One short line, not every cell of the sheet:
        ``TableResult('Sheet1', header row 32, rows 33-78, 'wrong', 2 root causes)``."""
        t, plural = self.table, lambda n, word: f"{n} {word}{'s' if n != 1 else ''}"
        parts = [repr(t.sheet.name), f"header row {t.header_row}", f"rows {t.first_row}-{t.last_row}",
                 repr(self.verdict)]
        parts += [plural(len(self.errors), "root cause")] if self.errors else []
        parts += [plural(len(self.warnings), "warning")] if self.warnings else []
        if self.message:
            parts.append(repr(self.message if len(self.message) <= 80 else self.message[:77].rstrip() + "..."))
        return f"TableResult({', '.join(parts)})"


def judge(book: Book, table: Table, explained: Explained | None = None) -> TableResult:
    """Find the root causes in ``table`` (see the module docstring); ``explained`` carries the
    diagnoses of the file's other tables over (:func:`~.repair.explain`)."""
    sheet = table.sheet
    computed = [n for n in table.columns if n not in given_names(table.network) and not re.fullmatch(r"[wb]\d+", n)]
    has_formula = any((r, c) in sheet.formulas for r in table.rows for c in table.columns.values())
    if not has_formula and all(sheet.number(r, table.columns[n]) is None for n in computed for r in table.rows):
        return TableResult(table, "incomplete", message="not filled in: the header and the given values only")
    try:
        problem = recover(table)
    except ProblemError as exc:
        return TableResult(table, "incomplete", message=f"cannot tell what it trains: {exc}")
    result = TableResult(table, "right", problem)
    meaning = Meaning(problem, {s.name: s for s in book.sheets})
    local = _local(book, problem)
    nothing = (np.zeros(len(table.rows), bool), np.full(len(table.rows), np.nan))
    for name, col in table.columns.items():
        _judge_column(result, meaning, name, col, *local.get(name, nothing), explained)
    _against_reference(result, problem)
    if result.errors:
        result.verdict = "wrong"
    elif empty := [n for n in computed if all(sheet.number(r, table.columns[n]) is None for r in table.rows)]:
        result.verdict, result.message = "incomplete", f"{', '.join(empty)} hold no values"
    return result


def _errors(problem: Problem, col: int) -> np.ndarray:
    """Rows holding an error value (#VALUE!, #NUM! ...)."""
    sheet = problem.table.sheet
    return np.array([isinstance(v := sheet.value(r, col), str) and v.startswith("#") for r in problem.table.rows])


def _stored(problem: Problem, col: int, unit: float) -> Bound:
    sheet, rows = problem.table.sheet, problem.table.rows
    v = np.array([np.nan if (x := sheet.number(r, col)) is None else x for r in rows])
    return Bound(v, unit * np.abs(v))


def _local(book: Book, problem: Problem) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per column: the rows whose stored value is off what the row's own inputs give, and what
    they give."""
    table, n = problem.table, len(problem.table.rows)
    stored = {}
    for name, col in table.columns.items():
        stored[name] = _stored(problem, col, book.unit)
    for ours, theirs in problem.bias_layout.items():
        if theirs in table.columns:
            stored[ours] = _stored(problem, table.columns[theirs], book.unit)
    given = {name: Bound(np.full(n, v), np.full(n, book.unit * abs(v))) for name, v in problem.given.items()}
    recompute = Recompute(rules(problem.network), stored, given, n)
    out = {}
    for name in table.columns:
        if name in recompute.rules:
            expected = recompute.expected(name)
            failed = _errors(problem, table.columns[name]) & np.isfinite(expected.v)  # #VALUE! where a number belongs
            out[name] = disagree(stored[name], expected, book.unit) | failed, expected.v
        elif name in given_names(problem.network):
            first = stored[name].v[0]
            with np.errstate(invalid="ignore"):
                out[name] = np.abs(stored[name].v - first) > GIVEN_RTOL * abs(first), np.full(n, first)
    return out


def _judge_column(result: TableResult, meaning: Meaning, name: str, col: int, bad: np.ndarray,
                  expected: np.ndarray, explained: Explained | None = None) -> None:
    """Add one column's root causes (or, when its values are right, its warnings) to ``result``."""
    column = _Column(result.table, meaning, name, col, expected, explained)
    table = result.table
    bad_rows = [table.first_row + k for k in np.flatnonzero(bad)]
    if column.given:
        if bad_rows:
            r = bad_rows[0]
            result.errors.append(column.finding(r, "not-uniform", f"changes to {table.sheet.value(r, col)!r} from "
                                                f"{table.sheet.value(table.first_row, col)!r} of the first row"))
        return
    result.errors.extend(column.typed_values())
    result.errors.extend(column.root_causes(bad_rows))
    if not bad_rows:
        result.warnings.extend(column.coincidences())


class _Column:
    """One column's formulas, row by row: their relative forms, what each means, why one is wrong.

    Rows whose formulas have the same relative form and read the same quantities share one
    :func:`~xlbackprop.check.repair.explain` (a column filled down is diagnosed once)."""

    def __init__(self, table: Table, meaning: Meaning, name: str, col: int, expected: np.ndarray,
                 explained: Explained | None = None):
        self.table, self.sheet, self.meaning, self.name, self.col = table, table.sheet, meaning, name, col
        self.explained = explained
        self.letter, self.expected = get_column_letter(col), expected
        self.given = name in given_names(meaning.problem.network)
        self.updates = re.fullmatch(r"[wb]\d+", name) is not None
        self.rows = list(table.rows)[1:] if self.updates else list(table.rows)  # row 1's weights are given
        self.forms, self.references = {}, {}
        for r in self.rows:
            text = self.sheet.formula(r, col)
            if text is None:
                continue
            try:
                self.forms[r], self.references[r] = shape(text, r, col)
            except FormulaError:
                self.forms[r], self.references[r] = text, None
        self.first_form = self.forms[min(self.forms)] if self.forms else None
        self._keys: dict[int, tuple] = {}
        self._diagnoses: dict[tuple, Diagnosis] = {}

    def key(self, r: int) -> tuple:
        if r not in self._keys:
            self._keys[r] = self.forms.get(r), _signature(self.meaning, self.references.get(r), r)
        return self._keys[r]

    def diagnosis(self, r: int) -> Diagnosis:
        k = self.key(r)
        if k not in self._diagnoses:
            self._diagnoses[k] = explain(self.meaning, self.name, self.sheet.formula(r, self.col), r, self.col,
                                         self.explained)
        return self._diagnoses[k]

    def since(self, r: int) -> int:
        """The first row of the run of rows holding the same formula as row r, meaning the same."""
        start = r
        while start - 1 in self.forms and self.key(start - 1) == self.key(r):
            start -= 1
        return start

    def finding(self, r: int, kind: str | None, cause: str, start: int | None = None) -> Finding:
        exp = self.expected[r - self.table.first_row] if kind else np.nan
        return Finding(self.name, kind, self.letter, int(r), self.sheet.number(r, self.col),
                       None if np.isnan(exp) else float(exp), self.sheet.formula(r, self.col),
                       f"{self.name}{self._own_label()} (column {self.letter}, from row {start or r}): {cause}")

    def _own_label(self) -> str:
        """`` = 'grad 3'``: the file's own label, for a table read by its formulas (labels in Portuguese)."""
        label = self.sheet.value(self.table.header_row, self.col) if self.table.by_formulas else None
        return f" = {label.strip()!r}" if isinstance(label, str) and label.strip() else ""

    def typed_values(self) -> list[Finding]:
        """A number typed where a formula belongs: one finding for the column."""
        typed = [r for r in self.rows if r not in self.forms and self.sheet.number(r, self.col) is not None]
        if not typed:
            return []
        rows = f" ({len(typed)} rows)" if len(typed) > 1 else ""
        return [self.finding(typed[0], "values-only", f"holds a typed value where a formula belongs{rows}")]

    def root_causes(self, bad_rows: list[int]) -> list[Finding]:
        """One finding per kind and formula among the rows whose values their row's cells do not give."""
        found, seen = [], set()
        for r in bad_rows:
            if r not in self.forms or len(found) >= MAX_FINDINGS_PER_COLUMN:
                continue
            d = self.diagnosis(r)
            kind = self._kind(r, d)
            if (kind, self.forms[r]) in seen:
                continue
            seen.add((kind, self.forms[r]))
            cause = d.cause if not d.right else ("holds a value its row's cells do not give, though its formula "
                                                 "reads right (stored values stale? try --recalc)")
            if kind == "not-uniform":
                cause = f"the formula changes at row {r}: {cause}"
            found.append(self.finding(r, kind, cause, self.since(r) if not d.right and kind != "anchoring" else r))
            found[-1].answer = d.repaired
        return found

    def _kind(self, r: int, d: Diagnosis) -> str:
        if self.forms[r] != self.first_form:
            return "not-uniform"
        first_same = next(q for q in self.rows if self.forms.get(q) == self.forms[r])
        if first_same != r and self.diagnosis(first_same).right and not d.right:
            return "anchoring"  # the same text, filled down, reads other cells
        return "update" if self.updates else "formula"

    def coincidences(self) -> list[Finding]:
        """Formulas whose values are right though the formula is not (t1 for t2 while t1 = t2)."""
        found, seen = [], set()
        for r in self.rows:
            if r in self.forms and not (d := self.diagnosis(r)).right and d.cause not in seen:
                seen.add(d.cause)
                found.append(self.finding(r, None, f"right only by coincidence: {d.cause}"))
        return found


def _signature(meaning: Meaning, references, row: int) -> tuple:
    """What each reference of a formula reads from this row: equal signatures, equal meaning."""
    if references is None:
        return ()
    out = []
    for ref in references:
        try:
            sym = meaning.symbol(ref, row)
        except FormulaError:
            sym = ref.coordinate
        out.append(("inline", sym.row - row, sym.col) if isinstance(sym, Inline) else sym)
    return tuple(out)


def _against_reference(result: TableResult, problem: Problem) -> None:
    """Columns off a correct run of the sheet's own problem: the curve, and who is dragged."""
    table, sheet = result.table, result.table.sheet
    reference = train(problem.spec, IEEE)
    reported = {f.quantity for f in result.errors}
    for name, col in table.columns.items():
        if name not in reference:
            continue
        got = np.array([np.nan if (x := sheet.number(r, col)) is None else x for r in table.rows])
        exp = reference[name]
        scale = np.nanmax(np.abs(exp)) if np.isfinite(exp).any() else 0.0
        with np.errstate(invalid="ignore"):
            off = np.abs(got - exp) > REFERENCE_RTOL * (np.abs(exp) + 1e-3 * scale)
        if off.any() and name not in reported:
            result.dragged.append(name)
        if name == "E_total":
            result.curve = {"got": [None if np.isnan(x) else float(x) for x in got],
                            "expected": [None if np.isnan(x) else float(x) for x in exp]}
    if result.dragged and not result.errors:
        first = result.dragged[0]
        result.warnings.append(Finding(first, None, table.letter(first), table.first_row, None, None, None,
                                       f"{first} (column {table.letter(first)}): differs from a correct run of "
                                       f"the sheet's own problem, though every column follows from its own row"))
