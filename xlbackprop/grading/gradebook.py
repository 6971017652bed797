"""What grading writes: the gradebook CSV an LMS imports, the JSON of everything, a text summary.

The gradebook has one row a student, in the roster's order, in UTF-8 with a header::

    id,name,email,score,max_score,status,feedback
    a17,Anna Doe,anna@uni.edu,8,10,wrong,Score 8 of 10. / hidden-layer gradients (0 of 2): ...

A field a spreadsheet would read as a formula (starting with =, +, -, @) is written with a
leading apostrophe, so that opening the gradebook in Excel runs nothing a student typed.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..core.outputs import write_whole
from .grade import Gradebook

COLUMNS = ("id", "name", "email", "score", "max_score", "status", "feedback")


def _safe(value) -> str:
    text = value if isinstance(value, str) else f"{value:g}"
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def csv_text(book: Gradebook) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in book.rows:
        writer.writerow([_safe(x) for x in (r.student.id, r.student.name, r.student.email, r.score, r.max_score,
                                            r.status, " / ".join(line.strip() for line in r.feedback.splitlines()))])
    return out.getvalue()


def is_gradebook(path: Path) -> bool:
    """Whether ``path`` is a gradebook this module wrote (the only file one may replace)."""
    try:
        with open(path, "rb") as f:
            return f.readline().strip() == ",".join(COLUMNS).encode()
    except OSError:
        return False


def write(path: Path, book: Gradebook) -> Path:
    """The gradebook, under a temporary name renamed at the end."""
    return write_whole("gradebook", path, csv_text(book))


def write_page(path: Path, book: Gradebook) -> Path:
    """The class report (:mod:`.html`), under a temporary name renamed at the end."""
    from .html import render

    return write_whole("report", path, render(as_dict(book)))


def as_dict(book: Gradebook) -> dict:
    """Everything grading found, as ``grade --json`` prints it."""
    return {
        "rubric": {"parts": [{"name": p.name, "points": p.points, "covers": p.covers} for p in book.rubric.parts],
                   "rates": list(book.rubric.rates), "max_score": book.rubric.max_score},
        "feedback_level": book.level,
        "students": [{
            "id": r.student.id, "name": r.student.name, "email": r.student.email, "score": r.score,
            "max_score": r.max_score, "status": r.status, "feedback": r.feedback, "flags": r.flags,
            "submissions": [{"file": str(s.path), "matched_by": s.how, "numbers": s.numbers, "chart": s.chart,
                             "status": s.result["status"], "message": s.result["message"],
                             "score": s.marks.score,
                             "parts": [{"name": p.name, "covers": p.covers, "points": p.points,
                                        "max_points": p.max_points, "why": p.why} for p in s.marks.parts]}
                            for s in r.submissions]} for r in book.rows],
        "unmatched": [{"file": str(p), "why": why} for p, why in book.unmatched],
        "copies": [{"students": [a, b], "evidence": ev} for a, b, ev in book.copies],
        "common_slips": [{"slip": s, "students": n} for s, n in book.common],
    }


def text(book: Gradebook) -> str:
    """The summary a teacher reads in the terminal."""
    lines = []
    width = max((len(r.student.id) for r in book.rows), default=2)
    for r in book.rows:
        flags = f"  [{'; '.join(r.flags)}]" if r.flags else ""
        lines.append(f"{r.student.id:<{width}}  {r.score:>4g} / {r.max_score:g}  {r.status}{flags}")
    graded = [r for r in book.rows if r.status != "missing"]
    mean = sum(r.score for r in graded) / len(graded) if graded else 0.0
    lines.append(f"{len(book.rows)} students: {len(graded)} graded, {len(book.rows) - len(graded)} missing; "
                 f"mean score {mean:.2f} of {book.rubric.max_score:g}")
    for s, n in book.common[:3]:
        lines.append(f"most common slip ({n} students): {s}")
    for p, why in book.unmatched:
        lines.append(f"unmatched: {p} ({why})")
    for a, b, evidence in book.copies:
        lines.append(f"copies? {a} and {b}: {'; '.join(evidence)}")
    return "\n".join(lines)
