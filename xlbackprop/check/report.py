"""What check says: a short text report, the JSON objects, the exit code.

The text report has, per file, one verdict line; per table, one line (where it is, its η, its
verdict); then a small block per root cause: the cell and the quantity; what it holds and what
it should; its formula; and why, one line per slip in it (wrapped at :data:`WIDTH` characters;
a long formula stays on its line)::

    students/anna.xlsx: wrong (1 table, 2 root causes)
      Sheet1, header row 32, rows 33-78, η = 0.5 (Sheet1!$H$30): wrong
        Z33  ∂E/∂w3 (column Z, from row 33)
          got 0.0002248724776, expected 0.0002248134626
          formula =((R33-A33)*R33*(1-R33)*N33+(T33-B33)*T33*(1-T33)*P33)*J33*(1-J33)*C33
          why: uses a_h1's slope J33*(1-J33) where a_h2's belongs (L33*(1-L33))
        AA33  ∂E/∂w4 (column AA, from row 33)
          ...
        3 more columns off only because of these: w3, w4, h2

A warning (right numbers from a wrong formula) is the same block, led by ``warning:``, without
the numbers; more than two columns of typed values are one ``values only:`` list. Each message
is said once: an incomplete file of one incomplete table says why on the file's line only; of
several, the file's line counts them (``3 tables, 2 incomplete``) and each table says its own.

:func:`as_dict` gives the JSON object of one file (the shape ``--json`` prints, one per file in
an array); with ``curve=True`` each table also carries its E_total and the correct run's, for
the HTML report.
"""

from __future__ import annotations

import math
import re
import textwrap
from typing import Any

from ..core.spec import given_numbers
from . import STATUSES, FileResult
from .judge import Finding, TableResult

_PLAIN_SHEET = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
WIDTH = 100  # the text report wraps its prose (causes, notes, lists of columns) at this width; a formula stays whole
SHORT_PARENTHESES = 16  # "belongs (L33*(1-L33))" stays together, "∂E/∂w1 = ((a_o1 − t1)·..." may break at "="
_RECALCULATED = re.compile(r" \(recalculated by \w+\)$")  # what check_file appends to a file's message
# a cause as judge words it: "∂E/∂w3 (column Z, from row 33): uses ...", the head and the why
_HEAD = re.compile(r"(?P<head>.+? \(column [A-Z]+(?:, from row \d+)?\)): (?P<why>.*)", re.S)


def sheet_ref(sheet: str, cell: str) -> str:
    """``Sheet1!$H$30``; quoted when the name needs it: ``'0.1'!$P$19``."""
    name = sheet if _PLAIN_SHEET.fullmatch(sheet) else "'" + sheet.replace("'", "''") + "'"
    return f"{name}!{cell}"


