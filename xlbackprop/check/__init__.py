"""``xlbackprop check``: find the slips in hand-made backprop workbooks, and say where and why.

    from xlbackprop.check import check_file
    result = check_file("anna.xlsx")
    result.status                     # "wrong"
    result.tables[0].errors[0].cause  # "∂E/∂w3 (column Z, from row 33): uses a_h1's slope J33*(1-J33) where ..."

The pipeline, one module an arrow: :mod:`~.grid` reads the file (untrusted, recalculated by
LibreOffice when it must be) → :mod:`~.tables` finds the training tables by their labels
(:mod:`~.labels`), :mod:`~.structure` those of one row an iteration by their formulas
(:mod:`~.updates`) → :mod:`~.problem` recovers what each trains → :mod:`~.judge` holds each
column against its own row (:mod:`~.local`, :mod:`~.rules`) and reads the formulas of the
columns that disagree (:mod:`~.meaning`, :mod:`~.repair`) → :mod:`~.report` (text, JSON) and
:mod:`~.html` say it. Gradient descent in any other layout or network (a sheet an iteration, a
block of rows, a group of columns; biases, tanh, a batch) is judged by its formula graph
(:mod:`~.graph`), from the weight updates :mod:`~.updates` finds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import XlbackpropError
from ..xlsx import grid
from . import graph, structure
from .judge import TableResult, judge
from .repair import Explained
from .tables import own_untaught

STATUSES = ("right", "wrong", "incomplete", "no-table", "unreadable")


@dataclass
class FileResult:
    """The verdict on one file: ``status`` one of :data:`STATUSES`, a one-line ``message``."""

    file: str
    status: str
    message: str
    tables: list[TableResult] = field(default_factory=list)

    def __repr__(self) -> str:
        """One short line, not every cell of the file: ``FileResult('anna.xlsx', 'wrong', 1 table, 2 root causes)``."""
        causes, warnings = sum(len(t.errors) for t in self.tables), sum(len(t.warnings) for t in self.tables)
        parts = [repr(self.file), repr(self.status), _count(len(self.tables), "table")]
        parts += [_count(causes, "root cause")] if causes else []
        parts += [_count(warnings, "warning")] if warnings else []
        parts += [repr(_short(self.message))] if self.status not in ("right", "wrong") else []
        return f"FileResult({', '.join(parts)})"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _short(message: str, width: int = 80) -> str:
    return message if len(message) <= width else message[:width - 3].rstrip() + "..."


def _judged(book, table, explained: Explained) -> TableResult:
    """:func:`~.judge.judge`, or incomplete where the labels promise a quantity the network they
    describe lacks (the course's labels over another network): its formulas are read next."""
    try:
        return judge(book, table, explained)
    except ValueError as exc:  # FormulaError: "w4 is not a quantity of this network"
        return TableResult(table, "incomplete", message=f"cannot tell what it trains: {exc}")


def check_file(path: str | Path, recalculate: bool = False, timeout: float = 120) -> FileResult:
    """Check every training table of one workbook; never raises for a bad file (status unreadable)."""
    name = str(path)
    try:
        book = grid.read(path, recalculate=recalculate, timeout=timeout)
    except XlbackpropError as exc:
        return FileResult(name, "unreadable", str(exc).replace(f"{path}: ", "", 1))
    untaught, own_states = own_untaught(book), set()
    if untaught in (("optimizer", "momentum"), ("optimizer", "adam")):  # its optimizer's sheets: by the graph
        own_states = graph.optimized(book)
    if untaught and not own_states:  # not yet read by check: said, not misjudged as plain descent
        kind, what = untaught
        said = f"trained by {what}" if kind == "optimizer" else f"with a {what} loss"
        return FileResult(name, "unreadable", f"an xlbackprop workbook {said}: check reads plain gradient "
                          f"descent (w − η·∂E/∂w) on the squared error only; xlbackprop verify holds its every "
                          f"cell to the reference")
    found = structure.find_all(book)  # by their labels, else (one row an iteration) by their formulas
    explained: Explained = {}  # one file's tables (one per η, on sheets alike) share their diagnoses
    # a sheet whose updates read an optimizer's states is read by the graph alone (not as plain descent first)
    stated = own_states or (graph.optimized(book) if found else set())
    results, unread = [_judged(book, t, explained) for t in found if t.sheet.name not in stated], []
    if own_states:  # an xlbackprop workbook trained by momentum or Adam: those sheets by the graph, no other
        by_graph, unread = graph.judge_all(book, {s.name for s in book.sheets} - own_states)
        read = {r.table.sheet.name for r in by_graph}
        results = [r for r in results if r.table.sheet.name not in read] + by_graph
    elif not any(t.own for t in found):  # any other layout or network: by the formula graph
        # a sheet whose labels look like the course's but whose table cannot be read so (another
        # network under w1, w2 ... labels) is read by its formulas too, and that reading stands
        unsure = {r.table.sheet.name for r in results if r.verdict == "incomplete"}
        unsure -= {r.table.sheet.name for r in results if r.verdict != "incomplete"}
        unsure |= stated  # momentum or Adam under the course's labels: its states are read by the graph
        by_graph, unread = graph.judge_all(book, {t.sheet.name for t in found} - unsure)
        read = {r.table.sheet.name for r in by_graph}
        results = [r for r in results if r.table.sheet.name not in read] + by_graph
    if not results:
        names = ", ".join(repr(s.name) for s in book.sheets)
        message = (f"no training table: no sheet ({names}) has a header row with "
                   f"the weights w1, w2 ... and one row per iteration below it")
        said = unread[:3]  # what the formulas show, labels aside, and what they lack
        return FileResult(name, "no-table", message + ("; found by their formulas: " + "; ".join(said) if said else ""))
    verdicts = {r.verdict for r in results}
    status = "wrong" if "wrong" in verdicts else "incomplete" if "incomplete" in verdicts else "right"
    causes = sum(len(r.errors) for r in results)
    table_word = "table" if len(results) == 1 else "tables"
    message = {"right": f"{len(results)} {table_word}, every column right",
               "wrong": f"{len(results)} {table_word}, {causes} root cause{'s' if causes != 1 else ''}",
               "incomplete": "; ".join(r.message for r in results if r.verdict == "incomplete")}[status]
    if book.recalculated:
        message += f" (recalculated by {book.engine})"
    return FileResult(name, status, message, results)
