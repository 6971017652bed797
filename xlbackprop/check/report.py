"""What check says: a short text report, the JSON objects, the exit code.

The text report has, per file and table, one verdict line, then one line per root cause::

    students/anna.xlsx: wrong (1 table, 2 root causes)
      Sheet1, header row 32, rows 33-78, η = 0.5 (Sheet1!$H$30): wrong
        Z33: got 0.0002248724776, expected 0.0002248134626 | =((R33-A33)*...)*J33*(1-J33)*C33 | ∂E/∂w3 (column Z,
        from row 33): uses a_h1's slope J33*(1-J33) where a_h2's belongs (L33*(1-L33))      (one line)

:func:`as_dict` gives the JSON object of one file (the shape ``--json`` prints, one per file in
an array); with ``curve=True`` each table also carries its E_total and the correct run's, for
the HTML report.
"""

from __future__ import annotations

import math
import re
from typing import Any

from . import STATUSES, FileResult
from .diagnose import Finding, TableResult

_PLAIN_SHEET = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


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
               "got": _number(f.got), "expected": _number(f.expected), "formula": f.formula, "cause": f.cause}
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
           "message": result.message, "notes": result.problem.notes if result.problem else [],
           "dragged": result.dragged}
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


def text(results: list[dict]) -> str:
    """The short text report of a batch, from :func:`as_dict`'s objects (see the module docstring)."""
    lines = []
    for result in results:
        lines.append(f"{result['file']}: {result['status']} ({result['message']})")
        for t in result["tables"]:
            lines.extend(_table_lines(t))
    if len(results) > 1:
        counts = [f"{n} {s}" for s in STATUSES if (n := sum(r["status"] == s for r in results))]
        lines.append(f"{len(results)} files: {', '.join(counts)}")
    return "\n".join(lines)


def _table_lines(t: dict) -> list[str]:
    where = f"{t['sheet']}, header row {t['header_row']}, rows {t['first_row']}-{t['last_row']}"
    if t["eta"] is not None:
        where += f", η = {t['eta']:g}" + (f" ({t['eta_cell']})" if t["eta_cell"] else "")
    lines = [f"  {where}: {t['verdict']}" + (f": {t['message']}" if t["message"] else "")]
    pasted = [f for f in t["errors"] if f["kind"] == "values-only"]
    if len(pasted) > 2:
        names = ", ".join(f["quantity"] for f in pasted)
        lines.append(f"    values only: {names} hold typed values where formulas belong")
    for f in t["errors"]:
        if f["kind"] == "values-only" and len(pasted) > 2:
            continue
        lines.append(f"    {f['column']}{f['row']}: got {_fmt(f['got'])}, expected {_fmt(f['expected'])}"
                     + (f" | {f['formula']}" if f["formula"] else "") + f" | {f['cause']}")
    for f in t["warnings"]:
        lines.append(f"    warning {f['column']}{f['row']}: " + (f"{f['formula']} | " if f["formula"] else "")
                     + f["cause"])
    lines.extend(f"    note: {note}" for note in t["notes"])
    if t["dragged"] and t["errors"]:
        n = len(t["dragged"])
        lines.append(f"    ({n} more column{'s' if n != 1 else ''} off only because of these: "
                     f"{', '.join(t['dragged'])})")
    return lines


def exit_code(results: list[dict]) -> int:
    """0: every table right; 1: some table wrong, incomplete, or no table found; 2: a file unreadable."""
    if any(r["status"] == "unreadable" for r in results):
        return 2
    return 0 if all(r["status"] == "right" for r in results) else 1