def _number(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def _finding(f: Finding, warning: bool) -> dict:
    out = {"quantity": f.quantity, "column": f.column, "row": f.row, "formula": f.formula, "cause": f.cause}
    if not warning:
        out = {"quantity": f.quantity, "kind": f.kind, "column": f.column, "row": f.row,
               "got": _number(f.got), "expected": _number(f.expected), "formula": f.formula, "cause": f.cause,
               "answer": f.answer}
    return out


def eta_cell(result: TableResult) -> str | None:
    problem = result.problem
    if problem is None or problem.eta_cell is None:
        return None
    cell = problem.eta_cell
    return cell if cell.startswith("column") else sheet_ref(result.table.sheet.name, cell)


def table_dict(result: TableResult, curve: bool = False) -> dict:
    t = result.table
    out = {"sheet": t.sheet.name, "header_row": t.header_row, "first_row": t.first_row, "last_row": t.last_row,
           "eta": result.problem.eta if result.problem else None, "eta_cell": eta_cell(result),
           "columns": {name: t.letter(name) for name in t.columns},
           "verdict": result.verdict,
           "errors": [_finding(f, False) for f in result.errors],
           "warnings": [_finding(f, True) for f in result.warnings],
           "message": result.message, "notes": result.problem.notes if result.problem else result.notes,
           "dragged": result.dragged,
           "layers": list(result.problem.network.layers) if result.problem else None,
           "given": given_numbers(result.problem.spec) if result.problem else None}
    if getattr(t, "layout", None):  # read by its formula graph (:mod:`~.graph`): what it trains, how it is laid out
        out.update(eta=t.eta, eta_cell=t.eta_cell, network=t.network, layout=t.layout, where=t.where)
    if curve:
        out["curve"] = result.curve
    return out


def as_dict(result: FileResult, curve: bool = False) -> dict:
    """The JSON object of one file (see the module docstring)."""
    return {"file": result.file, "status": result.status, "message": result.message,
            "tables": [table_dict(t, curve) for t in result.tables]}


def _fmt(x: Any) -> str:
    v = _number(x)
    return "empty" if x is None else repr(x) if v is None else f"{v:.10g}"


def _wrap(text: str, first: str, rest: str | None = None) -> list[str]:
    """``text`` after ``first``, wrapped at :data:`WIDTH`; later lines indented as ``rest`` (default: under
    the text). Never breaks a word, at a hyphen (``1-J33`` stays whole), inside parentheses
    (``((a_o1 − t1)·a_o1(1 − a_o1)·w5 + ...)`` stays on one line) or before a short one (``belongs (AC30)``)."""
    rest = " " * len(first) if rest is None else rest
    close, opened = {}, []
    for k, ch in enumerate(text):
        if ch == "(":
            opened.append(k)
        elif ch == ")" and opened:
            close[opened.pop()] = k
    kept, depth = [], 0
    for k, ch in enumerate(text):
        depth = depth + 1 if ch == "(" else max(depth - 1, 0) if ch == ")" else depth
        glued = ch == " " and (depth or k + 1 in close and close[k + 1] - k <= SHORT_PARENTHESES)
        kept.append("\0" if glued else ch)
    lines = textwrap.wrap("".join(kept), WIDTH, initial_indent=first, subsequent_indent=rest,
                          break_long_words=False, break_on_hyphens=False)
    return [line.replace("\0", " ") for line in lines] or [first.rstrip()]


def text(results: list[dict]) -> str:
    """The text report of a batch, from :func:`as_dict`'s objects (see the module docstring)."""
    lines = []
    for result in results:
        tables = result["tables"]
        incomplete = [t for t in tables if t["verdict"] == "incomplete"]
        message, said = result["message"], None
        if result["status"] == "incomplete" and len(incomplete) == 1:
            said = incomplete[0]  # the file's message is this table's: say it once, on the file's line
        elif result["status"] == "incomplete":
            recalculated = _RECALCULATED.search(message)
            message = f"{len(tables)} tables, {len(incomplete)} incomplete" + (recalculated[0] if recalculated else "")
        lines.append(f"{result['file']}: {result['status']} ({message})")
        for t in tables:
            lines.extend(_table_lines(t, with_message=t is not said))
    if len(results) > 1:
        counts = [f"{n} {s}" for s in STATUSES if (n := sum(r["status"] == s for r in results))]
        lines.append(f"{len(results)} files: {', '.join(counts)}")
    return "\n".join(lines)


def _table_lines(t: dict, with_message: bool = True) -> list[str]:
    where = t.get("where") or f"{t['sheet']}, header row {t['header_row']}, rows {t['first_row']}-{t['last_row']}"
    if t.get("network"):
        where += f"; {t['network']}"
    if t["eta"] is not None:
        where += f", η = {t['eta']:g}" + (f" ({t['eta_cell']})" if t["eta_cell"] else "")
    lines = [f"  {where}: {t['verdict']}"]
    if t["message"] and with_message:
        if len(lines[0]) + 2 + len(t["message"]) <= WIDTH:
            lines[0] += f": {t['message']}"
        else:
            lines[0] += ":"
            lines.extend(_wrap(t["message"], "      "))
    pasted = [f for f in t["errors"] if f["kind"] == "values-only"]
    grouped = len(pasted) > 2
    if grouped:
        lines.append(f"    values only: {len(pasted)} columns hold typed values where formulas belong:")
        lines.extend(_wrap(", ".join(f["quantity"] for f in pasted), "      "))
    for f in t["errors"]:
        if not (grouped and f["kind"] == "values-only"):
            lines.extend(_finding_lines(f))
    for f in t["warnings"]:
        lines.extend(_finding_lines(f, warning=True))
    for note in t["notes"]:
        lines.extend(_wrap(note, "    note: "))
    if t["dragged"] and t["errors"]:
        n = len(t["dragged"])
        lines.extend(_wrap(f"{n} more column{'s' if n != 1 else ''} off only because of these: "
                           f"{', '.join(t['dragged'])}", "    ", "      "))
    return lines


def _finding_lines(f: dict, warning: bool = False) -> list[str]:
    """One finding as a block: the cell and the quantity; what it holds and should; its formula; why."""
    m = _HEAD.fullmatch(f["cause"])
    head, why = (m["head"], m["why"]) if m else (f["quantity"], f["cause"])
    lines = [f"    {'warning: ' if warning else ''}{f['column']}{f['row']}  {head}"]
    if not warning and (f["got"] is not None or f["expected"] is not None):
        expected = f", expected {_fmt(f['expected'])}" if f["expected"] is not None else ""
        lines.append(f"      got {_fmt(f['got'])}{expected}")
    if f["formula"]:
        lines.append(f"      formula {f['formula']}")
    clauses = why.split("; ")  # several slips in one formula: one (wrapped) line each
    first = "      why: "
    lead, colon, rest = clauses[0].partition(": ")
    if colon and len(lead) <= 40 and (len(clauses) > 1 or len(first + clauses[0]) > WIDTH):
        # "the formula changes at row 35:" leads them all: on its own line, when they take more than one
        lines.append(f"{first}{lead}:")
        clauses[0], first = rest, "           "
    for k, clause in enumerate(clauses):
        lines.extend(_wrap(clause + (";" if k < len(clauses) - 1 else ""), first if k == 0 else "           "))
    return lines


def exit_code(results: list[dict]) -> int:
    """0: every table right; 1: some table wrong, incomplete, or no table found; 2: a file unreadable."""
    if any(r["status"] == "unreadable" for r in results):
        return 2
    return 0 if all(r["status"] == "right" for r in results) else 1
